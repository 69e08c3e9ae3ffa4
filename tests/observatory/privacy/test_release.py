"""One month of the partner release on hand-made facts: what it counts, and that its
pseudo-facts carry exactly the fitted tables (no database: a domain and a snapshot built here)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import h3
import numpy as np
import pandas as pd
import pytest

from observatory.privacy.domain import Domain
from observatory.privacy.release import (
    Budget,
    Shape,
    Tables,
    build_month,
    consistent,
    pseudo_facts,
    tabulate,
)
from observatory.store.snapshot import Columns, build_snapshot, date_to_day

ZONE = "Europe/Paris"
SLOTS = {"matin": "6-12", "après-midi": "12-18", "soirée": "18-22", "nuit": "22-6"}
FAMILY_OF = {"cambriolage_logement": "vols", "vol_simple": "vols", "tapage": "tranquillite"}
CENTRE = (43.6045, 1.4440)  # lat, lon: Toulouse, place du Capitole
MONTH = date(2024, 3, 1)


def _cells8(n: int) -> list[int]:
    origin = h3.latlng_to_cell(*CENTRE, 8)
    return sorted(h3.str_to_int(c) for c in h3.grid_disk(origin, 2))[:n]


@pytest.fixture(scope="module")
def domain() -> Domain:
    cells = _cells8(12)
    # Commune 31555: its rest part covers the 12 cells; QPV QN03106I covers the first 4.
    return Domain(
        communes=("31555",),
        parts=(("31555", ""), ("31555", "QN03106I")),
        unit_part=np.array([0] * 12 + [1] * 4, np.int32),
        unit_cell=np.array(cells + cells[:4], np.int64),
    )


def _facts(seed: int = 3) -> pd.DataFrame:
    """400 facts of March 2024 (and 50 in April), in the 12 cells, some in the QPV."""
    rng = np.random.default_rng(seed)
    cells = _cells8(12)
    n = 450
    cell = rng.choice(len(cells), n)
    centre = np.array([h3.cell_to_latlng(h3.int_to_str(cells[i])) for i in cell])
    day = np.where(np.arange(n) < 400, rng.integers(1, 32, n), rng.integers(1, 30, n))
    month = np.where(np.arange(n) < 400, 3, 4)
    hour = rng.integers(0, 24, n)
    start = [
        datetime(2024, m, d, h, 30, tzinfo=ZoneInfo(ZONE))
        for m, d, h in zip(month, day, hour, strict=True)
    ]
    return pd.DataFrame(
        {
            "cell8": [cells[i] for i in cell],
            "cell11": [
                h3.str_to_int(h3.cell_to_center_child(h3.int_to_str(cells[i]), 11)) for i in cell
            ],
            "lat": centre[:, 0],
            "lon": centre[:, 1],
            "qpv": np.where((cell < 4) & (rng.random(n) < 0.6), 1, 0),
            "category": rng.integers(0, 3, n),
            "start": start,
        }
    )


def _snapshot(facts: pd.DataFrame):  # type: ignore[no-untyped-def]
    local = pd.to_datetime(facts["start"]).dt.tz_convert(ZONE)
    seconds = np.array([int(t.timestamp()) for t in facts["start"]], np.int64)
    columns = Columns(
        day=np.array([date_to_day(t.date()) for t in local], np.int16),
        how=(local.dt.day_of_week * 24 + local.dt.hour).to_numpy(np.int16),
        category=facts["category"].to_numpy(np.uint8),
        commune=np.ones(len(facts), np.uint16),
        qpv_2015=np.zeros(len(facts), np.uint16),
        qpv_2024=facts["qpv"].to_numpy(np.uint16),
        cell11=facts["cell11"].to_numpy(np.int64),
        lon=facts["lon"].to_numpy(),
        lat=facts["lat"].to_numpy(),
        start_s=seconds,
        until_s=seconds,
    )
    categories = tuple(sorted(FAMILY_OF))
    return build_snapshot(1, ZONE, columns, categories, ("31555",), ("QN03106I",))


def test_exact_tabulations_equal_pandas(domain: Domain) -> None:
    facts = _facts()
    shape = Shape.of(domain, FAMILY_OF, SLOTS)
    tables = tabulate(_snapshot(facts), MONTH, shape)
    march = facts[pd.to_datetime(facts["start"]).dt.tz_convert(ZONE).dt.month == 3]
    categories = sorted(FAMILY_OF)
    family = march["category"].map(lambda i: FAMILY_OF[categories[i]])
    assert tables.communes.tolist() == [int((march["category"] == k).sum()) for k in range(3)]
    families = sorted(set(FAMILY_OF.values()))
    expected_territories = [
        int(((march["qpv"] == p) & (family == f)).sum()) for p in (0, 1) for f in families
    ]
    assert tables.territories.tolist() == expected_territories
    units = list(zip(domain.unit_part.tolist(), domain.unit_cell.tolist(), strict=True))
    expected_cells = [
        int(((march["qpv"] == p) & (march["cell8"] == c) & (family == f)).sum())
        for p, c in units
        for f in families
    ]
    assert tables.cells.tolist() == expected_cells
    local = pd.to_datetime(march["start"]).dt.tz_convert(ZONE)
    slot = np.select(
        [
            local.dt.hour.between(6, 11),
            local.dt.hour.between(12, 17),
            local.dt.hour.between(18, 21),
        ],
        [0, 1, 2],
        3,
    )
    expected_slots = np.bincount(local.dt.day_of_week * 4 + slot, minlength=28)
    assert tables.slots.tolist() == expected_slots.tolist()


def test_without_noise_the_release_is_the_exact_count(domain: Domain) -> None:
    facts = _facts()
    snapshot = _snapshot(facts)
    release = build_month(snapshot, MONTH, domain, FAMILY_OF, Budget(1e7), SLOTS)
    shape = Shape.of(domain, FAMILY_OF, SLOTS)
    exact = tabulate(snapshot, MONTH, shape)
    assert release.total == 400
    by_category = np.bincount(release.category, weights=release.count, minlength=3)
    assert by_category.tolist() == exact.communes.tolist()


def _random_consistent(shape: Shape, seed: int) -> Tables:
    rng = np.random.default_rng(seed)
    C, P, U, K, F = shape.sizes
    measured = Tables(
        rng.integers(-3, 30, C * K),
        rng.integers(-3, 30, P * F),
        rng.integers(-3, 8, U * F),
        rng.integers(-3, 20, C * shape.weekday_slots),
    )
    return consistent(measured, shape)


@pytest.mark.parametrize("seed", range(5))
def test_pseudo_facts_carry_exactly_the_fitted_tables(domain: Domain, seed: int) -> None:
    shape = Shape.of(domain, FAMILY_OF, SLOTS)
    fitted = _random_consistent(shape, seed)
    release = pseudo_facts(MONTH, fitted, shape)
    n = release.count.astype(np.int64)
    K, F = len(shape.categories), len(shape.families)
    # communes × category
    assert (
        np.bincount(release.category, weights=n, minlength=K).tolist() == fitted.communes.tolist()
    )
    # (part, family): the part from (commune, QPV) of the pseudo-facts
    part = np.array([domain.parts.index(("31555", release.qpvs[q])) for q in release.qpv])
    family = shape.cat_family[release.category]
    assert np.bincount(part * F + family, weights=n, minlength=2 * F).tolist() == (
        fitted.territories.tolist()
    )
    # (unit, family)
    units = {
        (int(p), int(c)): i
        for i, (p, c) in enumerate(zip(domain.unit_part, domain.unit_cell, strict=True))
    }
    unit = np.array([units[(int(p), int(c))] for p, c in zip(part, release.cell, strict=True)])
    assert np.bincount(unit * F + family, weights=n, minlength=domain.size * F).tolist() == (
        fitted.cells.tolist()
    )
    # weekday × named slot
    assert np.bincount(shape.slot_index(release.how), weights=n, minlength=28).tolist() == (
        fitted.slots.tolist()
    )


def test_privacy_loss_is_the_sum_over_the_tabulations() -> None:
    # OpenDP's privacy maps, added up: the whole budget, whatever its shares.
    assert Budget(2.0).spent() == pytest.approx(2.0)
    assert Budget(0.5).spent() == pytest.approx(0.5)


def test_noise_moves_the_counts(domain: Domain) -> None:
    # At ε = 2 a month of 400 facts is not released exactly in every cell.
    snapshot = _snapshot(_facts())
    shape = Shape.of(domain, FAMILY_OF, SLOTS)
    exact = tabulate(snapshot, MONTH, shape)
    # Three categories of ~130 facts, each with noise of standard deviation ~2.8: five
    # releases all exact would be a draw far rarer than one in a billion, not a noisy release.
    moved = []
    for _ in range(5):
        release = build_month(snapshot, MONTH, domain, FAMILY_OF, Budget(2.0), SLOTS)
        by_category = np.bincount(release.category, weights=release.count, minlength=3)
        moved.append(by_category.tolist() != exact.communes.tolist())
    assert any(moved)
