"""The incident importer end to end, on a real PostGIS: accounting, duplicates, enrichment."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import h3
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents, resolve_mapping
from observatory.errors import InvalidInput
from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import SHARED_DATA

SAMPLES = PROJECT_ROOT / "data" / "samples"
SHARED = SHARED_DATA
POLICE_UK = sorted((SHARED / "incidents" / "police_uk_city_of_london").glob("*.csv"))


def counts_add_up(summary: object) -> bool:
    s = summary
    return s.rows_read == s.rows_imported + s.rows_duplicate + s.rows_rejected  # type: ignore[attr-defined]


def last_batch(db: Engine) -> tuple[str, str, int]:
    """The last import batch's status and message, and how many facts the database holds."""
    with db.connect() as conn:
        status, message = conn.execute(
            text("SELECT status, message FROM import_batch ORDER BY id DESC LIMIT 1")
        ).one()
        return status, message, conn.execute(text("SELECT count(*) FROM incident")).scalar_one()


def rejects_of(db: Engine, batch_id: int) -> dict[int, str]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT row_number, reason FROM import_reject WHERE batch_id = :b"),
            {"b": batch_id},
        )
        return {r.row_number: r.reason for r in rows}


def test_messy_municipal_export(db: Engine, settings: Settings) -> None:
    summary = import_incidents(db, SAMPLES / "municipal_messy.csv", settings=settings)
    # data/samples/README.md: 61 facts, 2 exact duplicates (lines 11, 46), 6 rejects.
    assert summary.status == "succeeded"
    assert summary.rows_read == 61
    assert summary.rows_duplicate == 2
    assert summary.rows_rejected == 6
    assert summary.rows_imported == 53
    reasons = rejects_of(db, summary.batch_id)
    assert set(reasons) == {19, 24, 37, 50, 54, 58}
    assert "31/02/2025" in reasons[19]
    assert "Chien errant" in reasons[24]
    assert "non géolocalisé" in reasons[37] and "non géolocalisé" in reasons[50]
    assert "France" in reasons[58]
    with db.connect() as conn:
        raw = conn.execute(
            text("SELECT raw FROM import_reject WHERE batch_id = :b AND row_number = 24"),
            {"b": summary.batch_id},
        ).scalar_one()
    assert raw["Nature des faits"] == "Chien errant"


def test_dst_rule_on_the_messy_export(db: Engine, settings: Settings) -> None:
    import_incidents(db, SAMPLES / "municipal_messy.csv", settings=settings)
    lines = (SAMPLES / "municipal_messy.csv").read_bytes().decode("cp1252").split("\r\n")
    refs = {n: lines[n - 1].split(";")[0] for n in (26, 59)}
    with db.connect() as conn:
        got = dict(
            conn.execute(
                text("SELECT source_ref, occurred_at FROM incident WHERE source_ref = ANY(:refs)"),
                {"refs": list(refs.values())},
            ).all()
        )
    # docs/guide/importer.md (« Règle du changement d'heure »):
    # the missing hour moves forward by the gap (02:30 -> 03:30 CEST = 01:30 UTC);
    # the repeated hour is its first occurrence (02:30 CEST = 00:30 UTC).
    assert got[refs[26]] == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert got[refs[59]] == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_same_file_twice_imports_nothing(db: Engine, settings: Settings) -> None:
    first = import_incidents(db, SAMPLES / "municipal_messy.csv", settings=settings)
    second = import_incidents(db, SAMPLES / "municipal_messy.csv", settings=settings)
    assert second.rows_imported == 0
    assert second.rows_duplicate == first.rows_imported + first.rows_duplicate
    assert second.rows_rejected == first.rows_rejected
    assert counts_add_up(second)
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == 53


