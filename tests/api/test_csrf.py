"""A change made with the session cookie needs the session's own CSRF token in a header."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.accounts import csrf, make_account, other_client, signed_in
from tests.conftest import auth

REFUSED = "Jeton CSRF manquant ou invalide : rechargez la page."
NEW_TOKEN = {"name": "script", "days": 7}


def test_change_without_or_with_a_wrong_csrf_header_is_refused(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "a@ville.fr", "analyst")
    make_account(db, "b@ville.fr", "analyst")
    mine = signed_in(client, "a@ville.fr")
    theirs = signed_in(other_client(client), "b@ville.fr")
    for headers in ({}, csrf(""), csrf(theirs), csrf(mine[:-1] + "0")):
        response = client.post("/api/v1/auth/tokens", json=NEW_TOKEN, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["detail"] == REFUSED
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 403
    assert client.get("/api/v1/auth/tokens").json() == []  # nothing was made
    assert client.get("/api/v1/me").status_code == 200  # reads need no header; still signed in
    made = client.post("/api/v1/auth/tokens", json=NEW_TOKEN, headers=csrf(mine))
    assert made.status_code == 200


def test_delete_needs_the_csrf_header_too(client: TestClient, db: Engine) -> None:
    make_account(db, "a@ville.fr", "analyst")
    mine = signed_in(client, "a@ville.fr")
    client.post("/api/v1/auth/tokens", json=NEW_TOKEN, headers=csrf(mine))
    refused = client.delete("/api/v1/auth/tokens/script")
    assert refused.status_code == 403 and refused.json()["detail"] == REFUSED
    assert client.delete("/api/v1/auth/tokens/script", headers=csrf(mine)).status_code == 204


def test_csrf_token_of_a_session_is_worthless_without_its_cookie(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "a@ville.fr", "analyst")
    mine = signed_in(client, "a@ville.fr")
    stranger = other_client(client)
    response = stranger.post("/api/v1/auth/logout", headers=csrf(mine))
    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 200


def test_bearer_requests_need_no_csrf_header(client: TestClient, db: Engine) -> None:
    from observatory.db import make_sessionmaker
    from observatory.tokens import create_token
    from tests.conftest import TEST_SECRET

    with make_sessionmaker(db).begin() as session:
        raw = create_token(session, "admin-cli", "admin", TEST_SECRET)
    response = client.post(
        "/api/v1/admin/groups",
        json={"name": "centre", "communes": ["31555"]},
        headers=auth(raw),
    )
    assert response.status_code == 200


def test_body_routes_check_the_cookie_and_csrf_before_the_body(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "a@ville.fr", "analyst")
    mine = signed_in(client, "a@ville.fr")
    # An analyst's cookie on an admin route with a body: refused at the headers (role).
    refused = client.post(
        "/api/v1/admin/groups", json={"name": "x", "communes": ["31555"]}, headers=csrf(mine)
    )
    assert refused.status_code == 403 and "administrateur" in refused.json()["detail"]
    no_csrf = client.post("/api/v1/admin/groups", json={"name": "x", "communes": ["31555"]})
    assert no_csrf.status_code == 403 and no_csrf.json()["detail"] == REFUSED
