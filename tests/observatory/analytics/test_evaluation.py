"""Before/after evaluation (issue 11): the formulas against hand-worked examples, the periods,
the areas, and simulations with and without a planted effect.

References are worked out by hand in the comments (letters: T treated, B buffer ring,
C control; b before, a after), or come from scipy (the normal p-values) and geopandas (which
point lies in which area).
"""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose
from scipy.stats import norm

from observatory.analytics import evaluation as ev
from observatory.analytics.beforeafter import (
    CONTROL,
    RING,
    TREATED,
    Window,
    Zones,
    add_months,
    choose_periods,
    history_windows,
    treated_window_counts,
    zone_counts,
    zone_of,
)
from observatory.errors import InvalidInput
from observatory.grid import cells_from_lonlat
from observatory.store.snapshot import Columns, Snapshot, build_snapshot, date_to_day

# -- the relative effect size (Welsh & Farrington) ---------------------------------------------


def test_res_of_welsh_and_farrington_worked_example() -> None:
    # Welsh & Farrington explain RES = 2 as « crimes doubled in the control area and stayed
    # constant in the experimental area ». Take Tb = Ta = 100, Cb = 200, Ca = 400:
    #   RES = (Tb·Ca)/(Ta·Cb) = (100·400)/(100·200) = 2
    #   var(ln RES) = 1/100 + 1/100 + 1/200 + 1/400 = 0.0275, se = 0.165831
    #   ln 2 = 0.693147; 1.959964 × 0.165831 = 0.325023
    #   95 % CI = exp(0.368124) … exp(1.018170) = 1.445021 … 2.768126
    #   z = 0.693147 / 0.165831 = 4.179835
    #   relative change = 1/RES − 1 = −50 %, interval 1/2.768126 − 1 … 1/1.445021 − 1
    #                   = −63.87 % … −30.80 %
    e = ev.relative_effect(100, 100, 200, 400)
    assert e.odds_ratio == pytest.approx(2.0)
    assert e.standard_error == pytest.approx(math.sqrt(0.0275))
    assert (e.ci_low, e.ci_high) == pytest.approx((1.445021, 2.768126), abs=1e-6)
    assert e.z == pytest.approx(4.179835, abs=1e-6)
    assert e.p == pytest.approx(2 * norm.sf(4.179835), rel=1e-5)
    assert e.relative_change == pytest.approx(-0.5)
    assert (e.relative_change_low, e.relative_change_high) == pytest.approx(
        (-0.638745, -0.307969), abs=1e-6
    )
    assert e.measurable and e.significant


def test_res_when_the_treated_area_halves_and_the_control_stays() -> None:
    # The other reading of RES = 2: Tb = 100, Ta = 50, Cb = Ca = 200.
    #   RES = (100·200)/(50·200) = 2; var = 1/100 + 1/50 + 1/200 + 1/200 = 0.04, se = 0.2
    #   95 % CI = exp(0.693147 ± 0.391993) = exp(0.301154) … exp(1.085140) = 1.351418 … 2.959854
    e = ev.relative_effect(100, 50, 200, 200)
    assert e.odds_ratio == pytest.approx(2.0)
    assert e.standard_error == pytest.approx(0.2)
    assert (e.ci_low, e.ci_high) == pytest.approx((1.351418, 2.959854), abs=1e-6)
    assert e.relative_change == pytest.approx(-0.5)


def test_res_below_one_means_a_relative_rise() -> None:
    # Tb = 40, Ta = 60, Cb = Ca = 500: RES = (40·500)/(60·500) = 2/3; relative change +50 %.
    e = ev.relative_effect(40, 60, 500, 500)
    assert e.odds_ratio == pytest.approx(2 / 3)
    assert e.relative_change == pytest.approx(0.5)
    assert e.relative_change_low < 0.5 < e.relative_change_high
    assert "Hausse relative de 50" in ev.effect_reading(e) or "Pas d'effet" in ev.effect_reading(e)


