"""What the privacy attack tests share: the samples loaded, a partner, an analyst and an admin
token, an API, and the small helpers an attacker's script needs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.settings import Settings
from tests.conftest import _truncate_all, api_settings, auth, role_tokens
from tests.samples import load_samples

# Toulouse (31555), west, south, east, north.
TOULOUSE = (1.35, 43.53, 1.52, 43.67)


@dataclass
class World:
    client: TestClient
    partner: dict[str, str]
    analyst: dict[str, str]
    admin: dict[str, str]
    config: Settings
    engine: Engine

    def raw(self, path: str, params: dict[str, Any], who: dict[str, str]) -> Any:
        return self.client.get(f"/api/v1{path}", params=params, headers=who)

    def get(self, path: str, params: dict[str, Any], who: dict[str, str]) -> Any:
        answer = self.raw(path, params, who)
        assert answer.status_code == 200, (path, params, answer.text)
        return answer.json()

    def audit_rows(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def sample_world(engine: Engine, database_url: str) -> Iterator[World]:
    """The samples and the three tokens, for a module's tests (a fixture yields from it)."""
    from api.main import create_app

    config = api_settings(database_url)
    _truncate_all(engine)
    load_samples(engine, config)
    tokens = {r: auth(t) for r, t in role_tokens(engine, ("partner", "analyst", "admin")).items()}
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        yield World(client, tokens["partner"], tokens["analyst"], tokens["admin"], config, engine)
    _truncate_all(engine)


def cells(answer: Any) -> dict[str, int | None]:
    """h3 → count of a hexagon layer."""
    return {f["properties"]["h3"]: f["properties"]["count"] for f in answer["features"]}


def box_param(box: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:.9f}" for v in box)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lon, lat) points, equirectangular (enough at a town's scale)."""
    (lon1, lat1), (lon2, lat2) = a, b
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)
