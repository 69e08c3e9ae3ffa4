"""Accounts for the tests: made straight in the database, signed in through the API."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine

from observatory.accounts import totp
from observatory.accounts.actors import Actor
from observatory.accounts.groups import create_group
from observatory.accounts.passwords import hash_password
from observatory.db import make_sessionmaker
from observatory.models import Account
from tests.conftest import TEST_SECRET

PASSWORD = "cheval agrafe batterie correcte"
EVERYWHERE = Actor(name="tests", role="admin")


def make_account(
    engine: Engine,
    email: str,
    role: str,
    communes: Iterable[str] | None = None,
    *,
    groups: Iterable[str] = (),
    with_totp: bool = False,
    must_change: bool = False,
) -> tuple[int, str | None]:
    """An account with PASSWORD (its id), and its TOTP secret when it has one enabled."""
    with make_sessionmaker(engine).begin() as session:
        # Straight into the table with one hash made once: Argon2id costs a quarter second.
        account = Account(
            email=email,
            role=role,
            communes=None if communes is None else sorted(communes),
            groups=list(groups),
            password_hash=password_hash(),
        )
        session.add(account)
        session.flush()
        secret = None
        if with_totp:
            secret = totp.new_secret()
            # Sealed as the API seals it (observatory/accounts/totp.py), under the tests' key.
            account.totp_secret = totp.seal(secret, TEST_SECRET)
            account.totp_enabled_at = datetime.now(UTC)
        account.must_change_password = must_change
        return account.id, secret


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def make_group(engine: Engine, name: str, communes: Iterable[str]) -> None:
    with make_sessionmaker(engine).begin() as session:
        create_group(session, EVERYWHERE, name, list(communes))


def set_password_hash(engine: Engine, account_id: int, password: str) -> None:
    with make_sessionmaker(engine).begin() as session:
        session.get_one(Account, account_id).password_hash = hash_password(password)


def code_now(secret: str, offset: int = 0) -> str:
    """The TOTP code of now (or of ``offset`` steps away)."""
    return totp.code_at(secret, time.time() + 30 * offset)


def login(
    client: TestClient, email: str, password: str = PASSWORD, code: str | None = None
) -> Response:
    body: dict[str, Any] = {"email": email, "password": password}
    if code is not None:
        body["code"] = code
    return client.post("/api/v1/auth/login", json=body)


def signed_in(client: TestClient, email: str, code: str | None = None) -> str:
    """Sign in (the cookie kept by the client); the session's CSRF token."""
    response = login(client, email, code=code)
    assert response.status_code == 200, response.text
    return str(response.json()["csrf"])


def csrf(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


def other_client(client: TestClient, address: str = "testclient") -> TestClient:
    """Another browser on the same running app (its own cookies), from this address."""
    return TestClient(client.app, raise_server_exceptions=False, client=(address, 50000))