def test_zero_cell_gets_haldane_correction_and_is_not_measurable() -> None:
    # Tb = 10, Ta = 0: 0.5 added to every cell, RES = (10.5·100.5)/(0.5·100.5) = 21.
    e = ev.relative_effect(10, 0, 100, 100)
    assert e.corrected
    assert e.odds_ratio == pytest.approx(21.0)
    assert not e.measurable
    assert ev.effect_reading(e).startswith("Effet non mesurable avec ces effectifs")


@pytest.mark.parametrize(
    ("counts", "measurable"),
    [
        ((4, 10, 1000, 1000), False),  # a cell under 5
        ((12, 9, 1000, 1000), False),  # every cell ≥ 5 but the interval spans a factor > 4
        ((60, 40, 1000, 1000), True),  # interval factor exp(2·1.96·√(1/60+1/40+.002)) ≈ 2.25
    ],
)
def test_honesty_rule(counts: tuple[int, int, int, int], measurable: bool) -> None:
    e = ev.relative_effect(*counts)
    assert e.measurable is measurable
    reading = ev.effect_reading(e)
    assert reading.startswith("Effet non mesurable avec ces effectifs") is not measurable


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="positifs"):
        ev.relative_effect(-1, 2, 3, 4)


# -- the weighted displacement quotient (Bowers & Johnson) -------------------------------------


@pytest.mark.parametrize(
    ("counts", "success", "buffer", "wdq", "tne", "code"),
    [
        # T 100→60, B 80→70, C 1000→1000:
        #   S = 60/1000 − 100/1000 = −0.04; D = 70/1000 − 80/1000 = −0.01; WDQ = 0.25
        #   TNE = (100·1 − 60) + (80·1 − 70) = 50
        ((100, 60, 80, 70, 1000, 1000), -0.04, -0.01, 0.25, 50.0, "diffusion"),
        # B 80→100: D = +0.02, WDQ = −0.5; TNE = 40 + (80 − 100) = 20
        ((100, 60, 80, 100, 1000, 1000), -0.04, 0.02, -0.5, 20.0, "displacement"),
        # B 80→130: D = +0.05, WDQ = −1.25; TNE = 40 − 50 = −10
        ((100, 60, 80, 130, 1000, 1000), -0.04, 0.05, -1.25, -10.0, "displacement_greater"),
        # B 80→30: D = −0.05, WDQ = 1.25; TNE = 40 + 50 = 90
        ((100, 60, 80, 30, 1000, 1000), -0.04, -0.05, 1.25, 90.0, "diffusion_greater"),
        # Control up 25 %, T and B flat: S = 100/1250 − 100/1000 = −0.02,
        #   D = 80/1250 − 80/1000 = −0.016, WDQ = 0.8; TNE = (125 − 100) + (100 − 80) = 45
        ((100, 100, 80, 80, 1000, 1250), -0.02, -0.016, 0.8, 45.0, "diffusion"),
        # B unchanged relative to C: D = 0, WDQ = 0
        ((100, 60, 80, 80, 1000, 1000), -0.04, 0.0, 0.0, 40.0, "none"),
    ],
)
def test_wdq_hand_worked(
    counts: tuple[int, ...], success: float, buffer: float, wdq: float, tne: float, code: str
) -> None:
    d = ev.displacement(*counts)
    assert d.success_measure == pytest.approx(success)
    assert d.buffer_measure == pytest.approx(buffer)
    assert d.wdq == pytest.approx(wdq, abs=1e-12)
    assert d.total_net_effect == pytest.approx(tne)
    assert d.interpretation == code
    assert d.as_dict()["interpretation_label"] == ev.WDQ_READINGS[code]


def test_wdq_is_not_read_without_success_or_control() -> None:
    # T 100→120 with a flat control: S = +0.02, the scheme did not work, no WDQ.
    assert ev.displacement(100, 120, 80, 70, 1000, 1000).interpretation == "no_success"
    assert ev.displacement(100, 120, 80, 70, 1000, 1000).wdq is None
    assert ev.displacement(100, 60, 80, 70, 0, 1000).interpretation == "no_control"


