"""GET /api/v1/stats/communes: the communes of the caller's scope compared, on facts imported
for real in Toulouse and Blagnac; each row agrees with the summary of its commune."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from observatory.db import make_sessionmaker
from observatory.settings import Settings
from observatory.tokens import create_token
from tests.conftest import auth
from tests.samples import SAMPLES

HEADER = "numero;date_faits;heure_faits;date_fin;heure_fin;nature;code_insee;longitude;latitude"
CAPITOLE = (1.44395, 43.60447)


def inside(code: str) -> tuple[float, float]:
    frame = gpd.read_file(SAMPLES / "communes_voisines_toulouse.geojson")
    shape = frame.loc[frame.code_commune == code].geometry.iloc[0]
    point = shape.representative_point()
    return (round(point.x, 6), round(point.y, 6))


@pytest.fixture
def loaded(boundaries: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Toulouse and its three neighbours with their populations; facts in March and April
    2024: Toulouse 30 then 20, Blagnac 6 then 9."""
    import_communes(
        boundaries,
        SAMPLES / "communes_voisines_toulouse.geojson",
        population=SAMPLES / "populations_haute_garonne.csv",
    )
    blagnac = inside("31069")
    plan = [
        ("31555", CAPITOLE, "15/03/2024", 30),
        ("31555", CAPITOLE, "15/04/2024", 20),
        ("31069", blagnac, "01/03/2024", 6),
        ("31069", blagnac, "10/04/2024", 9),
    ]
    rows, n = [], 0
    for code, (lon, lat), day, count in plan:
        for _ in range(count):
            n += 1
            rows.append(f"T-{n:05d};{day};10:00;;;Tapage;{code};{lon:.6f};{lat:.6f}")
    path = tmp_path / "faits.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    summary = import_incidents(boundaries, path, settings=settings, source="pm")
    assert summary.rows_imported == n, summary
    return boundaries


def token(engine: Engine, settings: Settings, communes: frozenset[str] | None) -> dict[str, str]:
    with make_sessionmaker(engine).begin() as session:
        return auth(
            create_token(session, "cispd", "analyst", settings.secret_key, communes=communes)
        )


APRIL = {"from": "2024-04-01", "to": "2024-04-30"}


def test_each_commune_agrees_with_its_summary_and_compares_with_march(
    client: TestClient, loaded: Engine, settings: Settings
) -> None:
    headers = token(loaded, settings, None)
    body = client.get("/api/v1/stats/communes", params=APRIL, headers=headers).json()

    assert body["scope"] is None
    assert body["period"]["previous_start"] == "2024-03-01"
    assert body["period"]["comparable"] is True
    rows = {r["code"]: r for r in body["communes"]}
    # Every commune with a population is a row, with facts or not.
    assert set(rows) == {"31555", "31069", "31149", "31157"}
    assert (rows["31555"]["count"], rows["31555"]["previous"]) == (20, 30)
    assert (rows["31069"]["count"], rows["31069"]["previous"]) == (9, 6)
    assert rows["31149"]["count"] == 0 and rows["31149"]["rate_per_1000"] == 0
    assert rows["31069"]["z"] == pytest.approx(2 * (9**0.5 - 6**0.5), abs=0.01)
    assert rows["31069"]["change_percent"] == pytest.approx(50.0)
    population = rows["31069"]["population"]
    assert population and rows["31069"]["rate_per_1000"] == pytest.approx(
        1000 * 9 / population, abs=0.01
    )
    for code, row in rows.items():
        summary = client.get(
            "/api/v1/stats/summary", params={**APRIL, "commune": code}, headers=headers
        ).json()
        assert row["count"] == summary["total"]
    whole = client.get("/api/v1/stats/summary", params=APRIL, headers=headers).json()
    assert body["total"]["count"] == whole["total"] == 29
    assert body["total"]["previous"] == 36


def test_a_scoped_caller_sees_only_its_communes(
    client: TestClient, loaded: Engine, settings: Settings
) -> None:
    headers = token(loaded, settings, frozenset({"31069", "31149"}))
    body = client.get("/api/v1/stats/communes", params=APRIL, headers=headers).json()
    assert body["scope"] == ["31069", "31149"]
    assert [r["code"] for r in body["communes"]] == ["31069", "31149"]
    assert body["total"]["count"] == 9
    populations = [r["population"] for r in body["communes"]]
    assert body["total"]["population"] == sum(populations)


def test_a_bad_filter_gets_a_french_422(
    client: TestClient, loaded: Engine, settings: Settings
) -> None:
    headers = token(loaded, settings, None)
    answer = client.get("/api/v1/stats/communes", params={"from": "2024-13-01"}, headers=headers)
    assert answer.status_code == 422
    assert "2024-13-01" in answer.json()["detail"]


def test_it_needs_a_token(client: TestClient, loaded: Callable[..., object]) -> None:
    assert client.get("/api/v1/stats/communes").status_code == 401


def test_a_partner_reads_the_release_hidden_counts_no_rate_and_no_z(
    client: TestClient, loaded: Engine, settings: Settings
) -> None:
    with make_sessionmaker(loaded).begin() as session:
        partner = auth(create_token(session, "partenaire", "partner", settings.secret_key))
    body = client.get("/api/v1/stats/communes", params=APRIL, headers=partner).json()
    summary = client.get("/api/v1/stats/summary", params=APRIL, headers=partner).json()

    assert body["suppression_threshold"] == 5 and body["privacy"] is not None
    for row in [*body["communes"], body["total"]]:
        assert row["suppressed"] == (row["count"] is None)
        assert row["count"] is None or row["count"] >= 5
        if row["count"] is None:
            assert row["rate_per_1000"] is None and row["qpv_share"] is None
        assert row["z"] is None  # noisy values: no z for a partner
    assert body["total"]["count"] == summary["total"]  # one total everywhere
    assert {r["code"] for r in body["communes"]} == {"31555", "31069", "31149", "31157"}
