"""Every GET route, asked by callers scoped to Toulouse, tells nothing of Blagnac (issue 21).

Two communes have facts, rejects, a QPV, an action, a service and an audit row each
(tests/scope_world.py). For every GET route of the API (read from the OpenAPI, so a new route
fails ``test_every_get_route_is_checked_or_exempted`` until it is listed here), an admin, a
police, an analyst and a partner token scoped to Toulouse ask it with real ids and filters that
span both communes; no answer may hold Blagnac's code, name, references, QPV, service, action,
audit actor, nor a cell that only Blagnac's facts fill. Then hypothesis varies the filters of
the engine's answers: a scoped caller's answer is the unscoped answer for Toulouse alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.scope_world import (
    BLAGNAC,
    BLAGNAC_QPV,
    MAPPINGS,
    ROLES,
    TOULOUSE,
    ScopeWorld,
    leaks,
    scope_world,
    tile_of,
)

# Both communes: Toulouse's west and Blagnac whole.
BOTH = "1.34,43.55,1.47,43.67"
PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}

# Routes that hold no fact and nothing of a commune's own: not scoped (issue 21).
EXEMPT = {
    "/healthz": "the process answers: no data",
    "/readyz": "the schema's revision: no data",
    "/api/v1/auth/me": "a signed-in browser's own account, no token (test_auth_sessions)",
    "/api/v1/auth/tokens": "a signed-in browser's own tokens, no token (test_auth_sessions)",
    "/api/v1/tokens": "token names only, those within the caller's scope (test_scope_attacks)",
    "/api/v1/categories": "the category nomenclature: public reference data",
    "/api/v1/nomenclature/etat4001": "the état 4001 nomenclature: public reference data",
    "/api/v1/layers/streets": "the BAN's street names: public reference data",
    "/api/v1/layers/names": "the names of communes and QPV: public reference data",
    "/api/v1/geocode": "the geocoder over the BAN and the names: public reference data",
    "/api/v1/basemap/{z}/{x}/{y}.{ext}": "the base map: public reference data",
    "/api/v1/reports/pack/jobs/{job_id}": "a job is its owner's: test_pack_jobs_are_scoped",
    "/api/v1/reports/pack/jobs/{job_id}/file": "a job is its owner's: test_pack_jobs_are_scoped",
}


def cases(world: ScopeWorld) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Per route of the OpenAPI: the (path, query) asked, ids of both communes filled in."""
    mine, theirs = world.batches[TOULOUSE], world.batches[BLAGNAC]
    act, other = world.actions[TOULOUSE], world.actions[BLAGNAC]
    wide = {**PERIOD, "bbox": BOTH}
    tiles = []
    for z in (10, 12, 14):
        for lon, lat in (world.blagnac_points[0], world.toulouse_points[0]):
            x, y = tile_of(lon, lat, z)
            tiles.append((f"/tiles/hexagons/{z}/{x}/{y}.pbf", {"res": "11"}))
    change = {
        "from_a": "2024-01-01",
        "to_a": "2024-06-30",
        "from_b": "2024-07-01",
        "to_b": "2024-12-31",
    }
    return {
        "/api/v1/me": [("/me", {})],
        "/api/v1/imports": [("/imports", {})],
        "/api/v1/imports/{batch_id}": [(f"/imports/{mine}", {}), (f"/imports/{theirs}", {})],
        "/api/v1/imports/{batch_id}/rejects": [
            (f"/imports/{mine}/rejects", {}),
            (f"/imports/{theirs}/rejects", {}),
        ],
        "/api/v1/imports/{batch_id}/assistant": [
            (f"/imports/{mine}/assistant", {}),
            (f"/imports/{theirs}/assistant", {}),
        ],
        "/api/v1/mappings": [("/mappings", {})],
        "/api/v1/mappings/{name}": [(f"/mappings/{name}", {}) for name, _, _ in MAPPINGS],
        "/api/v1/mappings/{name}/toml": [(f"/mappings/{name}/toml", {}) for name, _, _ in MAPPINGS],
        "/api/v1/stats/etat4001": [
            ("/stats/etat4001", {}),
            ("/stats/etat4001", {"by": "department"}),
            ("/stats/etat4001", {"department": "31"}),
        ],
        "/api/v1/stats/etat4001/series": [
            ("/stats/etat4001/series", {"department": "31"}),
            ("/stats/etat4001/series", {"department": "31", "group": "index"}),
        ],
        "/api/v1/etat4001/services": [
            ("/etat4001/services", {}),
            ("/etat4001/services", {"department": "31"}),
        ],
        # Partners may not ask a box: the same questions without one.
        "/api/v1/layers/hexagons": [
            *[("/layers/hexagons", {**wide, "res": r}) for r in (6, 9)],
            *[("/layers/hexagons", {**PERIOD, "res": r}) for r in (6, 8)],
        ],
        "/api/v1/layers/qpv": [("/layers/qpv", {}), ("/layers/qpv", {"generation": "2015"})],
        "/api/v1/layers/communes": [("/layers/communes", {})],
        "/api/v1/layers/incidents": [("/layers/incidents", wide), ("/layers/incidents", {})],
        "/api/v1/exports/incidents.{fmt}": [
            (f"/exports/incidents.{fmt}", wide) for fmt in ("csv", "geojson", "gpkg")
        ],
        "/api/v1/exports/hexagons.{fmt}": [
            (f"/exports/hexagons.{fmt}", {**wide, "res": "8"}) for fmt in ("csv", "geojson", "gpkg")
        ],
        "/api/v1/stats/summary": [("/stats/summary", wide), ("/stats/summary", {"qpv": "in"})],
        "/api/v1/stats/communes": [("/stats/communes", wide), ("/stats/communes", PERIOD)],
        "/api/v1/stats/timeslots": [("/stats/timeslots", wide), ("/stats/timeslots", PERIOD)],
        "/api/v1/stats/trends": [
            ("/stats/trends", {**wide, "by": "category"}),
            ("/stats/trends", {"by": "family"}),
        ],
        "/api/v1/stats/compstat": [("/stats/compstat", {"to": "2024-12-31"})],
        "/api/v1/stats/territories": [
            ("/stats/territories", PERIOD),
            ("/stats/territories", {"generation": "2015"}),
        ],
        "/api/v1/layers/hotspots": [("/layers/hotspots", {"res": "8", "k": "1"})],
        "/api/v1/layers/emerging-hotspots": [("/layers/emerging-hotspots", {"res": "8"})],
        "/api/v1/stats/near-repeat": [("/stats/near-repeat", {"permutations": "19"})],
        "/api/v1/audit": [("/audit", {})],
        "/api/v1/reports/pack": [
            (
                "/reports/pack",
                {"commune": TOULOUSE, "from": "2024-01", "to": "2024-12", "format": "html"},
            ),
        ],
        "/api/v1/actions": [("/actions", {})],
        "/api/v1/actions/{action_id}": [(f"/actions/{act}", {}), (f"/actions/{other}", {})],
        "/api/v1/actions/{action_id}/evaluation": [
            (f"/actions/{act}/evaluation", {"months": "3"}),
            (f"/actions/{other}/evaluation", {"months": "3"}),
        ],
        "/api/v1/tiles/hexagons/{z}/{x}/{y}.pbf": tiles,
        "/api/v1/tiles/hexagons.json": [
            ("/tiles/hexagons.json", {**wide, "res": "10"}),
            ("/tiles/hexagons.json", {"res": "8"}),
        ],
        "/api/v1/incidents": [("/incidents", {"size": "200"}), ("/incidents", wide)],
        "/api/v1/layers/change": [("/layers/change", {**change, "res": "8"})],
        "/api/v1/admin/accounts": [("/admin/accounts", {})],
        "/api/v1/admin/groups": [("/admin/groups", {})],
    }


