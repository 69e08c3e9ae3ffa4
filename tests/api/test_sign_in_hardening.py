"""Sign-in against the attacks of the security review: a third party keeping the owner out,
a timing oracle on existing accounts, guessing the current password through its change, a
flood of Argon2 checks, and guessing the second factor once the password is known."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.accounts import signin
from observatory.db import make_sessionmaker
from observatory.models import Account
from tests.accounts import (
    PASSWORD,
    code_now,
    csrf,
    login,
    make_account,
    other_client,
    signed_in,
)
from tests.conftest import audit_rows

TLS = "31555"


def test_the_owners_device_signs_in_while_an_attacker_sprays_the_account(
    client: TestClient, db: Engine
) -> None:
    make_account(db, "maire@ville.fr", "analyst", [TLS])
    make_account(db, "autre@ville.fr", "analyst", [TLS])
    owner = other_client(client, "198.51.100.7")
    first = login(owner, "maire@ville.fr")
    assert first.status_code == 200
    statuses = [
        login(
            other_client(client, f"203.0.113.{i}"), "maire@ville.fr", "mauvais mot de passe"
        ).status_code
        for i in range(12)
    ]
    # Ten free failures, then the account-wide delay slows the attacker down.
    assert statuses[:10] == [401] * 10 and 429 in statuses[10:]
    assert login(other_client(client, "203.0.113.99"), "maire@ville.fr").status_code == 429
    # A browser without the device cookie waits; one with another account's cookie too.
    stranger = other_client(client, "198.51.100.8")
    assert login(stranger, "autre@ville.fr").status_code == 200
    assert login(stranger, "maire@ville.fr").status_code == 429
    # The owner's browser, with its device cookie, is not kept out, from any address.
    assert login(owner, "maire@ville.fr").status_code == 200
    owner_elsewhere = other_client(client, "192.0.2.1")
    owner_elsewhere.cookies.set("obs_device", owner.cookies.get("obs_device") or "")
    assert login(owner_elsewhere, "maire@ville.fr").status_code == 200
    set_cookie = ";".join(first.headers.get_list("set-cookie"))
    assert "obs_device=" in set_cookie and "Path=/api/v1/auth" in set_cookie
    assert "HttpOnly" in set_cookie and "Max-Age=" in set_cookie


def timed_verifications(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    """The (start, end) of every password verification of sign-ins, as the server runs them."""
    seen: list[tuple[float, float]] = []
    verify: Callable[[str | None, str], bool] = signin.verify_password

    def timed(stored: str | None, password: str) -> bool:
        start = time.perf_counter()
        try:
            return verify(stored, password)
        finally:
            seen.append((start, time.perf_counter()))

    monkeypatch.setattr(signin, "verify_password", timed)
    return seen


def together(client: TestClient, email: str, count: int) -> list[int]:
    """``count`` wrong sign-ins on ``email`` at once, each from its own address."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def attempt(i: int) -> None:
        browser = other_client(client, f"10.9.{len(email)}.{i}")
        barrier.wait()
        statuses.append(login(browser, email, "mauvais mot de passe").status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def overlapping(intervals: list[tuple[float, float]]) -> bool:
    ordered = sorted(intervals)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered))


