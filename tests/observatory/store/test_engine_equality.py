"""The fast path (columnar store + engine) equals plain SQL equals pandas, filter by filter.

One generated file (tests/observatory/store/engine_data.py: ~5,000 facts over 2023–2024, intervals,
the nights of the changes of clock, month edges, bbox edges, QPV boundaries) goes through the
real importers; every analysis is then computed three ways: from the snapshot
(observatory.analytics.engine), by PostgreSQL (observatory.store.plainsql) and by pandas /
geopandas / h3-py from the CSV itself (never from the database).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from ingest.boundaries import import_communes, import_qpv
from ingest.incidents import import_incidents
from observatory.analytics import engine as fast
from observatory.analytics.filters import Filter, parse_filter
from observatory.categories import CATEGORIES
from observatory.imports import BatchSummary
from observatory.settings import Settings
from observatory.store import plainsql
from observatory.store.incidents import IncidentStore
from observatory.store.snapshot import Snapshot
from tests.conftest import TEST_SECRET, _truncate_all
from tests.observatory.store.engine_data import (
    COMMUNES,
    FILTER_BBOX,
    QPV_FILES,
    ZONE,
    Reference,
    Row,
    random_rows,
    special_rows,
    write_csv,
)

SEED = 20240331
FAMILIES = {c.code: c.family for c in CATEGORIES}
BBOX = ",".join(repr(v) for v in FILTER_BBOX)

FILTERS: dict[str, dict[str, str]] = {
    "none": {},
    "year": {"from": "2024-01-01", "to": "2024-12-31"},
    "three-categories": {"categories": "rixe,vol_tire,cambriolage_logement"},
    "family": {"categories": "vols"},
    "night": {"hours": "22-6"},
    "weekend": {"weekdays": "6,7"},
    "commune": {"commune": "31555"},
    "qpv-in": {"qpv": "in"},
    "qpv-out": {"qpv": "out"},
    "qpv-in-2015": {"qpv": "in", "generation": "2015"},
    "qpv-out-2015": {"qpv": "out", "generation": "2015"},
    "qpv-code-2015": {"qpv": "QP031010"},
    "qpv-code-2024": {"qpv": "QN03107M"},
    "bbox": {"bbox": BBOX},
    "spring-change-day": {"from": "2024-03-31", "to": "2024-03-31"},
    "autumn-change-night": {"from": "2024-10-27", "to": "2024-10-27", "hours": "0-4"},
    "february": {"from": "2024-02-01", "to": "2024-02-29"},
    "open-from": {"from": "2024-06-15"},
    "open-to": {"to": "2023-03-26"},
    "year-family-night-bbox": {
        "from": "2024-01-01",
        "to": "2024-12-31",
        "categories": "vols",
        "hours": "22-6",
        "bbox": BBOX,
    },
    "weekdays-hours-commune-out-2015": {
        "weekdays": "1-5",
        "hours": "8-20",
        "commune": "31555",
        "qpv": "out",
        "generation": "2015",
    },
    "family-weekend-qpv-2024": {"categories": "personnes", "weekdays": "6,7", "qpv": "in"},
    "nothing": {"categories": "escroquerie"},
}
SERIES_FILTERS = ("none", "year", "family", "open-from", "open-to", "qpv-code-2015", "february")
TERRITORY_FILTERS = ("none", "year", "night", "bbox", "qpv-in", "commune")
KEYS: dict[str, Mapping[str, str] | None] = {
    "total": None,
    "category": {c.code: c.code for c in CATEGORIES},
    "family": FAMILIES,
}


def filter_of(name: str) -> Filter:
    return parse_filter(FILTERS[name], categories=FAMILIES)


@contextmanager
def sql_session(engine: Engine) -> Iterator[Connection]:
    """A connection whose session zone is neither UTC nor Europe/Paris (St John's: half-hour
    offsets, other change dates): date_trunc and casts follow it, the queries must not."""
    with engine.connect() as conn:
        conn.execute(text("SET LOCAL TIME ZONE 'America/St_Johns'"))
        yield conn


@dataclass
class World:
    engine: Engine
    settings: Settings
    store: IncidentStore
    snapshot: Snapshot
    reference: Reference
    summary: BatchSummary
    written: int
    csv: Path


@pytest.fixture(scope="module")
def world(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Boundaries, then the generated incidents, through the real importers."""
    _truncate_all(engine)
    settings = Settings(environment="test", database_url=database_url, secret_key=TEST_SECRET)
    import_communes(engine, COMMUNES, run_by="test")
    for generation, path in QPV_FILES.items():
        import_qpv(engine, path, generation=generation, run_by="test")
    csv = tmp_path_factory.mktemp("engine") / "incidents.csv"
    written = write_csv(random_rows(SEED, 5000) + special_rows(), csv)
    summary = import_incidents(engine, csv, settings=settings, run_by="test")
    store = IncidentStore(engine, ZONE)
    yield World(
        engine, settings, store, store.snapshot(), Reference.of([csv]), summary, written, csv
    )
    _truncate_all(engine)


