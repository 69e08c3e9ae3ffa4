"""Browser sessions: a cookie of 256 random bits, kept only as a keyed hash, like the tokens.

A session lasts ``OBS_SESSION_HOURS`` after its last request (sliding: ``last_seen_at`` is
written at most once a minute, and pushes ``expires_at`` on) and never more than
``OBS_SESSION_MAX_HOURS`` after it opened. Its CSRF token is derived from the cookie
(HMAC of the secret key and « csrf: » + the cookie): /auth/me can give it again after a reload,
and it is worth nothing without the cookie. Sessions are looked up at every request, not
cached: a sign-out, a disabled account or a narrowed scope takes effect at the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from observatory.models import Account, AccountSession
from observatory.scopes import Scope, resolve
from observatory.settings import Settings
from observatory.tokens import group_communes, hash_token

COOKIE = "obs_session"
CSRF_HEADER = "X-CSRF-Token"
SEEN_PRECISION = timedelta(minutes=1)
# The roles that see individual facts must give a second factor.
SECOND_FACTOR_ROLES = ("admin", "police")
ENROL_FIRST = "Activez la double authentification avant d'accéder aux données."
CHANGE_PASSWORD_FIRST = "Choisissez un nouveau mot de passe avant de continuer."  # noqa: S105


@dataclass(frozen=True)
class SignedIn:
    """A live session and its account as it now is."""

    session_id: int
    account_id: int
    email: str
    role: str
    communes: Scope
    second_factor: bool
    totp_enabled: bool
    must_change_password: bool
    csrf: str

    @property
    def pending(self) -> str | None:
        """Why this session may only use /auth/* yet (French), or None when it may use all."""
        if not self.second_factor and (self.totp_enabled or self.role in SECOND_FACTOR_ROLES):
            return ENROL_FIRST
        if self.must_change_password:
            return CHANGE_PASSWORD_FIRST
        return None

    @property
    def enrolment_required(self) -> bool:
        return not self.totp_enabled and self.role in SECOND_FACTOR_ROLES


def csrf_token(raw: str, secret_key: str) -> str:
    """The CSRF token of a session cookie."""
    return hmac.new(secret_key.encode(), ("csrf:" + raw).encode(), hashlib.sha256).hexdigest()


def csrf_matches(raw: str, presented: str | None, secret_key: str) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(raw, secret_key), presented)


def account_scope(session: Session, account: Account) -> Scope:
    """The account's communes with those of its groups, as the groups now are."""
    known = group_communes(session) if account.groups else {}
    return resolve(account.communes, account.groups, known)


def open_session(
    session: Session,
    account: Account,
    settings: Settings,
    *,
    second_factor: bool,
    address: str | None = None,
    user_agent: str | None = None,
) -> str:
    """A new session of this account; the cookie value, in clear (only this once)."""
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    hours = min(settings.session_hours, settings.session_max_hours)
    session.add(
        AccountSession(
            account_id=account.id,
            token_hash=hash_token(raw, settings.secret_key),
            csrf_hash=hash_token(csrf_token(raw, settings.secret_key), settings.secret_key),
            second_factor=second_factor,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=hours),
            address=address,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    session.flush()
    return raw


def find_session(
    session: Session, raw: str, settings: Settings, now: datetime | None = None
) -> SignedIn | None:
    """The live session of this cookie (its last request noted), or None: unknown, revoked,
    expired, past its maximum age, or its account disabled."""
    now = now or datetime.now(UTC)
    digest = hash_token(raw, settings.secret_key)
    row = session.execute(
        select(AccountSession, Account)
        .join(Account, Account.id == AccountSession.account_id)
        .where(AccountSession.token_hash == digest, AccountSession.revoked_at.is_(None))
    ).one_or_none()
    if row is None:
        return None
    kept, account = row.AccountSession, row.Account
    ends = kept.created_at + timedelta(hours=settings.session_max_hours)
    if account.disabled_at is not None or now >= kept.expires_at or now >= ends:
        return None
    if kept.last_seen_at is None or now - kept.last_seen_at > SEEN_PRECISION:
        expires = min(now + timedelta(hours=settings.session_hours), ends)
        session.execute(
            update(AccountSession)
            .where(AccountSession.id == kept.id)
            .values(last_seen_at=now, expires_at=expires)
        )
    return SignedIn(
        session_id=kept.id,
        account_id=account.id,
        email=account.email,
        role=account.role,
        communes=account_scope(session, account),
        second_factor=kept.second_factor,
        totp_enabled=account.totp_enabled_at is not None,
        must_change_password=account.must_change_password,
        csrf=csrf_token(raw, settings.secret_key),
    )


def mark_second_factor(session: Session, session_id: int) -> None:
    """The session's second factor was given (a TOTP enrolment confirmed)."""
    session.execute(
        update(AccountSession).where(AccountSession.id == session_id).values(second_factor=True)
    )


def revoke_session(session: Session, session_id: int) -> None:
    session.execute(
        update(AccountSession)
        .where(AccountSession.id == session_id, AccountSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


def revoke_all(session: Session, account_id: int, keep: int | None = None) -> int:
    """End every session of the account (but ``keep``'s); how many were live."""
    query = update(AccountSession).where(
        AccountSession.account_id == account_id, AccountSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AccountSession.id != keep)
    result = session.execute(query.values(revoked_at=datetime.now(UTC)))
    return int(getattr(result, "rowcount", 0) or 0)
