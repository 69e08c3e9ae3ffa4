"""File exports: who may export what, the audit log, the filters, partner secrecy, and every
file read back with pyogrio (GDAL, what QGIS uses) and compared with the database.

Expected values are worked out here from the database rows (the test's own SQL, h3-py and
pandas for cells, zoneinfo for local time), never read back from the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import h3
import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ingest.boundaries import import_communes, import_qpv
from observatory.settings import Settings
from tests.conftest import audit_rows, auth
from tests.samples import CAPITOLE, MIRAIL, SAMPLES, import_facts

ARENES = ("1.418900", "43.592900")
PARIS = ZoneInfo("Europe/Paris")
FORMULA_REFS = ("=1+2", "+33612", "-7", "@SUM(A1)")


@pytest.fixture
def facts(db: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Sixteen facts: 7 tapages at the Capitole, 4 thefts at the Mirail (some with refs that
    look like formulas), 3 elsewhere, a summer burglary over a night, one fact of 2023."""
    import_communes(db, SAMPLES / "communes_toulouse.geojson")
    import_qpv(db, SAMPLES / "qpv2024_toulouse.geojson", generation=2024)
    rows = [
        (f"T-{i}", f"0{i + 1}/01/2024", "23:10", "", "", "Tapage", "", *CAPITOLE) for i in range(7)
    ]
    rows += [
        (ref, f"1{i}/02/2024", "10:00", "", "", "Vol simple", "", *MIRAIL)
        for i, ref in enumerate(FORMULA_REFS)
    ]
    rows += [
        ("A-1", "03/03/2024", "14:00", "", "", "Vol simple", "", *ARENES),
        ("A-2", "04/03/2024", "15:00", "", "", "Tapage", "", *ARENES),
        ("A-3", "05/03/2024", "16:00", "", "", "Vol simple", "", *ARENES),
        ("S-1", "14/07/2024", "23:30", "15/07/2024", "06:00", "Cambriolage", "", *MIRAIL),
        ("OLD", "05/01/2023", "23:00", "", "", "Tapage", "", *CAPITOLE),
    ]
    import_facts(db, settings, tmp_path, rows)
    return db


def db_incidents(db: Engine, where: str = "TRUE", **params: Any) -> pd.DataFrame:
    """The facts as the test reads them itself, with the values an export should carry."""
    sql = f"""
        SELECT i.id, i.occurred_at, i.occurred_until, i.category_code, c.label,
               i.commune_code, m.name, i.qpv_2015, i.qpv_2024, i.source, i.source_ref,
               ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat
        FROM incident AS i
        LEFT JOIN category AS c ON c.code = i.category_code
        LEFT JOIN commune AS m ON m.code = i.commune_code
        WHERE {where} ORDER BY i.id
    """
    with db.connect() as conn:
        frame = pd.DataFrame(conn.execute(text(sql), params).mappings().all())
    local = lambda t: None if t is None or pd.isna(t) else t.astimezone(PARIS).isoformat()  # noqa: E731
    frame["start"] = frame["occurred_at"].map(local)
    frame["end"] = frame["occurred_until"].map(local)
    return frame


Export = Callable[..., Any]


@pytest.fixture
def export(client: TestClient, facts: Engine, make_token: Callable[[str], str]) -> Export:
    """GET /api/v1/exports/<path> on the facts with a new token of the role, and these params."""

    def get(path: str, role: str, params: dict[str, Any] | None = None) -> Any:
        return client.get(f"/api/v1/exports/{path}", params=params, headers=auth(make_token(role)))

    return get


def read_back(tmp_path: Path, content: bytes, name: str, **options: Any) -> pd.DataFrame:
    """The bytes written to a file, read with pyogrio as QGIS would open them."""
    path = tmp_path / name
    path.write_bytes(content)
    return pyogrio.read_dataframe(path, **options)