@pytest.fixture(scope="module")
def world(engine: Engine, database_url: str, tmp_path_factory: Any) -> Iterator[ScopeWorld]:
    yield from scope_world(engine, database_url, Path(tmp_path_factory.mktemp("scopes")))


def get_routes(world: ScopeWorld) -> set[str]:
    spec = world.client.get("/api/v1/openapi.json").json()
    return {path for path, operations in spec["paths"].items() if "get" in operations}


def test_every_get_route_is_checked_or_exempted(world: ScopeWorld) -> None:
    routes = get_routes(world)
    listed = set(cases(world))
    assert not listed & set(EXEMPT)
    assert routes - listed - set(EXEMPT) == set(), "a GET route neither checked nor exempted"
    assert listed | set(EXEMPT) <= routes, "a route listed here is gone"


@pytest.mark.parametrize("role", ROLES)
def test_no_answer_to_a_scoped_caller_tells_anything_of_the_other_commune(
    world: ScopeWorld, role: str
) -> None:
    found: dict[str, list[str]] = {}
    statuses: dict[str, int] = {}
    for route, asked in cases(world).items():
        for path, params in asked:
            answer = world.get(path, params, f"tls-{role}")
            label = f"{route} {path} {params}"
            statuses[label] = answer.status_code
            assert answer.status_code < 500, (label, answer.text[:300])
            if problems := leaks(answer.content, world):
                found[label] = problems
    assert found == {}
    # Not vacuous: the scoped caller reads its own commune where its role may.
    ok = {label for label, status in statuses.items() if status == 200}
    assert any(label.startswith("/api/v1/layers/hexagons") for label in ok)
    assert any(label.startswith("/api/v1/stats/summary") for label in ok)
    assert any(label.startswith("/api/v1/layers/communes") for label in ok)
    if role != "partner":  # the roles that follow the imports read Toulouse's mapping only
        assert "/api/v1/mappings/{name} /mappings/pm-toulouse {}" in ok
        assert statuses["/api/v1/mappings/{name} /mappings/pm-voisine {}"] == 404


