"""Typed dependencies: the database session, the versions it reads, and the caller's token."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.clients import client_address
from observatory.accounts.sessions import COOKIE, CSRF_HEADER, SignedIn, find_session
from observatory.changes import Versions, versions
from observatory.roles import refusal
from observatory.settings import Settings
from observatory.tokens import (
    TOKEN_PREFIX,
    KnownToken,
    TokenCache,
    find_token,
    hash_token,
    live_prefixes,
    touch_token,
)

# The largest id or offset PostgreSQL takes (bigint): a larger one fails in the database.
BIGINT_MAX = 2**63 - 1

bearer = HTTPBearer(auto_error=False, description="Jeton créé par « observatory token create »")


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the request succeeds."""
    with request.app.state.sessionmaker.begin() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# Committed when the endpoint returns, before the response leaves (scope "function"): a commit
# that fails (the database going down) is then a 503 like any other database error, not an
# error after the first bytes (a reset connection), and nothing the response shows (an audit
# row) can be lost after the client has it; the connection also goes back to the pool sooner.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's id (None for a signed-in browser), the name the audit log
    shows, the role, the account (None for a token made on the command line) and the scope,
    the communes it may see (None: every commune; observatory/scopes.py)."""

    token_id: int | None
    name: str
    role: str
    account_id: int | None = None
    communes: frozenset[str] | None = None

    @property
    def owner(self) -> int:
        """Whose work this is, in one number (the queue's share, a pack job's owner): the
        token's id, or minus the account's for a signed-in browser."""
        if self.token_id is not None:
            return self.token_id
        return -(self.account_id or 0)

    def audit(self) -> dict[str, Any]:
        """Who acted, as observatory/audit.py's ``record`` takes it."""
        return {
            "token_id": self.token_id,
            "actor": self.name,
            "role": self.role,
            "account_id": self.account_id,
            "communes": self.communes,
        }


async def get_versions(request: Request, session: SessionDep) -> Versions:
    """The versions of the data, the reference data and the tokens (observatory/changes.py),
    read in one statement on the request's own connection, once: FastAPI hands the same value
    to every dependency of the request that asks (the token check, the data state).

    A request with a body had its token checked at its headers by api/security.py's BodyGuard,
    which read the versions in the same statement and left them here: not read twice.
    """
    checked: Versions | None = getattr(request.state, "versions", None)
    if checked is not None:
        return checked
    return await run_in_threadpool(versions, session.connection())


VersionsDep = Annotated[Versions, Depends(get_versions)]


