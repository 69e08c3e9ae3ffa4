"""Markup stored in every text a user can set, shown by the pages as text (issue 17).

An analyst's action title once rendered as live HTML in the admin's map tooltip; the CSP
stopped the scripts, not the markup (a link to another site was live). Here the same markup is
stored wherever a user or an imported file can put text: an action's title, reference and note
(the API, as an analyst), a category label (no user path: SQL), the name of a commune (SQL) and
of a QPV (an upload of a GeoJSON, as an administrator), an incident's address (SQL), an import's
file name (the upload), a rejected feature's reason and values (the same upload), an état 4001
service name (SQL, as a crafted workbook would store it; its communes set through the API). The
pages are then opened as an administrator: tooltips, popups, panels, lists and tables must show
the markup as text, and no element, request or blocked inline handler may come from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import text

from observatory.db import make_sessionmaker
from observatory.errors import InvalidInput
from observatory.tokens import create_token
from tests.e2e.conftest import (
    ARTIFACTS,
    Site,
    add_account,
    fill_sign_in,
    page_errors,
    sign_in,
    wait_for_map,
)

pytestmark = pytest.mark.e2e

PAYLOAD = '<img src=x onerror=alert(1)><a href="https://evil.example/">lien</a><b>gras</b>'
TITLE = f"Action {PAYLOAD}"
REFERENCE = f"Fiche {PAYLOAD}"
NOTE = f"Note {PAYLOAD}"
CATEGORY = f"Catégorie {PAYLOAD}"
COMMUNE = f"Commune {PAYLOAD}"
QPV = f"Quartier {PAYLOAD}"
ADDRESS = f"Adresse {PAYLOAD}"
SERVICE = f"Service {PAYLOAD}"
# A file name holds no "/": the API keeps the last part of the uploaded name.
FILE_NAME = "<img src=x onerror=alert(1)><b>gras.geojson"
UPLOADED_NAME = "<b>gras<b> <img src=x onerror=alert(1)> bis.geojson"
QPV_CODE = "QN03199Z"
TOULOUSE = "31555"
CAPITOLE = (1.44395, 43.60447)

# Every CSP violation the page meets, from the start (an injected inline handler would be one).
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def qpv_file() -> bytes:
    """A QPV of 2024 named with markup, and a feature whose code is markup (rejected)."""
    square = [[1.420, 43.615], [1.425, 43.615], [1.425, 43.619], [1.420, 43.619], [1.420, 43.615]]
    feature = {"type": "Polygon", "coordinates": [square]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code_qp": QPV_CODE, "lib_qp": QPV, "insee_com": TOULOUSE},
                "geometry": feature,
            },
            {
                "type": "Feature",
                "properties": {"code_qp": PAYLOAD, "lib_qp": PAYLOAD, "insee_com": TOULOUSE},
                "geometry": feature,
            },
        ],
    }
    return json.dumps(collection, ensure_ascii=False).encode()


@dataclass
class Planted:
    action_id: int
    batch_id: int
    category: str
    incident: tuple[float, float]  # lon, lat of an incident with no neighbour close by


def _headers(site: Site, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.tokens[role]}"}


@pytest.fixture(scope="module")
def planted(site: Site) -> Iterator[Planted]:
    """The markup stored everywhere a user can set text; everything restored after the module."""
    with site.engine.begin() as conn:
        # An incident alone in its ~30 m (a single point at the closest zoom), not at the Capitole.
        incident_id, category, lon, lat, address = conn.execute(
            text(
                "SELECT i.id, i.category_code, ST_X(i.geom), ST_Y(i.geom), i.address"
                " FROM incident i WHERE i.commune_code = :commune AND NOT EXISTS ("
                "  SELECT 1 FROM incident j WHERE j.id <> i.id"
                "  AND ST_DWithin(j.geom, i.geom, 0.0004))"
                " AND NOT ST_DWithin(i.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 0.01)"
                " ORDER BY i.id LIMIT 1"
            ),
            {"commune": TOULOUSE, "lon": CAPITOLE[0], "lat": CAPITOLE[1]},
        ).one()
        old_label = conn.execute(
            text("SELECT label FROM category WHERE code = :c"), {"c": category}
        ).scalar_one()
        old_name = conn.execute(
            text("SELECT name FROM commune WHERE code = :c"), {"c": TOULOUSE}
        ).scalar_one()
        conn.execute(
            text("UPDATE category SET label = :l WHERE code = :c"), {"l": CATEGORY, "c": category}
        )
        conn.execute(
            text("UPDATE commune SET name = :n WHERE code = :c"), {"n": COMMUNE, "c": TOULOUSE}
        )
        conn.execute(
            text("UPDATE incident SET address = :a WHERE id = :i"), {"a": ADDRESS, "i": incident_id}
        )
        # As an état 4001 workbook naming a service with markup would store it.
        conn.execute(
            text(
                "INSERT INTO etat4001 (period, perimeter, department, service, index, count)"
                " SELECT y, 'PN', '31', :s, i, 10 * i + length(y)"
                " FROM unnest(ARRAY['2023', '2024']) AS y, generate_series(1, 12) AS i"
            ),
            {"s": SERVICE},
        )
    try:
        action = httpx.post(
            f"{site.url}/api/v1/actions",
            json={
                "title": TITLE,
                "reference": REFERENCE,
                "note": NOTE,
                "kind": "videoprotection",
                "start": "2025-01-01",
                "categories": [category],
                "place": {"kind": "point", "lon": CAPITOLE[0], "lat": CAPITOLE[1], "radius": 300},
            },
            headers=_headers(site, "analyst"),
            timeout=30,
        )
        assert action.status_code == 201, action.text
        upload = httpx.post(
            f"{site.url}/api/v1/imports",
            files={"file": (FILE_NAME, qpv_file(), "application/geo+json")},
            # The generation read from the codes (QN…: 2024). A « generation » field is refused
            # for now (422: the route's Literal[2015, 2024] does not take the form's text).
            data={"kind": "qpv"},
            headers=_headers(site, "admin"),
            timeout=60,
        )
        assert upload.status_code == 201, upload.text
        batch = upload.json()
        assert batch["file_name"] == FILE_NAME
        assert (batch["rows_imported"], batch["rows_rejected"]) == (1, 1)
        mapped = httpx.put(
            f"{site.url}/api/v1/etat4001/services",
            json={
                "perimeter": "PN",
                "department": "31",
                "service": SERVICE,
                "communes": [TOULOUSE],
            },
            headers=_headers(site, "admin"),
            timeout=30,
        )
        assert mapped.status_code == 200, mapped.text
        yield Planted(action.json()["properties"]["id"], batch["batch_id"], category, (lon, lat))
    finally:
        with site.engine.begin() as conn:
            conn.execute(
                text("UPDATE category SET label = :l WHERE code = :c"),
                {"l": old_label, "c": category},
            )
            conn.execute(
                text("UPDATE commune SET name = :n WHERE code = :c"), {"n": old_name, "c": TOULOUSE}
            )
            conn.execute(
                text("UPDATE incident SET address = :a WHERE id = :i"),
                {"a": address, "i": incident_id},
            )
            conn.execute(text("DELETE FROM action WHERE title = :t"), {"t": TITLE})
            conn.execute(text("DELETE FROM qpv WHERE code = :c"), {"c": QPV_CODE})
            conn.execute(
                text("DELETE FROM import_batch WHERE file_name IN (:a, :b)"),
                {"a": FILE_NAME, "b": UPLOADED_NAME},
            )
            conn.execute(text("DELETE FROM service_commune WHERE service = :s"), {"s": SERVICE})
            conn.execute(text("DELETE FROM etat4001 WHERE service = :s"), {"s": SERVICE})


@pytest.fixture
def watched(open_page: Callable[..., Any], site: Site) -> Callable[..., Any]:
    """A page that records its requests and dialogs, and its CSP violations from the start."""

    def make(width: int = 1366, height: int = 900) -> Any:
        page = open_page(width, height)
        page.add_init_script(WATCH)
        page.requested = []
        page.dialogs = []
        page.on("request", lambda r: page.requested.append(r.url))

        def dismiss(dialog: Any) -> None:
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        return page

    return make


def assert_inert(page: Any) -> None:
    """Nothing of the markup became an element, a request, a blocked handler or a dialog."""
    assert page.locator('img[src="x" i]').count() == 0
    assert page.locator('[href*="evil.example" i]').count() == 0
    assert page.locator("b", has_text="gras").count() == 0
    assert page.evaluate("window.__violations") == []
    assert page.dialogs == []
    assert [u for u in page.requested if urlsplit(u).path.lower() in ("/x", "/x/")] == []
    assert [u for u in page.requested if "evil.example" in (urlsplit(u).hostname or "")] == []
    assert page_errors(page) == []


def shoot(page: Any, name: str, full_page: bool = False) -> None:
    """A screenshot once Leaflet's fades and pans are over (the popups fade in)."""
    page.wait_for_function("() => document.getAnimations().length === 0")
    page.screenshot(path=ARTIFACTS / name, full_page=full_page)


