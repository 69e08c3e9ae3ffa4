"""A snapshot restricted to some communes answers as one built from their facts alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from observatory.analytics.engine import hexagon_counts, week_hours
from observatory.analytics.filters import Filter
from observatory.grid import cells_from_lonlat
from observatory.store.snapshot import Columns, build_snapshot, merged_snapshot, restricted

COMMUNES = ("31555", "31069", "31149")
CATEGORIES = ("cambriolage", "vol")
QPVS = ("QN03101A",)
HOUR = 3600
START = 1_700_000_000  # 2023-11-14


def columns_of(rng: np.random.Generator, n: int) -> Columns:
    start = START + rng.integers(0, 400 * 24, n) * HOUR
    # A third of the facts are only known within an interval (up to 30 h, across days).
    until = np.where(rng.random(n) < 0.33, start + rng.integers(2, 30, n) * HOUR, start)
    lon = 1.35 + rng.random(n) * 0.2
    lat = 43.55 + rng.random(n) * 0.1
    day = ((start + 3600) // 86400 - 10957).astype(np.int16)
    return Columns(
        day=day,
        how=((day.astype(np.int64) + 5) % 7 * 24 + rng.integers(0, 24, n)).astype(np.uint8),
        category=rng.integers(0, len(CATEGORIES), n).astype(np.uint8),
        commune=rng.integers(0, len(COMMUNES) + 1, n).astype(np.uint16),  # 0: unknown
        qpv_2015=np.zeros(n, np.uint16),
        qpv_2024=rng.integers(0, 2, n).astype(np.uint16),
        cell11=cells_from_lonlat(lon, lat, 11),
        lon=lon,
        lat=lat,
        start_s=start,
        until_s=until,
    )


def only(columns: Columns, communes: frozenset[str]) -> tuple[Columns, tuple[str, ...]]:
    """The reference: the rows of these communes, their codes renumbered from 1."""
    kept = tuple(c for c in COMMUNES if c in communes)
    mask = np.isin(columns.commune, [COMMUNES.index(c) + 1 for c in kept])
    renumber = np.zeros(len(COMMUNES) + 1, np.uint16)
    for i, code in enumerate(kept):
        renumber[COMMUNES.index(code) + 1] = i + 1
    rows = {name: getattr(columns, name)[mask] for name in Columns.__dataclass_fields__}
    rows["commune"] = renumber[columns.commune[mask]]
    return Columns(**rows), kept


def same_answers(got, want) -> None:  # type: ignore[no-untyped-def]
    assert got.communes == want.communes
    assert_array_equal(got.day, want.day)
    assert_array_equal(got.commune, want.commune)
    assert_array_equal(got.cells, want.cells)
    for res in (7, 9, 10):
        for f in (Filter(), Filter(categories=frozenset({"vol"})), Filter(qpv="in")):
            g_cells, g_counts = hexagon_counts(got, f, res)
            w_cells, w_counts = hexagon_counts(want, f, res)
            assert_array_equal(g_cells, w_cells)
            assert_allclose(g_counts, w_counts)
    assert_allclose(week_hours(got, Filter()), week_hours(want, Filter()))
    assert_allclose(
        week_hours(got, Filter(hours=frozenset({22, 23, 0}))),
        week_hours(want, Filter(hours=frozenset({22, 23, 0}))),
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(0, 400),
    scope=st.sets(st.sampled_from(COMMUNES)),
)
def test_a_restricted_snapshot_is_the_snapshot_of_its_communes_alone(
    seed: int, n: int, scope: set[str]
) -> None:
    columns = columns_of(np.random.default_rng(seed), n)
    whole = build_snapshot(1, "Europe/Paris", columns, CATEGORIES, COMMUNES, QPVS)
    kept_rows, kept = only(columns, frozenset(scope))
    want = build_snapshot(1, "Europe/Paris", kept_rows, CATEGORIES, kept, QPVS)
    same_answers(restricted(whole, frozenset(scope)), want)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_merged_snapshot_restricts_as_well(seed: int) -> None:
    rng = np.random.default_rng(seed)
    first, second = columns_of(rng, 300), columns_of(rng, 200)
    base = build_snapshot(1, "Europe/Paris", first, CATEGORIES, COMMUNES, QPVS)
    merged = merged_snapshot(base, 2, second, CATEGORIES, COMMUNES, QPVS)
    both = Columns(
        **{
            name: np.concatenate([getattr(first, name), getattr(second, name)])
            for name in Columns.__dataclass_fields__
            if name != "coarse"
        }
    )
    scope = frozenset({"31069", "31149"})
    kept_rows, kept = only(both, scope)
    want = build_snapshot(2, "Europe/Paris", kept_rows, CATEGORIES, kept, QPVS)
    got = restricted(merged, scope)
    assert got.size == want.size
    same_answers(got, want)


def test_nothing_of_another_commune_is_left() -> None:
    columns = columns_of(np.random.default_rng(7), 500)
    whole = build_snapshot(1, "Europe/Paris", columns, CATEGORIES, COMMUNES, QPVS)
    got = restricted(whole, frozenset({"31555"}))
    assert got.communes == ("31555",)
    assert set(got.commune.tolist()) <= {1}
    assert got.size == int((columns.commune == 1).sum())
    # No cell of another commune's facts, not even with a zero count.
    own = {int(c) for c in columns.cell11[columns.commune == 1]}
    assert set(got.cells.tolist()) == own
    assert restricted(whole, frozenset()).size == 0
