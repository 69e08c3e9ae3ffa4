"""Signing in: the throttle, the password, the second factor, the session; and the enrolment of
a second factor. Every sign-in and every refusal goes to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.accounts import devices, totp
from observatory.accounts.passwords import hash_password, needs_rehash, verify_password
from observatory.accounts.sessions import (
    SECOND_FACTOR_ROLES,
    SignedIn,
    account_scope,
    mark_second_factor,
    open_session,
)
from observatory.accounts.throttle import SignInThrottle
from observatory.audit import record
from observatory.errors import InvalidInput, ObservatoryError
from observatory.models import Account
from observatory.settings import Settings

WRONG_PASSWORD = "Adresse ou mot de passe incorrect."  # noqa: S105
CODE_REQUIRED = "Saisissez le code à six chiffres de votre application d'authentification."
CODE_WRONG = "Code incorrect ou déjà utilisé : saisissez le code affiché maintenant."
NO_ROLE = "aucun"
# Wrong second-factor codes in a row before codes are refused for TOTP_LOCK (counted in the
# database: every API process shares the count), until then or an administrator's reset.
TOTP_LIMIT = 10
TOTP_LOCK = timedelta(hours=1)


class SignInRefused(ObservatoryError):
    """A 401: wrong e-mail or password, or a second factor missing or wrong."""

    def __init__(self, message: str, second_factor: str | None = None) -> None:
        super().__init__(message)
        self.second_factor = second_factor


class Throttled(ObservatoryError):
    """A 429: too many failures; try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Trop de tentatives de connexion : réessayez dans {retry_after} s. "
            "Si vous avez oublié votre mot de passe, demandez-en un nouveau à un administrateur."
        )
        self.retry_after = retry_after