# -- the reference, in pandas ------------------------------------------------------------------


def reference_mask(facts: pd.DataFrame, f: Filter) -> np.ndarray:
    keep = np.ones(len(facts), dtype=bool)
    if f.date_from is not None:
        keep &= (facts["day"] >= f.date_from).to_numpy()
    if f.date_to is not None:
        keep &= (facts["day"] <= f.date_to).to_numpy()
    if f.categories is not None:
        keep &= facts["category"].isin(f.categories).to_numpy()
    if f.hours is not None:
        keep &= facts["hour"].isin(f.hours).to_numpy()
    if f.weekdays is not None:
        keep &= facts["weekday"].isin(f.weekdays).to_numpy()
    if f.commune is not None:
        keep &= (facts["commune"] == f.commune).to_numpy()
    if f.qpv is not None:
        qpv = facts[f"qpv_{f.generation}"]
        if f.qpv == "in":
            keep &= qpv.notna().to_numpy()
        elif f.qpv == "out":
            keep &= qpv.isna().to_numpy()
        else:
            keep &= (qpv == f.qpv).to_numpy()
    if f.bbox is not None:
        west, south, east, north = f.bbox
        keep &= facts["lon"].between(west, east).to_numpy()
        keep &= facts["lat"].between(south, north).to_numpy()
    return keep


def reference_categories(ref: Reference, f: Filter) -> dict[str, int]:
    chosen = ref.facts[reference_mask(ref.facts, f)]
    return {str(k): int(v) for k, v in chosen["category"].value_counts().items()}


def reference_hexagons(ref: Reference, f: Filter, resolution: int) -> dict[int, int]:
    chosen = ref.facts[reference_mask(ref.facts, f)]
    counts = chosen[f"h3_{resolution}"].value_counts()
    return dict(zip(counts.index.tolist(), counts.tolist(), strict=True))


def reference_week(ref: Reference, f: Filter) -> np.ndarray:
    chosen = ref.facts[reference_mask(ref.facts, f)]
    points = chosen[chosen["until_s"] < 0]
    out = np.bincount(points["how"].to_numpy(), minlength=168).astype(np.float64)
    blocks = ref.blocks[ref.blocks["fact"].isin(chosen.index)]
    np.add.at(out, blocks["how"].to_numpy(), blocks["share"].to_numpy())
    return out