def assert_same_incidents(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The facts of an export read back are the database's: ids, local times, labels, points."""
    assert got["id"].astype(int).tolist() == expected["id"].tolist()
    assert got["occurred_start"].tolist() == expected["start"].tolist()
    assert got["occurred_end"].fillna("").tolist() == expected["end"].fillna("").tolist()
    assert got["category_label"].tolist() == expected["label"].tolist()
    assert got.geometry.x.tolist() == pytest.approx(expected["lon"].tolist(), abs=1e-9)
    assert got.geometry.y.tolist() == pytest.approx(expected["lat"].tolist(), abs=1e-9)


def quoted(value: str) -> str:
    """What a spreadsheet-safe CSV cell should hold (OWASP: = + - @ tab CR get a quote)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def local_day(moment: str) -> str:
    return datetime.fromisoformat(moment).date().isoformat()


# -- roles and audit ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "partner"])
@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_roles_without_points_cannot_export_incidents(
    export: Export, facts: Engine, role: str, fmt: str
) -> None:
    answer = export(f"incidents.{fmt}", role)

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "n'a pas accès" in answer.json()["detail"]
    assert audit_rows(facts) == []


@pytest.mark.parametrize("path", ["incidents.csv", "hexagons.geojson"])
def test_without_token_401(client: TestClient, facts: Engine, path: str) -> None:
    answer = client.get(f"/api/v1/exports/{path}")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "params", "word"),
    [
        ("incidents.xlsx", {}, "csv, geojson ou gpkg"),
        ("hexagons.shp", {}, "csv, geojson ou gpkg"),
        ("incidents.csv", {"hours": "25"}, "hours"),
        ("hexagons.csv", {"res": "12"}, "res"),
        ("hexagons.csv", {"from": "2024-13-01"}, "from"),
    ],
)
def test_bad_parameters_answer_422_in_french(
    export: Export, facts: Engine, path: str, params: dict[str, str], word: str
) -> None:
    answer = export(path, "admin", params)

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert word in answer.json()["detail"]
    assert audit_rows(facts) == []


def test_csv_export_is_audited_filtered_and_safe_for_excel(
    export: Export, facts: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("observatory.exports.CHUNK_ROWS", 4)  # several chunks, a last short one
    params = {"from": "2024-01-01", "to": "2024-12-31", "categories": "vol_simple,tapage"}

    answer = export("incidents.csv", "police", params)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="faits_2024-01-01_au_2024-12-31.csv"'
    )
    raw = answer.content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.split(b"\r\n")[0] == (
        b"\xef\xbb\xbfid;occurred_start;occurred_end;category;category_label;commune;"
        b"commune_name;qpv_2015;qpv_2024;source;source_ref;lon;lat;geocode_score;geocode_label;"
        b"geocode_type"
    )
    expected = db_incidents(
        facts,
        "i.category_code IN ('vol_simple', 'tapage') AND i.occurred_at >= '2024-01-01T00:00+01'"
        " AND i.occurred_at < '2025-01-01T00:00+01'",
    )
    assert len(expected) == 14  # 7 + 4 + 3: not the burglary, not the 2023 tapage

    got = read_back(tmp_path, raw, "faits.csv", X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat")
    assert_same_incidents(got, expected)
    assert got["source_ref"].tolist() == [quoted(v) for v in expected["source_ref"]]
    assert set(got["source_ref"]) >= {"'=1+2", "'+33612", "'-7", "'@SUM(A1)"}
    assert got["occurred_start"].iloc[0] == "2024-01-01T23:10:00+01:00"
    assert got["category"].tolist() == expected["category_code"].tolist()
    assert got["commune"].tolist() == ["31555"] * 14
    assert got["commune_name"].tolist() == expected["name"].tolist()
    assert got["qpv_2024"].fillna("").tolist() == expected["qpv_2024"].fillna("").tolist()
    assert got["source"].tolist() == ["pm"] * 14

    [(actor, role, action, count, filters)] = audit_rows(facts)
    assert (role, action, count) == ("police", "exports/incidents.csv", 14)
    assert actor.startswith("police-")
    assert filters["categories"] == ["tapage", "vol_simple"]
    assert filters["from"] == "2024-01-01" and filters["format"] == "csv"


def test_geojson_export_is_rfc7946_and_reads_back(
    export: Export, facts: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("observatory.exports.CHUNK_ROWS", 5)
    answer = export("incidents.geojson", "admin", {"qpv": "out"})

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    assert 'filename="faits_extrait_le_' in answer.headers["content-disposition"]
    body = answer.json()
    assert body["type"] == "FeatureCollection" and "crs" not in body
    expected = db_incidents(facts, "i.qpv_2024 IS NULL")
    assert len(expected) == 13  # the Arènes are in a 2024 QPV, the rest not
    assert [f["id"] for f in body["features"]] == expected["id"].tolist()
    first = body["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["geometry"]["coordinates"] == pytest.approx(
        [expected["lon"].iloc[0], expected["lat"].iloc[0]], abs=1e-9
    )
    burglary = next(f for f in body["features"] if f["properties"]["source_ref"] == "S-1")
    assert burglary["properties"]["occurred_start"] == "2024-07-14T23:30:00+02:00"
    assert burglary["properties"]["occurred_end"] == "2024-07-15T06:00:00+02:00"
    assert burglary["properties"]["source_ref"] == "S-1"
    # GeoJSON is not a spreadsheet: the references stay as they are.
    refs = {f["properties"]["source_ref"] for f in body["features"]}
    assert set(FORMULA_REFS) <= refs

    got = read_back(tmp_path, answer.content, "faits.geojson", DATE_AS_STRING="YES")
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["source_ref"].tolist() == expected["source_ref"].tolist()
    assert got["qpv_2024"].tolist() == expected["qpv_2024"].tolist()
    assert got.geometry.x.tolist() == pytest.approx(expected["lon"].tolist(), abs=1e-9)
    assert got.crs.to_epsg() == 4326
    [(_, role, action, count, filters)] = audit_rows(facts)
    assert (role, action, count) == ("admin", "exports/incidents.geojson", 13)
    assert filters["qpv"] == "out"


def test_geopackage_export_is_a_point_layer_in_wgs84(
    export: Export, facts: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("observatory.exports.CHUNK_ROWS", 3)
    answer = export("incidents.gpkg", "police", {"hours": "22-6"})

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/geopackage+sqlite3"
    path = tmp_path / "faits.gpkg"
    path.write_bytes(answer.content)
    info = pyogrio.read_info(path)
    assert pyogrio.list_layers(path).tolist() == [["incidents", "Point"]]
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Point"
    got = pyogrio.read_dataframe(path)
    # Night facts, local hour of the start: the 7 tapages at 23:10, the burglary at 23:30, the
    # 2023 tapage at 23:00.
    everything = db_incidents(facts)
    hours = everything["occurred_at"].map(lambda t: t.astimezone(PARIS).hour)
    expected = everything[(hours >= 22) | (hours < 6)]
    assert len(expected) == 9
    assert_same_incidents(got, expected)
    assert [r[2:4] for r in audit_rows(facts)] == [("exports/incidents.gpkg", 9)]


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_an_empty_export_is_still_a_file_that_opens(
    export: Export, facts: Engine, tmp_path: Path, fmt: str
) -> None:
    answer = export(f"incidents.{fmt}", "admin", {"from": "2030-01-01"})

    assert answer.status_code == 200
    got = read_back(tmp_path, answer.content, f"vide.{fmt}")
    assert len(got) == 0
    if fmt != "geojson":  # a GeoJSON file has no schema but its features
        assert {"id", "source_ref", "occurred_start"} <= set(got.columns)
    assert [r[3] for r in audit_rows(facts)] == [0]


# -- hexagons ----------------------------------------------------------------------------------


def expected_cells(db: Engine, res: int, where: str = "TRUE") -> dict[str, int]:
    """Counts per cell, by pandas and h3-py from the stored points."""
    frame = db_incidents(db, where)
    cells = [
        h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 12), res)
        for lon, lat in zip(frame["lon"], frame["lat"], strict=True)
    ]
    return {str(k): int(v) for k, v in pd.Series(cells).value_counts().items()}


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
@pytest.mark.parametrize("role", ["analyst", "police"])
def test_hexagon_exports_hold_the_counts_of_the_layer(
    client: TestClient,
    facts: Engine,
    make_token: Callable[[str], str],
    tmp_path: Path,
    fmt: str,
    role: str,
) -> None:
    headers = auth(make_token(role))
    params = {"res": "9", "from": "2024-01-01"}

    answer = client.get(f"/api/v1/exports/hexagons.{fmt}", params=params, headers=headers)
    layer = client.get("/api/v1/layers/hexagons", params=params, headers=headers).json()

    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="hexagones_r9_depuis_le_2024-01-01.{fmt}"'
    )
    options = {"GEOM_POSSIBLE_NAMES": "wkt", "KEEP_GEOM_COLUMNS": "NO"} if fmt == "csv" else {}
    got = read_back(tmp_path, answer.content, f"hexagones.{fmt}", **options)
    counts = {h: int(c) for h, c in zip(got["h3"], got["count"], strict=True)}
    expected = expected_cells(facts, 9, "i.occurred_at >= '2024-01-01T00:00+01'")
    assert counts == expected
    assert sum(expected.values()) == 15
    assert counts == {f["properties"]["h3"]: f["properties"]["count"] for f in layer["features"]}
    for cell, outline in zip(got["h3"], got.geometry, strict=True):
        lat, lng = h3.cell_to_latlng(cell)
        assert outline.geom_type == "Polygon"
        assert outline.centroid.x == pytest.approx(lng, abs=1e-5)  # lon first, WGS84
        assert outline.centroid.y == pytest.approx(lat, abs=1e-5)
    if fmt != "csv":
        assert got.crs.to_epsg() == 4326
    assert audit_rows(facts) == []  # aggregates are not audited


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_partners_get_small_counts_suppressed_in_every_format(
    client: TestClient, facts: Engine, make_token: Callable[[str], str], tmp_path: Path, fmt: str
) -> None:
    partner = auth(make_token("partner"))
    assert (
        client.get(
            f"/api/v1/exports/hexagons.{fmt}", params={"res": 9}, headers=partner
        ).status_code
        == 422
    )  # below the release's cells
    answer = client.get(f"/api/v1/exports/hexagons.{fmt}", params={"res": 8}, headers=partner)

    assert answer.status_code == 200
    options = {"GEOM_POSSIBLE_NAMES": "wkt", "KEEP_GEOM_COLUMNS": "NO"} if fmt == "csv" else {}
    got = read_back(tmp_path, answer.content, f"hexagones.{fmt}", **options)
    rows = {
        h: (None if pd.isna(c) or c == "" else int(c), str(s).lower() in ("true", "1"))
        for h, c, s in zip(got["h3"], got["count"], got["suppressed"], strict=True)
    }
    # The file holds the map a partner sees: the release's cells, « < 5 » never a number.
    layer = client.get("/api/v1/layers/hexagons", params={"res": 8}, headers=partner).json()
    assert rows == {
        f["properties"]["h3"]: (f["properties"]["count"], f["properties"]["suppressed"])
        for f in layer["features"]
    }
    assert all(c is None or c >= 5 for c, _ in rows.values())
    if fmt == "geojson":
        meta = json.loads(answer.content)["metadata"]
        assert meta["total"] == layer["metadata"]["total"]
        assert meta["suppression_threshold"] == 5


def test_hexagon_export_applies_the_filters(export: Export, facts: Engine) -> None:
    # Resolution 9: an analyst's weekday filter coarsens 10 to 9 (policy.py), the export too.
    params = {"res": 9, "categories": "vol_simple", "weekdays": "1-5"}
    answer = export("hexagons.geojson", "analyst", params)

    got = {f["properties"]["h3"]: f["properties"]["count"] for f in answer.json()["features"]}
    everything = db_incidents(facts, "i.category_code = 'vol_simple'")
    weekday = everything["occurred_at"].map(lambda t: t.astimezone(PARIS).isoweekday())
    kept = everything[weekday <= 5]
    cells = [
        h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 12), 9)
        for lon, lat in zip(kept["lon"], kept["lat"], strict=True)
    ]
    assert got == dict(pd.Series(cells).value_counts().items())
    assert answer.json()["metadata"]["filter"]["weekdays"] == [1, 2, 3, 4, 5]