def test_the_markers_are_there_for_a_caller_of_every_commune(world: ScopeWorld) -> None:
    """The same questions asked by callers of every commune do find Blagnac: the markers and
    the cells the isolation test looks for are real."""
    seen: set[str] = set()
    for role in ROLES:
        for route, asked in cases(world).items():
            for path, params in asked:
                answer = world.get(path, params, f"all-{role}")
                seen |= {f"{route}: {m}" for m in leaks(answer.content, world)}
    for expected in (
        "/api/v1/layers/communes: blagnac",
        "/api/v1/layers/qpv: " + BLAGNAC_QPV.lower(),
        "/api/v1/imports: blagnac",
        "/api/v1/imports/{batch_id}/rejects: blg-",
        "/api/v1/mappings: blagnac",
        "/api/v1/mappings/{name}: blagnac",
        "/api/v1/mappings/{name}/toml: blagnac",
        "/api/v1/etat4001/services: blagnac",
        "/api/v1/actions: blagnac",
        "/api/v1/audit: blagnac",
        "/api/v1/incidents: blg-",
        "/api/v1/exports/incidents.{fmt}: blg-",
    ):
        assert any(s.lower() == expected.lower() for s in seen), expected
    cells = [s for s in seen if s.startswith("/api/v1/layers/hexagons: 8")]
    assert cells, "no Blagnac-only cell on the unscoped map"


def test_scoped_reads_of_batches_and_actions_of_the_other_commune_are_not_found(
    world: ScopeWorld,
) -> None:
    theirs, other = world.batches[BLAGNAC], world.actions[BLAGNAC]
    for path in (f"/imports/{theirs}", f"/imports/{theirs}/rejects", f"/actions/{other}"):
        assert world.get(path, {}, "tls-admin").status_code == 404, path
    listed = world.get("/imports", {}, "tls-admin").json()
    assert [b["batch_id"] for b in listed["items"]] == [world.batches[TOULOUSE]]
    assert listed["total"] == 1
    audit = world.get("/audit", {}, "tls-admin").json()["entries"]
    actors = {e["actor"] for e in audit}
    assert "agent-toulouse" in actors
    assert all(a == "agent-toulouse" or a.startswith("tls-") for a in actors), actors


def totals(world: ScopeWorld, path: str, params: dict[str, Any], who: str) -> Any:
    answer = world.get(path, params, who)
    assert answer.status_code == 200, (path, params, answer.text[:300])
    body = answer.json()
    body.pop("filter", None)  # the filter as understood names the commune asked, or not
    if isinstance(body.get("metadata"), dict):
        body["metadata"].pop("filter", None)
    return body


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "from": st.sampled_from(["2024-01-01", "2024-03-15", "2024-06-01"]),
        "to": st.sampled_from(["2024-07-31", "2024-12-31"]),
        "categories": st.sampled_from(["tranquillite", "vols", "personnes,vols"]),
        "hours": st.sampled_from(["22-6", "7-19", "0-12"]),
        "bbox": st.sampled_from([BOTH, "1.30,43.50,1.55,43.70", "1.35,43.62,1.41,43.67"]),
        "qpv": st.sampled_from(["in", "out"]),
    },
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=FILTERS, res=st.integers(min_value=6, max_value=11))
def test_a_scoped_answer_is_the_answer_for_its_communes_alone(
    world: ScopeWorld, params: dict[str, str], res: int
) -> None:
    """Differencing: the same question with and without commune=31555 gives a caller scoped to
    Toulouse the same answer, which is an unscoped caller's answer for Toulouse."""
    for path, extra in (
        ("/layers/hexagons", {"res": str(res)}),
        ("/stats/summary", {}),
        ("/stats/timeslots", {}),
    ):
        asked = {**params, **extra}
        scoped = totals(world, path, asked, "tls-police")
        narrowed = totals(world, path, {**asked, "commune": TOULOUSE}, "tls-police")
        alone = totals(world, path, {**asked, "commune": TOULOUSE}, "all-police")
        assert scoped == narrowed, (path, asked)
        # The data's first and last days are those of the caller's communes.
        scoped.pop("data_range", None)
        alone.pop("data_range", None)
        assert scoped == alone, (path, asked)
