"""observatory user … and group …, and token create's scope and expiry, in this process."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from tests.accounts import PASSWORD, login
from tests.conftest import TEST_SECRET, auth

Run = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, db: Engine, monkeypatch: pytest.MonkeyPatch) -> Run:
    from observatory.cli import app
    from observatory.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OBS_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("OBS_ENVIRONMENT", "test")

    def run(*args: str, stdin: str | None = None) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), input=stdin)
        finally:
            get_settings.cache_clear()

    return run


def test_user_create_prints_a_temporary_password_that_signs_in(
    cli: Run, client: TestClient
) -> None:
    made = cli("user", "create", "Agent@Ville.fr", "--role", "analyst", "--communes", "31555")
    assert made.exit_code == 0, made.output
    assert "Compte « agent@ville.fr » créé (analyst, 31555)" in made.output
    temporary = made.output.split("connexion) : ")[1].strip()
    signed = login(client, "agent@ville.fr", temporary)
    assert signed.status_code == 200 and signed.json()["must_change_password"]
    again = cli("user", "create", "agent@ville.fr", "--role", "analyst", "--all")
    assert again.exit_code == 1 and "existe déjà" in again.output


def test_user_create_needs_a_scope_and_checks_a_given_password(cli: Run) -> None:
    assert cli("user", "create", "a@ville.fr", "--role", "analyst").exit_code == 2
    both = cli("user", "create", "a@ville.fr", "--role", "analyst", "--all", "--communes", "31555")
    assert both.exit_code == 2
    weak = cli(
        "user",
        "create",
        "a@ville.fr",
        "--role",
        "analyst",
        "--all",
        "--password-stdin",
        stdin="azertyuiop123\n",
    )
    assert weak.exit_code == 1 and "plus courants" in weak.output
    good = cli(
        "user",
        "create",
        "a@ville.fr",
        "--role",
        "police",
        "--all",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert good.exit_code == 0 and "provisoire" not in good.output
    assert "double authentification" in good.output


def test_user_list_disable_enable_reset(cli: Run, client: TestClient) -> None:
    cli("group", "create", "ouest", "--communes", "31069,31555", "--label", "Ouest")
    cli(
        "user",
        "create",
        "a@ville.fr",
        "--role",
        "analyst",
        "--group",
        "ouest",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    listed = json.loads(cli("user", "list", "--json").output)
    assert [(a["email"], a["scope"], a["groups"]) for a in listed] == [
        ("a@ville.fr", ["31069", "31555"], ["ouest"])
    ]
    assert cli("user", "disable", "a@ville.fr").exit_code == 0
    assert login(client, "a@ville.fr").status_code == 401
    assert cli("user", "enable", "A@ville.fr").exit_code == 0
    assert login(client, "a@ville.fr").status_code == 200
    reset = cli("user", "reset-password", "a@ville.fr")
    assert reset.exit_code == 0
    assert client.get("/api/v1/auth/me").status_code == 401  # its sessions ended
    assert cli("user", "reset-totp", "a@ville.fr").exit_code == 0
    assert cli("user", "disable", "personne@ville.fr").exit_code == 1
    audit = cli("audit")
    assert "compte modifié" in audit.output and "connexion" in audit.output
    assert "testclient" in audit.output  # the address of the sign-ins


def test_groups_and_scoped_expiring_tokens(cli: Run, client: TestClient, db: Engine) -> None:
    assert cli("group", "create", "Mauvais Nom", "--communes", "31555").exit_code == 1
    assert cli("group", "create", "ouest", "--communes", "31069,31555").exit_code == 0
    assert "ouest\t\t31069, 31555" in cli("group", "list").output
    made = cli(
        "token",
        "create",
        "script",
        "--role",
        "analyst",
        "--group",
        "ouest",
        "--communes",
        "31001",
        "--days",
        "3",
    )
    assert made.exit_code == 0, made.output
    me = client.get("/api/v1/me", headers=auth(made.output.strip())).json()
    assert me["communes"] == ["31001", "31069", "31555"]
    with db.connect() as conn:
        left = conn.execute(
            text("SELECT expires_at - now() FROM api_token WHERE name = 'script'")
        ).scalar_one()
    assert 2.9 < left.total_seconds() / 86400 <= 3
    assert cli("token", "create", "x", "--role", "analyst", "--group", "nulle").exit_code == 1
    # Still named by the token: kept, until the token is revoked.
    refused = cli("group", "delete", "ouest")
    assert refused.exit_code == 1 and "1 jeton(s)" in refused.output
    assert cli("token", "revoke", "script").exit_code == 0
    assert cli("group", "delete", "ouest").exit_code == 0
    assert "ouest" not in cli("group", "list").output
    plain = cli("token", "create", "tout", "--role", "partner")
    assert client.get("/api/v1/me", headers=auth(plain.output.strip())).json()["communes"] is None