def reference_series(
    ref: Reference, f: Filter, step: str, key_of: Mapping[str, str] | None
) -> tuple[list[date], list[bool], list[str], np.ndarray]:
    first = f.date_from or min(ref.facts["day"])
    last = f.date_to or max(ref.facts["day"])
    column = "month" if step == "month" else "week"
    if step == "month":
        starts = list(pd.period_range(first, last, freq="M").start_time.date)
        ends = [s + pd.offsets.MonthEnd(0) for s in pd.to_datetime(starts)]
        end_days = [e.date() for e in ends]
    else:
        monday = first - timedelta(days=first.weekday())
        starts = [monday + timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]
        end_days = [s + timedelta(days=6) for s in starts]
    chosen = ref.facts[reference_mask(ref.facts, f.but(date_from=first, date_to=last))]
    keys = ["total"] if key_of is None else sorted(set(key_of.values()))
    key = "total" if key_of is None else chosen["category"].map(key_of)
    grouped = chosen.assign(key=key).groupby([column, "key"]).size().reset_index(name="n")
    counts = np.zeros((len(starts), len(keys)), dtype=np.int64)
    for period, k, n in zip(grouped[column], grouped["key"], grouped["n"], strict=True):
        counts[starts.index(period), keys.index(k)] = n
    complete = [s >= first and e <= last for s, e in zip(starts, end_days, strict=True)]
    return starts, complete, keys, counts


Tables = tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[str, dict[str, int]]]


