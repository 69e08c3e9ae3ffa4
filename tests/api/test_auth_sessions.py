"""Signing in with a password and a second factor, the session cookie, signing out, expiry,
and the tokens a signed-in person makes, through the real app and database."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.accounts import (
    PASSWORD,
    code_now,
    csrf,
    login,
    make_account,
    other_client,
    signed_in,
)
from tests.conftest import audit_rows, auth

ME = "/api/v1/me"


def test_sign_in_sets_a_strict_http_only_cookie_and_answers_the_contract(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "analyste@ville.fr", "analyst", ["31555", "31069"])
    response = login(client, "Analyste@Ville.fr")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "email": "analyste@ville.fr",
        "role": "analyst",
        "role_label": "analyste",
        "communes": ["31069", "31555"],
        "scope_label": "31069, 31555",
        "totp_enabled": False,
        "must_change_password": False,
        "enrolment_required": False,
        "csrf": body["csrf"],
    }
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("obs_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # environment "test"
    me = client.get(ME).json()
    assert me == {
        "name": "analyste@ville.fr",
        "role": "analyst",
        "communes": ["31069", "31555"],
        "account": me["account"],
    }
    assert isinstance(me["account"], int)
    again = client.get("/api/v1/auth/me")
    assert again.status_code == 200 and again.json()["csrf"] == body["csrf"]
    assert ("analyste@ville.fr", "analyst", "connexion") in [r[:3] for r in audit_rows(db)]


def test_cookie_is_secure_outside_development(database_url: str, db: Engine) -> None:
    from api.main import create_app
    from tests.conftest import api_settings

    make_account(db, "a@ville.fr", "analyst")
    app = create_app(api_settings(database_url, cookie_secure="true"))
    with TestClient(app) as secure:
        assert "Secure" in login(secure, "a@ville.fr").headers["set-cookie"]


def test_wrong_password_and_unknown_or_disabled_account_are_the_same_401(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "a@ville.fr", "analyst")
    with db.begin() as conn:
        conn.execute(text("UPDATE account SET disabled_at = now() WHERE email = 'a@ville.fr'"))
    make_account(db, "b@ville.fr", "analyst")
    answers = [
        login(client, "b@ville.fr", "pas le bon mot de passe"),
        login(client, "personne@ville.fr"),
        login(client, "a@ville.fr"),
    ]
    for response in answers:
        assert response.status_code == 401
        assert response.json()["detail"] == "Adresse ou mot de passe incorrect."
        assert "second_factor" not in response.json()
        assert "set-cookie" not in response.headers
    refused = [r for r in audit_rows(db) if r[2] == "connexion refusée"]
    assert [r[0] for r in refused] == ["b@ville.fr", "personne@ville.fr", "a@ville.fr"]
    with db.connect() as conn:
        addresses = conn.execute(
            text("SELECT address FROM audit_log WHERE action = 'connexion refusée'")
        ).scalars()
        assert set(addresses) == {"testclient"}


def test_second_factor_required_wrong_then_right_and_not_replayed(
    client: TestClient, db: Engine
) -> None:
    _, secret = make_account(db, "police@ville.fr", "police", with_totp=True)
    assert secret is not None
    missing = login(client, "police@ville.fr")
    assert missing.status_code == 401
    assert missing.json()["second_factor"] == "required"
    assert "six chiffres" in missing.json()["detail"]
    wrong_code = "000000" if code_now(secret) != "000000" else "111111"
    wrong = login(client, "police@ville.fr", code=wrong_code)
    assert wrong.status_code == 401 and wrong.json()["second_factor"] == "wrong"
    # The right code with a wrong password says nothing of the code.
    bad = login(client, "police@ville.fr", "pas le bon mot de passe", code=code_now(secret))
    assert bad.status_code == 401 and "second_factor" not in bad.json()
    code = code_now(secret)
    right = login(client, "police@ville.fr", code=code)
    assert right.status_code == 200 and right.json()["totp_enabled"]
    assert client.get(ME).status_code == 200
    replayed = other_client(client).post(
        "/api/v1/auth/login", json={"email": "police@ville.fr", "password": PASSWORD, "code": code}
    )
    assert replayed.status_code == 401 and replayed.json()["second_factor"] == "wrong"


def test_admin_without_second_factor_must_enrol_before_any_data(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "admin@ville.fr", "admin")
    body = login(client, "admin@ville.fr").json()
    assert body["enrolment_required"] is True
    token = body["csrf"]
    for path in (ME, "/api/v1/tokens", "/api/v1/admin/accounts"):
        refused = client.get(path)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "Activez la double authentification avant d'accéder aux données."
        )
    assert client.get("/api/v1/auth/me").status_code == 200
    enrol = client.post("/api/v1/auth/totp/enrol", headers=csrf(token)).json()
    assert enrol["uri"].startswith("otpauth://totp/Observatoire:")
    assert enrol["qr_svg"].startswith("<svg")
    with db.connect() as conn:
        stored = conn.execute(
            text("SELECT totp_secret FROM account WHERE email = 'admin@ville.fr'")
        ).scalar_one()
    assert enrol["secret"] not in stored  # sealed: a copy of the database gives no code
    wrong = client.post("/api/v1/auth/totp/confirm", json={"code": "12"}, headers=csrf(token))
    assert wrong.status_code == 422
    confirmed = client.post(
        "/api/v1/auth/totp/confirm",
        json={"code": code_now(enrol["secret"])},
        headers=csrf(token),
    )
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert client.get(ME).json()["role"] == "admin"
    assert client.get("/api/v1/auth/me").json()["totp_enabled"] is True
    # A recovery code signs in once, from another browser.
    browser = other_client(client)
    assert login(browser, "admin@ville.fr", code=codes[0]).status_code == 200
    assert login(browser, "admin@ville.fr", code=codes[0]).json()["second_factor"] == "wrong"
    actions = [r[2] for r in audit_rows(db)]
    assert "double authentification activée" in actions


def test_temporary_password_must_be_changed_first(client: TestClient, db: Engine) -> None:
    make_account(db, "a@ville.fr", "analyst", must_change=True)
    body = login(client, "a@ville.fr").json()
    assert body["must_change_password"] is True
    refused = client.get(ME)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Choisissez un nouveau mot de passe avant de continuer."
    weak = client.post(
        "/api/v1/auth/password",
        json={"current": PASSWORD, "new": "azertyuiop123"},
        headers=csrf(body["csrf"]),
    )
    assert weak.status_code == 422 and "courants" in weak.json()["detail"]
    changed = client.post(
        "/api/v1/auth/password",
        json={"current": PASSWORD, "new": "lune brique sardine soixante"},
        headers=csrf(body["csrf"]),
    )
    assert changed.status_code == 204
    assert client.get(ME).status_code == 200
    assert login(other_client(client), "a@ville.fr").status_code == 401
    assert login(other_client(client), "a@ville.fr", "lune brique sardine soixante").is_success


def test_logout_and_logout_everywhere_end_sessions_at_once(client: TestClient, db: Engine) -> None:
    make_account(db, "a@ville.fr", "analyst")
    first = signed_in(client, "a@ville.fr")
    second_browser = other_client(client)
    second = signed_in(second_browser, "a@ville.fr")
    stolen = client.cookies["obs_session"]
    out = client.post("/api/v1/auth/logout", headers=csrf(first))
    assert out.status_code == 204
    assert 'obs_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    replay = other_client(client)
    replay.cookies.set("obs_session", stolen)
    assert replay.get(ME).status_code == 401
    assert second_browser.get(ME).status_code == 200
    third_browser = other_client(client)
    signed_in(third_browser, "a@ville.fr")
    everywhere = second_browser.post("/api/v1/auth/logout-everywhere", headers=csrf(second))
    assert everywhere.status_code == 204
    assert third_browser.get(ME).status_code == 401
    assert third_browser.get(ME).json()["detail"].startswith("Session expirée ou fermée")


def test_expired_and_too_old_sessions_are_refused(client: TestClient, db: Engine) -> None:
    make_account(db, "a@ville.fr", "analyst")
    signed_in(client, "a@ville.fr")
    assert client.get(ME).status_code == 200
    with db.begin() as conn:
        conn.execute(text("UPDATE account_session SET expires_at = now() - interval '1 second'"))
    assert client.get(ME).status_code == 401
    signed_in(client, "a@ville.fr")
    with db.begin() as conn:
        conn.execute(
            text(
                "UPDATE account_session SET created_at = now() - interval '25 hours', "
                "last_seen_at = now() WHERE revoked_at IS NULL"
            )
        )
    assert client.get(ME).status_code == 401


def test_disabled_account_loses_its_session_at_once(client: TestClient, db: Engine) -> None:
    make_account(db, "a@ville.fr", "analyst")
    signed_in(client, "a@ville.fr")
    assert client.get(ME).status_code == 200
    with db.begin() as conn:
        conn.execute(text("UPDATE account SET disabled_at = now()"))
    assert client.get(ME).status_code == 401


def test_tokens_made_by_a_person_are_never_wider_than_the_account(
    client: TestClient, db: Engine
) -> None:
    account_id, _ = make_account(db, "a@ville.fr", "analyst", ["31555", "31069"])
    token = signed_in(client, "a@ville.fr")
    wider_role = client.post(
        "/api/v1/auth/tokens",
        json={"name": "t1", "days": 30, "role": "police"},
        headers=csrf(token),
    )
    assert wider_role.status_code == 403
    wider_scope = client.post(
        "/api/v1/auth/tokens",
        json={"name": "t1", "days": 30, "communes": ["31555", "31001"]},
        headers=csrf(token),
    )
    assert wider_scope.status_code == 403 and "périmètre" in wider_scope.json()["detail"]
    too_long = client.post(
        "/api/v1/auth/tokens", json={"name": "t1", "days": 366}, headers=csrf(token)
    )
    assert too_long.status_code == 422
    made = client.post(
        "/api/v1/auth/tokens",
        json={"name": "script", "days": 30, "role": "partner", "communes": ["31555"]},
        headers=csrf(token),
    )
    assert made.status_code == 200
    created = made.json()
    assert created["communes"] == ["31555"] and created["role"] == "partner"
    whole = client.post(
        "/api/v1/auth/tokens", json={"name": "tout", "days": 1}, headers=csrf(token)
    ).json()
    assert whole["communes"] == ["31069", "31555"] and whole["role"] == "analyst"
    bearer = other_client(client)
    assert bearer.get(ME, headers=auth(created["token"])).json()["communes"] == ["31555"]
    listed = client.get("/api/v1/auth/tokens").json()
    assert [t["name"] for t in listed] == ["script", "tout"]
    assert all("token" not in t for t in listed)
    # The account narrowed: its tokens at once.
    with db.begin() as conn:
        conn.execute(
            text("UPDATE account SET communes = '{31069}', role = 'partner' WHERE id = :id"),
            {"id": account_id},
        )
    narrowed = bearer.get(ME, headers=auth(whole["token"])).json()
    assert narrowed["communes"] == ["31069"] and narrowed["role"] == "partner"
    assert bearer.get(ME, headers=auth(created["token"])).json()["communes"] == []
    with db.begin() as conn:
        disable = text("UPDATE account SET disabled_at = now() WHERE id = :id")
        conn.execute(disable, {"id": account_id})
    assert bearer.get(ME, headers=auth(whole["token"])).status_code == 401


def test_a_token_cannot_make_tokens_and_revocation_is_own_only(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "a@ville.fr", "analyst")
    make_account(db, "b@ville.fr", "analyst")
    token = signed_in(client, "a@ville.fr")
    raw = client.post(
        "/api/v1/auth/tokens", json={"name": "a-script", "days": 5}, headers=csrf(token)
    ).json()["token"]
    by_token = other_client(client).post(
        "/api/v1/auth/tokens", json={"name": "x", "days": 5}, headers=auth(raw)
    )
    assert by_token.status_code == 403
    other = other_client(client)
    other_csrf = signed_in(other, "b@ville.fr")
    assert other.delete("/api/v1/auth/tokens/a-script", headers=csrf(other_csrf)).status_code == 404
    assert client.delete("/api/v1/auth/tokens/a-script", headers=csrf(token)).status_code == 204
    assert other_client(client).get(ME, headers=auth(raw)).status_code == 401
    actions = [r[2] for r in audit_rows(db)]
    assert "jeton créé" in actions and "jeton révoqué" in actions


def test_repeated_failures_are_throttled_with_retry_after_but_not_elsewhere(
    client: TestClient, db: Engine
) -> None:
    _, secret = make_account(db, "police@ville.fr", "police", with_totp=True)
    assert secret is not None
    statuses = [login(client, "police@ville.fr", code=f"{n:06d}").status_code for n in range(1, 8)]
    assert statuses == [401] * 5 + [429] * 2
    paused = login(client, "police@ville.fr", code=code_now(secret))
    assert paused.status_code == 429
    assert int(paused.headers["retry-after"]) > 0
    assert "réessayez dans" in paused.json()["detail"]
    # The owner, from another address, still signs in.
    owner = other_client(client, "192.0.2.10")
    assert login(owner, "police@ville.fr", code=code_now(secret)).status_code == 200
