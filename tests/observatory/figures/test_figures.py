"""The figures of observatory/figures/ on tiny hand-made snapshots: what each reader is told."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from numpy.testing import assert_allclose

from observatory.analytics.filters import Filter
from observatory.analytics.trendstats import percent_change, poisson_z
from observatory.figures.breakdown import key_of
from observatory.figures.change import Change, change, changes
from observatory.figures.compstat import compstat
from observatory.figures.summary import summary
from observatory.figures.territories import NamedPlace, rest_population, territories
from observatory.figures.timeslots import timeslots
from observatory.figures.trends import trends, year_on_year
from observatory.grid import cells_from_lonlat
from observatory.privacy.policy import Disclosure, Rules
from observatory.store.snapshot import Columns, Snapshot, build_snapshot, date_to_day

CATEGORIES = ("cambriolage", "tapage", "vol")
FAMILY_OF = {"cambriolage": "vols", "tapage": "tranquillite", "vol": "vols"}
COMMUNES = ("31555", "31069")
QPVS = ("QN03101A", "QN03102B")
FULL = Disclosure("full")
PARTNER = Disclosure("partner", Rules())

# (day, local hour, category, commune, QPV 2024): commune and QPV are 1-based, 0 is none.
Fact = tuple[date, int, str, int, int]


def snapshot_of(facts: list[Fact]) -> Snapshot:
    """A snapshot of point facts built the way the store builds one."""
    days = np.array([date_to_day(d) for d, *_ in facts], dtype=np.int64)
    hours = np.array([h for _, h, *_ in facts], dtype=np.int64)
    weekday = np.array([d.weekday() for d, *_ in facts], dtype=np.int64)
    n = len(facts)
    lon, lat = np.full(n, 1.44), np.full(n, 43.6)
    start_s = (days + 10957) * 86400 + hours * 3600
    columns = Columns(
        day=days.astype(np.int16),
        how=(weekday * 24 + hours).astype(np.uint8),
        category=np.array([CATEGORIES.index(c) for *_, c, _, _ in facts], dtype=np.uint8),
        commune=np.array([f[3] for f in facts], dtype=np.uint16),
        qpv_2015=np.zeros(n, np.uint16),
        qpv_2024=np.array([f[4] for f in facts], dtype=np.uint16),
        cell11=cells_from_lonlat(lon, lat, 11),
        lon=lon,
        lat=lat,
        start_s=start_s,
        until_s=start_s,
    )
    return build_snapshot(1, "Europe/Paris", columns, CATEGORIES, COMMUNES, QPVS)


def repeat(n: int, fact: Fact) -> list[Fact]:
    return [fact] * n


# -- the change of a count against another ----------------------------------------------------


def test_changes_are_the_trendstats_formulas_and_the_display_rule() -> None:
    now, before = np.array([12, 3, 0, 40]), np.array([10, 20, 0, 2])
    full = changes(now, before, FULL)
    assert [c.current for c in full] == [12, 3, 0, 40]
    assert_allclose([c.z for c in full], poisson_z(now, before))
    assert [c.percent for c in full][:2] == pytest.approx(percent_change(now, before)[:2])
    assert full[2].percent is None  # nothing to compare with: no percent, but a z

    partner = changes(now, before, PARTNER)
    assert [c.current for c in partner] == [12, None, 0, 40]
    assert [c.previous for c in partner] == [10, 20, 0, None]
    assert [c.previous_hidden for c in partner] == [False, False, False, True]
    # Beside a hidden count, no change; and a partner's (noisy) counts get no z at all.
    assert [c.percent is None for c in partner] == [False, True, True, True]
    assert all(c.z is None for c in partner)


def test_a_count_alone_has_no_change() -> None:
    assert change(7, None, FULL) == Change(7, None, None, None)
    assert change(3, None, PARTNER) == Change(None, None, None, None)


# -- territories -----------------------------------------------------------------------------


def test_the_rest_population_is_known_only_when_every_qpv_population_is() -> None:
    """An unknown QPV population is not a zero: the rest of the commune is then unknown too,
    not the commune's population less the known QPV (which would overstate the rest and
    understate its rate), nor is it known when a QPV spills over a neighbouring commune."""
    commune = NamedPlace("31555", "Toulouse", 1000)
    one = NamedPlace(QPVS[0], "A", 200, ("31555",))
    unknown = NamedPlace(QPVS[1], "B", None, ("31555",))
    spilling = NamedPlace(QPVS[1], "B", 300, ("31555", "31069"))
    assert rest_population(commune, [one]) == 800
    assert rest_population(commune, []) == 1000
    assert rest_population(commune, [one, unknown]) is None
    assert rest_population(commune, [one, spilling]) is None
    assert rest_population(NamedPlace("31555", "Toulouse", None), [one]) is None
    assert rest_population(commune, [NamedPlace(QPVS[0], "A", 0, ("31555",))]) == 1000


def places(population_b: int | None) -> tuple[list[NamedPlace], list[NamedPlace]]:
    communes = [NamedPlace("31555", "Toulouse", 10_000)]
    qpvs = [
        NamedPlace(QPVS[0], "A", 2_000, ("31555",)),
        NamedPlace(QPVS[1], "B", population_b, ("31555",)),
    ]
    return communes, qpvs


def test_territories_count_share_and_rate() -> None:
    day = date(2025, 3, 3)
    facts = repeat(6, (day, 10, "tapage", 1, 1)) + repeat(3, (day, 10, "vol", 1, 1))
    facts += repeat(11, (day, 10, "vol", 1, 0)) + repeat(4, (day, 10, "tapage", 2, 0))
    snapshot = snapshot_of(facts)
    communes, qpvs = places(1_000)
    (table,) = territories(snapshot, Filter(), communes, qpvs, FULL)
    assert (table.whole.count, table.outside_qpv.count) == (20, 11)
    assert [(q.code, q.count) for q in table.qpvs] == [(QPVS[0], 9), (QPVS[1], 0)]
    assert table.whole.share == 1.0 and table.qpvs[0].share == pytest.approx(9 / 20)
    assert table.outside_qpv.population == 10_000 - 2_000 - 1_000
    assert table.outside_qpv.rate_per_1000 == pytest.approx(1000 * 11 / 7_000)
    assert table.qpvs[0].by_category == {"tapage": 6, "vol": 3}
    assert table.qpvs[1].rate_per_1000 == 0.0

    (unknown,) = territories(snapshot, Filter(), *places(None), FULL)
    assert unknown.outside_qpv.population is None and unknown.outside_qpv.rate_per_1000 is None
    assert unknown.qpvs[0].rate_per_1000 == table.qpvs[0].rate_per_1000


def test_a_partner_sees_the_qpv_by_family_and_small_counts_hidden() -> None:
    day = date(2025, 3, 3)
    facts = repeat(3, (day, 10, "tapage", 1, 1)) + repeat(1, (day, 10, "vol", 1, 0))
    (table,) = territories(snapshot_of(facts), Filter(), *places(1_000), PARTNER)
    # The commune's total is under the threshold: hidden, and with it every share; each part is
    # hidden by its own count only (the display rule), so an empty QPV still reads 0.
    assert (table.whole.count, table.whole.suppressed, table.whole.share) == (None, True, None)
    assert table.whole.by_category == {"tapage": None, "vol": None}
    assert [(q.count, q.suppressed, q.share) for q in table.qpvs] == [
        (None, True, None),
        (0, False, None),
    ]
    assert table.outside_qpv.count is None
    assert table.outside_qpv.by_category is None and table.qpvs[1].by_category is None


# -- CompStat, summary, time slots, trends -----------------------------------------------------


def test_compstat_windows_against_the_year_before() -> None:
    facts = repeat(9, (date(2025, 6, 10), 9, "vol", 1, 0))
    facts += repeat(4, (date(2025, 5, 1), 9, "tapage", 1, 0))
    facts += repeat(2, (date(2024, 6, 12), 9, "vol", 1, 0))
    facts += repeat(6, (date(2024, 2, 1), 9, "tapage", 1, 0))
    snapshot = snapshot_of(facts)
    table = compstat(
        snapshot,
        Filter(),
        date(2025, 6, 14),
        key_of("family", FAMILY_OF),
        {"vols": "Vols"},
        FULL,
    )
    assert [w[0] for w in table.windows] == ["7 jours", "28 jours", "depuis le 1er janvier"]
    assert [r.key for r in table.rows] == ["total", "tranquillite", "vols"]
    assert [r.label for r in table.rows] == ["Ensemble des faits", "tranquillite", "Vols"]
    counts = {r.key: [(c.current, c.previous) for c in r.changes] for r in table.rows}
    assert counts == {
        "total": [(9, 2), (9, 2), (13, 8)],
        "tranquillite": [(0, 0), (0, 0), (4, 6)],
        "vols": [(9, 2), (9, 2), (9, 2)],
    }
    # A partner's periods are whole months, without z; a count under 5 is hidden.
    monthly = compstat(snapshot, Filter(), date(2025, 6, 14), None, {}, PARTNER)
    assert [w[0] for w in monthly.windows] == ["le mois", "3 mois", "depuis janvier"]
    (total,) = monthly.rows
    assert [(c.current, c.previous, c.z) for c in total.changes] == [
        (9, None, None),
        (13, None, None),
        (13, 8, None),
    ]
    assert compstat(snapshot, Filter(), None, None, {}, FULL).rows == []


def test_summary_tells_a_partner_no_categories_within_a_qpv() -> None:
    day = date(2025, 3, 3)
    facts = repeat(6, (day, 10, "tapage", 1, 1)) + repeat(2, (day, 10, "vol", 1, 1))
    facts += repeat(5, (day, 10, "cambriolage", 1, 0))
    snapshot = snapshot_of(facts)
    full = summary(snapshot, Filter(), FAMILY_OF, FULL)
    assert full.total == 13
    assert [(t.code, t.count) for t in full.categories] == [
        ("tapage", 6),
        ("cambriolage", 5),
        ("vol", 2),
    ]
    assert [(t.code, t.count) for t in full.families] == [("vols", 7), ("tranquillite", 6)]
    assert (full.first_day, full.last_day) == (day, day)
    partner = summary(snapshot, Filter(qpv="in"), FAMILY_OF, PARTNER)
    assert partner.categories == []
    assert [(t.code, t.count, t.suppressed) for t in partner.families] == [
        ("tranquillite", 6, False),
        ("vols", None, True),
    ]


def test_timeslots_matrix_slots_and_hidden_cells() -> None:
    monday, sunday = date(2025, 3, 3), date(2025, 3, 9)
    facts = repeat(6, (monday, 23, "tapage", 1, 0)) + repeat(2, (sunday, 14, "vol", 1, 0))
    snapshot = snapshot_of(facts)
    slots = {"nuit": "22-6", "après-midi": "12-18"}
    full = timeslots(snapshot, Filter(), FULL, slots)
    assert full.matrix[0][23] == 6.0 and full.matrix[6][14] == 2.0 and full.total == 8.0
    assert [(s.value, s.share) for s in full.slots] == [(6.0, 0.75), (2.0, 0.25)]
    assert full.night_share == 0.75 and full.suppressed_cells == 0
    partner = timeslots(snapshot, Filter(), PARTNER, slots)
    assert partner.matrix[6][14] is None and partner.suppressed_cells == 1
    assert [(s.value, s.share) for s in partner.slots] == [(6.0, 0.75), (None, None)]


def test_trends_compare_each_period_with_the_year_before_as_year_over_year() -> None:
    rng = np.random.default_rng(7)
    per_month = rng.poisson(8, 30)
    facts = [
        (date(2023 + m // 12, m % 12 + 1, 15), 10, "vol", 1, 0)
        for m, n in enumerate(per_month.tolist())
        for _ in range(n)
    ]
    snapshot = snapshot_of(facts)
    f = Filter(date_from=date(2023, 1, 1), date_to=date(2025, 6, 30))
    (series,) = trends(snapshot, f, "month", None, {}, FULL).series
    assert [c.current for c in series.changes] == per_month.tolist()
    # Each month against the same month a year before, 2(√C − √P); none in the first year.
    counts = per_month.astype(np.float64)
    expected = 2 * (np.sqrt(counts[12:]) - np.sqrt(counts[:-12]))
    z = [np.nan if c.z is None else c.z for c in series.changes]
    assert_allclose(z, np.concatenate([np.full(12, np.nan), expected]), equal_nan=True)
    assert series.mann_kendall.n == 30

    by_family = trends(snapshot, f, "month", key_of("family", FAMILY_OF), {}, FULL)
    assert [s.key for s in by_family.series] == ["vols"]  # a family with no fact is left out


def test_year_on_year_does_not_take_months_before_the_data_for_zeros() -> None:
    facts = repeat(5, (date(2024, 3, 10), 10, "vol", 1, 0))
    facts += repeat(7, (date(2025, 3, 10), 10, "vol", 1, 0))
    facts += repeat(6, (date(2025, 2, 10), 10, "vol", 1, 0))
    snapshot = snapshot_of(facts)
    result = year_on_year(snapshot, Filter(date(2025, 2, 1), date(2025, 3, 31)), FULL)
    february, march = result.months
    assert (february.change.current, february.change.previous) == (6, None)  # before the data
    assert (march.change.current, march.change.previous) == (7, 5)
    assert (result.total.current, result.total.previous) == (13, None)
