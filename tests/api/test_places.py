"""The places' routes on a real PostGIS and a real addok (tests/geocoding.py): streets of the
BAN in a box, names of QPV and communes, the search box; every role, French refusals, a
stopped geocoder, and answers that owe nothing to the facts."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, box, shape
from sqlalchemy import Engine, text

from observatory.places.store import load_streets
from observatory.settings import Settings
from tests.conftest import api_settings, auth, role_tokens
from tests.geocoding import free_port
from tests.samples import load_boundaries, load_samples

Row = dict[str, str]
ROLES = ("admin", "police", "analyst", "partner")
# The centre of Toulouse, a box a little over a kilometre wide.
CENTRE = (1.43, 43.59, 1.46, 43.61)


@pytest.fixture
def places(db: Engine, extract_file: Path) -> Engine:
    load_boundaries(db)
    assert load_streets(db, [extract_file]) > 20
    return db


@pytest.fixture
def api(database_url: str, reference: Settings, places: Engine) -> Iterator[TestClient]:
    from api.main import create_app

    settings = api_settings(
        database_url,
        redis_dir=reference.redis_dir,
        redis_port=reference.redis_port,
        redis_db=reference.redis_db,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tokens(places: Engine) -> dict[str, str]:
    return role_tokens(places, ROLES, "places-")


def bbox_text(b: tuple[float, float, float, float]) -> str:
    return ",".join(str(v) for v in b)


def test_every_role_reads_the_streets_crossing_the_box(
    api: TestClient, tokens: dict[str, str], extract_rows: list[Row]
) -> None:
    streets = {}
    for role in ROLES:
        answer = api.get(
            "/api/v1/layers/streets",
            params={"bbox": bbox_text(CENTRE)},
            headers=auth(tokens[role]),
        )
        assert answer.status_code == 200, (role, answer.text)
        assert answer.headers["content-type"].startswith("application/geo+json")
        streets[role] = answer.json()
    assert all(s == streets["admin"] for s in streets.values())
    features = streets["admin"]["features"]
    assert features and streets["admin"]["metadata"] == {"truncated": False}
    area = box(*CENTRE)
    for f in features:
        assert f["geometry"]["type"] == "MultiLineString"
        assert shape(f["geometry"]).intersects(area)
    # Every street of the extract with two points or more inside the box is there, by name.
    inside: dict[str, int] = {}
    for r in extract_rows:
        if area.contains(Point(float(r["lon"]), float(r["lat"]))):
            inside[r["nom_voie"]] = inside.get(r["nom_voie"], 0) + 1
    expected = {name for name, n in inside.items() if n >= 2}
    assert expected and expected <= {f["properties"]["name"] for f in features}


def test_the_streets_need_a_token_and_a_readable_box(
    api: TestClient, tokens: dict[str, str]
) -> None:
    assert api.get("/api/v1/layers/streets", params={"bbox": "1,43,2,44"}).status_code == 401
    for bad in ("", "1,2,3", "2,43,1,44", "a,b,c,d", "nan,43,1,44", "1,43,2,inf", "1,95,2,96"):
        answer = api.get(
            "/api/v1/layers/streets", params={"bbox": bad}, headers=auth(tokens["partner"])
        )
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "bbox" in answer.json()["detail"]
    missing = api.get("/api/v1/layers/streets", headers=auth(tokens["partner"]))
    assert missing.status_code == 422


def test_a_box_with_no_street_is_an_empty_layer(api: TestClient, tokens: dict[str, str]) -> None:
    answer = api.get(
        "/api/v1/layers/streets", params={"bbox": "5,45,5.1,45.1"}, headers=auth(tokens["analyst"])
    )
    assert answer.status_code == 200
    assert answer.json()["features"] == []


def test_names_are_written_at_a_point_inside_each_place(
    api: TestClient, tokens: dict[str, str], places: Engine
) -> None:
    answer = api.get(
        "/api/v1/layers/names", params={"generation": 2024}, headers=auth(tokens["partner"])
    )
    assert answer.status_code == 200
    features = answer.json()["features"]
    with places.connect() as conn:
        outlines = {
            (kind, code): (name, shape(json.loads(geom)))
            for kind, code, name, geom in conn.execute(
                text(
                    "SELECT 'qpv', code, name, ST_AsGeoJSON(geom) FROM qpv WHERE generation = 2024 "
                    "UNION ALL SELECT 'commune', code, name, ST_AsGeoJSON(geom) FROM commune"
                )
            )
        }
    assert {(f["properties"]["kind"], f["properties"]["code"]) for f in features} == set(outlines)
    for f in features:
        p = f["properties"]
        name, outline = outlines[(p["kind"], p["code"])]
        assert p["name"] == name
        assert outline.contains(shape(f["geometry"]))
    bad = api.get(
        "/api/v1/layers/names", params={"generation": 2020}, headers=auth(tokens["admin"])
    )
    assert bad.status_code == 422 and "generation" in bad.json()["detail"]


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 110_574)


def test_the_search_finds_an_address_of_the_reference(
    api: TestClient, tokens: dict[str, str], extract_rows: list[Row]
) -> None:
    row = next(r for r in extract_rows if r["code_insee"] == "31555" and not r["rep"])
    q = f"{row['numero']} {row['nom_voie']} Toulouse"
    for role in ROLES:
        answer = api.get("/api/v1/geocode", params={"q": q}, headers=auth(tokens[role]))
        assert answer.status_code == 200, (role, answer.text)
        best = answer.json()["results"][0]
        assert best["type"] == "housenumber"
        assert row["nom_voie"] in best["label"]
        assert best["citycode"] == "31555"
        assert distance_m((best["lon"], best["lat"]), (float(row["lon"]), float(row["lat"]))) < 5


def test_the_search_gives_a_street_with_its_extent(
    api: TestClient, tokens: dict[str, str], extract_rows: list[Row]
) -> None:
    row = next(
        r for r in extract_rows if r["code_insee"] == "31555" and r["nom_voie"].startswith("Rue")
    )
    answer = api.get(
        "/api/v1/geocode",
        params={"q": f"{row['nom_voie']} Toulouse", "limit": 3},
        headers=auth(tokens["analyst"]),
    )
    assert answer.status_code == 200
    street = next(r for r in answer.json()["results"] if r["type"] == "street")
    assert street["street"] == row["nom_voie"]
    west, south, east, north = street["bbox"]
    points = [
        (float(r["lon"]), float(r["lat"]))
        for r in extract_rows
        if r["id_fantoir"] == row["id_fantoir"]
    ]
    # The extent is the drawn line's: within the street's points, a few metres of smoothing.
    assert west >= min(p[0] for p in points) - 1e-4 and east <= max(p[0] for p in points) + 1e-4
    assert south >= min(p[1] for p in points) - 1e-4 and north <= max(p[1] for p in points) + 1e-4


def test_the_search_finds_qpv_and_communes_by_name(api: TestClient, tokens: dict[str, str]) -> None:
    answer = api.get("/api/v1/geocode", params={"q": "mirail"}, headers=auth(tokens["partner"]))
    assert answer.status_code == 200
    qpv = [r for r in answer.json()["results"] if r["type"] == "qpv"]
    assert [r["label"] for r in qpv] == ["Grand Mirail (QPV)"]
    west, south, east, north = qpv[0]["bbox"]
    assert west < qpv[0]["lon"] < east and south < qpv[0]["lat"] < north
    accents = api.get("/api/v1/geocode", params={"q": "ARENES"}, headers=auth(tokens["police"]))
    assert "Arènes (QPV)" in [r["label"] for r in accents.json()["results"]]
    toulouse = api.get("/api/v1/geocode", params={"q": "Toulouse"}, headers=auth(tokens["admin"]))
    communes = [r for r in toulouse.json()["results"] if r["type"] in ("commune", "municipality")]
    assert [(r["type"], r["code"]) for r in communes] == [("commune", "31555")]
    # A wildcard typed is a letter, not a pattern.
    joker = api.get("/api/v1/geocode", params={"q": "%_%"}, headers=auth(tokens["admin"]))
    assert joker.status_code == 200
    assert [r for r in joker.json()["results"] if r["type"] in ("qpv", "commune")] == []


def test_the_search_refuses_in_french(api: TestClient, tokens: dict[str, str]) -> None:
    assert api.get("/api/v1/geocode", params={"q": "rue"}).status_code == 401
    for params in (
        {"q": "a"},
        {"q": "x" * 500},
        {"q": "rue", "limit": 0},
        {"q": "rue", "limit": 99},
        {"q": "rue\x00de la paix"},
    ):
        answer = api.get("/api/v1/geocode", params=params, headers=auth(tokens["admin"]))
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("application/problem+json")
        detail = answer.json()["detail"]
        assert "« q »" in detail or "« limit »" in detail
    assert api.get("/api/v1/geocode", headers=auth(tokens["admin"])).status_code == 422


def test_a_stopped_geocoder_is_a_503_to_retry(
    database_url: str, places: Engine, tmp_path: Path, tokens: dict[str, str]
) -> None:
    from api.main import create_app

    settings = api_settings(database_url, redis_dir=tmp_path, redis_port=free_port())
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.get(
            "/api/v1/geocode", params={"q": "rue de la République"}, headers=auth(tokens["police"])
        )
        assert answer.status_code == 503
        assert int(answer.headers["Retry-After"]) > 0
        assert "géocodeur est arrêté" in answer.json()["detail"]
        # The streets are in the database: they are still drawn.
        streets = client.get(
            "/api/v1/layers/streets",
            params={"bbox": bbox_text(CENTRE)},
            headers=auth(tokens["police"]),
        )
        assert streets.status_code == 200 and streets.json()["features"]


def test_many_answers_teach_nothing_about_the_facts(
    api: TestClient, tokens: dict[str, str], places: Engine, reference: Settings
) -> None:
    """A partner asking again and again, before and after 30,000 facts are imported (the
    differencing attack), gets the same answers: they come from public reference data only."""
    queries = ["Toulouse", "mirail", "rue", "place du capitole", "Reynerie"]

    def answers() -> list[object]:
        out: list[object] = []
        for q in queries:
            out.append(
                api.get("/api/v1/geocode", params={"q": q}, headers=auth(tokens["partner"])).json()
            )
        for b in (CENTRE, (1.35, 43.55, 1.5, 43.67)):
            out.append(
                api.get(
                    "/api/v1/layers/streets",
                    params={"bbox": bbox_text(b)},
                    headers=auth(tokens["partner"]),
                ).json()
            )
        out.append(api.get("/api/v1/layers/names", headers=auth(tokens["partner"])).json())
        return out

    before = answers()
    with places.begin() as conn:
        conn.execute(text("TRUNCATE commune, qpv CASCADE"))
    load_samples(places, reference)
    assert answers() == before
