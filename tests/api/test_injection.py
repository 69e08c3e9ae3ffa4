"""SQL injection attempts on every query parameter of every GET endpoint: a 422 problem+json in
French, never a 500, and the database untouched.

The endpoints and their parameters are read from the OpenAPI schema, so a new endpoint is
covered the day it is added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.conftest import auth

PAYLOADS = [
    "1' OR '1'='1",
    "31555'; DROP TABLE incident; --",
    "x) UNION SELECT token_hash FROM api_token --",
    "1; SELECT pg_sleep(5)",
    '"; DELETE FROM audit_log WHERE "a"="a',
]
# Parameters a path needs to reach its query parameters (ids of nothing: the 404 comes later).
# Free text a person types (the place search): an injection there is a search for odd words,
# answered (200) or, the tests' geocoder being stopped, refused with a 503 — never run.
FREE_TEXT = {("/api/v1/geocode", "q")}
PATH_VALUES = {"batch_id": "1", "action_id": "1", "fmt": "csv", "z": "1", "x": "0", "y": "0"}


def get_operations(client: TestClient) -> list[tuple[str, list[str]]]:
    spec = client.get("/api/v1/openapi.json").json()
    operations = []
    for path, methods in spec["paths"].items():
        op = methods.get("get")
        if op is None:
            continue
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        if names:
            operations.append((path.format(**PATH_VALUES), names))
    return operations


def table_counts(db: Engine) -> dict[str, int]:
    with db.connect() as conn:
        names = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ).scalars()
        return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def test_every_parameter_refuses_injection(
    client: TestClient, db: Engine, make_token: Callable[[str], str]
) -> None:
    headers = auth(make_token("admin"))
    # An action to evaluate, so that the evaluation's own parameters are reached.
    action = {
        "title": "Vidéoprotection place du Capitole",
        "kind": "videoprotection",
        "start": "2024-06-01",
        "place": {"kind": "point", "lon": 1.4442, "lat": 43.6045, "radius": 150},
        "categories": ["vol_dans_vehicule"],
    }
    created = client.post("/api/v1/actions", json=action, headers=headers)
    assert created.status_code == 201, created.text
    PATH_VALUES["action_id"] = str(created.json()["properties"]["id"])
    operations = get_operations(client)
    assert len(operations) >= 20  # the whole API, not a corner of it
    before = table_counts(db)
    failures: list[tuple[str, str, int, Any]] = []
    tried = 0
    for path, names in operations:
        for name in names:
            for payload in PAYLOADS:
                response = client.get(path, params={name: payload}, headers=headers)
                tried += 1
                if (path, name) in FREE_TEXT:
                    assert response.status_code in (200, 503), response.text
                    assert response.headers["content-type"].startswith(
                        "application/problem+json"
                        if response.status_code == 503
                        else "application/"
                    )
                    continue
                if response.status_code != 422:
                    failures.append((path, name, response.status_code, response.text[:200]))
                    continue
                assert response.headers["content-type"].startswith("application/problem+json")
                detail = response.json()["detail"]
                assert isinstance(detail, str) and detail
    summary = sorted({(p, n, s) for p, n, s, _ in failures})
    assert not failures, "\n".join(map(str, summary))
    assert tried >= 500
    assert table_counts(db) == before


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_refusal_is_in_french_and_names_the_parameter(
    client: TestClient, make_token: Callable[[str], str], payload: str
) -> None:
    response = client.get(
        "/api/v1/layers/hexagons", params={"commune": payload}, headers=auth(make_token("admin"))
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "commune" in detail
    assert any(word in detail for word in ("attend", "invalide", "inconnu", "code"))
