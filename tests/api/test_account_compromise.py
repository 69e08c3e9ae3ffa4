"""Answering a compromise: an administrator's reset or disabling, and « se déconnecter partout »
with its tokens, revoke the account's tokens too; scoped administrators see the tokens of the
accounts they manage (by each token's scope at use)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.db import make_sessionmaker
from observatory.tokens import create_token
from tests.accounts import csrf, make_account, other_client, signed_in
from tests.conftest import TEST_SECRET, audit_rows, auth

TLS, BLG = "31555", "31069"
ACCOUNTS = "/api/v1/admin/accounts"


def admin_token(db: Engine, name: str, communes: frozenset[str] | None) -> str:
    with make_sessionmaker(db).begin() as session:
        return create_token(session, name, "admin", TEST_SECRET, communes=communes)


def script_token(client: TestClient, email: str, name: str) -> str:
    """The account signs in and makes a token for a script: the token, in clear."""
    browser = other_client(client)
    made = browser.post(
        "/api/v1/auth/tokens",
        json={"name": name, "days": 365},
        headers=csrf(signed_in(browser, email)),
    )
    assert made.status_code == 200, made.text
    return str(made.json()["token"])


def revocations(db: Engine) -> list[dict[str, object]]:
    return [filters for _, _, action, _, filters in audit_rows(db) if action == "jetons révoqués"]


def test_an_administrators_reset_or_disabling_revokes_the_accounts_tokens(
    client: TestClient, db: Engine
) -> None:
    root = auth(admin_token(db, "root", None))
    for n, (email, change) in enumerate(
        (
            ("mdp@ville.fr", ("post", "reset-password", None)),
            ("totp@ville.fr", ("post", "reset-totp", None)),
            ("off@ville.fr", ("put", "", {"disabled": True})),
        )
    ):
        account, _ = make_account(db, email, "analyst", [TLS])
        stolen = [script_token(client, email, f"{email}-{i}") for i in range(2)]
        assert client.get("/api/v1/me", headers=auth(stolen[0])).status_code == 200
        method, action, body = change
        url = f"{ACCOUNTS}/{account}/{action}".rstrip("/")
        done = client.request(method, url, headers=root, json=body)
        assert done.status_code in (200, 204), done.text
        for token in stolen:
            assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
        assert revocations(db)[n] == {"email": email, "count": 2}


def test_logout_everywhere_revokes_the_tokens_only_when_asked(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "a@ville.fr", "analyst", [TLS])
    token = script_token(client, "a@ville.fr", "script")
    browser = other_client(client)
    kept = browser.post(
        "/api/v1/auth/logout-everywhere", headers=csrf(signed_in(browser, "a@ville.fr"))
    )
    assert kept.status_code == 204
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200
    assert revocations(db) == []
    gone = browser.post(
        "/api/v1/auth/logout-everywhere",
        json={"tokens": True},
        headers=csrf(signed_in(browser, "a@ville.fr")),
    )
    assert gone.status_code == 204
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert revocations(db) == [{"email": "a@ville.fr", "count": 1}]


def test_a_scoped_administrator_sees_the_tokens_of_the_accounts_it_manages(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "tls@ville.fr", "analyst", [TLS])
    make_account(db, "blg@ville.fr", "analyst", [BLG])
    # Made without communes of their own: each has its account's scope at use.
    script_token(client, "tls@ville.fr", "script-tls")
    script_token(client, "blg@ville.fr", "script-blg")
    admin_token(db, "everywhere", None)
    of_tls = auth(admin_token(db, "admin-tls", frozenset({TLS})))
    listed = client.get("/api/v1/tokens", headers=of_tls)
    assert listed.status_code == 200
    seen = {t["name"]: t["communes"] for t in listed.json()}
    assert seen == {"script-tls": [TLS], "admin-tls": [TLS]}
    root = client.get("/api/v1/tokens", headers=auth(admin_token(db, "root", None))).json()
    assert {t["name"]: t["communes"] for t in root}["script-blg"] == [BLG]