# -- regression to the mean --------------------------------------------------------------------


def test_regression_warning_rule() -> None:
    history = np.array([10, 12, 9, 11, 10, 13, 12, 11])
    assert ev.regression_check(20, history).warning  # above every earlier window
    calm = ev.regression_check(11, history)
    assert calm.judged and not calm.warning
    assert calm.share_below == pytest.approx(3 / 8)  # 10, 9 and 10 are below 11
    short = ev.regression_check(30, np.array([1, 2, 3]))
    assert not short.judged and not short.warning


# -- periods -----------------------------------------------------------------------------------


def test_periods_are_the_same_months_a_year_before() -> None:
    p = choose_periods(date(2025, 1, 1), None, 12, None, date(2023, 1, 1), date(2025, 12, 31))
    assert p.seasonal and p.years_apart == 1 and not p.truncated
    assert (p.before.first, p.before.last) == (date(2024, 1, 1), date(2024, 12, 31))
    assert (p.after.first, p.after.last) == (date(2025, 1, 1), date(2025, 12, 31))


def test_periods_after_the_end_keep_the_season() -> None:
    # A summer operation (June–August 2024), three months after it: September–November 2024
    # against September–November 2023.
    p = choose_periods(
        date(2024, 6, 1), date(2024, 8, 31), 3, None, date(2022, 1, 1), date(2025, 6, 30)
    )
    assert p.after_from == "end" and p.seasonal
    assert (p.after.first, p.after.last) == (date(2024, 9, 1), date(2024, 11, 30))
    assert (p.before.first, p.before.last) == (date(2023, 9, 1), date(2023, 11, 30))
    from_start = choose_periods(
        date(2024, 6, 1), date(2024, 8, 31), 3, "start", date(2022, 1, 1), date(2025, 6, 30)
    )
    assert (from_start.before.first, from_start.before.last) == (
        date(2023, 6, 1),
        date(2023, 8, 31),
    )


def test_periods_fall_back_to_just_before_when_the_data_are_short() -> None:
    p = choose_periods(date(2025, 3, 1), None, 6, None, date(2024, 6, 1), date(2025, 12, 31))
    assert not p.seasonal
    assert (p.before.first, p.before.last) == (date(2024, 9, 1), date(2025, 2, 28))
    assert (p.after.first, p.after.last) == (date(2025, 3, 1), date(2025, 8, 31))


def test_after_period_is_cut_at_the_last_data_day_and_before_likewise() -> None:
    p = choose_periods(date(2025, 6, 1), None, 12, None, date(2023, 1, 1), date(2025, 9, 30))
    assert p.truncated and p.seasonal
    assert (p.after.first, p.after.last) == (date(2025, 6, 1), date(2025, 9, 30))
    assert (p.before.first, p.before.last) == (date(2024, 6, 1), date(2024, 9, 30))
    assert p.before.days == p.after.days


@pytest.mark.parametrize(
    ("start", "end", "months", "after", "message"),
    [
        (date(2026, 2, 1), None, 12, None, "rien à comparer encore"),
        (date(2025, 12, 20), None, 12, None, "trop tôt pour évaluer"),
        (date(2025, 1, 1), None, 0, None, "« months » va de 1 à 36"),
        (date(2025, 1, 1), None, 12, "end", "pas de date de fin"),
        (date(2025, 1, 1), None, 12, "milieu", "« after » vaut start ou end"),
        (date(2024, 3, 1), None, 12, None, "Choisissez moins de mois"),
    ],
)
def test_periods_refused_with_a_french_reason(
    start: date, end: date | None, months: int, after: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        choose_periods(start, end, months, after, date(2024, 1, 1), date(2025, 12, 31))


def test_add_months_keeps_inside_the_month() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), -12) == date(2023, 2, 28)
    assert add_months(date(2025, 3, 15), -15) == date(2023, 12, 15)