class SecondFactorLocked(ObservatoryError):
    """A 429: too many wrong second-factor codes for the account; codes are refused for
    ``retry_after`` seconds, or until an administrator resets the second factor."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            "Trop de codes de double authentification incorrects : la connexion à ce compte est "
            f"bloquée ; réessayez dans {minutes} min, ou demandez à un administrateur de "
            "réinitialiser sa double authentification."
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Opened:
    """A session just opened: the cookie (in clear, once), the new device cookie and what the
    answer tells."""

    cookie: str
    account: Account
    device: str


def sign_in(
    session: Session,
    settings: Settings,
    throttle: SignInThrottle,
    *,
    email: str,
    password: str,
    code: str | None,
    address: str,
    user_agent: str | None = None,
    device_cookie: str | None = None,
) -> Opened:
    """Open a session, or raise SignInRefused / Throttled / SecondFactorLocked (the refusal is
    in the audit log: the caller must commit after them)."""
    tried = email.strip().lower()[:254]
    # Read without a lock: the password of an existing account is checked in parallel with
    # others, as an unknown address's is (no timing oracle from queueing on the row).
    found = session.scalars(
        select(Account).where(Account.email == tried, Account.disabled_at.is_(None))
    ).one_or_none()
    device = devices.nonce_of(device_cookie, found.id if found else None, settings.secret_key)
    if wait := throttle.wait_seconds(address, tried, device):
        raise Throttled(wait)
    # Verified even for an unknown address (against a dummy hash): the same time either way.
    stored = found.password_hash if found is not None else None
    if not verify_password(stored, password[:1024]) or found is None:
        _refuse(session, throttle, found, tried, address, "mot de passe", device)
        raise SignInRefused(WRONG_PASSWORD)
    # Locked from here to the answer: a TOTP step or a recovery code serves once, the count of
    # wrong codes is exact. Read again: disabled or given a new password meanwhile, refused.
    account = session.scalars(
        select(Account)
        .where(Account.id == found.id, Account.disabled_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if account is None or account.password_hash != stored:
        _refuse(session, throttle, found, tried, address, "mot de passe", device)
        raise SignInRefused(WRONG_PASSWORD)
    second_factor = False
    if account.totp_enabled_at is not None:
        if not (code or "").strip():
            # Not counted as a failure: the page asks for the code after the password.
            raise SignInRefused(CODE_REQUIRED, second_factor="required")
        check_second_factor(session, throttle, account, code or "", settings, address, device)
        second_factor = True
    throttle.succeeded(address, tried, device)
    if needs_rehash(account.password_hash or ""):
        account.password_hash = hash_password(password)
    account.last_sign_in_at = datetime.now(UTC)
    cookie = open_session(
        session,
        account,
        settings,
        second_factor=second_factor,
        address=address,
        user_agent=user_agent,
    )
    _record(session, account, "connexion", address, {"second_factor": second_factor})
    return Opened(cookie, account, devices.issue(account.id, settings.secret_key))


def check_second_factor(
    session: Session,
    throttle: SignInThrottle,
    account: Account,
    code: str,
    settings: Settings,
    address: str,
    device: str | None,
) -> None:
    """The code (the account's row locked), or SecondFactorLocked / SignInRefused: after
    TOTP_LIMIT wrong codes in a row, every code is refused for TOTP_LOCK."""
    now = datetime.now(UTC)
    locked = account.totp_locked_until
    if locked is not None and locked > now:
        _refuse(session, throttle, account, account.email, address, "codes bloqués", device)
        raise SecondFactorLocked(max(1, int((locked - now).total_seconds())))
    if _second_factor(account, code, settings.secret_key):
        account.totp_failures = 0
        account.totp_locked_until = None
        return
    account.totp_failures = (account.totp_failures or 0) + 1
    _refuse(session, throttle, account, account.email, address, "code", device)
    if account.totp_failures >= TOTP_LIMIT:
        account.totp_failures = 0
        account.totp_locked_until = now + TOTP_LOCK
        _record(
            session,
            account,
            "double authentification bloquée",
            address,
            {"failures": TOTP_LIMIT, "until": account.totp_locked_until.isoformat()},
        )
        raise SecondFactorLocked(int(TOTP_LOCK.total_seconds()))
    raise SignInRefused(CODE_WRONG, second_factor="wrong")


def _second_factor(account: Account, code: str, secret_key: str) -> bool:
    """A TOTP code not used before, or one of the recovery codes (then spent)."""
    if totp.looks_like_recovery(code):
        left = totp.use_recovery(list(account.recovery_codes or []), code, secret_key)
        if left is None:
            return False
        account.recovery_codes = left
        return True
    secret = totp.unseal(account.totp_secret or "", secret_key)
    step = totp.accepted_step(secret, code, account.totp_last_step) if secret else None
    if step is None:
        return False
    account.totp_last_step = step
    return True


def _refuse(
    session: Session,
    throttle: SignInThrottle,
    account: Account | None,
    tried: str,
    address: str,
    reason: str,
    device: str | None = None,
) -> None:
    throttle.failed(address, tried, device)
    record(
        session,
        token_id=None,
        actor=tried or "(vide)",
        role=account.role if account is not None else NO_ROLE,
        action="connexion refusée",
        filters={"reason": reason},
        row_count=0,
        account_id=account.id if account is not None else None,
        # An unknown address's refusal is shown only to readers of every commune.
        communes=account_scope(session, account) if account is not None else None,
        address=address,
    )


def _record(
    session: Session, account: Account, action: str, address: str | None, filters: dict[str, Any]
) -> None:
    record(
        session,
        token_id=None,
        actor=account.email,
        role=account.role,
        action=action,
        filters=filters,
        row_count=0,
        account_id=account.id,
        communes=account_scope(session, account),
        address=address,
    )


def enrol(session: Session, settings: Settings, signed_in: SignedIn) -> tuple[str, str, str]:
    """A new pending TOTP secret for the account (not yet required): secret, URI, QR code.
    An account that already has a second factor must have it reset by an administrator."""
    account = session.get_one(Account, signed_in.account_id)
    if account.totp_enabled_at is not None:
        raise InvalidInput(
            "La double authentification est déjà active : pour changer d'appareil, demandez à "
            "un administrateur de la réinitialiser."
        )
    secret = totp.new_secret()
    account.totp_secret = totp.seal(secret, settings.secret_key)
    uri = totp.provisioning_uri(secret, account.email)
    return secret, uri, totp.qr_svg(uri)


def confirm(
    session: Session, settings: Settings, signed_in: SignedIn, code: str, address: str | None
) -> list[str]:
    """Enable the pending secret once a code from it is given; the recovery codes, once."""
    account = session.get_one(Account, signed_in.account_id)
    if account.totp_enabled_at is not None or not account.totp_secret:
        raise InvalidInput("Aucune activation en cours : demandez d'abord un QR code.")
    secret = totp.unseal(account.totp_secret, settings.secret_key)
    step = totp.accepted_step(secret, code, account.totp_last_step) if secret else None
    if step is None:
        raise InvalidInput(CODE_WRONG)
    codes = totp.new_recovery_codes()
    account.totp_last_step = step
    account.totp_enabled_at = datetime.now(UTC)
    account.recovery_codes = [totp.hash_recovery(c, settings.secret_key) for c in codes]
    mark_second_factor(session, signed_in.session_id)
    _record(session, account, "double authentification activée", address, {})
    return codes


def requires_second_factor(role: str) -> bool:
    return role in SECOND_FACTOR_ROLES