def hover(page: Any, selector: str) -> str:
    """Move over a drawn outline as the mouse would (an unfilled one reacts on its stroke only:
    the event goes to the path itself, at its box's centre) and return its tooltip's text."""
    path = page.locator(selector).first
    path.wait_for(state="attached")
    box = path.bounding_box()
    assert box is not None
    point = {"clientX": box["x"] + box["width"] / 2, "clientY": box["y"] + box["height"] / 2}
    path.dispatch_event("mouseover", point)
    path.dispatch_event("mousemove", point)
    tooltip = page.locator(".leaflet-tooltip").last
    tooltip.wait_for()
    shown = tooltip.inner_text()
    path.dispatch_event("mouseout", point)
    return shown


def test_map_tooltips_popups_and_panels_show_markup_as_text(
    watched: Callable[..., Any], site: Site, planted: Planted
) -> None:
    page = watched()
    sign_in(
        page,
        site,
        "admin",
        f"/?periode=tout&couches=qpv,communes,actions&commune={TOULOUSE}"
        f"&categories={planted.category}",
    )
    action = page.locator(f".leaflet-contours-pane path[data-action='{planted.action_id}']")
    action.wait_for()
    page.wait_for_selector(f"path[data-qpv='{QPV_CODE}']", state="attached")
    page.wait_for_selector(f"path[data-commune='{TOULOUSE}']", state="attached")

    # Tooltips: the action's title and reference, the QPV's and the commune's names.
    action.hover()
    tooltip = page.locator(".leaflet-tooltip").last
    tooltip.wait_for()
    # The planted reference carries parentheses of its own: no parentheses around it.
    assert "(" in REFERENCE
    assert tooltip.inner_text() == f"{TITLE} — fiche {REFERENCE}"
    shoot(page, "balisage-infobulle-action.png")
    page.mouse.move(5, 5)
    assert hover(page, f"path[data-qpv='{QPV_CODE}']") == f"{QPV} ({QPV_CODE})"
    assert hover(page, f"path[data-commune='{TOULOUSE}']") == f"{COMMUNE} ({TOULOUSE})"
    assert_inert(page)

    # The action's popup: title, reference, targeted category, note; then its evaluation.
    action.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    shown = popup.inner_text()
    for value in (TITLE, REFERENCE, CATEGORY, NOTE):
        assert value in shown
    shoot(page, "balisage-fiche-action.png")
    assert_inert(page)
    popup.get_by_role("button", name="Évaluer l'action").click()
    page.wait_for_selector("#panneau-evaluation[data-etat='pret']")
    panel = page.inner_text("#panneau-evaluation")
    assert f"Évaluation avant/après : {TITLE}" in panel
    assert f"Zone témoin : le reste de {COMMUNE} (commune du lieu)" in panel

    # Filters, summary and panels: commune, QPV and category names.
    box = page.locator(f"input[value='{planted.category}']")
    page.locator("#form-filtres details", has=box).locator("summary").click()
    assert box.locator("xpath=..").inner_text().strip() == CATEGORY
    assert f"{COMMUNE} ({TOULOUSE})" in page.inner_text("#filtre-commune")
    assert f"{QPV} ({QPV_CODE})" in page.inner_text("#filtre-qpv")
    summary = page.inner_text("#resume")
    assert COMMUNE in summary and CATEGORY.lower() in summary
    page.wait_for_function(
        "() => !document.querySelector('#panneau-qpv .contenu').classList.contains('chargement')"
    )
    territories = page.inner_text("#panneau-qpv")
    assert f"{COMMUNE} ({TOULOUSE})" in territories and f"{QPV} ({QPV_CODE})" in territories
    page.select_option("#compstat-par", "category")
    row = page.locator("#table-compstat tbody th", has_text=CATEGORY)
    row.wait_for()
    assert row.inner_text() == CATEGORY
    shoot(page, "balisage-carte.png", full_page=True)
    assert_inert(page)