def reference_territories(
    ref: Reference, f: Filter, generation: int, communes: list[str]
) -> Tables:
    base = f.but(qpv=None, commune=None, generation=generation)
    chosen = ref.facts[reference_mask(ref.facts, base)]
    qpv = chosen[f"qpv_{generation}"]

    def table(frame: pd.DataFrame, by: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        grouped = frame.groupby([by, "category"]).size().reset_index(name="n")
        for code, category, n in zip(grouped[by], grouped["category"], grouped["n"], strict=True):
            out.setdefault(str(code), {})[str(category)] = int(n)
        return out

    in_communes = chosen[chosen["commune"].isin(communes)]
    return (
        table(chosen[qpv.notna()], f"qpv_{generation}"),
        table(in_communes[in_communes[f"qpv_{generation}"].isna()], "commune"),
        table(in_communes, "commune"),
    )


def non_empty(tables: Tables) -> Tables:
    """The tables without territories that have no incident (the two paths list different
    empty territories; see the report on engine.territory_counts)."""
    a, b, c = ({k: v for k, v in t.items() if v} for t in tables)
    return a, b, c


# -- the three ways agree ----------------------------------------------------------------------


def check_everything(engine: Engine, snapshot: Snapshot, ref: Reference) -> None:
    """Every analysis of every filter (hexagons at res 9), the three ways."""
    with sql_session(engine) as conn:
        for name in FILTERS:
            f = filter_of(name)
            expected = reference_categories(ref, f)
            assert fast.category_counts(snapshot, f) == expected, name
            assert plainsql.category_counts(conn, f, ZONE) == expected, name
            cells, counts = fast.hexagon_counts(snapshot, f, 9)
            hexagons = reference_hexagons(ref, f, 9)
            assert dict(zip(cells.tolist(), counts.tolist(), strict=True)) == hexagons, name
            assert plainsql.hexagon_counts(conn, f, 9, ZONE) == hexagons, name
            week = reference_week(ref, f)
            np.testing.assert_allclose(fast.week_hours(snapshot, f), week, rtol=0, atol=1e-9)
            np.testing.assert_allclose(plainsql.week_hours(conn, f, ZONE), week, atol=1e-9)
        for name in SERIES_FILTERS:
            f = filter_of(name)
            expected_series = reference_series(ref, f, "month", FAMILIES)
            for got in (
                fast.series(snapshot, f, "month", FAMILIES),
                plainsql.series(conn, f, "month", FAMILIES, ZONE),
            ):
                assert (got.starts, got.complete, got.keys) == expected_series[:3], name
                np.testing.assert_array_equal(got.counts, expected_series[3])
        for generation in (2015, 2024):
            f = filter_of("year")
            communes = ["31555", "31069"]
            expected_tables = reference_territories(ref, f, generation, communes)
            assert non_empty(fast.territory_counts(snapshot, f, generation, communes)) == (
                expected_tables
            )
            tables = plainsql.territory_counts(conn, f, generation, communes, ZONE)
            assert non_empty(tables) == expected_tables


def test_the_import_follows_the_documented_rules(world: World) -> None:
    """Each stored fact is what pandas reads from the file (a discrepancy shows up here first)."""
    ref, summary = world.reference, world.summary
    assert summary.status == "succeeded"
    assert summary.rows_read == world.written
    assert summary.rows_rejected == ref.rejected == 1  # S16: its end falls before its start
    assert summary.rows_imported == len(ref.facts) == world.snapshot.size
    with world.engine.connect() as conn:
        stored = pd.read_sql_query(
            text(
                "SELECT source_ref AS reference, extract(epoch FROM occurred_at)::int8 AS start_s,"
                " coalesce(extract(epoch FROM occurred_until)::int8, -1) AS until_s, h3 AS h3_12,"
                " local_hour_of_week AS how, local_month AS month, commune_code AS commune,"
                " qpv_2015, qpv_2024, category_code AS category FROM incident"
            ),
            conn,
        )
    expected = ref.facts.copy()
    # An end equal to the start after the wall-time rules is a point: no until is stored then.
    columns = ["reference", "start_s", "until_s", "h3_12", "how", "month", "commune"]
    columns += ["qpv_2015", "qpv_2024", "category"]
    got = stored[columns].sort_values("reference").reset_index(drop=True)
    want = expected[columns].sort_values("reference").reset_index(drop=True)
    got["month"] = got["month"].astype(str)
    want["month"] = want["month"].astype(str)
    for column in columns:
        mismatch = got[column].fillna("-").astype(str) != want[column].fillna("-").astype(str)
        assert not mismatch.any(), (column, got[mismatch].head(), want[mismatch].head())
    # The file exercises what it should: the boundary points are inside for "intersects" (the
    # importer's GEOS test) and would be outside for "within".
    assert ref.within_differs == {"S50", "S51"}
    by_ref = expected.set_index("reference")
    assert by_ref.loc["S50", "qpv_2024"] == "QN03107M"
    assert by_ref.loc["S51", "qpv_2015"] == "QP031010"
    assert by_ref["commune"].isna()["S47"]  # the corner of the commune's extent
    assert by_ref.loc["S15", "until_s"] == -1  # 02:30 → 03:30 on the spring night: a point
    in_bbox = reference_mask(expected, filter_of("bbox"))
    edges = set(expected.loc[in_bbox, "reference"]) & {f"S4{i}" for i in range(8)}
    assert edges == {"S40", "S41", "S42", "S43", "S44"}  # edges included, S45–S47 outside
    blocks = ref.blocks.merge(expected[["reference"]], left_on="fact", right_index=True).groupby(
        "reference"
    )["how"]
    sunday = 6 * 24
    spring, autumn = blocks.get_group("S10").tolist(), blocks.get_group("S11").tolist()
    assert len(spring) == 8 and sunday + 2 not in spring
    assert len(autumn) == 10 and autumn.count(sunday + 2) == 2


@pytest.mark.parametrize("name", FILTERS)
def test_category_counts(world: World, name: str) -> None:
    f = filter_of(name)
    expected = reference_categories(world.reference, f)
    with sql_session(world.engine) as conn:
        assert plainsql.category_counts(conn, f, ZONE) == expected
    assert fast.category_counts(world.snapshot, f) == expected
    if name != "nothing":
        assert sum(expected.values()) > 0


@pytest.mark.parametrize("resolution", [6, 9, 11])
@pytest.mark.parametrize("name", FILTERS)
def test_hexagon_counts(world: World, name: str, resolution: int) -> None:
    f = filter_of(name)
    expected = reference_hexagons(world.reference, f, resolution)
    with sql_session(world.engine) as conn:
        assert plainsql.hexagon_counts(conn, f, resolution, ZONE) == expected
    cells, counts = fast.hexagon_counts(world.snapshot, f, resolution)
    assert dict(zip(cells.tolist(), counts.tolist(), strict=True)) == expected


@pytest.mark.parametrize("name", FILTERS)
def test_week_hours(world: World, name: str) -> None:
    f = filter_of(name)
    expected = reference_week(world.reference, f)
    with sql_session(world.engine) as conn:
        sql = plainsql.week_hours(conn, f, ZONE)
    np.testing.assert_allclose(sql, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.week_hours(world.snapshot, f), expected, rtol=0, atol=1e-9)
    assert expected.sum() == pytest.approx(sum(reference_categories(world.reference, f).values()))


@pytest.mark.parametrize("by", KEYS)
@pytest.mark.parametrize("step", ["month", "week"])
@pytest.mark.parametrize("name", SERIES_FILTERS)
def test_series(world: World, name: str, step: str, by: str) -> None:
    f = filter_of(name)
    starts, complete, keys, counts = reference_series(world.reference, f, step, KEYS[by])
    with sql_session(world.engine) as conn:
        sql = plainsql.series(conn, f, step, KEYS[by], ZONE)
    for got in (sql, fast.series(world.snapshot, f, step, KEYS[by])):
        assert got.step == step
        assert got.starts == starts
        assert got.complete == complete
        assert got.keys == keys
        np.testing.assert_array_equal(got.counts, counts)
    assert counts.sum() > 0


@pytest.mark.parametrize("generation", [2015, 2024])
@pytest.mark.parametrize("name", TERRITORY_FILTERS)
def test_territory_counts(world: World, name: str, generation: int) -> None:
    f = filter_of(name)
    communes = ["31555", "31069"]  # 31069 has no incident: listed empty by plain SQL
    expected = reference_territories(world.reference, f, generation, communes)
    with sql_session(world.engine) as conn:
        sql = plainsql.territory_counts(conn, f, generation, communes, ZONE)
        qpvs = conn.execute(
            text("SELECT code FROM qpv WHERE generation = :g"), {"g": generation}
        ).scalars()
        assert set(sql[0]) == set(qpvs)
    assert set(sql[1]) == set(sql[2]) == set(communes)
    assert non_empty(sql) == expected
    assert non_empty(fast.territory_counts(world.snapshot, f, generation, communes)) == expected
    assert expected[0] and expected[2]["31555"]


# Last: it changes the module's data (a second import, then a delete).
def test_the_store_follows_an_import_then_a_delete(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = world.store.snapshot()
    assert before is world.snapshot  # nothing changed: the same snapshot
    extra = [
        Row(r.reference.replace("R", "N"), r.start, r.end, r.category, r.lon, r.lat)
        for r in random_rows(SEED + 1, 300)
    ]
    # A day before every other fact: it goes to the front of the day-sorted columns.
    extra.append(Row("N-first", "2022-12-31 23:30:00", "", "rixe", "1.444400", "43.604500"))
    second = tmp_path / "more.csv"
    write_csv(extra, second)
    summary = import_incidents(world.engine, second, settings=world.settings, run_by="test")
    assert summary.rows_imported == len(extra)

    caplog.set_level(logging.INFO, logger="observatory.store.incidents")
    grown = world.store.snapshot()
    assert f"{len(extra)} faits ajoutés" in caplog.text  # read the new batch only
    assert grown.size == before.size + summary.rows_imported
    assert grown.first_day() == date(2022, 12, 31)
    both = Reference.of([world.csv, second])
    check_everything(world.engine, grown, both)

    caplog.clear()
    with world.engine.begin() as conn:
        deleted = conn.execute(
            text("DELETE FROM incident WHERE category_code = 'menaces' AND h3 % 3 = 0")
        ).rowcount
    assert deleted > 0
    reloaded = world.store.snapshot()
    assert "Copie en mémoire chargée" in caplog.text  # not an import: a full reload
    assert reloaded.size == grown.size - deleted
    with world.engine.connect() as conn:
        kept = set(conn.execute(text("SELECT source_ref FROM incident")).scalars())
    remaining = both.facts["reference"].isin(kept).to_numpy()
    assert int((~remaining).sum()) == deleted
    check_everything(world.engine, reloaded, both.keep(remaining))
