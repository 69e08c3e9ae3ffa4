"""The OpenAPI shows the fields of every JSON and GeoJSON answer, each with its description.

Walks /api/v1/openapi.json: every success answer in JSON (or GeoJSON, or any +json) must have
a schema whose objects list their properties, and every property must say what it holds. An
endpoint that returns a bare dict (``dict[str, Any]``: an object without properties) fails.
The statistics router (api/routers/stats.py) is left out until its answers have models.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.main import create_app
from tests.conftest import api_settings


def openapi(app: FastAPI) -> dict[str, Any]:
    # No `with`: the lifespan (the database) is not needed to read the schema.
    answer = TestClient(app).get(app.openapi_url or "/openapi.json")
    assert answer.status_code == 200
    spec: dict[str, Any] = answer.json()
    return spec


def is_json(media_type: str) -> bool:
    kind = media_type.split(";")[0].strip()
    return kind == "application/json" or kind.endswith("+json")


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = schema.get("$ref")
    if ref is None:
        return None, schema
    target: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return ref, target


def undescribed(
    spec: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str], top: bool = False
) -> list[str]:
    """What in the schema has no fields (at the top) or a field without a description."""
    ref, schema = resolve(spec, schema)
    if ref is not None:
        if ref in seen:
            return []
        seen = seen | {ref}
        where = ref.rsplit("/", 1)[-1]
    problems: list[str] = []
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        if branch.get("type") != "null":
            problems += undescribed(spec, branch, where, seen, top)
    if schema.get("type") == "array":
        items = schema.get("items")
        if items is None:
            return [f"{where}: a list of what?"]
        return problems + undescribed(spec, items, where, seen, top)
    properties: dict[str, Any] = schema.get("properties", {})
    if top and not properties and not problems and "anyOf" not in schema:
        return [f"{where}: no fields (a bare object)"]
    for name, field in properties.items():
        if not field.get("description"):
            problems.append(f"{where}.{name}: no description")
        problems += undescribed(spec, field, f"{where}.{name}", seen)
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        problems += undescribed(spec, additional, f"{where}[…]", seen)
    return problems


def answer_problems(spec: dict[str, Any]) -> dict[str, list[str]]:
    """The problems of each operation's JSON success answers, by « METHOD path status type »."""
    found: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                for media_type, content in response.get("content", {}).items():
                    if not is_json(media_type):
                        continue
                    label = f"{method.upper()} {path} {status} {media_type}"
                    schema = content.get("schema")
                    if not schema:
                        found[label] = ["no schema"]
                        continue
                    found[label] = undescribed(spec, schema, label, set(), top=True)
    return found


def test_every_json_and_geojson_answer_shows_its_described_fields() -> None:
    spec = openapi(create_app(api_settings("postgresql://nobody@127.0.0.1:1/none")))
    found = answer_problems(spec)
    assert len(found) >= 29  # the whole API but the statistics
    geojson = [label for label in found if "application/geo+json" in label]
    assert len(geojson) >= 11  # the layers, the hot spots, the actions, the two exports
    problems = [f"{label}: {p}" for label, ps in found.items() for p in ps]
    assert problems == []


class Shown(BaseModel):
    described: int = 0


def test_a_bare_dict_or_an_undescribed_field_is_caught() -> None:
    router = APIRouter()

    @router.get("/bare")
    def bare() -> dict[str, Any]:
        return {}

    @router.get("/undescribed")
    def undescribed_field() -> list[Shown]:
        return []

    @router.get("/geojson", responses={200: {"content": {"application/geo+json": {}}}})
    def geojson() -> None:
        return None

    app = FastAPI()
    app.include_router(router)
    found = answer_problems(openapi(app))
    assert found["GET /bare 200 application/json"] == [
        "GET /bare 200 application/json: no fields (a bare object)"
    ]
    assert found["GET /undescribed 200 application/json"] == ["Shown.described: no description"]
    assert found["GET /geojson 200 application/geo+json"] == ["no schema"]
