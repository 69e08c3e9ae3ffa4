"""The versions a request reads (api/deps.py ``get_versions``): one statement per request on
its own connection, shared by the token check and the data state, and a dependency of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from api.deps import VersionsDep
from api.main import create_app
from observatory.settings import Settings
from tests.conftest import api_settings, auth

SUMMARY = "/api/v1/stats/summary"


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL the API's own engine runs meanwhile (the store's engine aside)."""
    seen: list[str] = []
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _versions(sql: list[str]) -> list[str]:
    return [s for s in sql if "version_counter WHERE name = 'tokens'" in s]


def _no_answer_cache(database_url: str) -> Settings:
    # Without kept answers every GET goes through the routing and its dependencies.
    return api_settings(database_url, answer_cache_mb=0)


def test_a_read_costs_one_statement_the_versions(
    database_url: str, db: Engine, make_token: Callable[[str], str]
) -> None:
    with TestClient(create_app(_no_answer_cache(database_url))) as client:
        headers = auth(make_token("police"))
        assert client.get(SUMMARY, headers=headers).status_code == 200  # token and data loaded
        with statements(client) as sql:
            assert client.get(SUMMARY, headers=headers).status_code == 200
    assert sql == _versions(sql)
    assert len(sql) == 1


def test_no_token_is_refused_before_anything_is_read(database_url: str, db: Engine) -> None:
    app = create_app(_no_answer_cache(database_url))
    with TestClient(app) as client, statements(client) as sql:
        assert client.get(SUMMARY).status_code == 401
    assert sql == []


def test_a_body_checked_at_its_headers_reads_the_versions_once(
    database_url: str, db: Engine, make_token: Callable[[str], str]
) -> None:
    with TestClient(create_app(_no_answer_cache(database_url))) as client:
        headers = auth(make_token("admin"))
        with statements(client) as sql:
            # Refused for its body, after the BodyGuard and the route's dependencies.
            assert client.post("/api/v1/actions", headers=headers, json={}).status_code == 422
    assert len(_versions(sql)) == 1


def test_the_versions_need_no_token_check(database_url: str, db: Engine) -> None:
    app = create_app(_no_answer_cache(database_url))

    @app.get("/test/versions")
    def read(seen: VersionsDep) -> dict[str, int]:
        return asdict(seen)

    with TestClient(app) as client, statements(client) as sql:
        answer = client.get("/test/versions")
    assert answer.status_code == 200
    assert set(answer.json()) == {"data", "stamp", "reference", "tokens"}
    assert len(_versions(sql)) == 1
