"""Administrators manage accounts and groups only within their own scope."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.accounts import code_now, csrf, login, make_account, make_group, other_client, signed_in
from tests.conftest import audit_rows

ACCOUNTS = "/api/v1/admin/accounts"
GROUPS = "/api/v1/admin/groups"


def admin_of(client: TestClient, db: Engine, communes: list[str] | None) -> dict[str, str]:
    """Sign in an administrator of these communes (with the second factor): the CSRF header."""
    _, secret = make_account(db, "chef@ville.fr", "admin", communes, with_totp=True)
    assert secret is not None
    return csrf(signed_in(client, "chef@ville.fr", code=code_now(secret)))


def test_admin_of_a_cannot_create_accounts_outside_a(client: TestClient, db: Engine) -> None:
    headers = admin_of(client, db, ["31555"])
    for communes in (["31069"], ["31555", "31069"], None):
        body = {"email": "x@ville.fr", "role": "analyst", "communes": communes}
        refused = client.post(ACCOUNTS, json=body, headers=headers)
        assert refused.status_code == 403, communes
        assert "périmètre" in refused.json()["detail"]
    make_group(db, "ouest", ["31555", "31069"])
    through_group = client.post(
        ACCOUNTS,
        json={"email": "x@ville.fr", "role": "analyst", "communes": [], "groups": ["ouest"]},
        headers=headers,
    )
    assert through_group.status_code == 403
    made = client.post(
        ACCOUNTS,
        json={"email": "X@Ville.fr", "role": "police", "communes": ["31555"]},
        headers=headers,
    )
    assert made.status_code == 200
    created = made.json()
    assert created["email"] == "x@ville.fr" and len(created["temporary_password"]) >= 12
    first = login(other_client(client), "x@ville.fr", created["temporary_password"])
    assert first.status_code == 200
    assert first.json()["must_change_password"] and first.json()["enrolment_required"]


def test_admin_of_a_cannot_see_or_edit_accounts_of_b(client: TestClient, db: Engine) -> None:
    theirs, _ = make_account(db, "b@ville.fr", "analyst", ["31069"])
    everyone, _ = make_account(db, "tous@ville.fr", "analyst")
    mine, _ = make_account(db, "a@ville.fr", "analyst", ["31555"])
    headers = admin_of(client, db, ["31555"])
    listed = client.get(ACCOUNTS).json()
    assert sorted(a["email"] for a in listed) == ["a@ville.fr", "chef@ville.fr"]
    for target in (theirs, everyone):
        for response in (
            client.put(f"{ACCOUNTS}/{target}", json={"role": "partner"}, headers=headers),
            client.put(f"{ACCOUNTS}/{target}", json={"disabled": True}, headers=headers),
            client.post(f"{ACCOUNTS}/{target}/reset-password", headers=headers),
            client.post(f"{ACCOUNTS}/{target}/reset-totp", headers=headers),
        ):
            assert response.status_code == 403
    widen = client.put(f"{ACCOUNTS}/{mine}", json={"communes": None}, headers=headers)
    assert widen.status_code == 403
    assert client.put(f"{ACCOUNTS}/999999", json={}, headers=headers).status_code == 404
    changed = client.put(f"{ACCOUNTS}/{mine}", json={"role": "partner"}, headers=headers)
    assert changed.status_code == 200
    assert changed.json()["role"] == "partner" and changed.json()["scope"] == ["31555"]
    entries = [r for r in audit_rows(db) if r[2] == "compte modifié"]
    assert len(entries) == 1
    assert entries[0][4]["before"]["role"] == "analyst"
    assert entries[0][4]["after"]["role"] == "partner"


def test_disabling_or_resetting_an_account_ends_its_sessions(
    client: TestClient, db: Engine
) -> None:
    target, _ = make_account(db, "a@ville.fr", "analyst", ["31555"])
    browser = other_client(client)
    signed_in(browser, "a@ville.fr")
    headers = admin_of(client, db, None)
    reset = client.post(f"{ACCOUNTS}/{target}/reset-password", headers=headers)
    assert reset.status_code == 200
    assert browser.get("/api/v1/me").status_code == 401
    temporary = reset.json()["temporary_password"]
    assert login(browser, "a@ville.fr", temporary).json()["must_change_password"]
    off = client.put(f"{ACCOUNTS}/{target}", json={"disabled": True}, headers=headers)
    assert off.status_code == 200 and off.json()["disabled"]
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert login(browser, "a@ville.fr", temporary).status_code == 401
    on = client.put(f"{ACCOUNTS}/{target}", json={"disabled": False}, headers=headers)
    assert on.json()["disabled"] is False
    assert login(browser, "a@ville.fr", temporary).status_code == 200


def test_reset_totp_makes_the_account_enrol_again(client: TestClient, db: Engine) -> None:
    target, _ = make_account(db, "p@ville.fr", "police", with_totp=True)
    headers = admin_of(client, db, None)
    assert client.post(f"{ACCOUNTS}/{target}/reset-totp", headers=headers).status_code == 204
    again = login(other_client(client), "p@ville.fr")
    assert again.status_code == 200 and again.json()["enrolment_required"]


def test_groups_within_the_admins_scope(client: TestClient, db: Engine) -> None:
    make_group(db, "ouest", ["31555", "31069"])
    headers = admin_of(client, db, ["31555", "31001"])
    assert client.get(GROUPS).json() == []
    outside = client.post(GROUPS, json={"name": "x", "communes": ["31069"]}, headers=headers)
    assert outside.status_code == 403
    assert client.put(f"{GROUPS}/ouest", json={"label": "W"}, headers=headers).status_code == 403
    assert client.delete(f"{GROUPS}/ouest", headers=headers).status_code == 403
    bad = client.post(GROUPS, json={"name": "x", "communes": ["3155"]}, headers=headers)
    assert bad.status_code == 422 and "INSEE" in bad.json()["detail"]
    made = client.post(
        GROUPS,
        json={"name": "cispd-centre", "label": "CISPD du centre", "communes": ["31555", "31001"]},
        headers=headers,
    )
    assert made.status_code == 200
    assert made.json() == {
        "name": "cispd-centre",
        "label": "CISPD du centre",
        "communes": ["31001", "31555"],
    }
    widened = client.put(
        f"{GROUPS}/cispd-centre", json={"communes": ["31555", "31069"]}, headers=headers
    )
    assert widened.status_code == 403
    assert [g["name"] for g in client.get(GROUPS).json()] == ["cispd-centre"]
    assert client.delete(f"{GROUPS}/cispd-centre", headers=headers).status_code == 204
    actions = [r[2] for r in audit_rows(db)]
    assert "groupe créé" in actions and "groupe supprimé" in actions


def test_non_admins_are_refused_the_administration(client: TestClient, db: Engine) -> None:
    make_account(db, "a@ville.fr", "analyst")
    token = signed_in(client, "a@ville.fr")
    assert client.get(ACCOUNTS).status_code == 403
    body = {"email": "x@ville.fr", "role": "admin", "communes": None}
    assert client.post(ACCOUNTS, json=body, headers=csrf(token)).status_code == 403