def test_incident_popup_shows_markup_as_text(
    watched: Callable[..., Any], site: Site, planted: Planted
) -> None:
    page = watched()
    lon, lat = planted.incident
    sign_in(page, site, "admin", f"/?periode=tout&couches=faits&vue={lat:.6f},{lon:.6f},19")
    page.wait_for_selector(".legende section[data-couche=faits][data-etat=pret]")
    box = page.locator("#carte").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    shown = popup.inner_text()
    for value in (CATEGORY, ADDRESS, f"{COMMUNE} ({TOULOUSE})"):
        assert value in shown
    shoot(page, "balisage-fait.png")
    assert_inert(page)


def test_import_pages_show_file_names_and_rejects_as_text(
    watched: Callable[..., Any], site: Site, planted: Planted
) -> None:
    page = watched()
    # An administrator whose e-mail has an apostrophe: shown as text in the header.
    person = add_account(site.engine, f"e2e-o'brien-{planted.batch_id}@observatoire.test", "admin")
    page.goto(site.url + "/")
    fill_sign_in(page, person)
    wait_for_map(page)
    assert person.email in page.inner_text("#qui")
    page.click("#navigation a[data-page=imports]")
    page.wait_for_selector("#table-lots")

    # The upload form: the file's name in its messages, the batch's detail and its rejects.
    page.select_option("#import-genre", "qpv")
    page.set_input_files(
        "#import-fichier",
        {"name": UPLOADED_NAME, "mimeType": "application/geo+json", "buffer": qpv_file()},
    )
    page.click("#form-import button[type=submit]")
    page.wait_for_selector("#import-resultat .ok")
    row = page.locator("#table-lots tbody tr", has_text=UPLOADED_NAME)
    row.first.wait_for()
    assert UPLOADED_NAME in row.first.inner_text()
    assert f"api:{person.email}" in row.first.inner_text()
    page.wait_for_selector("#rejets table")
    detail = page.inner_text("#detail-lot")
    assert UPLOADED_NAME in detail
    rejects = page.inner_text("#rejets")
    assert PAYLOAD in rejects  # the values read
    assert PAYLOAD.upper() in rejects  # the reason quotes the code, in capitals
    shoot(page, "balisage-imports-televersement.png", full_page=True)
    assert_inert(page)

    # The batch imported by the fixture, opened from the list.
    page.locator(f"#table-lots tr[data-lot='{planted.batch_id}'] button").click()
    page.locator("#detail-lot dd", has_text=FILE_NAME).wait_for()
    page.wait_for_selector("#rejets table")
    assert FILE_NAME in page.inner_text("#detail-lot")
    assert FILE_NAME in page.inner_text(f"#table-lots tr[data-lot='{planted.batch_id}']")
    assert_inert(page)

    # A refused upload: the API's message names the file, and reads as text.
    page.select_option("#import-genre", "communes")
    page.set_input_files(
        "#import-fichier",
        {"name": FILE_NAME, "mimeType": "application/geo+json", "buffer": b"{<b>gras</b>"},
    )
    page.click("#form-import button[type=submit]")
    page.wait_for_selector("#import-resultat .erreur")
    assert f"Impossible de lire « {FILE_NAME} »" in page.inner_text("#import-resultat")
    failed = page.locator("#table-lots tbody tr", has_text="échoué").filter(has_text=FILE_NAME)
    failed.wait_for()
    failed.locator("button").click()
    page.locator("#detail-lot dd", has_text=f"Impossible de lire « {FILE_NAME} »").wait_for()
    shoot(page, "balisage-imports-refus.png", full_page=True)
    assert_inert(page)


