"""API tokens: created once, stored only as a keyed hash, checked by hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from observatory.errors import InvalidInput, NotFound
from observatory.models import ROLES, Account, ApiToken, CommuneGroup
from observatory.roles import narrower_role
from observatory.scopes import Scope, as_list, narrowest, resolve

LAST_USED_PRECISION = timedelta(minutes=1)
TOKEN_PREFIX = "obs_"  # noqa: S105 - a visible marker, not a secret
# A token's name, as the audit log shows it: letters (accents too), digits, spaces, . _ - @ : '
TOKEN_NAME = re.compile(r"^[\w .@:'-]{1,100}$")
TOKEN_NAME_RULE = "lettres, chiffres, espaces et . _ - @ : ' seulement, 100 caractères au plus"  # noqa: S105


def hash_token(raw: str, secret_key: str) -> str:
    """Keyed SHA-256 of a token: a stolen table alone does not give usable tokens."""
    return hmac.new(secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def create_token(
    session: Session,
    name: str,
    role: str,
    secret_key: str,
    *,
    communes: Scope = None,
    groups: tuple[str, ...] = (),
    account_id: int | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Store a new token for name with role and return it in clear (the only time it is seen).
    ``communes`` and ``groups`` are its scope (None communes: every commune); a token made by
    an account (``account_id``) is checked against it by the caller (observatory/accounts/)
    and intersected with it at every use (``find_token``)."""
    if role not in ROLES:
        raise InvalidInput(f"Rôle inconnu « {role} » : choisir parmi {', '.join(ROLES)}.")
    if not name.strip():
        raise InvalidInput("Le nom du jeton ne peut pas être vide.")
    if not TOKEN_NAME.match(name):
        raise InvalidInput(f"Nom de jeton « {name} » refusé : {TOKEN_NAME_RULE}.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            name=name,
            role=role,
            token_hash=hash_token(raw, secret_key),
            prefix=raw[:10],
            communes=as_list(communes),
            groups=list(groups),
            account_id=account_id,
            expires_at=expires_at,
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise InvalidInput(f"Un jeton nommé « {name} » existe déjà.") from exc
    return raw


@dataclass(frozen=True)
class KnownToken:
    """A live token as the API keeps it: who, with which role and scope, last seen when, until
    when (None: no expiry), made by which account (None: on the command line)."""

    id: int
    name: str
    role: str
    last_used_at: datetime | None
    communes: Scope = None
    account_id: int | None = None
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or datetime.now(UTC)) >= self.expires_at


def group_communes(session: Session) -> dict[str, list[str]]:
    """Every group of communes by name."""
    return {g.name: list(g.communes) for g in session.scalars(select(CommuneGroup))}


def find_token(session: Session, digest: str) -> KnownToken | None:
    """The live token with this keyed hash, or None (revoked, expired, or its account disabled).
    Its scope is its own within its account's, groups resolved as they now are."""
    row = session.execute(
        select(ApiToken, Account)
        .outerjoin(Account, Account.id == ApiToken.account_id)
        .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    ).one_or_none()
    if row is None or not hmac.compare_digest(row.ApiToken.token_hash, digest):
        return None
    token, account = row.ApiToken, row.Account
    if token.account_id is not None and (account is None or account.disabled_at is not None):
        return None
    groups = group_communes(session) if token.groups or (account and account.groups) else {}
    scope = resolve(token.communes, token.groups, groups)
    if account is not None:
        scope = narrowest(scope, resolve(account.communes, account.groups, groups))
        role = narrower_role(token.role, account.role)
    else:
        role = token.role
    found = KnownToken(
        token.id,
        token.name,
        role,
        token.last_used_at,
        communes=scope,
        account_id=token.account_id,
        expires_at=token.expires_at,
    )
    return None if found.expired() else found


def touch_token(session: Session, token: KnownToken) -> KnownToken:
    """Write the token's last use, at most once a minute (a busy map must not queue on its
    row); the token as it now is."""
    now = datetime.now(UTC)
    if token.last_used_at is not None and now - token.last_used_at <= LAST_USED_PRECISION:
        return token
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return replace(token, last_used_at=now)


def live_prefixes(session: Session) -> frozenset[str]:
    """The visible prefixes of the live tokens (« obs_ » and six characters)."""
    return frozenset(
        session.scalars(select(ApiToken.prefix).where(ApiToken.revoked_at.is_(None))).all()
    )


class TokenCache:
    """The tokens one API process has found, valid while the ``tokens`` counter does not move
    (observatory/changes.py: a token created, revoked or deleted raises it), so a revocation
    takes effect at the next request. Unknown tokens are not kept: each is looked up again.
    The live tokens' prefixes are kept too, under the same counter (the sign-in throttle)."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._known: dict[str, KnownToken] = {}
        self._prefixes: frozenset[str] | None = None
        self._lock = threading.Lock()

    def _at(self, version: int) -> None:
        if version != self._version:
            self._known.clear()
            self._prefixes = None
            self._version = version

    def find(self, digest: str, version: int) -> KnownToken | None:
        with self._lock:
            self._at(version)
            return self._known.get(digest)

    def prefixes(self, version: int, load: Callable[[], frozenset[str]]) -> frozenset[str]:
        with self._lock:
            self._at(version)
            if self._prefixes is not None:
                return self._prefixes
        found = load()
        with self._lock:
            if version == self._version:
                self._prefixes = found
        return found

    def keep(self, digest: str, token: KnownToken, version: int) -> None:
        with self._lock:
            if version == self._version:
                self._known[digest] = token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def effective_scopes(session: Session) -> list[tuple[ApiToken, Scope]]:
    """Every token with the scope it has at use: its own communes and groups within its
    account's (as ``find_token`` narrows it), groups resolved as they now are."""
    groups = group_communes(session)
    rows = session.execute(
        select(ApiToken, Account)
        .outerjoin(Account, Account.id == ApiToken.account_id)
        .order_by(ApiToken.id)
    ).all()
    found = []
    for token, account in rows:
        scope = resolve(token.communes, token.groups, groups)
        if account is not None:
            scope = narrowest(scope, resolve(account.communes, account.groups, groups))
        found.append((token, scope))
    return found


def revoke_account_tokens(session: Session, account_id: int) -> int:
    """Revoke every live token of the account (a compromise answered); how many were live."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_token(session: Session, name: str) -> None:
    token = session.scalars(select(ApiToken).where(ApiToken.name == name)).one_or_none()
    if token is None:
        raise NotFound(f"Aucun jeton nommé « {name} ».")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
