"""Sessions: keyed hashes only, sliding expiry within a maximum age, CSRF derived from the
cookie, revocation."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.accounts.sessions import (
    csrf_matches,
    csrf_token,
    find_session,
    open_session,
    revoke_all,
    revoke_session,
)
from observatory.models import Account, AccountSession
from observatory.settings import Settings

KEY = "test-secret-key-long-enough-for-production-0123456789"


def account(session: Session, role: str = "analyst") -> Account:
    made = Account(email=f"{role}@ville.fr", role=role, communes=["31555"], password_hash="x")
    session.add(made)
    session.flush()
    return made


def test_only_a_keyed_hash_is_stored_and_the_cookie_finds_its_session(session: Session) -> None:
    settings = Settings(secret_key=KEY, environment="test")
    raw = open_session(session, account(session), settings, second_factor=False, address="1.2.3.4")
    stored = session.scalars(select(AccountSession)).one()
    assert raw not in (stored.token_hash, stored.csrf_hash) and len(raw) >= 43
    found = find_session(session, raw, settings)
    assert found is not None and found.communes == frozenset({"31555"})
    assert found.csrf == csrf_token(raw, KEY)
    assert csrf_matches(raw, found.csrf, KEY) and not csrf_matches(raw, None, KEY)
    assert find_session(session, raw + "x", settings) is None
    assert find_session(session, raw, Settings(secret_key="another", environment="test")) is None


def test_expiry_slides_with_use_but_never_past_the_maximum_age(session: Session) -> None:
    settings = Settings(secret_key=KEY, environment="test", session_hours=8, session_max_hours=24)
    raw = open_session(session, account(session), settings, second_factor=False)
    stored = session.scalars(select(AccountSession)).one()
    now = datetime.now(UTC)
    # Used 7 h later: pushed to 8 h after that use.
    assert find_session(session, raw, settings, now=now + timedelta(hours=7)) is not None
    session.refresh(stored)
    assert abs(stored.expires_at - (now + timedelta(hours=15))) < timedelta(minutes=1)
    # Used again 14 h then 21 h after opening: pushed, but capped at 24 h after opening.
    assert find_session(session, raw, settings, now=now + timedelta(hours=14)) is not None
    assert find_session(session, raw, settings, now=now + timedelta(hours=21)) is not None
    session.refresh(stored)
    assert abs(stored.expires_at - (stored.created_at + timedelta(hours=24))) < timedelta(seconds=1)
    assert find_session(session, raw, settings, now=now + timedelta(hours=24, minutes=1)) is None
    # Unused for longer than the sliding hours: ended.
    other = open_session(session, account(session, "partner"), settings, second_factor=False)
    assert find_session(session, other, settings, now=now + timedelta(hours=8, minutes=5)) is None


def test_pending_sessions_and_revocation(session: Session) -> None:
    settings = Settings(secret_key=KEY, environment="test")
    police = account(session, "police")
    first = open_session(session, police, settings, second_factor=False)
    second = open_session(session, police, settings, second_factor=True)
    pending = find_session(session, first, settings)
    assert pending is not None and pending.pending is not None and pending.enrolment_required
    done = find_session(session, second, settings)
    assert done is not None and done.pending is None
    revoke_session(session, done.session_id)
    assert find_session(session, second, settings) is None
    third = open_session(session, police, settings, second_factor=True)
    assert revoke_all(session, police.id) == 2
    assert find_session(session, first, settings) is None
    assert find_session(session, third, settings) is None