async def get_presented(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Presented:
    """What the request presents; 401 when it has neither token nor cookie, before the
    database is asked anything."""
    presented = Presented.of(request)
    if presented.bearer is None and presented.cookie is None:
        raise HTTPException(401, MISSING_TOKEN)
    return presented


async def get_caller(
    request: Request,
    presented: Annotated[Presented, Depends(get_presented)],
    session: SessionDep,
    seen: VersionsDep,
) -> Caller:
    """Who calls, by their bearer token (401 unknown or revoked, 429 paused; the process's
    token cache read under the tokens version the request read) or else by their session
    cookie (401 unknown or ended; 403 without the CSRF header on a change, or before the
    second factor is enrolled or the password changed)."""
    checked: Caller | None = getattr(request.state, "caller", None)
    if checked is not None:  # at the headers, before the body was read (api/security.py)
        return checked
    client = request.state.client if hasattr(request.state, "client") else client_of(request)
    return await run_in_threadpool(identify, request.app.state, session, presented, client, seen)


MISSING_TOKEN = (
    "Jeton manquant : connectez-vous, ou ajoutez l'en-tête « Authorization: Bearer <jeton> »."  # noqa: S105
)
SESSION_ENDED = "Session expirée ou fermée : reconnectez-vous."
NOT_SIGNED_IN = "Vous n'êtes pas connecté : connectez-vous avec votre adresse e-mail."
CSRF_REFUSED = "Jeton CSRF manquant ou invalide : rechargez la page."
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Presented:
    """What a request presents to say who it is: a bearer token, a session cookie and the
    CSRF header that must come with the cookie on a change."""

    method: str
    bearer: str | None
    cookie: str | None
    csrf: str | None

    @classmethod
    def of(cls, request: Request) -> Presented:
        scheme, _, raw = request.headers.get("authorization", "").partition(" ")
        bearer = raw.strip() if scheme.lower() == "bearer" and raw.strip() else None
        return cls(
            method=request.method,
            bearer=bearer,
            cookie=request.cookies.get(COOKIE) or None,
            csrf=request.headers.get(CSRF_HEADER),
        )


def identify(
    state: Any, session: Session, presented: Presented, client: str, seen: Versions
) -> Caller:
    """The caller of a bearer token if there is one, else of the session cookie; 401 when
    there is neither."""
    if presented.bearer is not None:
        return authenticate(state, session, presented.bearer, client, seen)
    if presented.cookie is not None:
        signed = signed_in(state.settings, session, presented)
        if signed.pending is not None:
            raise HTTPException(403, signed.pending)
        return Caller(
            token_id=None,
            name=signed.email,
            role=signed.role,
            account_id=signed.account_id,
            communes=signed.communes,
        )
    raise HTTPException(401, MISSING_TOKEN)


def signed_in(settings: Settings, session: Session, presented: Presented) -> SignedIn:
    """The live session of the cookie (401 otherwise), its CSRF token checked on a change
    (403); a session still waiting for its second factor or a new password too."""
    if presented.cookie is None:
        raise HTTPException(401, NOT_SIGNED_IN)
    signed = find_session(session, presented.cookie, settings)
    if signed is None:
        raise HTTPException(401, SESSION_ENDED)
    if presented.method not in SAFE_METHODS and not (
        presented.csrf and hmac.compare_digest(signed.csrf, presented.csrf)
    ):
        raise HTTPException(403, CSRF_REFUSED)
    return signed


async def get_signed_in(request: Request, session: SessionDep) -> SignedIn:
    """The browser's session, even one that must still enrol its second factor or change its
    password (the /auth/ routes that let it do so)."""
    presented = Presented.of(request)
    return await run_in_threadpool(signed_in, request.app.state.settings, session, presented)


SignedInDep = Annotated[SignedIn, Depends(get_signed_in)]


def client_of(request: Request) -> str:
    """The client's address: the connection's, or the one a trusted proxy gives."""
    return client_address(request.scope, getattr(request.app.state, "trusted_proxies", ()))


def authenticate(state: Any, session: Session, raw: str, client: str, seen: Versions) -> Caller:
    """The caller of this token; 401 when it is unknown or revoked, 429 instead when too many
    wrong ones came from this address with this prefix.

    A valid token always passes: guessing one (256 random bits) is hopeless at any pace, so
    the pause never stands between a person and their own token, even when someone behind the
    same proxy knows its visible prefix and keeps presenting wrong secrets with it. The count
    tells a misconfigured client to stop: wrong tokens are counted per (address, prefix of a
    live token), and per address for the prefixes that are nobody's.
    """
    settings: Settings = state.settings
    tokens: TokenCache = state.tokens
    failures = getattr(state, "auth_failures", None)
    token = known_token(session, tokens, hash_token(raw, settings.secret_key), seen)
    if token is None:
        prefix = raw.strip()[: len(TOKEN_PREFIX) + 6]
        live = tokens.prefixes(seen.tokens, lambda: live_prefixes(session))
        key = (client, prefix if prefix in live else UNKNOWN_PREFIX)
        if failures is not None:
            if wait := failures.wait_seconds(key):
                raise HTTPException(
                    429,
                    f"Trop de jetons refusés depuis cette adresse : réessayez dans {wait} s.",
                    headers={"Retry-After": str(wait)},
                )
            failures.record(key)
        raise HTTPException(401, "Jeton inconnu ou révoqué.")
    return Caller(
        token_id=token.id,
        name=token.name,
        role=token.role,
        account_id=token.account_id,
        communes=token.communes,
    )


UNKNOWN_PREFIX = "?"


def known_token(
    session: Session, tokens: TokenCache, digest: str, seen: Versions
) -> KnownToken | None:
    """The live token of this digest: from the process's cache while no token changed (the
    tokens version read with ``versions``), else from the database; its last use written at
    most once a minute."""
    token = tokens.find(digest, seen.tokens) or find_token(session, digest)
    if token is None or token.expired():
        return None
    touched = touch_token(session, token)
    tokens.keep(digest, touched, seen.tokens)
    return touched


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_role(*roles: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets only the given roles through (403 otherwise)."""

    async def check(caller: CallerDep) -> Caller:
        if caller.role not in roles:
            raise HTTPException(403, refusal(caller.role, roles))
        return caller

    check.roles = roles  # type: ignore[attr-defined]  # read by api/security.py's BodyGuard
    return check


AdminDep = Annotated[Caller, Depends(require_role("admin"))]