def test_history_windows_step_back_month_by_month() -> None:
    recent, windows = history_windows(date(2025, 1, 1), 12, date(2020, 1, 1))
    assert (recent.first, recent.last) == (date(2024, 1, 1), date(2024, 12, 31))
    assert len(windows) == 25
    assert (windows[0].first, windows[0].last) == (date(2023, 1, 1), date(2023, 12, 31))
    assert (windows[-1].first, windows[-1].last) == (date(2021, 1, 1), date(2021, 12, 31))
    _, few = history_windows(date(2025, 1, 1), 12, date(2022, 6, 1))
    assert len(few) == 8  # from January to June 2022 … the data's first month


# -- areas and counts on a snapshot ------------------------------------------------------------

CENTRE = (1.4440, 43.6045)
METRE = 1 / 111_320  # degrees of latitude per metre; longitude scaled by cos(latitude)


def circle(radius_m: float) -> shapely.Geometry:
    """A circle of radius_m metres round CENTRE, in degrees (an ellipse in lon/lat)."""
    unit = shapely.Point(0, 0).buffer(1.0, quad_segs=32)
    scale_x = radius_m * METRE / math.cos(math.radians(CENTRE[1]))
    scale_y = radius_m * METRE
    coords = shapely.get_coordinates(unit) * [scale_x, scale_y] + CENTRE
    return shapely.Polygon(coords)


TREATED_AREA = circle(150)
DISC = circle(400)
CONTROL_SOURCE = shapely.box(
    CENTRE[0] - 0.05, CENTRE[1] - 0.035, CENTRE[0] + 0.05, CENTRE[1] + 0.035
)


def random_points(
    rng: np.random.Generator, area: shapely.Geometry, n: int, minus: shapely.Geometry | None
) -> np.ndarray:
    """n points uniformly in area (minus another), by rejection."""
    west, south, east, north = shapely.bounds(area).tolist()
    out = np.zeros((0, 2))
    while len(out) < n:
        xy = np.column_stack(
            [rng.uniform(west, east, 4 * n + 16), rng.uniform(south, north, 4 * n + 16)]
        )
        keep = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        if minus is not None:
            keep &= ~shapely.intersects_xy(minus, xy[:, 0], xy[:, 1])
        out = np.vstack([out, xy[keep]])
    return out[:n]


def make_snapshot(lon: np.ndarray, lat: np.ndarray, days: np.ndarray, cats: np.ndarray) -> Snapshot:
    """A snapshot of point facts (no intervals) built the way the store builds one."""
    n = lon.size
    start_s = (days.astype(np.int64) + 10957) * 86400 + 12 * 3600
    columns = Columns(
        day=days.astype(np.int16),
        how=np.zeros(n, np.uint8),
        category=cats.astype(np.uint8),
        commune=np.ones(n, np.uint16),
        qpv_2015=np.zeros(n, np.uint16),
        qpv_2024=np.zeros(n, np.uint16),
        cell11=cells_from_lonlat(lon, lat, 11),
        lon=lon.astype(np.float64),
        lat=lat.astype(np.float64),
        start_s=start_s,
        until_s=start_s,
    )
    return build_snapshot(1, "Europe/Paris", columns, ("cambriolage", "tapage"), ("31555",), ())


