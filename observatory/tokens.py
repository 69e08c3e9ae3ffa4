"""API tokens: created once, stored only as a keyed hash, checked by hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from observatory.errors import InvalidInput, NotFound
from observatory.models import ROLES, ApiToken

LAST_USED_PRECISION = timedelta(minutes=1)
TOKEN_PREFIX = "obs_"  # noqa: S105 - a visible marker, not a secret
# A token's name, as the audit log shows it: letters (accents too), digits, spaces, . _ - @ : '
TOKEN_NAME = re.compile(r"^[\w .@:'-]{1,100}$")
TOKEN_NAME_RULE = "lettres, chiffres, espaces et . _ - @ : ' seulement, 100 caractères au plus"  # noqa: S105


def hash_token(raw: str, secret_key: str) -> str:
    """Keyed SHA-256 of a token: a stolen table alone does not give usable tokens."""
    return hmac.new(secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def create_token(session: Session, name: str, role: str, secret_key: str) -> str:
    """Store a new token for name with role and return it in clear (the only time it is seen)."""
    if role not in ROLES:
        raise InvalidInput(f"Rôle inconnu « {role} » : choisir parmi {', '.join(ROLES)}.")
    if not name.strip():
        raise InvalidInput("Le nom du jeton ne peut pas être vide.")
    if not TOKEN_NAME.match(name):
        raise InvalidInput(f"Nom de jeton « {name} » refusé : {TOKEN_NAME_RULE}.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(name=name, role=role, token_hash=hash_token(raw, secret_key), prefix=raw[:10])
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise InvalidInput(f"Un jeton nommé « {name} » existe déjà.") from exc
    return raw


def authenticate(session: Session, raw: str, secret_key: str) -> ApiToken | None:
    """The live token matching raw, or None."""
    digest = hash_token(raw, secret_key)
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    ).one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    now = datetime.now(UTC)
    # At most one write a minute per token: a busy map must not queue on the token's row.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, name: str) -> None:
    token = session.scalars(select(ApiToken).where(ApiToken.name == name)).one_or_none()
    if token is None:
        raise NotFound(f"Aucun jeton nommé « {name} ».")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