def test_an_existing_account_is_checked_in_parallel_like_an_unknown_one(
    client: TestClient, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(db, "existe@ville.fr", "analyst", [TLS])
    seen = timed_verifications(monkeypatch)
    assert together(client, "personne@ville.fr", 4) == [401] * 4
    unknown = list(seen)
    seen.clear()
    assert together(client, "existe@ville.fr", 4) == [401] * 4
    known = list(seen)
    # No row lock held during Argon2: an existing account's attempts do not queue one after
    # the other (which a timing would tell from an unknown address's).
    assert len(known) == len(unknown) == 4
    assert overlapping(unknown) and overlapping(known)


def test_wrong_current_passwords_are_throttled_and_audited(client: TestClient, db: Engine) -> None:
    make_account(db, "a@ville.fr", "analyst", [TLS])
    token = signed_in(client, "a@ville.fr")
    new = "une toute autre phrase secrète"
    statuses = [
        client.post(
            "/api/v1/auth/password", json={"current": f"essai {i}", "new": new}, headers=csrf(token)
        ).status_code
        for i in range(6)
    ]
    assert statuses == [403] * 5 + [429]
    right = client.post(
        "/api/v1/auth/password", json={"current": PASSWORD, "new": new}, headers=csrf(token)
    )
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    assert "réessayez" in right.json()["detail"]
    refused = [row for row in audit_rows(db) if row[2] == "mot de passe actuel refusé"]
    assert len(refused) == 5 and refused[0][0] == "a@ville.fr"


def test_beyond_the_concurrent_password_checks_a_sign_in_is_answered_503(
    client: TestClient, db: Engine
) -> None:
    from observatory.accounts import passwords

    make_account(db, "a@ville.fr", "analyst", [TLS])
    passwords.limit_checks(1)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with passwords._turn():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(5)
        busy = login(client, "a@ville.fr")
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == str(passwords.RETRY_AFTER)
        assert "réessayez" in busy.json()["detail"]
    finally:
        release.set()
        holder.join()
        passwords.limit_checks(passwords.DEFAULT_CHECKS)
    assert login(client, "a@ville.fr").status_code == 200


def totp_state(db: Engine, account_id: int) -> tuple[int, object]:
    with make_sessionmaker(db).begin() as session:
        account = session.get_one(Account, account_id)
        return account.totp_failures, account.totp_locked_until


def test_ten_wrong_codes_lock_the_second_factor_until_an_administrators_reset(
    client: TestClient, db: Engine
) -> None:
    account, secret = make_account(db, "p@ville.fr", "police", [TLS], with_totp=True)
    assert secret is not None
    answers = [
        login(other_client(client, f"10.7.0.{i}"), "p@ville.fr", code="000000")
        for i in range(signin.TOTP_LIMIT)
    ]
    assert [a.status_code for a in answers] == [401] * 9 + [429]
    assert answers[-1].json()["second_factor"] == "locked"
    assert "bloquée" in answers[-1].json()["detail"]
    failures, locked = totp_state(db, account)
    assert failures == 0 and locked is not None  # counted again from nought after the lock
    # Counted in the database: another process (its throttle forgotten here) refuses too,
    # even the right code.
    client.app.state.sign_ins.clear()  # type: ignore[attr-defined]
    right = login(other_client(client, "10.7.1.1"), "p@ville.fr", code=code_now(secret))
    assert right.status_code == 429 and right.json()["second_factor"] == "locked"
    assert int(right.headers["Retry-After"]) > 3000
    actions = [row[2] for row in audit_rows(db)]
    assert actions.count("double authentification bloquée") == 1
    with make_sessionmaker(db).begin() as session:
        from observatory.accounts.store import reset_totp
        from tests.accounts import EVERYWHERE

        reset_totp(session, EVERYWHERE, session.get_one(Account, account))
    assert totp_state(db, account) == (0, None)
    client.app.state.sign_ins.clear()  # type: ignore[attr-defined]
    again = login(other_client(client, "10.7.1.2"), "p@ville.fr")
    assert again.status_code == 200 and again.json()["enrolment_required"]


def test_a_right_code_resets_the_count_of_wrong_ones(client: TestClient, db: Engine) -> None:
    account, secret = make_account(db, "q@ville.fr", "police", [TLS], with_totp=True)
    assert secret is not None
    for i in range(3):
        wrong = login(other_client(client, f"10.6.0.{i}"), "q@ville.fr", code="000000")
        assert wrong.status_code == 401
    assert totp_state(db, account) == (3, None)
    assert login(client, "q@ville.fr", code=code_now(secret)).status_code == 200
    assert totp_state(db, account) == (0, None)
    with db.connect() as conn:
        kept = conn.execute(text("SELECT totp_failures FROM account WHERE id = :i"), {"i": account})
        assert kept.scalar_one() == 0