def simulate(
    seed: int,
    *,
    treated_factor: float,
    ring_factor: float,
    rates: tuple[float, float, float] = (1.0, 1.5, 12.0),
    start: date = date(2025, 1, 1),
) -> Snapshot:
    """Daily Poisson facts in T, the ring and the control from 2022 to 2025; after the start,
    T's rate is multiplied by treated_factor and the ring's by ring_factor. Every area shares
    a 10 % rise from the start on (a common trend the control must absorb) and the same
    seasonal wave. A second category, never targeted, is spread everywhere."""
    rng = np.random.default_rng(seed)
    first, last = date_to_day(date(2022, 1, 1)), date_to_day(date(2025, 12, 31))
    days = np.arange(first, last + 1)
    season = 1 + 0.3 * np.sin(2 * np.pi * (days - first) / 365.25)
    after = days >= date_to_day(start)
    lon, lat, day, cat = [], [], [], []
    zones = [(TREATED_AREA, None, treated_factor), (DISC, TREATED_AREA, ring_factor)]
    zones.append((CONTROL_SOURCE, DISC, 1.0))
    for (area, minus, factor), rate in zip(zones, rates, strict=True):
        expected = rate * season * np.where(after, 1.1 * factor, 1.0)
        per_day = rng.poisson(expected)
        total = int(per_day.sum())
        xy = random_points(rng, area, total, minus)
        lon.append(xy[:, 0])
        lat.append(xy[:, 1])
        day.append(np.repeat(days, per_day))
        cat.append(np.zeros(total, dtype=np.int64))
    noise = random_points(rng, CONTROL_SOURCE, 3000, None)
    lon.append(noise[:, 0])
    lat.append(noise[:, 1])
    day.append(rng.integers(first, last + 1, 3000))
    cat.append(np.ones(3000, dtype=np.int64))
    return make_snapshot(*(np.concatenate(part) for part in (lon, lat, day, cat)))


def evaluate(snapshot: Snapshot, months: int = 12) -> dict[str, object]:
    """The pure part of an evaluation: periods, counts, statistics (no database)."""
    zones = Zones(TREATED_AREA, DISC, CONTROL_SOURCE)
    first, last = snapshot.first_day(), snapshot.last_day()
    assert first is not None and last is not None
    periods = choose_periods(date(2025, 1, 1), None, months, None, first, last)
    target = frozenset({"cambriolage"})
    b = zone_counts(snapshot, zones, target, periods.before)
    a = zone_counts(snapshot, zones, target, periods.after)
    return {
        "treated": ev.relative_effect(b.treated, a.treated, b.control, a.control),
        "ring": ev.relative_effect(b.ring, a.ring, b.control, a.control),
        "moved": ev.displacement(b.treated, a.treated, b.ring, a.ring, b.control, a.control),
        "counts": (b, a),
    }


def test_zones_agree_with_a_geopandas_spatial_join() -> None:
    rng = np.random.default_rng(7)
    xy = random_points(rng, CONTROL_SOURCE.buffer(0.01), 20_000, None)
    ours = zone_of(Zones(TREATED_AREA, DISC, CONTROL_SOURCE), xy[:, 0], xy[:, 1])
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4326)
    areas = gpd.GeoDataFrame(
        {"zone": [TREATED, RING, CONTROL]},
        geometry=[TREATED_AREA, DISC.difference(TREATED_AREA), CONTROL_SOURCE.difference(DISC)],
        crs=4326,
    )
    joined = gpd.sjoin(points, areas, how="left", predicate="intersects")
    expected = joined["zone"].fillna(0).astype(int).groupby(level=0).first().to_numpy()
    assert_allclose(ours, expected)
    assert {0, TREATED, RING, CONTROL} <= set(ours.tolist())


def test_planted_drop_and_displacement_are_found_with_the_right_sign() -> None:
    # T −40 %, ring +30 %, on top of a common +10 % and the seasons.
    result = evaluate(simulate(11, treated_factor=0.6, ring_factor=1.3))
    treated, ring, moved = result["treated"], result["ring"], result["moved"]
    assert isinstance(treated, ev.RelativeEffect) and isinstance(ring, ev.RelativeEffect)
    assert isinstance(moved, ev.Displacement)
    assert treated.measurable and treated.significant
    assert treated.odds_ratio > 1 and treated.relative_change < 0
    assert treated.relative_change_low <= -0.4 <= treated.relative_change_high
    assert ring.relative_change > 0
    assert ring.relative_change_low <= 0.3 <= ring.relative_change_high
    assert moved.interpretation in ("displacement", "displacement_greater")
    assert moved.wdq is not None and moved.wdq < 0
    assert "Baisse relative" in ev.effect_reading(treated)


