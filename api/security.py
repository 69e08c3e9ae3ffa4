"""Hardening of every answer: security headers, CORS only when configured, and a pause for an
address that keeps presenting wrong tokens (guessing them one by one is then hopeless)."""

from __future__ import annotations

import threading
import time
from collections import deque
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observatory.settings import Settings

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


def install(app: FastAPI, settings: Settings) -> None:
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
    """Failed authentications per client address over the last minute."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._seen.setdefault(client, deque())
        while times and now - times[0] > WINDOW_SECONDS:
            times.popleft()
        return times

    def wait_seconds(self, client: str) -> int:
        """Seconds before this address may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.limit:
                return 0
            return max(1, int(WINDOW_SECONDS - (now - times[0])) + 1)

    def record(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._seen) > 10_000:  # forget quiet addresses
                for key in [k for k, v in self._seen.items() if not v]:
                    del self._seen[key]

    def clear(self) -> None:
        """Forget every failure (an administrator lifting the pauses; the tests)."""
        with self._lock:
            self._seen.clear()