def test_etat4001_page_shows_service_and_commune_names_as_text(
    watched: Callable[..., Any], site: Site, planted: Planted
) -> None:
    page = watched()
    sign_in(page, site, "admin")
    page.click("#navigation a[data-page=etat4001]")
    page.wait_for_selector("#e4001-territoire")
    territories = page.inner_text("#e4001-territoire")
    assert f"{COMMUNE} ({TOULOUSE})" in territories
    assert f"{SERVICE} (police, 31)" in territories
    page.select_option("#e4001-territoire", f"service|31|PN|{SERVICE}")
    page.wait_for_function(
        "() => !document.querySelector('#e4001-resultat').classList.contains('chargement')"
    )
    page.wait_for_selector("#table-etat4001 tbody tr")
    shoot(page, "balisage-etat4001.png", full_page=True)
    assert_inert(page)


def test_token_names_cannot_hold_markup(site: Site) -> None:
    """Names are shown by the page and written in the audit log: letters, digits and . _ - @ : '
    only (the CLI and the API's token creation go through create_token)."""
    for name in (PAYLOAD, "<b>gras</b>", 'a"b', "a&b", "x>y"):
        with make_sessionmaker(site.engine).begin() as session, pytest.raises(InvalidInput):
            create_token(session, name, "analyst", site.settings.secret_key)