def test_no_planted_effect_finds_nothing_on_the_points() -> None:
    result = evaluate(simulate(12, treated_factor=1.0, ring_factor=1.0))
    treated = result["treated"]
    assert isinstance(treated, ev.RelativeEffect)
    assert treated.relative_change_low <= 0 <= treated.relative_change_high


def test_treated_window_counts_are_the_points_in_the_area() -> None:
    snapshot = simulate(13, treated_factor=1.0, ring_factor=1.0)
    recent, history = history_windows(date(2025, 1, 1), 12, date(2022, 1, 1))
    counts = treated_window_counts(
        snapshot, TREATED_AREA, frozenset({"cambriolage"}), [recent, *history]
    )
    chosen = zone_counts(
        snapshot, Zones(TREATED_AREA, DISC, CONTROL_SOURCE), frozenset({"cambriolage"}), recent
    )
    assert counts[0] == chosen.treated
    first = history[-1]
    window = zone_counts(
        snapshot,
        Zones(TREATED_AREA, DISC, CONTROL_SOURCE),
        frozenset({"cambriolage"}),
        Window(first.first, first.last),
    )
    assert counts[-1] == window.treated


# -- many data sets: coverage and error rate ---------------------------------------------------


def poisson_tables(rng: np.random.Generator, n: int, treated: float, ring: float) -> np.ndarray:
    """n tables (Tb, Ta, Bb, Ba, Cb, Ca) of Poisson counts with a common +10 % trend."""
    base = np.array([120.0, 120.0 * 1.1 * treated, 150.0, 150.0 * 1.1 * ring, 2000.0, 2200.0])
    return rng.poisson(base, size=(n, 6))


def test_interval_covers_the_planted_effect_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(2024)
    tables = poisson_tables(rng, 2000, treated=0.7, ring=1.0)
    covered = 0
    for tb, ta, _bb, _ba, cb, ca in tables.tolist():
        e = ev.relative_effect(tb, ta, cb, ca)
        covered += e.relative_change_low <= -0.3 <= e.relative_change_high
    # 95 % nominal; binomial sd over 2,000 tables ≈ 0.5 point.
    assert 0.93 <= covered / len(tables) <= 0.97


def test_without_effect_false_alarms_stay_near_five_percent() -> None:
    rng = np.random.default_rng(99)
    tables = poisson_tables(rng, 4000, treated=1.0, ring=1.0)
    alarms_treated = alarms_ring = 0
    for tb, ta, bb, ba, cb, ca in tables.tolist():
        alarms_treated += ev.relative_effect(tb, ta, cb, ca).significant
        alarms_ring += ev.relative_effect(bb, ba, cb, ca).significant
    # 5 % nominal; binomial sd over 4,000 ≈ 0.34 point: ±1.5 point is over four sd.
    assert 0.035 <= alarms_treated / len(tables) <= 0.065
    assert 0.035 <= alarms_ring / len(tables) <= 0.065


def test_point_level_planted_effect_has_the_right_sign_on_every_seed() -> None:
    for seed in range(20, 30):
        result = evaluate(simulate(seed, treated_factor=0.6, ring_factor=1.3))
        treated, ring = result["treated"], result["ring"]
        assert isinstance(treated, ev.RelativeEffect) and isinstance(ring, ev.RelativeEffect)
        assert treated.significant and treated.relative_change < 0, seed
        assert ring.relative_change > 0, seed


def test_point_level_false_alarms_over_seeds_stay_rare() -> None:
    # The whole pipeline (points, areas, periods) without effect, 60 data sets: at 5 %
    # nominal, 3 alarms are expected and more than 7 happen with probability about 1 %.
    alarms = 0
    for seed in range(100, 160):
        treated = evaluate(simulate(seed, treated_factor=1.0, ring_factor=1.0))["treated"]
        assert isinstance(treated, ev.RelativeEffect)
        alarms += treated.significant
    assert alarms <= 7
