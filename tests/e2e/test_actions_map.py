"""The CLSPD's actions on the map (issue 11): the « Actions du CLSPD » layer and the evaluation
panel, in a real headless Chromium, against the figures of the API itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

pytestmark = pytest.mark.e2e

LAYER = "Actions du CLSPD"
CAPITOLE = (1.44395, 43.60447)


def overlay(page: Any, name: str) -> Any:
    return page.locator(".leaflet-control-layers-overlays label", has_text=name)


@pytest.fixture
def action(site: Site) -> Iterator[dict[str, Any]]:
    """One action round the Capitole, started mid-way through the samples (2024–2025)."""
    answer = httpx.post(
        f"{site.url}/api/v1/actions",
        json={
            "title": "Vidéoprotection du Capitole",
            "reference": "FA-1.2",
            "kind": "videoprotection",
            "start": "2025-01-01",
            "place": {"kind": "point", "lon": CAPITOLE[0], "lat": CAPITOLE[1], "radius": 400},
        },
        headers={"Authorization": f"Bearer {site.tokens['admin']}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    yield answer.json()
    from sqlalchemy import text

    with site.engine.begin() as conn:
        conn.execute(text("TRUNCATE action RESTART IDENTITY"))


def test_actions_layer_and_evaluation_panel(
    open_page: Callable[..., Any], site: Site, action: dict[str, Any]
) -> None:
    action_id = action["properties"]["id"]
    expected = httpx.get(
        f"{site.url}/api/v1/actions/{action_id}/evaluation",
        headers={"Authorization": f"Bearer {site.tokens['analyst']}"},
        timeout=60,
    ).json()

    page = open_page()
    sign_in(page, site, "analyst")
    assert page.locator("#panneau-evaluation").is_hidden()
    overlay(page, LAYER).locator("input").check()
    zone = page.locator(f".leaflet-contours-pane path[data-action='{action_id}']")
    zone.wait_for()
    assert LAYER in page.inner_text(".legende")

    zone.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Vidéoprotection du Capitole" in popup.inner_text()
    assert "FA-1.2" in popup.inner_text()
    popup.get_by_role("button", name="Évaluer l'action").click()

    panel = page.locator("#panneau-evaluation")
    page.wait_for_selector("#panneau-evaluation[data-etat='pret']")
    assert panel.is_visible()
    assert "Évaluation avant/après : Vidéoprotection du Capitole" in panel.inner_text()
    for zone_name, key in (("treated", "treated"), ("buffer", "buffer"), ("control", "control")):
        row = panel.locator(f"tr[data-zone='{zone_name}']")
        before = int(row.locator("td.avant").inner_text().replace("\u202f", "").replace(" ", ""))
        after = int(row.locator("td.apres").inner_text().replace("\u202f", "").replace(" ", ""))
        assert (before, after) == (
            expected["areas"][key]["before"],
            expected["areas"][key]["after"],
        )
        # The page shows the server's own words (observatory/actions/reading.py).
        assert row.locator("td").nth(2).inner_text() == expected["display"]["changes"][key]
    assert panel.locator("#evaluation-wdq").inner_text() == expected["display"]["wdq"]
    assert panel.locator("#evaluation-verdict").inner_text() == expected["display"]["verdict"]
    shown = float(page.get_attribute("#evaluation-effet", "data-valeur") or "nan")
    assert shown == pytest.approx(expected["relative_effect"]["relative_change"])
    assert expected["reading"][2] in panel.inner_text()
    # The chart is drawn (Chart.js fills its canvas), and the ring shows on the map.
    assert page.evaluate(
        "() => { const c = document.querySelector('#panneau-evaluation canvas');"
        " return !!Chart.getChart(c) && c.width > 0; }"
    )
    page.wait_for_selector(".leaflet-contours-pane path[stroke-dasharray='5 4']")

    page.select_option("#evaluation-mois", "6")
    page.wait_for_function(
        "() => document.querySelector('#panneau-evaluation').dataset.etat === 'pret'"
        " && document.querySelector('#panneau-evaluation .aide').textContent.includes('juin')"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=ARTIFACTS / "panneau-evaluation.png")
    page.get_by_role("button", name="Fermer l'évaluation").click()
    assert page.locator("#panneau-evaluation").is_hidden()
    assert page_errors(page) == []


def test_partner_has_no_actions_layer(
    open_page: Callable[..., Any], site: Site, action: dict[str, Any]
) -> None:
    page = open_page()
    sign_in(page, site, "partner")
    assert overlay(page, LAYER).count() == 0
    assert page_errors(page) == []


def test_a_null_effect_is_not_shown_as_a_success(open_page: Callable[..., Any], site: Site) -> None:
    """The demo's « Médiation de nuit, Arnaud-Bernard »: 0 % in the treated area, p = 0,99."""
    from observatory.cli.imports import DEMO_ACTIONS

    demo = next(a for a in DEMO_ACTIONS if "Arnaud-Bernard" in a.title)
    created = httpx.post(
        f"{site.url}/api/v1/actions",
        json={
            "title": demo.title,
            "reference": demo.reference,
            "kind": demo.kind,
            "start": demo.start.isoformat(),
            "place": {"kind": "point", "lon": demo.lon, "lat": demo.lat, "radius": demo.radius},
            "categories": demo.categories,
        },
        headers={"Authorization": f"Bearer {site.tokens['admin']}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    action_id = created.json()["properties"]["id"]
    try:
        page = open_page()
        sign_in(page, site, "police")
        overlay(page, LAYER).locator("input").check()
        zone = page.locator(f".leaflet-contours-pane path[data-action='{action_id}']")
        zone.wait_for()
        zone.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "(exemple))" not in popup.inner_text()
        popup.get_by_role("button", name="Évaluer l'action").click()
        page.wait_for_selector("#panneau-evaluation[data-etat='pret']")
        panel = page.locator("#panneau-evaluation")
        text = panel.inner_text()
        assert panel.locator("#evaluation-wdq").inner_text() == "non interprétable"
        assert panel.locator("#evaluation-effet-net").inner_text() == "non interprétable"
        assert "Déplacement non interprétable : pas d'effet direct mesuré" in text
        assert "En bref : pas d'effet mesuré" in text
        assert "faits en moins" not in text and "WDQ =" not in text
        assert "−0 %" not in text.replace("\u00a0", " ").replace("\u202f", " ")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=ARTIFACTS / "panneau-evaluation-effet-nul.png")
        assert page_errors(page) == []
    finally:
        from sqlalchemy import text as sql

        with site.engine.begin() as conn:
            conn.execute(sql("TRUNCATE action RESTART IDENTITY"))
