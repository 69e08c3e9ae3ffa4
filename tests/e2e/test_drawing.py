"""Drawing on the map (issue 20), in a real headless Chromium: an action drawn, saved and
evaluated; a zone drawn and its total against PostGIS; the near-repeat panel; the hot-spot
settings under « Avancé »; an uploaded GeoJSON checked in the page."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

pytestmark = pytest.mark.e2e

CAPITOLE = (1.44395, 43.60447)
# The map at street level round the Capitole, no layer to catch the clicks.
VIEW = f"vue={CAPITOLE[1]},{CAPITOLE[0]},15&couches="


@pytest.fixture
def no_actions(site: Site) -> Iterator[None]:
    yield
    with site.engine.begin() as conn:
        conn.execute(text("TRUNCATE action RESTART IDENTITY"))


def draw_square(page: Any, button: str, half: int = 120) -> None:
    """Click the button, then four vertices round the map's centre, closing on the first."""
    page.click(button)
    page.wait_for_selector("#barre-dessin")
    box = page.locator("#carte").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [
        (x - half, y - half),
        (x + half, y - half),
        (x + half, y + half),
        (x - half, y + half),
    ]
    for cx, cy in corners:
        page.mouse.click(cx, cy)
    # A slip: one more vertex, taken back by « Annuler le dernier point ».
    page.mouse.click(x, y + 1.5 * half)
    page.click("#dessin-defaire")
    page.mouse.click(*corners[0])  # closes the polygon
    page.wait_for_selector("#barre-dessin", state="detached")


def test_an_action_is_drawn_saved_edited_and_evaluated(
    open_page: Callable[..., Any], site: Site, no_actions: None
) -> None:
    page = open_page()
    sign_in(page, site, "police", f"/?{VIEW}")
    panel = page.locator("#panneau-actions-clspd")
    assert panel.is_visible()
    panel.locator("summary", has_text="Saisir une action").click()
    page.fill("#action-titre", "Médiation de nuit, Capitole")
    page.fill("#action-reference", "FA-3.1")
    page.select_option("#action-nature", "mediation")
    page.fill("#action-debut", "2025-01-01")
    page.fill("#action-note", "Deux médiateurs, 22 h – 2 h.")
    draw_square(page, "#action-zone-dessiner")
    assert "polygone dessiné (4 sommets)" in page.inner_text("#action-zone-etat")
    page.click("#action-enregistrer")
    page.wait_for_selector("#action-enregistree")

    token = {"Authorization": f"Bearer {site.tokens['police']}"}
    actions = httpx.get(f"{site.url}/api/v1/actions", headers=token, timeout=30).json()
    assert [f["properties"]["title"] for f in actions["features"]] == [
        "Médiation de nuit, Capitole"
    ]
    saved = actions["features"][0]
    assert saved["properties"]["place_kind"] == "polygon"
    assert saved["properties"]["created_by"] == site.people["police"].email
    # The drawn square surrounds the map's centre, the Capitole: PostGIS agrees.
    with site.engine.connect() as conn:
        inside = conn.execute(
            text("SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) FROM action"),
            {"x": CAPITOLE[0], "y": CAPITOLE[1]},
        ).scalar_one()
    assert inside is True
    row = page.locator("#table-actions tr[data-action='1']")
    assert "Médiation de nuit, Capitole" in row.inner_text()

    # Edited in the page: a new title, kept on record.
    row.get_by_role("button", name="Modifier").click()
    assert page.input_value("#action-titre") == "Médiation de nuit, Capitole"
    page.fill("#action-titre", "Médiation de nuit, place du Capitole")
    page.click("#action-enregistrer")
    page.wait_for_function(
        "() => document.querySelector('#action-enregistree')?.textContent.includes('modifiée')"
    )
    one = httpx.get(f"{site.url}/api/v1/actions/1", headers=token, timeout=30).json()
    assert one["properties"]["title"] == "Médiation de nuit, place du Capitole"

    page.click("#action-evaluer")
    page.wait_for_selector("#panneau-evaluation[data-etat='pret']")
    evaluation = page.locator("#panneau-evaluation")
    assert "Médiation de nuit, place du Capitole" in evaluation.inner_text()
    expected = httpx.get(
        f"{site.url}/api/v1/actions/1/evaluation", headers=token, timeout=60
    ).json()
    treated = evaluation.locator("tr[data-zone='treated'] td.avant").inner_text()
    assert (
        int(treated.replace("\u202f", "").replace(" ", ""))
        == (expected["areas"]["treated"]["before"])
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=ARTIFACTS / "panneau-actions-clspd.png")
    assert page_errors(page) == []


