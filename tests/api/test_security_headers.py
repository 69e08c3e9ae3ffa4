"""Hardening: headers on every answer, CORS only when configured, wrong tokens throttled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import api_settings, auth


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/me", "/api/v1/categories"])
def test_security_headers_on_every_answer(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy  # no tile server configured: nothing outside the API


def test_the_tile_server_is_allowed_for_images_only(database_url: str, db: Engine) -> None:
    from api.main import create_app

    settings = api_settings(
        database_url,
        tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
    )
    with TestClient(create_app(settings)) as client:
        policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tiles.example.org" in policy
    assert "script-src 'self';" in policy


def test_no_cors_unless_configured(client: TestClient, make_token) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(make_token("analyst")), "Origin": "https://evil.example"}
    answer = client.get("/api/v1/categories", headers=headers)
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


@pytest.fixture
def cors_client(database_url: str, db: Engine) -> Iterator[TestClient]:
    from api.main import create_app

    settings = api_settings(
        database_url,
        cors_origins=["https://sig.ville.fr"],
        auth_failures_per_minute=3,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_cors_for_the_configured_origin(cors_client: TestClient) -> None:
    allowed = cors_client.options(
        "/api/v1/categories",
        headers={"Origin": "https://sig.ville.fr", "Access-Control-Request-Method": "GET"},
    )
    other = cors_client.options(
        "/api/v1/categories",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.headers["access-control-allow-origin"] == "https://sig.ville.fr"
    assert "access-control-allow-origin" not in other.headers


def test_wrong_tokens_are_throttled_then_refused_with_429(cors_client: TestClient) -> None:
    codes = [
        cors_client.get("/api/v1/me", headers=auth(f"obs_guess{i}")).status_code for i in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
    refused = cors_client.get("/api/v1/me", headers=auth("obs_guess-again"))
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) > 0
    assert "réessayez" in refused.json()["detail"]
