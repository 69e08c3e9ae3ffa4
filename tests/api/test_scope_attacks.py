"""Attacks on a scope (issue 21): what a caller scoped to Toulouse tries to learn of Blagnac.

Naming the other commune or its QPV, bisecting a box over it, differencing, reading a wider
caller's cached answer, writing an action there, uploading its facts, asking its pack or its
service: each is refused or answers with Toulouse alone. A partner's numbers for Toulouse are
the same whatever the scope (one release, restricted).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from observatory.store.scoped import ScopedSnapshots
from observatory.store.snapshot import restricted
from tests.samples import FACTS_HEADER
from tests.scope_world import (
    BLAGNAC,
    BLAGNAC_QPV,
    TOULOUSE,
    ScopeWorld,
    action_body,
    leaks,
    scope_world,
)

REFUSAL = f"La commune {BLAGNAC} n'est pas dans votre périmètre ({TOULOUSE})."
PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}


@pytest.fixture(scope="module")
def world(engine: Engine, database_url: str, tmp_path_factory: Any) -> Iterator[ScopeWorld]:
    yield from scope_world(engine, database_url, Path(tmp_path_factory.mktemp("attacks")))


def blagnac_box(world: ScopeWorld, margin: float = 0.002) -> tuple[float, float, float, float]:
    lons = [p[0] for p in world.blagnac_points]
    lats = [p[1] for p in world.blagnac_points]
    return min(lons) - margin, min(lats) - margin, max(lons) + margin, max(lats) + margin


def box(values: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:.6f}" for v in values)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/layers/hexagons", {"commune": BLAGNAC}),
        ("/stats/summary", {"commune": BLAGNAC}),
        ("/stats/territories", {"commune": BLAGNAC}),
        ("/layers/incidents", {"commune": BLAGNAC}),
        ("/incidents", {"commune": BLAGNAC}),
        ("/exports/incidents.csv", {"commune": BLAGNAC}),
        ("/layers/communes", {"commune": BLAGNAC}),
        ("/layers/qpv", {"commune": BLAGNAC}),
        ("/actions", {"commune": BLAGNAC}),
        ("/etat4001/services", {"commune": BLAGNAC}),
        ("/stats/etat4001", {"commune": BLAGNAC}),
        ("/reports/pack", {"commune": BLAGNAC, "from": "2024-01", "to": "2024-12"}),
    ],
)
def test_naming_the_other_commune_is_refused(
    world: ScopeWorld, path: str, params: dict[str, str]
) -> None:
    answer = world.get(path, params, "tls-police")
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["detail"] == REFUSAL


@pytest.mark.parametrize("role", ["police", "analyst", "partner"])
def test_naming_a_qpv_of_the_other_commune_is_refused(world: ScopeWorld, role: str) -> None:
    answer = world.get("/stats/summary", {"qpv": BLAGNAC_QPV}, f"tls-{role}")
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"] == (
        f"Le QPV {BLAGNAC_QPV} n'est pas dans votre périmètre ({TOULOUSE})."
    )
    # The unscoped caller may ask it (the QPV exists and has facts).
    assert world.get("/stats/summary", {"qpv": BLAGNAC_QPV}, "all-police").json()["total"] > 0
    # A QPV of Toulouse is answered.
    assert world.get("/stats/summary", {"qpv": "QN03107M"}, f"tls-{role}").status_code == 200


def test_an_action_evaluated_against_the_other_commune_is_refused(world: ScopeWorld) -> None:
    action = world.actions[TOULOUSE]
    answer = world.get(f"/actions/{action}/evaluation", {"control": BLAGNAC}, "tls-police")
    assert answer.status_code == 403
    answer = world.get(f"/actions/{action}/evaluation", {"control": BLAGNAC_QPV}, "tls-police")
    assert answer.status_code == 403


@pytest.mark.parametrize("role", ["police", "analyst", "partner"])
def test_bisecting_a_box_over_the_other_commune_finds_nothing(world: ScopeWorld, role: str) -> None:
    west, south, east, north = blagnac_box(world)
    # The unscoped caller finds Blagnac's facts in the box: the attack has a target.
    wide = world.get("/stats/summary", {"bbox": box((west, south, east, north))}, f"all-{role}")
    assert wide.json()["total"] not in (0, None)
    halves = [(west, south, east, north)]
    for _ in range(4):
        w, s, e, n = halves.pop()
        if e - w > n - s:
            halves += [(w, s, (w + e) / 2, n), ((w + e) / 2, s, e, n)]
        else:
            halves += [(w, s, e, (s + n) / 2), (w, (s + n) / 2, e, n)]
        for part in halves[-2:]:
            summary = world.get("/stats/summary", {"bbox": box(part)}, f"tls-{role}").json()
            assert summary["total"] == 0, (part, summary)
            hexagons = world.get("/layers/hexagons", {"bbox": box(part), "res": "8"}, f"tls-{role}")
            assert hexagons.json()["features"] == []


def test_differencing_with_and_without_the_commune_gives_nothing(world: ScopeWorld) -> None:
    for path in ("/stats/summary", "/stats/trends", "/layers/hexagons"):
        without = world.get(path, PERIOD, "tls-analyst").json()
        named = world.get(path, {**PERIOD, "commune": TOULOUSE}, "tls-analyst").json()
        for body in (without, named):
            body.pop("filter", None)
            if isinstance(body.get("metadata"), dict):
                body["metadata"].pop("filter", None)
        assert without == named, path


def test_a_wider_callers_cached_answer_is_never_served_to_a_scoped_one(
    world: ScopeWorld,
) -> None:
    params = {"from": "2024-02-01", "to": "2024-11-30", "categories": "vols,tranquillite"}
    wide = world.get("/stats/summary", params, "all-police")
    wide_again = world.get("/stats/summary", params, "all-police")
    assert wide_again.content == wide.content  # kept and served again
    scoped = world.get("/stats/summary", params, "tls-police")
    assert scoped.status_code == 200
    assert scoped.content != wide.content
    assert scoped.headers["etag"] != wide.headers["etag"]
    alone = world.get("/stats/summary", {**params, "commune": TOULOUSE}, "all-police").json()
    assert scoped.json()["total"] == alone["total"] < wide.json()["total"]
    # The scoped caller's own answer is kept and served again with its own ETag (the
    # middleware before the routing reads the token's scope too).
    again = world.get("/stats/summary", params, "tls-police")
    assert again.content == scoped.content and again.headers["etag"] == scoped.headers["etag"]
    # A wide caller's If-None-Match does not turn into a 304 for the scoped one.
    headers = {**world.who["tls-police"], "If-None-Match": wide.headers["etag"]}
    answer = world.client.get("/api/v1/stats/summary", params=params, headers=headers)
    assert answer.status_code == 200 and answer.content == scoped.content


def test_a_partner_reads_the_same_noisy_numbers_for_its_commune_in_any_scope(
    world: ScopeWorld,
) -> None:
    asked = {**PERIOD, "res": "8"}
    scoped = world.get("/layers/hexagons", asked, "tls-partner").json()
    duo = world.get("/layers/hexagons", {**asked, "commune": TOULOUSE}, "duo-partner").json()
    every = world.get("/layers/hexagons", {**asked, "commune": TOULOUSE}, "all-partner").json()
    assert scoped["features"], "the release has Toulouse's cells"
    assert scoped["features"] == duo["features"] == every["features"]
    summary = [
        world.get("/stats/summary", params, who).json()
        for params, who in (
            (PERIOD, "tls-partner"),
            ({**PERIOD, "commune": TOULOUSE}, "duo-partner"),
            ({**PERIOD, "commune": TOULOUSE}, "all-partner"),
        )
    ]
    for body in summary:
        body.pop("filter")
        body.pop("data_range", None)
    assert summary[0] == summary[1] == summary[2]
    # The partner of both communes sees more than Toulouse: its scope is not narrowed to one.
    both = world.get("/stats/summary", PERIOD, "duo-partner").json()
    assert both["total"] != summary[0]["total"] or both["families"] != summary[0]["families"]


def test_an_action_in_the_other_commune_cannot_be_written(world: ScopeWorld) -> None:
    with world.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM action")).scalar_one()
    made = world.client.post(
        "/api/v1/actions",
        json=action_body("Caméras hors périmètre", world.blagnac_points[3]),
        headers=world.who["tls-police"],
    )
    assert made.status_code == 403, made.text
    assert made.json()["detail"].startswith(f"Le lieu de l'action est dans la commune {BLAGNAC}")
    mine = world.actions[TOULOUSE]
    moved = world.client.put(
        f"/api/v1/actions/{mine}",
        json=action_body("Déplacée", world.blagnac_points[3]),
        headers=world.who["tls-police"],
    )
    assert moved.status_code == 403
    theirs = world.actions[BLAGNAC]
    edited = world.client.put(
        f"/api/v1/actions/{theirs}",
        json=action_body("Reprise", world.toulouse_points[3]),
        headers=world.who["tls-police"],
    )
    assert edited.status_code == 404
    with world.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM action")).scalar_one() == before
        titles = set(conn.execute(text("SELECT title FROM action")).scalars())
    assert titles == {"Caméras du Taur", "Caméras de Blagnac"}


def test_the_other_communes_service_is_unknown_to_a_scoped_reader(world: ScopeWorld) -> None:
    answer = world.get("/stats/etat4001", {"service": "BRIGADE DE BLAGNAC"}, "tls-police")
    assert answer.status_code == 422
    assert "BLAGNAC" in answer.json()["detail"]  # the name asked, echoed…
    assert "CSP TOULOUSE" in answer.json()["detail"]  # …and the names there are: its own
    assert answer.json()["detail"].count("BLAGNAC") == 1
    rows = world.get("/stats/etat4001", {"department": "31"}, "tls-police").json()
    assert {r["service"] for r in rows} == {"", "CSP TOULOUSE"}
    everyone = world.get("/stats/etat4001", {"department": "31"}, "all-police").json()
    assert {r["service"] for r in everyone} == {"", "CSP TOULOUSE", "BRIGADE DE BLAGNAC"}
    # The département's own totals are public statistics: the same for both.
    assert [r for r in rows if r["service"] == ""] == [r for r in everyone if r["service"] == ""]
    put = world.client.put(
        "/api/v1/etat4001/services",
        json={"perimeter": "PN", "department": "31", "service": "CSP TOULOUSE", "communes": []},
        headers=world.who["tls-admin"],
    )
    assert put.status_code == 403


def test_batches_record_the_communes_of_their_facts(world: ScopeWorld) -> None:
    with world.engine.connect() as conn:
        found = dict(conn.execute(text("SELECT id, communes FROM import_batch")).all())
    assert found[world.batches[TOULOUSE]] == [TOULOUSE]
    assert found[world.batches[BLAGNAC]] == [BLAGNAC]
    # Boundaries have no communes of facts: an unscoped admin sees them, a scoped one not.
    assert any(c is None for c in found.values())
    every = world.get("/imports", {"limit": "500"}, "all-admin").json()["total"]
    assert every == len(found)


def test_pack_jobs_are_scoped(world: ScopeWorld) -> None:
    jobs = "/api/v1/reports/pack/jobs"
    refused = world.client.post(
        jobs,
        params={"commune": BLAGNAC, "from": "2024-01", "to": "2024-12", "format": "html"},
        headers=world.who["tls-police"],
    )
    assert refused.status_code == 403 and refused.json()["detail"] == REFUSAL
    started = world.client.post(
        jobs,
        params={"commune": TOULOUSE, "from": "2024-01", "to": "2024-12", "format": "html"},
        headers=world.who["tls-police"],
    )
    assert started.status_code in (200, 201, 202), started.text
    job = started.json()["id"]
    deadline = time.monotonic() + 120
    state = started.json()
    while state["state"] not in ("pret", "echec") and time.monotonic() < deadline:
        time.sleep(0.5)
        state = world.client.get(f"{jobs}/{job}", headers=world.who["tls-police"]).json()
    assert state["state"] == "pret", state
    # Another caller, even of every commune, does not see the job.
    assert world.client.get(f"{jobs}/{job}", headers=world.who["all-police"]).status_code == 404
    pack = world.client.get(f"{jobs}/{job}/file", headers=world.who["tls-police"])
    assert pack.status_code == 200
    assert "Toulouse" in pack.text
    assert leaks(pack.content, world) == []


def test_the_restricted_snapshots_are_kept_and_bounded(world: ScopeWorld) -> None:
    full = world.client.app.state.store.snapshot()  # type: ignore[attr-defined]
    kept = ScopedSnapshots(kept=2)
    one = kept.view(full, frozenset({TOULOUSE}))
    assert kept.view(full, frozenset({TOULOUSE})) is one and kept.built == 1
    assert kept.view(full, None) is full
    assert one.communes == (TOULOUSE,) and one.size == restricted(full, frozenset({TOULOUSE})).size
    kept.view(full, frozenset({BLAGNAC}))
    kept.view(full, frozenset({TOULOUSE, BLAGNAC}))
    assert len(kept) == 2 and kept.built == 3
    assert kept.view(full, frozenset({TOULOUSE})) is not one  # left first, built again
    assert kept.built == 4


@pytest.mark.parametrize("role", ["police", "analyst"])
def test_a_zone_drawn_over_the_other_commune_counts_nothing(world: ScopeWorld, role: str) -> None:
    west, south, east, north = blagnac_box(world, margin=0.01)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    zone = {"type": "Polygon", "coordinates": [ring]}
    for who, expected_empty in ((f"all-{role}", False), (f"tls-{role}", True)):
        answer = world.client.post(
            "/api/v1/stats/zone", json=zone, params=PERIOD, headers=world.who[who]
        )
        assert answer.status_code == 200, answer.text
        assert (answer.json()["total"] == 0) is expected_empty, (who, answer.json()["total"])
        if expected_empty:
            assert leaks(answer.content, world) == []


def test_a_scoped_administrator_imports_only_the_rows_of_its_communes(
    world: ScopeWorld, tmp_path: Path
) -> None:
    """Last: it adds facts to Toulouse."""
    (tlon, tlat), (blon, blat) = world.toulouse_points[5], world.blagnac_points[5]
    rows = [
        f"UP-1;02/02/2024;10:00;;;Tapage;1 rue du Taur;{TOULOUSE};{tlon};{tlat}",
        f"UP-2;03/02/2024;11:00;;;Tapage;2 rue Secrète Blagnac;{BLAGNAC};{blon};{blat}",
        f"UP-3;04/02/2024;12:00;;;Tapage;3 rue Secrète Blagnac;;{blon};{blat}",
        f"UP-4;05/02/2024;13:00;;;Nature inconnue;4 rue du Taur;{TOULOUSE};{tlon};{tlat}",
    ]
    content = "\n".join([FACTS_HEADER, *rows]) + "\n"
    answer = world.client.post(
        "/api/v1/imports",
        headers=world.who["tls-admin"],
        files={"file": ("envoi.csv", content.encode(), "text/csv")},
        data={"kind": "incidents", "source": "envoi-scope"},
    )
    assert answer.status_code == 201, answer.text
    batch = answer.json()
    assert batch["rows_read"] == 4 and batch["rows_imported"] == 1
    assert batch["rows_rejected"] == 3 and batch["rows_duplicate"] == 0
    rejects = world.get(f"/imports/{batch['batch_id']}/rejects", {}, "tls-admin").json()
    reasons = {r["row_number"]: r["reason"] for r in rejects["items"]}
    outside = f"Commune {BLAGNAC} hors de votre périmètre ({TOULOUSE})."
    assert reasons[3] == outside and reasons[4] == outside  # given, or found by the point
    with world.engine.connect() as conn:
        communes = conn.execute(
            text("SELECT communes FROM import_batch WHERE id = :id"), {"id": batch["batch_id"]}
        ).scalar_one()
        refs = set(
            conn.execute(
                text("SELECT source_ref FROM incident WHERE source = 'envoi-scope'")
            ).scalars()
        )
    assert communes == [TOULOUSE] and refs == {"UP-1"}
    boundaries = world.client.post(
        "/api/v1/imports",
        headers=world.who["tls-admin"],
        files={"file": ("communes.geojson", b"{}", "application/geo+json")},
        data={"kind": "communes"},
    )
    assert boundaries.status_code == 403


def test_a_scoped_administrator_lists_only_the_tokens_within_its_scope(world: ScopeWorld) -> None:
    """Token names say who reads what: an administrator of Toulouse sees Toulouse's tokens,
    not those of every commune nor those that also read Blagnac."""
    answer = world.get("/tokens", {}, "tls-admin")
    assert answer.status_code == 200, answer.text
    names = {t["name"] for t in answer.json()}
    assert {"tls-admin", "tls-police", "tls-analyst", "tls-partner"} <= names
    assert not names & {"all-admin", "all-police", "duo-police", "duo-partner"}
    assert all(t["communes"] == [TOULOUSE] for t in answer.json())
    everything = {t["name"] for t in world.get("/tokens", {}, "all-admin").json()}
    assert {"all-admin", "duo-police", "tls-police"} <= everything


@pytest.mark.parametrize("path", ["/layers/hotspots", "/layers/emerging-hotspots"])
def test_a_scoped_hot_spot_study_area_stops_at_the_scope_s_edge(
    world: ScopeWorld, path: str
) -> None:
    """Without a commune, the rings of Toulouse's facts near the border would reach into
    Blagnac: for a caller scoped to Toulouse, the area is Toulouse's cells (centres inside its
    outline), as with commune=31555; an unscoped caller's area does cross the border."""
    import h3
    import shapely

    from tests.scope_world import commune_shape

    toulouse = commune_shape("communes_toulouse.geojson", TOULOUSE)
    params = {"res": "8", "k": "1", "from": "2023-01-01", "to": "2024-12-31"}
    scoped = world.get(path, params, "tls-police")
    assert scoped.status_code == 200, scoped.text
    body = scoped.json()
    assert body["metadata"]["study_area"] == f"communes du périmètre : {TOULOUSE}"
    centres = [h3.cell_to_latlng(f["properties"]["h3"]) for f in body["features"]]
    assert centres and all(toulouse.contains(shapely.Point(lng, lat)) for lat, lng in centres)
    same = world.get(path, {**params, "commune": TOULOUSE}, "tls-police").json()
    assert {f["properties"]["h3"] for f in same["features"]} == {
        f["properties"]["h3"] for f in body["features"]
    }