def test_a_drawn_zone_totals_like_postgis(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    # Drawn over the hexagons: a click on a cell makes a vertex, not the cell's popup.
    sign_in(page, site, "admin", f"/?periode=tout&{VIEW}hexagones")
    with page.expect_request(lambda r: "/api/v1/stats/zone" in r.url) as sent:
        draw_square(page, "#zone-dessiner", half=130)
    polygon = sent.value.post_data_json
    page.wait_for_selector("#panneau-zone[data-etat='pret']")
    shown = int(page.get_attribute("#zone-total", "data-total") or "-1")
    with site.engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM incident WHERE ST_Contains("
                "ST_SetSRID(ST_GeomFromGeoJSON(:zone), 4326), geom)"
            ),
            {"zone": json.dumps(polygon)},
        ).scalar_one()
    assert shown == expected > 0
    assert "polygone dessiné (4 sommets)" in page.inner_text("#panneau-zone")
    assert page.locator(".leaflet-popup").count() == 0
    page.wait_for_function("() => !!Chart.getChart(document.querySelector('#panneau-zone canvas'))")
    # A file in Lambert-93 is refused in the page, in French, before any request.
    page.set_input_files(
        "#zone-fichier",
        files=[
            {
                "name": "zone-l93.geojson",
                "mimeType": "application/geo+json",
                "buffer": json.dumps(
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [574000, 6279000],
                                [575000, 6279000],
                                [575000, 6280000],
                                [574000, 6279000],
                            ]
                        ],
                    }
                ).encode(),
            }
        ],
    )
    # The page reads the file asynchronously: wait until its refusal is written.
    page.wait_for_function(
        "() => document.querySelector('#zone-etat').textContent.includes('Lambert-93')",
        timeout=15000,
    )
    assert "doit être reprojeté en EPSG:4326" in page.inner_text("#zone-etat")
    page.locator("#panneau-zone").screenshot(path=ARTIFACTS / "panneau-zone.png")
    assert page_errors(page) == []


def test_near_repeats_are_read_in_french(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "analyst", "/?periode=12m&categories=cambriolage_logement")
    page.select_option("#repetitions-permutations", "99")
    page.click("#repetitions-calculer")
    page.wait_for_selector("#panneau-repetitions[data-etat='pret']", timeout=120_000)
    table = page.locator("#table-knox")
    assert table.locator("tbody tr").count() == 3
    assert table.locator("thead th").count() == 4
    reading = page.inner_text("#panneau-repetitions .lecture-repetitions")
    assert reading.startswith(
        "Après un fait « cambriolage de logement », le risque d'un autre à moins de 100 m "
        "dans les 7 jours"
    )
    page.locator("#panneau-repetitions").screenshot(path=ARTIFACTS / "panneau-repetitions.png")
    assert page_errors(page) == []


def test_hot_spot_settings_are_kept_in_the_address_and_sent(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    sign_in(page, site, "police", "/?couches=chauds")
    page.click("#filtres-avance summary")
    with page.expect_request(
        lambda r: "/layers/hotspots" in r.url and "alpha=0.01" in r.url, timeout=60_000
    ) as asked:
        page.select_option("#chauds-k", "2")
        page.select_option("#chauds-confiance", "99")
    query = parse_qs(urlsplit(asked.value.url).query)
    assert query["k"] == ["2"] and query["alpha"] == ["0.01"]
    state = parse_qs(urlsplit(page.url).query)
    assert state["hs_k"] == ["2"] and state["hs_conf"] == ["99"]
    # Reopened from the address, the settings are where they were left.
    page.reload()
    page.wait_for_selector("#chauds-confiance", state="attached")
    assert page.input_value("#chauds-confiance") == "99"
    assert page.input_value("#chauds-k") == "2"
    assert page_errors(page) == []


def test_partners_get_no_drawing_panels(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "partner")
    for panel in ("#panneau-actions-clspd", "#panneau-zone", "#panneau-repetitions"):
        assert page.locator(panel).is_hidden()
    assert page_errors(page) == []


def test_an_analyst_gets_no_zone_under_a_cell(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "analyst", f"/?periode=tout&{VIEW}")
    draw_square(page, "#zone-dessiner", half=8)  # about 50 m × 50 m at zoom 15
    page.wait_for_selector("#panneau-zone[data-etat='erreur']")
    assert "Zone trop petite pour un analyste" in page.inner_text("#panneau-zone [role=alert]")
    # A large zone is answered in whole resolution-10 cells, and says so.
    draw_square(page, "#zone-dessiner", half=130)
    page.wait_for_selector("#panneau-zone[data-etat='pret']")
    assert "hexagones entiers de résolution 10" in page.inner_text("#panneau-zone")
    # Whole weeks at resolution 10: no day × hour table (it would date each fact to the hour).
    assert "pas de tableau jour × heure" in page.inner_text("#panneau-zone")
    assert page.locator("#panneau-zone .matrice-zone").count() == 0
    page.locator("#panneau-zone").screenshot(path=ARTIFACTS / "panneau-zone-analyste.png")
    assert page_errors(page) == []
