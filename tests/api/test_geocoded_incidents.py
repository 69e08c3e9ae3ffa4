"""Facts placed by the geocoder through the API: the point layer and the exports say how, the
``precision`` filter leaves out those placed at the street on points and aggregates alike, and
an admin re-runs a batch's address rejects (real PostGIS, real addok: tests/geocoding.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from observatory.settings import Settings
from tests.conftest import api_settings, auth
from tests.geocoding import free_port
from tests.samples import SAMPLES

Row = dict[str, str]
HEADER = "numero;date_faits;nature;adresse;code_insee;lon;lat"


@pytest.fixture
def geo(database_url: str, reference: Settings) -> Settings:
    return api_settings(
        database_url,
        redis_dir=reference.redis_dir,
        redis_port=reference.redis_port,
        redis_db=reference.redis_db,
    )


@pytest.fixture
def api(geo: Settings, db: Engine) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(geo), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def streets(extract_rows: list[Row]) -> tuple[Row, Row]:
    """Two addresses of Toulouse on two different streets."""
    toulouse = [r for r in extract_rows if r["code_insee"] == "31555" and not r["rep"]]
    first = toulouse[0]
    second = next(r for r in toulouse if r["id_fantoir"] != first["id_fantoir"])
    return first, second


def facts_file(folder: Path, streets: tuple[Row, Row], name: str = "faits.csv") -> Path:
    """H1, H2 at a house number; S1 at a number its street lacks (the street); P1 with its
    point; X1 an invented street (rejected)."""
    one, two = streets
    lines = [
        HEADER,
        f"H1;15/03/2025;Tapage nocturne;{one['numero']} {one['nom_voie']};31555;;",
        f"H2;16/03/2025;Tapage nocturne;{two['numero']} {two['nom_voie']};31555;;",
        f"S1;17/03/2025;Tapage nocturne;997 {one['nom_voie']};31555;;",
        "P1;18/03/2025;Tapage nocturne;Place du Capitole;31555;1.44395;43.60447",
        "X1;19/03/2025;Tapage nocturne;12 rue des Songes Creux;31555;;",
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_file(db: Engine, settings: Settings, folder: Path, streets: tuple[Row, Row]) -> int:
    import_communes(db, SAMPLES / "communes_toulouse.geojson")
    summary = import_incidents(db, facts_file(folder, streets), settings=settings, source="pm")
    assert (summary.rows_read, summary.rows_imported, summary.rows_rejected) == (5, 4, 1)
    return summary.batch_id


def test_points_and_aggregates_with_and_without_street_level(
    api: TestClient,
    db: Engine,
    geo: Settings,
    tmp_path: Path,
    streets: tuple[Row, Row],
    make_token: Callable[[str], str],
) -> None:
    import_file(db, geo, tmp_path, streets)
    police, analyst = auth(make_token("police")), auth(make_token("analyst"))

    layer = api.get("/api/v1/layers/incidents", headers=police)
    assert layer.status_code == 200, layer.text
    props = {f["properties"]["id"]: f["properties"] for f in layer.json()["features"]}
    by_ref = {p["address"]: p for p in props.values()}
    one = streets[0]
    house = by_ref[f"{one['numero']} {one['nom_voie']}"]
    assert house["geocode_type"] == "housenumber" and house["geocode_score"] >= 0.6
    assert one["nom_voie"] in house["geocode_label"]
    street = by_ref[f"997 {one['nom_voie']}"]
    assert street["geocode_type"] == "street"
    assert street["geocode_label"].startswith(one["nom_voie"])
    own = by_ref["Place du Capitole"]
    assert (own["geocode_score"], own["geocode_label"], own["geocode_type"]) == (None,) * 3

    exact = api.get("/api/v1/layers/incidents", params={"precision": "housenumber"}, headers=police)
    assert exact.status_code == 200
    kept = {f["properties"]["address"] for f in exact.json()["features"]}
    assert kept == set(by_ref) - {f"997 {one['nom_voie']}"}
    assert exact.json()["metadata"]["filter"]["precision"] == "housenumber"

    # The aggregates (the in-memory copy) leave out the same fact.
    for who in (police, analyst):
        every = api.get("/api/v1/stats/summary", headers=who).json()
        fine = api.get("/api/v1/stats/summary", params={"precision": "housenumber"}, headers=who)
        assert fine.status_code == 200, fine.text
        assert every["total"] - fine.json()["total"] == 1
    hexagons = api.get(
        "/api/v1/layers/hexagons", params={"precision": "housenumber"}, headers=police
    )
    assert hexagons.json()["metadata"]["total"] == 3

    wrong = api.get("/api/v1/layers/incidents", params={"precision": "rue"}, headers=police)
    assert wrong.status_code == 422 and "precision" in wrong.json()["detail"]


def test_the_exports_carry_the_geocoding(
    api: TestClient,
    db: Engine,
    geo: Settings,
    tmp_path: Path,
    streets: tuple[Row, Row],
    make_token: Callable[[str], str],
) -> None:
    import_file(db, geo, tmp_path, streets)
    answer = api.get("/api/v1/exports/incidents.csv", headers=auth(make_token("admin")))
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0])[-3:] == ["geocode_score", "geocode_label", "geocode_type"]
    by_ref = {r["source_ref"]: r for r in rows}
    assert by_ref["H1"]["geocode_type"] == "housenumber"
    assert 0.6 <= float(by_ref["H1"]["geocode_score"]) <= 1
    assert streets[0]["nom_voie"] in by_ref["H1"]["geocode_label"]
    assert by_ref["S1"]["geocode_type"] == "street"
    assert (by_ref["P1"]["geocode_score"], by_ref["P1"]["geocode_type"]) == ("", "")

    fine = api.get(
        "/api/v1/exports/incidents.csv",
        params={"precision": "housenumber"},
        headers=auth(make_token("police")),
    )
    refs = {
        r["source_ref"]
        for r in csv.DictReader(io.StringIO(fine.content.decode("utf-8-sig")), delimiter=";")
    }
    assert refs == {"H1", "H2", "P1"}


def test_an_admin_regeocodes_a_batch(
    api: TestClient,
    db: Engine,
    database_url: str,
    tmp_path: Path,
    streets: tuple[Row, Row],
    make_token: Callable[[str], str],
) -> None:
    stopped = api_settings(database_url, redis_dir=tmp_path, redis_port=free_port())
    path = facts_file(tmp_path, streets, "arrete.csv")
    stopped_import = import_incidents(db, path, settings=stopped, source="pm")
    assert (stopped_import.rows_imported, stopped_import.rows_rejected) == (1, 4)
    first = stopped_import.batch_id
    admin = auth(make_token("admin"))

    refused = api.post(f"/api/v1/imports/{first}/regeocode", headers=auth(make_token("police")))
    assert refused.status_code == 403

    answer = api.post(f"/api/v1/imports/{first}/regeocode", headers=admin)
    assert answer.status_code == 201, answer.text
    batch = answer.json()
    assert (batch["rows_read"], batch["rows_imported"], batch["rows_rejected"]) == (4, 3, 1)
    assert batch["details"]["regeocode_of"] == first
    rejects = api.get(f"/api/v1/imports/{first}/rejects", headers=admin).json()["items"]
    assert {r["rerun_batch_id"] for r in rejects} == {batch["batch_id"]}
    assert api.get(f"/api/v1/imports/{first}", headers=admin).json()["rows_imported"] == 1

    again = api.post(f"/api/v1/imports/{first}/regeocode", headers=admin)
    assert again.status_code == 422 and "aucun rejet" in again.json()["detail"]
