"""Authentication, roles and problem+json errors through the real app and database."""

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.db import head_revision
from observatory.settings import Settings
from tests.conftest import auth

PROBLEM = "application/problem+json"


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


def test_home_page_is_french_html(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Observatoire de la tranquillité publique" in response.text
    assert 'lang="fr"' in response.text


def test_openapi_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in spec["paths"]


def test_missing_token_is_401_problem(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert "Jeton manquant" in body["detail"]


def test_wrong_token_is_401(client: TestClient, make_token: Callable[[str], str]) -> None:
    make_token("admin")
    response = client.get("/api/v1/me", headers=auth("obs_not-a-real-token"))
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert "inconnu" in response.json()["detail"]


@pytest.mark.parametrize("role", ["admin", "police", "analyst", "partner"])
def test_each_role_is_recognised(
    client: TestClient, make_token: Callable[[str], str], role: str
) -> None:
    response = client.get("/api/v1/me", headers=auth(make_token(role)))
    assert response.status_code == 200
    assert response.json()["role"] == role


@pytest.mark.parametrize("role", ["police", "analyst", "partner"])
def test_forbidden_role_is_403_problem(
    client: TestClient, make_token: Callable[[str], str], role: str
) -> None:
    response = client.get("/api/v1/tokens", headers=auth(make_token(role)))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    name = {"police": "police", "analyst": "analyste", "partner": "partenaire"}[role]
    assert f"« {name} »" in response.json()["detail"]


def test_admin_lists_tokens_without_their_value(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    admin = make_token("admin")
    police = make_token("police")
    response = client.get("/api/v1/tokens", headers=auth(admin))
    assert response.status_code == 200
    body = response.json()
    assert sorted(t["role"] for t in body) == ["admin", "police"]
    assert police not in response.text and admin not in response.text


def test_tokens_are_stored_hashed(db: Engine, make_token: Callable[[str], str]) -> None:
    raw = make_token("analyst")
    with db.connect() as conn:
        stored = conn.execute(text("SELECT token_hash, prefix FROM api_token")).one()
    assert raw not in stored.token_hash
    assert len(stored.token_hash) == 64
    assert raw.startswith(stored.prefix)


def test_revoked_token_is_refused(
    client: TestClient, make_token: Callable[[str], str], db: Engine
) -> None:
    raw = make_token("police")
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    with db.begin() as conn:
        conn.execute(text("UPDATE api_token SET revoked_at = now()"))
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 401


def test_a_token_change_reaches_every_process_at_the_next_request(
    client: TestClient, settings: Settings, make_token: Callable[[str], str], db: Engine
) -> None:
    """Each API process keeps the tokens it has checked: a role changed, a token deleted or
    revoked must still count at once, in a process that checked the token just before."""
    from api.main import create_app

    raw = make_token("analyst")
    with TestClient(create_app(settings), raise_server_exceptions=False) as other:
        for api in (client, other):
            assert api.get("/api/v1/me", headers=auth(raw)).json()["role"] == "analyst"
        with db.begin() as conn:
            conn.execute(text("UPDATE api_token SET role = 'partner'"))
        for api in (client, other):
            assert api.get("/api/v1/me", headers=auth(raw)).json()["role"] == "partner"
        with db.begin() as conn:
            conn.execute(text("DELETE FROM api_token"))
        for api in (client, other):
            assert api.get("/api/v1/me", headers=auth(raw)).status_code == 401


def test_last_use_is_written_once_a_minute_not_at_every_request(
    client: TestClient,
    make_token: Callable[[str], str],
    db: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("observatory.tokens.LAST_USED_PRECISION", timedelta(seconds=1))
    raw = make_token("police")
    last_used = "SELECT last_used_at FROM api_token"
    with db.connect() as conn:
        assert conn.execute(text(last_used)).scalar_one() is None
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    with db.connect() as conn:
        first = conn.execute(text(last_used)).scalar_one()
    assert first is not None
    for _ in range(3):
        assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    with db.connect() as conn:
        assert conn.execute(text(last_used)).scalar_one() == first
    time.sleep(1.1)  # the "minute" (a second here) has passed: the next request writes again
    assert client.get("/api/v1/me", headers=auth(raw)).status_code == 200
    with db.connect() as conn:
        assert conn.execute(text(last_used)).scalar_one() > first


def test_unknown_path_is_a_french_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Ressource introuvable"


def test_readyz_is_503_when_the_schema_is_behind(client: TestClient, db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        assert "observatory db upgrade" in response.json()["detail"]
    finally:
        with db.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )


def test_bad_parameter_is_a_french_422_problem(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    response = client.get(
        "/api/v1/tokens", params={"include_revoked": "peut-être"}, headers=auth(make_token("admin"))
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert "include_revoked" in body["detail"]
    assert "true ou false" in body["detail"]


def test_categories_are_listed_with_their_families(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    from observatory.categories import CATEGORIES, FAMILIES

    body = client.get("/api/v1/categories", headers=auth(make_token("partner"))).json()
    assert {c["code"] for c in body} == {c.code for c in CATEGORIES}
    burglary = next(c for c in body if c["code"] == "cambriolage_logement")
    assert burglary["etat4001_index"] == 27
    assert burglary["family_label"] == FAMILIES["vols"]
