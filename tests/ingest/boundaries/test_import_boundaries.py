"""QPV and commune boundary imports on the real public files and on hand-made bad ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, text

import ingest.boundaries.importer as boundaries
from ingest.boundaries import import_communes, import_qpv
from observatory.errors import InvalidInput
from observatory.imports import BatchSummary, try_source_lock
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA
QPV_2024 = DATA / "qpv" / "qpv2024_simplified.geojson"
QPV_2015 = DATA / "qpv" / "qpv2015_occitanie.geojson"
QPV_2015_INSEE = DATA / "qpv" / "qpv2015_occitanie_insee.csv"
COMMUNES = DATA / "communes" / "communes_occitanie_with_qpv.geojson"
INSEE_POPULATIONS = DATA / "communes" / "insee_populations_legales_communes.csv"

# Writing a Shapefile cuts field names to 10 characters, as real ones are: the importer copes.
SHAPEFILE_WARNINGS = pytest.mark.filterwarnings(
    "ignore:Column names longer than 10", "ignore:Normalized/laundered field name"
)


def accounted(summary: BatchSummary) -> bool:
    return summary.rows_read == (
        summary.rows_imported + summary.rows_duplicate + summary.rows_rejected
    )


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def rejects(engine: Engine, batch_id: int) -> list[tuple[int, str, dict[str, str]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT row_number, reason, raw FROM import_reject WHERE batch_id = :id "
                "ORDER BY row_number"
            ),
            {"id": batch_id},
        )
        return [(r.row_number, r.reason, r.raw) for r in rows]


def assert_all_valid_multipolygons(engine: Engine, table: str) -> None:
    bad = scalar(
        engine,
        f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom) OR ST_IsEmpty(geom) "
        "OR GeometryType(geom) <> 'MULTIPOLYGON' OR ST_SRID(geom) <> 4326",
    )
    assert bad == 0


def feature(
    code: str | None, name: str, geometry: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    properties = {"code_qp": code, "nom_qp": name, "code_commune": "31555", **extra}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def square(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_qpv_2024_repaired_then_reimported_as_duplicates(db: Engine) -> None:
    frame = gpd.read_file(QPV_2024)
    invalid = ~frame.geometry.is_valid
    # Reference: features whose outline has no area left once made valid (collapsed to a point).
    degenerate = shapely.area(shapely.make_valid(frame.geometry.values)) == 0
    assert int(invalid.sum()) == 85

    first = import_qpv(db, QPV_2024)

    assert first.status == "succeeded" and accounted(first)
    assert first.rows_read == 1609
    assert first.rows_rejected == int(degenerate.sum()) == 3
    assert first.rows_imported == 1609 - 3
    assert first.details["inserted"] == first.rows_imported
    assert first.details["generation"] == 2024
    assert first.details["repaired"] == int((invalid & ~degenerate).sum())
    assert scalar(db, "SELECT count(*) FROM qpv WHERE generation = 2024") == 1606
    assert_all_valid_multipolygons(db, "qpv")
    rejected = rejects(db, first.batch_id)
    assert [n for n, _, _ in rejected] == [i + 1 for i in frame.index[degenerate]]
    assert {raw["code_qp"] for _, _, raw in rejected} == set(frame.code_qp[degenerate])
    assert all("dégénérée" in reason for _, reason, _ in rejected)
    # A QPV over several communes keeps all their codes.
    assert scalar(db, "SELECT commune_codes FROM qpv WHERE code = 'QN00201M'") == [
        "02571",
        "02691",
    ]

    second = import_qpv(db, QPV_2024, generation=2024)

    assert second.status == "succeeded" and accounted(second)
    assert (second.rows_imported, second.rows_duplicate, second.rows_rejected) == (0, 1606, 3)
    assert second.details["inserted"] == second.details["updated"] == 0


def test_qpv_2015_with_insee_populations(db: Engine) -> None:
    invalid = int((~gpd.read_file(QPV_2015).geometry.is_valid).sum())
    insee = pd.read_csv(QPV_2015_INSEE, encoding="utf-8-sig", dtype={"code_qp": str})

    summary = import_qpv(db, QPV_2015, population=QPV_2015_INSEE)

    assert summary.status == "succeeded" and accounted(summary)
    assert (summary.rows_read, summary.rows_imported, summary.rows_rejected) == (105, 105, 0)
    assert summary.details["repaired"] == invalid == 32
    assert summary.details["generation"] == 2015
    assert_all_valid_multipolygons(db, "qpv")
    for code in ("QP031007", insee.code_qp.iloc[0]):
        expected = int(insee.loc[insee.code_qp == code, "pop_mun"].iloc[0])
        assert scalar(db, "SELECT population FROM qpv WHERE code = :c", c=code) == expected
    assert scalar(db, "SELECT count(*) FROM qpv WHERE population IS NULL") == 0
    row = "SELECT generation, department, commune_codes FROM qpv WHERE code = 'QP066007'"
    with db.connect() as conn:
        assert tuple(conn.execute(text(row)).one()) == (2015, "66", ["66136"])


def test_changed_name_counts_one_update_and_keeps_population(db: Engine, tmp_path: Path) -> None:
    import_qpv(db, QPV_2015, population=QPV_2015_INSEE)
    population = scalar(db, "SELECT population FROM qpv WHERE code = 'QP066007'")
    collection = json.loads(QPV_2015.read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["nom_qp"] = "Bas-Vernet (renommé)"
    changed = tmp_path / "qpv2015_renamed.geojson"
    changed.write_text(json.dumps(collection), encoding="utf-8")

    summary = import_qpv(db, changed)

    assert accounted(summary)
    assert (summary.rows_imported, summary.rows_duplicate, summary.rows_rejected) == (1, 104, 0)
    assert (summary.details["updated"], summary.details["inserted"]) == (1, 0)
    assert scalar(db, "SELECT name FROM qpv WHERE code = 'QP066007'") == "Bas-Vernet (renommé)"
    # No population file this time: the known population stays.
    assert scalar(db, "SELECT population FROM qpv WHERE code = 'QP066007'") == population


def test_generation_mismatch_is_refused(db: Engine) -> None:
    with pytest.raises(InvalidInput, match="génération 2015 alors que la génération 2024"):
        import_qpv(db, QPV_2015, generation=2024)

    assert scalar(db, "SELECT count(*) FROM qpv") == 0
    assert scalar(db, "SELECT status FROM import_batch") == "failed"
    assert "génération" in scalar(db, "SELECT message FROM import_batch")


def test_bad_features_are_rejected_with_reasons(db: Engine, tmp_path: Path) -> None:
    bowtie_ring = [[1, 43], [1.01, 43.01], [1.01, 43], [1, 43.01], [1, 43]]
    features = [
        feature("QP031901", "Valide", square(1.40, 43.60)),
        feature("QP031902", "Sans contour", None),
        feature(None, "Sans code", square(1.42, 43.60)),
        feature("QP031903", "Point", {"type": "Point", "coordinates": [1.44, 43.6]}),
        feature("QP031901", "Doublon", square(1.46, 43.60)),
        feature(
            "QP031904",
            "Papillon",
            {"type": "Polygon", "coordinates": [bowtie_ring]},
            code_commune=["31555", "31069"],
            pop=1234,
        ),
    ]
    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}),
        encoding="utf-8",
    )

    summary = import_qpv(db, path)

    assert summary.status == "succeeded" and accounted(summary)
    assert (summary.rows_read, summary.rows_imported, summary.rows_rejected) == (6, 2, 4)
    assert summary.details["repaired"] == 1
    rejected = rejects(db, summary.batch_id)
    assert [n for n, _, _ in rejected] == [2, 3, 4, 5]
    reasons = [reason for _, reason, _ in rejected]
    assert reasons[0].startswith("Géométrie absente")
    assert reasons[1].startswith("Code du quartier manquant")
    assert "non surfacique (POINT)" in reasons[2]
    assert "QP031901 en double" in reasons[3] and "entité n° 1" in reasons[3]
    assert rejected[1][2] == {
        "code_qp": "",
        "nom_qp": "Sans code",
        "code_commune": "31555",
        "pop": "",
    }
    with db.connect() as conn:
        row = conn.execute(
            text("SELECT commune_codes, population, department FROM qpv WHERE code = 'QP031904'")
        ).one()
    assert tuple(row) == (["31555", "31069"], 1234, "31")
    assert_all_valid_multipolygons(db, "qpv")


def test_communes_with_insee_populations(db: Engine) -> None:
    insee = pd.read_csv(INSEE_POPULATIONS, sep=";", dtype=str, encoding="utf-8")
    toulouse = insee[(insee.CODDEP == "31") & (insee.CODCOM == "555")]

    summary = import_communes(db, COMMUNES, population=INSEE_POPULATIONS)

    assert summary.status == "succeeded" and accounted(summary)
    assert (summary.rows_read, summary.rows_imported, summary.rows_rejected) == (48, 48, 0)
    assert summary.details["with_population"] == 48
    assert scalar(db, "SELECT population FROM commune WHERE code = '31555'") == int(
        toulouse.PMUN.iloc[0]
    )
    assert scalar(db, "SELECT name FROM commune WHERE code = '31555'") == "Toulouse"
    assert_all_valid_multipolygons(db, "commune")
    assert import_communes(db, COMMUNES).rows_duplicate == 48


@SHAPEFILE_WARNINGS
def test_lambert93_without_crs_and_geopackage_are_reprojected(db: Engine, tmp_path: Path) -> None:
    frame = gpd.read_file(COMMUNES).head(3)
    lambert = frame.to_crs(2154)
    lambert.to_file(tmp_path / "communes.shp")
    (tmp_path / "communes.prj").unlink()
    lambert.to_file(tmp_path / "communes.gpkg", driver="GPKG")

    for name in ("communes.shp", "communes.gpkg"):
        summary = import_communes(db, tmp_path / name)
        assert summary.rows_read == 3 and accounted(summary)
        with db.connect() as conn:
            stored = gpd.read_postgis(
                text("SELECT code, geom FROM commune ORDER BY code"), conn, geom_col="geom"
            )
        expected = frame.sort_values("code_commune").geometry.to_numpy()
        distances = shapely.hausdorff_distance(stored.geom.to_numpy(), expected)
        assert distances.max() < 1e-6


@SHAPEFILE_WARNINGS
def test_coordinates_of_no_known_system_are_refused(db: Engine, tmp_path: Path) -> None:
    frame = gpd.read_file(COMMUNES).head(1).to_crs(3857)
    frame.to_file(tmp_path / "mercator.shp")
    (tmp_path / "mercator.prj").unlink()

    with pytest.raises(InvalidInput, match="ni des longitudes/latitudes ni du Lambert-93"):
        import_communes(db, tmp_path / "mercator.shp")


def test_running_import_of_same_generation_is_refused(db: Engine) -> None:
    with db.connect() as other, other.begin():
        assert try_source_lock(other, "qpv:2015")
        with pytest.raises(InvalidInput, match="déjà en cours"):
            import_qpv(db, QPV_2015)

    assert scalar(db, "SELECT status FROM import_batch") == "failed"
    assert scalar(db, "SELECT count(*) FROM qpv") == 0


def test_failure_half_way_leaves_nothing(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(boundaries, "finish_batch", broken)
    with pytest.raises(RuntimeError):
        import_qpv(db, QPV_2015)

    assert scalar(db, "SELECT count(*) FROM qpv") == 0
    assert scalar(db, "SELECT count(*) FROM import_reject") == 0
    assert scalar(db, "SELECT status FROM import_batch") == "failed"
    assert "aucune donnée n'a été enregistrée" in scalar(db, "SELECT message FROM import_batch")
