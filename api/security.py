"""Hardening of every answer: security headers, CORS only when configured, the client's
address (proxy headers believed only from OBS_TRUSTED_PROXIES), a pause for an address that
keeps presenting wrong tokens, and requests with a body checked at their headers (BodyGuard)."""

from __future__ import annotations

import re
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute, APIRouter
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.clients import client_address, trusted_networks
from api.deps import MISSING_TOKEN, Presented, get_caller, identify
from api.errors import problem
from observatory.accounts.passwords import limit_checks
from observatory.accounts.throttle import SignInThrottle
from observatory.changes import versions
from observatory.errors import TooLarge
from observatory.roles import refusal
from observatory.settings import Settings
from observatory.throttling import RecentFailures

WINDOW_SECONDS = 60.0


def content_security_policy(settings: Settings) -> str:
    """Only the API's own scripts; images also from the tile server when one is set."""
    images = ["'self'", "data:", "blob:"]
    if settings.tile_url:
        parts = urlsplit(settings.tile_url.replace("{s}", "a"))
        if parts.scheme and parts.netloc:
            host = parts.netloc
            if "{s}" in settings.tile_url:
                host = "*." + host.split(".", 1)[-1]
            images.append(f"{parts.scheme}://{host}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # Leaflet positions its panes with style attributes.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def install(app: FastAPI, settings: Settings, routes: tuple[BodyRoute, ...] = ()) -> None:
    """The headers, CORS, the sign-in throttle and the BodyGuard of these body routes."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
        "Content-Security-Policy": content_security_policy(settings),
    }

    app.add_middleware(SecureHeaders, headers=headers)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.state.auth_failures = FailedSignIns(settings.auth_failures_per_minute)
    app.state.sign_ins = SignInThrottle()
    limit_checks(settings.password_checks)
    app.state.trusted_proxies = trusted_networks(settings.trusted_proxies)
    # Inside the headers and CORS (added after them: outer), so that its refusals get them too.
    app.add_middleware(BodyGuard, settings=settings, routes=routes)


class SecureHeaders:
    """Adds the security headers to every answer that does not set them itself; API answers
    are not stored by default (``Cache-Control: no-store``; the cached ones say otherwise).

    Plain ASGI rather than ``@app.middleware("http")``: that one costs a task and two streams
    per request, a measurable share of a map's small answers under load.
    """

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if api:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_secured)


class FailedSignIns:
    """Failed authentications per key (an address and a token prefix, see api/deps.py
    ``authenticate``) over the last minute, for at most ``MAX_KEYS`` keys
    (observatory/throttling.py: the least recently failed are forgotten first)."""

    MAX_KEYS = 10_000

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._failures = RecentFailures(WINDOW_SECONDS, self.MAX_KEYS, lambda: time.monotonic())

    def wait_seconds(self, key: Hashable) -> int:
        """Seconds before this key may try again (0: now)."""
        now = time.monotonic()
        times = self._failures.times(key, now)
        if len(times) < self.limit:
            return 0
        return max(1, int(WINDOW_SECONDS - (now - times[0])) + 1)

    def record(self, key: Hashable) -> None:
        self._failures.add((key,), time.monotonic())

    def __len__(self) -> int:
        return len(self._failures)

    def clear(self) -> None:
        """Forget every failure (an administrator lifting the pauses; the tests)."""
        self._failures.clear()


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
UPLOAD_PATH = "/api/v1/imports"
MB = 1 << 20


class BodyGuard:
    """A request that carries a body (POST, PUT, PATCH under /api/) is checked at its headers:
    the caller's token and role for the route (401, 403, 429), then the announced size (413),
    before a byte of the body is read. A JSON body is then read here up to OBS_MAX_JSON_KB
    (413 beyond, whatever Content-Length said); an upload is counted as it streams, up to
    OBS_MAX_UPLOAD_MB (the endpoint reads it: api/routers/imports.py).

    The caller found here, and the versions read with it, are handed to the route
    (``request.state.caller`` and ``versions``, read by api/deps.py): one check, one statement.
    """

    def __init__(self, app: ASGIApp, settings: Settings, routes: tuple[BodyRoute, ...]) -> None:
        self.app = app
        self.routes = routes
        self.upload_bytes = settings.max_upload_mb * MB
        self.json_bytes = settings.max_json_kb * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        upload = scope["path"] == UPLOAD_PATH
        limit = self.upload_bytes if upload else self.json_bytes
        refusal = await self._refusal(scope, limit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if upload:
            await self.app(scope, counted(receive, limit), send)
            return
        body = await read_body(receive, limit)
        if body is None:
            await too_large(limit)(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)

    async def _refusal(self, scope: Scope, limit: int) -> Response | None:
        roles = required_roles(self.routes, scope)
        if roles is not None:
            request = Request(scope)
            refused = await _signed_in(request, roles)
            if refused is not None:
                return refused
        length = dict(scope.get("headers", ())).get(b"content-length", b"")
        if length and (not length.isdigit() or int(length) > limit):
            return too_large(limit) if length.isdigit() else problem(400, "Longueur invalide.")
        return None


def too_large(limit: int) -> Response:
    what = f"{limit // MB} Mo" if limit >= MB else f"{limit // 1024} Ko"
    return problem(
        413,
        f"Requête trop volumineuse : {what} au plus (OBS_MAX_UPLOAD_MB pour un fichier, "
        "OBS_MAX_JSON_KB pour le reste).",
    )


async def _signed_in(request: Request, roles: tuple[str, ...] | None) -> Response | None:
    """None when the caller may use the route (kept in request.state), else the refusal."""
    presented = Presented.of(request)
    if presented.bearer is None and presented.cookie is None:
        return problem(401, MISSING_TOKEN, request)
    state = request.app.state
    client = client_address(request.scope, state.trusted_proxies)

    def check() -> Any:
        with state.sessionmaker.begin() as session:
            seen = versions(session.connection())
            return seen, identify(state, session, presented, client, seen)

    try:
        seen, caller = await run_in_threadpool(check)
    except HTTPException as exc:
        response = problem(exc.status_code, str(exc.detail), request)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
    except SQLAlchemyError:  # the route says what is wrong (a 503) when it meets the database
        return None
    if roles and caller.role not in roles:
        return problem(403, refusal(caller.role, roles), request)
    request.state.caller = caller
    request.state.versions = seen
    return None


@dataclass(frozen=True)
class BodyRoute:
    """A route that takes a body: its full path, its methods and who may call it."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    roles: tuple[str, ...] | None


def body_routes(routers: Iterable[APIRouter], prefix: str) -> tuple[BodyRoute, ...]:
    """The routes of these routers (mounted under prefix) that a body can be sent to."""
    found = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            methods = frozenset((route.methods or set()) & BODY_METHODS)
            if methods:
                pattern, _, _ = compile_path(prefix + route.path)
                found.append(BodyRoute(pattern, methods, _roles_of(route.dependant)))
    return tuple(found)


def required_roles(routes: tuple[BodyRoute, ...], scope: Scope) -> tuple[str, ...] | None:
    """The roles the matching route lets through: () for any signed-in caller, None when the
    route asks no token (or no route matches: the router answers)."""
    for route in routes:
        if scope["method"] in route.methods and route.pattern.match(scope["path"]):
            return route.roles
    return None


def _roles_of(dependant: Any) -> tuple[str, ...] | None:
    checks, signed_in = [], False
    pending = list(dependant.dependencies)
    while pending:
        sub = pending.pop()
        if (roles := getattr(sub.call, "roles", None)) is not None:
            checks.append(set(roles))
        signed_in |= sub.call is get_caller
        pending.extend(sub.dependencies)
    if checks:
        return tuple(sorted(set.intersection(*checks)))
    return () if signed_in else None


def counted(receive: Receive, limit: int) -> Receive:
    """The body's messages, until more than limit bytes came: then TooLarge (a 413)."""
    seen = 0

    async def receive_counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(
                    f"Fichier trop volumineux : {limit // MB} Mo au plus (OBS_MAX_UPLOAD_MB)."
                )
        return message

    return receive_counted


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it goes past limit bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """The body read once, given again to the application; then the connection's messages."""
    sent = False

    async def receive_again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again