def test_police_uk_months(db: Engine, settings: Settings) -> None:
    mapping = resolve_mapping("police-uk", None, None)
    total_lines = 0
    for path in POLICE_UK:
        summary = import_incidents(db, path, settings=settings, mapping=mapping)
        assert counts_add_up(summary)
        total_lines += sum(1 for _ in path.open(encoding="utf-8")) - 1
        # Expected counts read independently: rows without coordinates are rejected; the others
        # are the same fact when their Crime ID (or, without one, month, type and place) repeats.
        reference = pd.read_csv(path, dtype=str)
        placed = reference[reference["Longitude"].notna()]
        key = placed["Crime ID"].fillna(
            placed["Month"]
            + "|"
            + placed["Crime type"]
            + "|"
            + placed["Longitude"]
            + "|"
            + placed["Latitude"]
        )
        assert summary.rows_rejected == len(reference) - len(placed)
        assert summary.rows_duplicate == key.duplicated().sum()
        assert summary.rows_imported == key.nunique()
    with db.connect() as conn:
        stats = conn.execute(
            text(
                "SELECT count(*) AS n, count(*) FILTER (WHERE occurred_until IS NULL) AS points, "
                "count(DISTINCT source) AS sources, "
                "count(*) FILTER (WHERE source_ref LIKE 'auto:%') AS auto_refs, "
                "min(occurred_at) AS first FROM incident"
            )
        ).one()
    assert stats.points == 0  # month-only dates are intervals
    assert stats.sources == 1
    assert stats.auto_refs > 0  # rows without Crime ID get a derived reference
    # 2024-01-01 00:00 in London is 00:00 UTC (winter).
    assert stats.first == datetime(2024, 1, 1, tzinfo=UTC)
    again = import_incidents(db, POLICE_UK[0], settings=settings, mapping=mapping)
    assert again.rows_imported == 0


def test_enrichment_matches_reference_implementations(
    boundaries: Engine, settings: Settings, tmp_path: Path
) -> None:
    frame = pd.read_csv(SAMPLES / "incidents_toulouse.csv", sep=";", dtype=str).head(3000)
    sample = tmp_path / "sample.csv"
    frame.to_csv(sample, sep=";", index=False)
    summary = import_incidents(boundaries, sample, settings=settings)
    assert summary.rows_imported + summary.rows_rejected == 3000
    with boundaries.connect() as conn:
        stored = pd.read_sql(
            text(
                "SELECT source_ref, h3, local_hour_of_week, local_month, commune_code, "
                "qpv_2015, qpv_2024, ST_X(geom) AS lon, ST_Y(geom) AS lat, occurred_at "
                "FROM incident"
            ),
            conn,
        ).set_index("source_ref")
        qpv = gpd.read_postgis(
            text("SELECT code, generation, geom FROM qpv"), conn, geom_col="geom"
        )
    # H3 against h3-py.
    expected_h3 = [
        h3.str_to_int(h3.latlng_to_cell(lat, lon, settings.h3_resolution))
        for lon, lat in zip(stored["lon"], stored["lat"], strict=True)
    ]
    assert (stored["h3"].astype("int64").to_numpy().view("uint64") == expected_h3).all()
    # Local hour of week and month against pandas, from the file's own local times.
    source = frame.set_index("numero").loc[stored.index]
    local = pd.to_datetime(
        source["date_faits"] + " " + source["heure_faits"], format="%d/%m/%Y %H:%M"
    )
    assert (
        stored["local_hour_of_week"].to_numpy()
        == (local.dt.day_of_week * 24 + local.dt.hour).to_numpy()
    ).all()
    assert (
        pd.to_datetime(stored["local_month"]).dt.month.to_numpy() == local.dt.month.to_numpy()
    ).all()
    # QPV membership against a geopandas point-in-polygon join.
    points = gpd.GeoDataFrame(
        index=stored.index, geometry=gpd.points_from_xy(stored["lon"], stored["lat"]), crs=4326
    )
    for generation in (2015, 2024):
        polygons = qpv[qpv["generation"] == generation]
        joined = gpd.sjoin(points, polygons, predicate="intersects", how="left")
        expected = joined.groupby(level=0)["code"].min().reindex(stored.index)
        column = stored[f"qpv_{generation}"]
        assert (column.fillna("") == expected.fillna("")).all(), generation
        assert column.notna().sum() > 100
    assert (stored["commune_code"] == "31555").all()


def test_commune_is_found_by_point_in_polygon(boundaries: Engine, settings: Settings) -> None:
    summary = import_incidents(boundaries, SAMPLES / "municipal_messy.csv", settings=settings)
    with boundaries.connect() as conn:
        communes = conn.execute(
            text("SELECT commune_code, count(*) FROM incident GROUP BY 1")
        ).all()
    # The messy file has no INSEE code: every stored fact lies in Toulouse.
    assert communes == [("31555", summary.rows_imported)]


