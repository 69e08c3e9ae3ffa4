"""The typed answers of the statistics: every field shown in the OpenAPI with its description, and
written by the answer cache exactly as the dictionaries they replaced."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.cache import json_body
from api.schemas.stats import CompStatAnswer, SummaryAnswer, TerritoriesAnswer

STATS = ["summary", "timeslots", "trends", "compstat", "territories"]
FILTER = {
    "from": "2025-01-01",
    "to": None,
    "categories": ["tapage"],
    "hours": None,
    "weekdays": [6, 7],
    "commune": "31555",
    "qpv": None,
    "generation": 2024,
    "bbox": [1.4, 43.5, 1.5, 43.7],
    "precision": None,
}
PRIVACY = {
    "suppression_threshold": 5,
    "privacy": {"release": "diffusion", "epsilon_per_fact": 2.0, "note": "bruit"},
}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from api.main import create_app
    from tests.conftest import api_settings

    app = create_app(api_settings("postgresql://nobody@127.0.0.1:1/none"))
    return app.openapi()


def undescribed(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> list[str]:
    """The properties without a description, through every model the schema refers to."""
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return undescribed(components[name], components, seen)
    missing = []
    for key, prop in schema.get("properties", {}).items():
        if not prop.get("description"):
            missing.append(key)
        for nested in [prop, prop.get("items", {}), *prop.get("anyOf", [])]:
            missing += undescribed(nested, components, seen)
            missing += undescribed(nested.get("items", {}), components, seen)
    return missing


@pytest.mark.parametrize("name", STATS)
def test_every_field_of_a_statistics_answer_is_described(openapi: dict, name: str) -> None:
    operation = openapi["paths"][f"/api/v1/stats/{name}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    components = openapi["components"]["schemas"]
    assert "$ref" in schema  # a model, not a free-form object
    assert undescribed(schema, components, set()) == []


def answer_dict(**fields: Any) -> dict[str, Any]:
    return {"filter": FILTER, **fields, "data_version": 3, **PRIVACY}


def test_a_model_is_written_as_the_dictionary_it_replaces() -> None:
    """Same keys in the same order, numbers as they were (an int stays an int), dates as days."""
    summary = answer_dict(
        total=None,
        categories=[],
        families=[{"code": "vols", "label": "Vols", "count": None, "suppressed": True}],
        data_range={"first": "2024-01-01", "last": None},
    )
    assert json_body(SummaryAnswer.model_validate(summary)) == json_body(summary)
    territories = answer_dict(
        generation=2024,
        communes=[
            {
                "code": "31555",
                "name": "Toulouse",
                "whole": {
                    "count": 12,
                    "suppressed": False,
                    "share": 1.0,
                    "population": 1000,
                    "population_from": None,
                    "rate_per_1000": 12.0,
                    "by_category": {"tapage": 12, "vol": None},
                },
                "outside_qpv": {
                    "count": None,
                    "suppressed": True,
                    "share": None,
                    "population": None,
                    "population_from": None,
                    "rate_per_1000": None,
                    "by_category": None,
                },
                "qpvs": [
                    {
                        "code": "QN03101A",
                        "name": "A",
                        "communes": ["31555"],
                        "count": 0,
                        "suppressed": False,
                        "share": 0.0,
                        "population": None,
                        "population_from": None,
                        "rate_per_1000": None,
                        "by_category": None,
                    }
                ],
            }
        ],
    )
    assert json_body(TerritoriesAnswer.model_validate(territories)) == json_body(territories)


def test_what_an_answer_leaves_out_is_not_written_as_null() -> None:
    """No privacy note but a partner's, and no data version beside a CompStat with no day."""
    empty = {"filter": FILTER, "at": None, "periods": [], "rows": []}
    assert json_body(CompStatAnswer.model_validate(empty)) == json_body(empty)
    full = {**empty, "data_version": 1, "suppression_threshold": None}
    body = json.loads(json_body(CompStatAnswer.model_validate(full)))
    assert list(body) == [*empty, "data_version", "suppression_threshold"]
