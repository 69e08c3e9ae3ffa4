"""The OpenAPI contract, fuzzed: schemathesis generates requests for every operation of the
schema, valid and invalid ones, with a token of each role and without one, and every answer must
be no server error, with a declared status code and content type, its body and headers matching
the declared schema.

The schema is the app's own (loaded from the ASGI app), so an endpoint is covered the day it is
added; the samples are loaded once for the module. Bounded for the suite: derandomized (the same
requests on every run), a fixed number of examples per operation and generation mode; every
failure of a role is collected before the test fails, so that one run shows them all.

Nothing is excluded: uploads (POST /imports), new actions and service mappings are sent too (the
module's database is emptied afterwards). Only near-repeat is held back: fewer examples, and its
number of permutations pinned (see below).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from observatory.settings import Settings
from tests.conftest import _truncate_all, api_settings, auth, role_tokens
from tests.samples import load_samples

ROLES = ["admin", "police", "analyst", "partner", None]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXAMPLES = 15  # per operation and mode: the module runs in about two minutes
FEWER_EXAMPLES = {
    # The Knox test's Monte Carlo inference over the 30,000 facts: ~1 s a request, even with
    # the fewest permutations (below).
    "GET /api/v1/stats/near-repeat": 3,
}
PINNED_QUERY = {
    # Its default, 999 permutations, takes over 10 s on the samples (the client's time limit);
    # the fewest it accepts run the same code.
    "GET /api/v1/stats/near-repeat": {"permutations": 19},
}
BEYOND_BIGINT = (str(2**64), str(-(2**64)))


@dataclass
class Api:
    schema: Any
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def api(engine: Engine, database_url: str, reference: Settings) -> Iterator[Api]:
    from api.main import create_app

    # With the tests' geocoder (tests/geocoding.py): a stopped one makes /geocode a 503 to retry,
    # which is a server error to schemathesis (tests/api/test_places.py tests that answer).
    config = api_settings(
        database_url,
        redis_dir=reference.redis_dir,
        redis_port=reference.redis_port,
        redis_db=reference.redis_db,
    )
    _truncate_all(engine)
    load_samples(engine, config)
    tokens = role_tokens(engine, [role for role in ROLES if role is not None], "schemathesis-")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(config))
    try:
        yield Api(schema, tokens)
    finally:
        shutdown_lifespans()  # the app's lifespan, which schemathesis' ASGI client started
        _truncate_all(engine)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> tuple[int, list[str]]:
    """How many requests were sent to one operation in one mode, and its distinct failures."""
    found: dict[tuple[str, int], str] = {}
    sent = 0

    @settings(
        max_examples=FEWER_EXAMPLES.get(operation.label, EXAMPLES),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, query=PINNED_QUERY.get(operation.label)))
    def run(case: Any) -> None:
        nonlocal sent
        response = case.call(headers=headers)
        sent += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (type(failure).__name__, response.status_code)
                found.setdefault(key, f"{operation.label} [{mode.value}] {group}")

    try:
        run()
    except Unsatisfiable:
        # No parameter and no body: nothing to make invalid (healthz, categories, ...).
        assert mode is GenerationMode.NEGATIVE, operation.label
    return sent, list(found.values())


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_every_operation_keeps_its_contract(api: Api, role: str | None) -> None:
    headers = auth(api.tokens[role]) if role else {}
    failures: list[str] = []
    operations = sent = 0
    for result in api.schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in MODES:
            count, found = fuzz(operation, mode, headers)
            sent += count
            failures.extend(found)
    assert operations >= 30  # the whole API
    assert sent >= 10 * operations  # operations without parameters run one request a mode
    assert not failures, "\n\n".join(failures)


def integer_parameters(operation: Any) -> Iterator[tuple[str, str]]:
    """(location, name) of the operation's integer path and query parameters."""
    for parameter in operation.iter_parameters():
        where = parameter.definition.get("in")
        if where in ("path", "query") and '"integer"' in json.dumps(parameter.definition):
            yield where, parameter.name


def test_integers_beyond_the_database_range_are_refused(api: Api) -> None:
    """Every integer parameter, given ±2^64: a refusal (4xx), never a database error."""
    headers = auth(api.tokens["admin"])
    tried = 0
    for result in api.schema.get_all_operations():
        operation = result.ok()
        valid_path = {p.name: "csv" if p.name == "fmt" else "1" for p in operation.path_parameters}
        for where, name in integer_parameters(operation):
            for value in BEYOND_BIGINT:
                beyond = {name: value}
                case = operation.Case(
                    path_parameters={**valid_path, **(beyond if where == "path" else {})},
                    query=beyond if where == "query" else {},
                )
                response = case.call(headers=headers)
                tried += 1
                assert 400 <= response.status_code < 500, (operation.label, name, response.text)
                assert response.headers["content-type"][0].startswith("application/problem+json")
    assert tried >= 50