def test_territory_setting_rejects_points_outside(db: Engine, settings: Settings) -> None:
    narrow = settings.model_copy(update={"territory_bbox": (1.43, 43.59, 1.46, 43.61)})
    summary = import_incidents(db, SAMPLES / "municipal_messy.csv", settings=narrow)
    reasons = rejects_of(db, summary.batch_id)
    assert any("territoire" in r for r in reasons.values())
    assert counts_add_up(summary)
    with db.connect() as conn:
        outside = conn.execute(
            text(
                "SELECT count(*) FROM incident WHERE NOT ST_Intersects(geom, "
                "ST_MakeEnvelope(1.43, 43.59, 1.46, 43.61, 4326))"
            )
        ).scalar_one()
    assert outside == 0


def test_unreadable_file_fails_the_batch_cleanly(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "vide.csv"
    bad.write_text("")
    with pytest.raises(InvalidInput):
        import_incidents(db, bad, settings=settings)
    status, message, facts = last_batch(db)
    assert facts == 0
    assert status == "failed"
    assert message


def test_mapping_file_maps_unknown_values(db: Engine, settings: Settings, tmp_path: Path) -> None:
    mapping = tmp_path / "correspondance.toml"
    mapping.write_text('[categories]\n"Chien errant" = "incivilite"\n', encoding="utf-8")
    summary = import_incidents(
        db,
        SAMPLES / "municipal_messy.csv",
        settings=settings,
        mapping=resolve_mapping(None, mapping, None),
    )
    assert 24 not in rejects_of(db, summary.batch_id)
    assert summary.rows_imported == 54


def test_batch_details_name_unknown_categories(db: Engine, settings: Settings) -> None:
    summary = import_incidents(db, SAMPLES / "municipal_messy.csv", settings=settings)
    assert summary.details["unknown_categories"] == {"Chien errant": 1}
    assert json.dumps(summary.contract())


def test_geopackage_and_xlsx_exports_import_alike(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    frame = pd.read_csv(SAMPLES / "incidents_toulouse.csv", sep=";", dtype=str).head(200)
    lon = frame["longitude"].str.replace(",", ".").astype(float)
    lat = frame["latitude"].str.replace(",", ".").astype(float)
    table = frame.drop(columns=["longitude", "latitude"])
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=4326).to_crs(2154)
    points.to_file(tmp_path / "export.gpkg", driver="GPKG")
    gpkg = import_incidents(db, tmp_path / "export.gpkg", settings=settings, source="sig")
    frame.to_excel(tmp_path / "export.xlsx", index=False)
    xlsx = import_incidents(db, tmp_path / "export.xlsx", settings=settings, source="tableur")
    assert (gpkg.rows_imported, xlsx.rows_imported) == (200, 200)
    with db.connect() as conn:
        pairs = conn.execute(
            text(
                "SELECT max(ST_Distance(a.geom::geography, b.geom::geography)), "
                "bool_and(a.occurred_at = b.occurred_at AND a.category_code = b.category_code) "
                "FROM incident a JOIN incident b USING (source_ref) "
                "WHERE a.source = 'sig' AND b.source = 'tableur'"
            )
        ).one()
    assert pairs[0] < 0.01  # metres: the Lambert-93 round trip lands on the same point
    assert pairs[1] is True


def test_fractions_of_a_second_are_kept(db: Engine, settings: Settings, tmp_path: Path) -> None:
    # An interval within one second keeps its length; an end at 11:00:00.5 stays after 11 h.
    path = tmp_path / "fractions.csv"
    path.write_text(
        "numero;date_debut;date_fin;nature;longitude;latitude\n"
        "F1;2024-03-05T10:00:00.2;2024-03-05T10:00:00.7;Tapage;1,4442;43,6045\n"
        "F2;2024-03-05T10:30:00;2024-03-05T11:00:00.5;Tapage;1,4442;43,6046\n",
        encoding="utf-8",
    )
    summary = import_incidents(db, path, settings=settings)
    assert summary.rows_imported == 2
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT source_ref, occurred_at, occurred_until FROM incident ORDER BY 1")
        ).all()
    # Paris is UTC+1 in March.
    assert rows[0].occurred_at == datetime(2024, 3, 5, 9, 0, 0, 200_000, tzinfo=UTC)
    assert rows[0].occurred_until == datetime(2024, 3, 5, 9, 0, 0, 700_000, tzinfo=UTC)
    assert rows[1].occurred_until == datetime(2024, 3, 5, 10, 0, 0, 500_000, tzinfo=UTC)
