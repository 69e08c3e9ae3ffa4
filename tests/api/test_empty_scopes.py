"""Scopes of no commune (a group deleted, a scope left empty) are an administrator of every
commune's business only; a group still named by accounts or tokens is not deleted, nor
changed by an administrator who does not manage each of its accounts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.audit import entries, record
from observatory.db import make_sessionmaker
from observatory.tokens import create_token
from tests.accounts import make_account, make_group
from tests.conftest import TEST_SECRET, auth

TLS, BLG = "31555", "31069"
ACCOUNTS = "/api/v1/admin/accounts"
GROUPS = "/api/v1/admin/groups"


def admin(db: Engine, name: str, communes: frozenset[str] | None) -> dict[str, str]:
    with make_sessionmaker(db).begin() as session:
        return auth(create_token(session, name, "admin", TEST_SECRET, communes=communes))


def test_an_account_of_no_commune_is_managed_only_by_an_administrator_of_every_commune(
    client: TestClient, db: Engine
) -> None:
    # Scoped only by a group that no longer exists: its scope is empty.
    empty, _ = make_account(db, "chef@epci.fr", "admin", [], groups=["disparu"])
    of_blg = admin(db, "admin-blg", frozenset({BLG}))
    listed = client.get(ACCOUNTS, headers=of_blg)
    assert listed.status_code == 200
    assert "chef@epci.fr" not in [a["email"] for a in listed.json()]
    for response in (
        client.post(f"{ACCOUNTS}/{empty}/reset-password", headers=of_blg),
        client.post(f"{ACCOUNTS}/{empty}/reset-totp", headers=of_blg),
        client.put(f"{ACCOUNTS}/{empty}", json={"communes": [BLG], "groups": []}, headers=of_blg),
    ):
        assert response.status_code == 403
        assert "aucune commune" in response.json()["detail"]
    created = client.post(
        ACCOUNTS, json={"email": "vide@ville.fr", "role": "analyst", "communes": []}, headers=of_blg
    )
    assert created.status_code == 403
    everywhere = admin(db, "root", None)
    assert "chef@epci.fr" in [a["email"] for a in client.get(ACCOUNTS, headers=everywhere).json()]
    reset = client.post(f"{ACCOUNTS}/{empty}/reset-password", headers=everywhere)
    assert reset.status_code == 200


def test_a_token_of_no_commune_is_listed_only_to_an_administrator_of_every_commune(
    client: TestClient, db: Engine
) -> None:
    with make_sessionmaker(db).begin() as session:
        create_token(session, "vide", "analyst", TEST_SECRET, communes=frozenset())
    of_blg = admin(db, "admin-blg", frozenset({BLG}))
    assert [t["name"] for t in client.get("/api/v1/tokens", headers=of_blg).json()] == ["admin-blg"]
    everywhere = admin(db, "root", None)
    names = [t["name"] for t in client.get("/api/v1/tokens", headers=everywhere).json()]
    assert "vide" in names


def test_a_group_still_named_is_not_deleted(client: TestClient, db: Engine) -> None:
    make_group(db, "ouest", [TLS, BLG])
    make_group(db, "libre", [TLS])
    make_account(db, "a@ville.fr", "analyst", [], groups=["ouest"])
    with make_sessionmaker(db).begin() as session:
        create_token(session, "script", "analyst", TEST_SECRET, communes=(), groups=("ouest",))
    everywhere = admin(db, "root", None)
    refused = client.delete(f"{GROUPS}/ouest", headers=everywhere)
    assert refused.status_code == 409
    assert "1 compte(s) et 1 jeton(s)" in refused.json()["detail"]
    assert client.delete(f"{GROUPS}/libre", headers=everywhere).status_code == 204
    names = [g["name"] for g in client.get(GROUPS, headers=everywhere).json()]
    assert names == ["ouest"]


def test_a_group_is_changed_only_by_who_manages_each_of_its_accounts(
    client: TestClient, db: Engine
) -> None:
    make_group(db, "centre", [TLS])
    # The group widens an account of Blagnac: an administrator of Toulouse alone does not
    # manage it, so may not change what it sees through the group.
    make_account(db, "b@ville.fr", "analyst", [BLG], groups=["centre"])
    of_tls = admin(db, "admin-tls", frozenset({TLS}))
    refused = client.put(f"{GROUPS}/centre", json={"label": "Centre"}, headers=of_tls)
    assert refused.status_code == 403
    assert "b@ville.fr" in refused.json()["detail"]
    everywhere = admin(db, "root", None)
    changed = client.put(f"{GROUPS}/centre", json={"label": "Centre"}, headers=everywhere)
    assert changed.status_code == 200 and changed.json()["label"] == "Centre"
    # A token of the command line, of Blagnac and the group: the same.
    make_group(db, "nord", [TLS])
    with make_sessionmaker(db).begin() as session:
        create_token(
            session, "script", "analyst", TEST_SECRET, communes=frozenset({BLG}), groups=("nord",)
        )
    refused = client.put(f"{GROUPS}/nord", json={"label": "Nord"}, headers=of_tls)
    assert refused.status_code == 403 and "script" in refused.json()["detail"]
    make_group(db, "sud", [TLS])
    assert client.put(f"{GROUPS}/sud", json={"label": "Sud"}, headers=of_tls).status_code == 200


def test_audit_entries_of_no_commune_are_not_shown_to_scoped_readers(db: Engine) -> None:
    with make_sessionmaker(db).begin() as session:
        for actor, communes in (("vide", frozenset()), ("tls", frozenset({TLS})), ("tous", None)):
            record(
                session,
                token_id=None,
                actor=actor,
                role="admin",
                action="test",
                filters={},
                row_count=0,
                communes=communes,
            )
    with make_sessionmaker(db).begin() as session:
        assert [e["actor"] for e in entries(session, scope=frozenset({TLS, BLG}))] == ["tls"]
        assert [e["actor"] for e in entries(session)] == ["tous", "tls", "vide"]