def test_echapper_and_the_dom_helpers(watched: Callable[..., Any], site: Site) -> None:
    """dom.js, the page's one home for text in HTML, checked in the browser itself."""
    page = watched()
    page.goto(site.url + "/")
    got = page.evaluate(
        """async (payload) => {
            const dom = await import('/static/js/dom.js');
            const lien = dom.h('a', {onclick: 'alert(1)', title: payload}, payload);
            return {
                escaped: dom.echapper(`<a href="x">'&'</a>`),
                empty: [dom.echapper(null), dom.echapper(undefined), dom.echapper(12)],
                parsed: (() => {
                    const div = document.createElement('div');
                    div.innerHTML = dom.echapper(payload);
                    return [div.children.length, div.textContent];
                })(),
                node: [dom.texteSeul(payload).children.length, dom.texteSeul(payload).textContent],
                element: [lien.hasAttribute('onclick'), lien.children.length, lien.title],
            };
        }""",
        PAYLOAD,
    )
    assert got["escaped"] == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    assert got["empty"] == ["", "", "12"]
    assert got["parsed"] == [0, PAYLOAD]
    assert got["node"] == [0, PAYLOAD]
    assert got["element"] == [False, 0, PAYLOAD]
    assert_inert(page)


def test_a_crafted_link_shows_its_parameters_as_text(
    watched: Callable[..., Any], site: Site
) -> None:
    """A shared link is text too: its filters reach the summary, and the API's refusals (which
    quote the value) reach the panels."""
    page = watched()
    query = urlencode({"commune": PAYLOAD, "qpv": PAYLOAD, "categories": PAYLOAD, "hours": PAYLOAD})
    sign_in(page, site, "police")
    page.goto(f"{site.url}/?{query}")
    page.wait_for_function("() => document.querySelector('#carte')?.dataset.etat === 'pret'")
    page.wait_for_selector("#resume .erreur, #total-faits")
    shoot(page, "balisage-lien.png", full_page=True)
    assert PAYLOAD in page.inner_text("body")
    assert_inert(page)
