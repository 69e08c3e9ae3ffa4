"""PUT /actions/{id}: an action edited in the page (issue 20): roles, checks, audit, and an
evaluation that follows the new place."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from sqlalchemy import text

from tests.conftest import audit_rows
from tests.observatory.actions.test_actions import (  # noqa: F401 - the module's fixtures
    BOWTIE,
    CAPITOLE,
    QUIET,
    Loaded,
    clean,
    loaded,
    point_action,
    post,
)


def put(state: Loaded, action_id: int, body: dict[str, Any], who: str = "police") -> Any:
    return state.client.put(f"/api/v1/actions/{action_id}", json=body, headers=getattr(state, who))


def drawn(centre: tuple[float, float], half: float = 0.002) -> dict[str, Any]:
    x, y = centre
    return shapely.geometry.mapping(shapely.box(x - half, y - half, x + half, y + half))


def test_an_action_is_edited_and_audited(clean: Loaded) -> None:  # noqa: F811
    created = post(clean, point_action(), who="police")
    assert created.status_code == 201, created.text
    action_id = created.json()["properties"]["id"]
    body = point_action(
        title="Vidéoprotection déplacée",
        kind="eclairage",
        end="2024-12-31",
        place={"kind": "polygon", "geometry": drawn(QUIET)},
        control=drawn(CAPITOLE, 0.01),
        categories=["vols"],
    )
    answer = put(clean, action_id, body)
    assert answer.status_code == 200, answer.text
    p = answer.json()["properties"]
    assert (p["title"], p["kind"], p["end"], p["place_kind"]) == (
        "Vidéoprotection déplacée",
        "eclairage",
        "2024-12-31",
        "polygon",
    )
    assert p["control_area"] is True
    control = shapely.geometry.shape(p["control_geometry"])
    assert control.contains(shapely.geometry.Point(CAPITOLE))
    assert not control.contains(shapely.geometry.Point(QUIET))
    assert p["created_by"] == "actions-police"  # the author is kept
    assert "vol_simple" in p["categories"]
    # The treated area is the drawn square now, as PostGIS holds it.
    with clean.engine.connect() as conn:
        inside = conn.execute(
            text("SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) FROM action"),
            {"x": QUIET[0], "y": QUIET[1]},
        ).scalar_one()
    assert inside is True
    listed = clean.client.get("/api/v1/actions", headers=clean.analyst).json()
    assert [f["properties"]["title"] for f in listed["features"]] == ["Vidéoprotection déplacée"]
    rows = [r for r in audit_rows(clean.engine) if r[2] == "modification d'action"]
    assert len(rows) == 1 and rows[0][0] == "actions-police" and rows[0][4]["action"] == action_id
    evaluation = clean.client.get(f"/api/v1/actions/{action_id}/evaluation", headers=clean.police)
    assert evaluation.status_code == 200
    assert evaluation.json()["parameters"]["control"]["kind"] == "action"


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"end": "2023-12-31"}, "est avant le début"),
        ({"place": {"kind": "polygon", "geometry": BOWTIE}}, "polygone invalide"),
        ({"control": {"type": "Point", "coordinates": [1.44, 43.6]}}, "zone témoin"),
        ({"kind": "miracle"}, "« kind » inconnu"),
    ],
)
def test_bad_edits_are_422_in_french_and_change_nothing(
    clean: Loaded,  # noqa: F811
    change: dict[str, Any],
    detail: str,
) -> None:
    assert post(clean, point_action()).status_code == 201
    answer = put(clean, 1, point_action(**change))
    assert answer.status_code == 422, answer.text
    assert detail in answer.json()["detail"]
    kept = clean.client.get("/api/v1/actions/1", headers=clean.analyst).json()["properties"]
    assert kept["title"] == "Vidéoprotection place du Capitole" and kept["end"] is None


def test_edit_roles_and_unknown_action(clean: Loaded) -> None:  # noqa: F811
    assert post(clean, point_action()).status_code == 201
    assert put(clean, 1, point_action(title="x"), who="partner").status_code == 403
    assert put(clean, 1, point_action(title="y"), who="admin").status_code == 200
    assert put(clean, 1, point_action(title="z"), who="analyst").status_code == 200
    missing = put(clean, 42, point_action())
    assert missing.status_code == 404 and "introuvable" in missing.json()["detail"]
    assert clean.client.put("/api/v1/actions/1", json=point_action()).status_code == 401


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"title": "Caméra\x00"}, "caractère nul"),
        ({"note": "note\x00"}, "caractère nul"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "hors des années"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "hors des années"),
    ],
)
def test_a_nul_byte_or_a_date_out_of_the_store_is_a_422_on_record_and_edit(
    clean: Loaded,  # noqa: F811
    change: dict[str, Any],
    words: str,
) -> None:
    """A NUL byte reached PostgreSQL (a 500); a year 9999 or 1 was recorded, and its evaluation
    (months before and after) was a 500."""
    created = post(clean, point_action(), who="police")
    assert created.status_code == 201, created.text
    action_id = created.json()["properties"]["id"]
    for answer in (
        post(clean, point_action(**change), who="police"),
        put(clean, action_id, point_action(**change)),
    ):
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"]
    listed = clean.client.get("/api/v1/actions", headers=clean.police)
    assert [f["properties"]["id"] for f in listed.json()["features"]] == [action_id]
