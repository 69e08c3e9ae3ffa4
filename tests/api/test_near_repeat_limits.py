"""The near-repeat route's caps through the API (issue 17): bands, facts and pairs refused with a
French problem+json (422) saying what to narrow; a question under the caps answered as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from observatory.db import make_sessionmaker
from observatory.settings import Settings
from observatory.tokens import create_token
from tests.conftest import api_settings, auth
from tests.samples import SAMPLES

HEADER = "numero;date_faits;heure_faits;nature;code_insee;longitude;latitude"
SPOT = (1.44395, 43.60447)  # Capitole
WEST, SOUTH, EAST, NORTH = 1.38, 43.57, 1.50, 43.64
SCATTERED, CLUSTERED = 240, 60  # 60 facts at one spot: 1,770 pairs
MAX_FACTS, MAX_PAIRS = 250, 1_000
ROUTE = "/api/v1/stats/near-repeat"


@pytest.fixture(scope="module")
def facts(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Scattered facts from January to November 2023, a cluster at one spot in December."""
    from tests.conftest import _truncate_all

    _truncate_all(engine)
    rng = np.random.default_rng(17)
    rows = []
    for i in range(SCATTERED + CLUSTERED):
        if i < SCATTERED:
            day = date(2023, 1, 1) + timedelta(days=int(rng.integers(334)))
            lon, lat = rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)
        else:
            day = date(2023, 12, 1) + timedelta(days=int(rng.integers(31)))
            lon, lat = SPOT[0] + rng.normal(0, 0.0001), SPOT[1] + rng.normal(0, 0.0001)
        rows.append(f"NR-{i:05d};{day:%d/%m/%Y};12:00;tapage;31555;{lon:.6f};{lat:.6f}")
    path = tmp_path_factory.mktemp("near") / "facts.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    import_communes(engine, SAMPLES / "communes_toulouse.geojson")
    summary = import_incidents(engine, path, settings=Settings(environment="test"), source="nr")
    assert summary.rows_imported == len(rows)
    yield
    _truncate_all(engine)


@pytest.fixture
def capped(database_url: str, facts: None) -> Iterator[TestClient]:
    """The API with low caps on facts and pairs (OBS_NEAR_REPEAT_MAX_FACTS, …_MAX_PAIRS)."""
    from api.main import create_app

    settings = api_settings(
        database_url, near_repeat_max_facts=MAX_FACTS, near_repeat_max_pairs=MAX_PAIRS
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def analyst(engine: Engine, database_url: str) -> dict[str, str]:
    secret = api_settings(database_url).secret_key
    with make_sessionmaker(engine).begin() as session:
        name = f"near-{np.random.default_rng().integers(1 << 40)}"
        return auth(create_token(session, name, "analyst", secret))


def refused(client: TestClient, headers: dict[str, str], **params: Any) -> str:
    """The French detail of a 422 problem+json answer to these parameters."""
    answer = client.get(ROUTE, params=params, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert (body["status"], body["title"]) == (422, "Paramètre invalide")
    return str(body["detail"])


def edges(last: float, bands: int) -> str:
    return ",".join(f"{v:g}" for v in np.linspace(0, last, bands + 1))


def test_the_attackers_bands_are_refused(capped: TestClient, analyst: dict[str, str]) -> None:
    detail = refused(capped, analyst, distances="0,100000", days="0,1000")
    assert "Dernière borne de distance de 100\u202f000 m" in detail
    assert "au plus à 5\u202f000 m" in detail and "raccourcissez la dernière bande" in detail
    detail = refused(capped, analyst, distances="0,400", days="0,1000")
    assert "Dernière borne de délai de 1\u202f000 jours" in detail and "365 jours" in detail


@pytest.mark.parametrize(
    ("distances", "days", "said"),
    [
        (edges(420, 21), "0,7,14,28", "21 bandes de distance :"),
        ("0,100,200", edges(42, 21), "21 bandes de délai :"),
    ],
)
def test_more_than_twenty_bands_are_refused(
    capped: TestClient, analyst: dict[str, str], distances: str, days: str, said: str
) -> None:
    detail = refused(capped, analyst, distances=distances, days=days)
    assert said in detail and "le test de Knox en prend au plus 20" in detail


def test_too_many_facts_are_refused_with_what_to_narrow(
    capped: TestClient, analyst: dict[str, str]
) -> None:
    detail = refused(capped, analyst, permutations=19)  # the whole year: 300 facts
    assert "Trop de faits pour le test de Knox : plus de 250" in detail
    for way in ("période plus courte", "commune", "catégories"):
        assert way in detail


def test_too_many_pairs_are_refused_with_what_to_narrow(
    capped: TestClient, analyst: dict[str, str]
) -> None:
    december = {"from": "2023-12-01", "to": "2023-12-31", "permutations": 19}
    detail = refused(capped, analyst, **december)
    assert "Trop de paires de faits à moins de 400 m" in detail
    assert "plus de 1\u202f000, son plafond" in detail
    for way in ("dernière bande de distance plus courte", "période plus courte", "commune"):
        assert way in detail


def test_questions_under_the_caps_are_answered(capped: TestClient, analyst: dict[str, str]) -> None:
    spring = {"from": "2023-03-01", "to": "2023-05-31", "permutations": 19}
    answer = capped.get(ROUTE, params=spring, headers=analyst)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["distance_edges"] == [0, 100, 200, 400]
    assert len(body["cells"]) == 9
    # The widest bands allowed, 20 × 20 up to 5,000 m and 365 days, over a month (~22 facts).
    april = {"from": "2023-04-01", "to": "2023-04-30", "permutations": 19}
    widest = {**april, "distances": edges(5000, 20), "days": edges(365, 20)}
    answer = capped.get(ROUTE, params=widest, headers=analyst)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["cells"]) == 400
