"""The map page in a real headless Chromium: sign-in, layers, filters, panels, roles, imports.

Expected figures come from the API itself, called here with the filter the page should send
(worked out from the dates, not read from the page), and from the drawn SVG paths' counts.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.conftest import (
    ARTIFACTS,
    Site,
    fill_sign_in,
    page_errors,
    record_measure,
    sign_in,
    wait_for_map,
)

pytestmark = pytest.mark.e2e

HEXAGONS = ".leaflet-hexagones-pane path"


def api(site: Site, path: str, role: str = "admin", **params: Any) -> Any:
    answer = httpx.get(
        f"{site.url}/api/v1{path}",
        params={k: v for k, v in params.items() if v not in (None, "")},
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


def last_28_days(site: Site) -> dict[str, str]:
    """The default period of the page: the 28 days ending on the last day with data."""
    last = date.fromisoformat(api(site, "/stats/compstat", by="total")["at"])
    return {"from": (last - timedelta(days=27)).isoformat(), "to": last.isoformat()}


def drawn(page: Any) -> tuple[int, int]:
    """(number of hexagons drawn, sum of their counts) as the SVG paths carry them."""
    counts = page.eval_on_selector_all(HEXAGONS, "els => els.map(e => Number(e.dataset.count))")
    return len(counts), sum(counts)


def overlay_names(page: Any) -> list[str]:
    names = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.textContent.trim())"
    )
    return [str(n) for n in names]


def test_police_signs_in_and_the_hexagons_are_the_api_counts(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    page.goto(site.url + "/")
    page.wait_for_selector("#connexion:not([hidden])")
    person = site.person("police")
    fill_sign_in(page, person)
    wait_for_map(page)

    period = last_28_days(site)
    hexagons = api(site, "/layers/hexagons", role="police", res=9, **period)
    n, total = drawn(page)
    assert n == len(hexagons["features"]) > 0
    assert total == hexagons["metadata"]["total"] > 0
    assert int(page.get_attribute("#total-faits", "data-total") or -1) == total
    assert person.email in page.inner_text("#qui")
    assert "Faits (points)" in overlay_names(page)
    # No tile URL: no tile layer, and nothing asked of the internet.
    assert page.locator(".leaflet-tile-pane img").count() == 0
    assert site.external == []
    assert page_errors(page) == []


def test_a_filter_changes_the_drawn_counts_and_the_address_keeps_it(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    sign_in(page, site, "police")
    before = drawn(page)

    page.get_by_role("button", name="nuit (22 h – 6 h)").click()
    wait_for_map(page)

    period = last_28_days(site)
    night = api(site, "/layers/hexagons", role="police", res=9, hours="22-6", **period)
    after = drawn(page)
    assert after == (len(night["features"]), night["metadata"]["total"])
    assert after != before
    assert parse_qs(urlsplit(page.url).query)["hours"] == ["22-6"]

    # A family of categories, on top of the night.
    page.check("#famille-vols")
    wait_for_map(page)
    thefts = api(
        site, "/layers/hexagons", role="police", res=9, hours="22-6", categories="vols", **period
    )
    assert drawn(page) == (len(thefts["features"]), thefts["metadata"]["total"])
    assert thefts["metadata"]["total"] < night["metadata"]["total"]

    # The address is the state: opened again, the page shows the same filter and the same map.
    shared = page.url
    again = open_page()
    again.goto(shared)
    fill_sign_in(again, site.person("police"))
    wait_for_map(again)
    assert drawn(again) == drawn(page)
    assert again.get_attribute('button[data-heures="22-6"]', "aria-pressed") == "true"
    assert again.is_checked("#famille-vols")


def test_panels_follow_the_filter_and_the_matrix_is_7_by_24(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    sign_in(page, site, "analyst", "/?periode=12m")
    page.wait_for_selector("#matrice-creneaux")
    assert page.locator("#matrice-creneaux tbody tr").count() == 7
    assert page.locator("#matrice-creneaux tbody td").count() == 7 * 24
    assert page.locator("#panneau-tendance canvas").count() == 1
    assert "Mann–Kendall" in page.inner_text("#panneau-tendance")
    assert page.locator("#table-compstat tbody tr").count() > 1
    assert page.locator(".table-territoires tbody tr").count() > 2

    # One click on Saturday in the matrix filters the whole page on Saturdays.
    page.click("#matrice-creneaux tbody tr:nth-child(6) th button")
    wait_for_map(page)
    assert parse_qs(urlsplit(page.url).query)["weekdays"] == ["6"]
    last = date.fromisoformat(api(site, "/stats/compstat", by="total")["at"])
    start = date(last.year - 1, last.month, last.day) + timedelta(days=1)
    summary = api(site, "/stats/summary", weekdays="6", **{"from": start.isoformat()})
    assert int(page.get_attribute("#total-faits", "data-total") or -1) == summary["total"]


def test_hotspot_layers_never_break_the_map(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "analyst")
    page.click(".leaflet-control-layers-overlays label:has-text('Points chauds (Gi*)')")
    page.click(".leaflet-control-layers-overlays label:has-text('Points chauds émergents')")
    # Whatever the API answers (layer not there yet: 404; period too short for a trend: 422
    # with its French reason), the legend says it and the rest of the map stays.
    for layer in ("chauds", "emergents"):
        section = f".legende section[data-couche={layer}]"
        page.wait_for_selector(
            f"{section}[data-etat=pret], {section}[data-etat=indisponible],"
            f" {section}[data-etat=erreur]"
        )
        legend = page.inner_text(section)
        state = page.get_attribute(section, "data-etat")
        assert {"pret": "(", "indisponible": "couche indisponible", "erreur": " "}[state] in legend
    assert drawn(page)[0] > 0
    assert page_errors(page) == []


def test_police_sees_incident_points_in_clusters(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "police", "/?periode=7j")
    page.click(".leaflet-control-layers-overlays label:has-text('Faits (points)')")
    page.wait_for_selector(".legende section[data-couche=faits][data-etat=pret]")
    page.wait_for_selector(".grappe, .leaflet-marker-pane *, .leaflet-overlay-pane path")
    legend = page.inner_text(".legende section[data-couche=faits]")
    assert "faits dans la vue" in legend or "affichés sur" in legend
    assert "couches=" in page.url and "faits" in parse_qs(urlsplit(page.url).query)["couches"][0]


def test_a_role_without_points_cannot_get_them(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "analyst", "/?couches=hexagones,faits")
    assert "Faits (points)" not in overlay_names(page)
    assert "Faits (points)" not in page.inner_text(".legende")
    answer = page.evaluate(
        """async () => {
            const r = await fetch('/api/v1/layers/incidents');
            return {status: r.status, type: r.headers.get('content-type'), body: await r.json()};
        }"""
    )
    assert answer["status"] == 403
    assert answer["type"].startswith("application/problem+json")
    assert "n'a pas accès" in answer["body"]["detail"]


def test_a_wrong_password_keeps_the_sign_in_with_the_french_message(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    page.goto(site.url + "/")
    page.wait_for_selector("#courriel:focus")
    page.fill("#courriel", site.people["analyst"].email)
    page.fill("#mot-de-passe", "obs_pas_le_bon_mot_de_passe")
    page.press("#mot-de-passe", "Enter")
    page.wait_for_function("() => document.querySelector('#connexion-erreur').textContent !== ''")
    assert "mot de passe" in page.inner_text("#connexion-erreur").lower()
    assert page.locator("#connexion").is_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "obs_session"]


def test_partner_reads_the_release_in_whole_months(
    open_page: Callable[..., Any], site: Site
) -> None:
    """A link asking for street cells over 7 days opens, for a partner, the release's cells over
    the last 12 published months; every request the page sends is one the release answers."""
    page = open_page()
    sent: list[dict[str, list[str]]] = []
    refused: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(parse_qs(urlsplit(r.url).query)) if "/api/v1/stats/" in r.url else None
        ),
    )
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    sign_in(page, site, "partner", "/?res=11&periode=7j&hours=22-6")
    note = page.locator("#note-confidentialite")
    assert "Valeurs bruitées et arrondies pour protéger les personnes" in note.inner_text()
    assert note.locator("a").get_attribute("href") == "/static/confidentialite.html"
    assert page.locator("#heure-de").count() == 0  # no hour or weekday filter for partners
    query = parse_qs(urlsplit(page.url).query)
    assert query["res"] == ["8"] and query["periode"] == ["12m"] and "hours" not in query
    assert "Faits (points)" not in overlay_names(page)
    last = date.fromisoformat(api(site, "/stats/summary", role="partner")["data_range"]["last"])
    first = (last.replace(day=1) - timedelta(days=330)).replace(day=1)
    hexagons = api(
        site,
        "/layers/hexagons",
        role="partner",
        res=8,
        **{"from": first.isoformat(), "to": last.isoformat()},
    )
    shown = sum(f["properties"]["count"] or 0 for f in hexagons["features"])
    assert drawn(page)[1] == shown <= hexagons["metadata"]["total"]
    for params in sent:
        if "from" in params:
            assert params["from"][0].endswith("-01"), params
            assert (
                date.fromisoformat(params["to"][0]).month
                != (date.fromisoformat(params["to"][0]) + timedelta(days=1)).month
            ), params
    assert refused == [] and page_errors(page) == []
    page.screenshot(path=str(ARTIFACTS / "partenaire.png"), full_page=True)
    # No menu for a page the role may not open, and its address opens the map instead.
    assert not page.locator("#navigation a[data-page=imports]").is_visible()
    page.goto(site.url + "/?page=imports")
    wait_for_map(page)
    assert page.locator("#page-imports").is_hidden() and page.locator("#page-carte").is_visible()
    page.goto(site.url + "/static/confidentialite.html")
    assert "Confidentialité" in page.inner_text("h1")
    assert "bruités" in page.inner_text("main")


def last_7_days(site: Site) -> dict[str, str]:
    last = date.fromisoformat(api(site, "/stats/compstat", by="total")["at"])
    return {"from": (last - timedelta(days=6)).isoformat(), "to": last.isoformat()}


def test_etat4001_dashboard(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "analyst")
    page.click("#navigation a[data-page=etat4001]")
    page.wait_for_selector("#table-etat4001 tbody tr")
    assert page.locator("#page-etat4001 canvas").count() == 1
    assert "page=etat4001" in page.url
    page.select_option("#e4001-groupe", "indicator")
    page.wait_for_function(
        "() => !document.querySelector('#e4001-resultat').classList.contains('chargement')"
    )
    assert page.locator("#table-etat4001 tbody tr").count() > 0


def test_tablet_width_keyboard_and_first_paint(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page(768, 1024)
    page.goto(site.url + "/")
    # The keyboard alone: the e-mail field has the focus, Tab to the password, Enter signs in,
    # and the code field that follows has the focus.
    person = site.person("police")
    page.wait_for_selector("#courriel:focus")
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    page.keyboard.type(person.password)
    page.keyboard.press("Enter")
    page.wait_for_selector("#code:focus")
    page.keyboard.type(person.code())
    page.keyboard.press("Enter")
    wait_for_map(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert page.locator("#bouton-filtres").is_visible()
    assert not page.locator("#filtres").is_visible()
    page.focus("#bouton-filtres")
    page.keyboard.press("Enter")
    assert page.locator("#filtres").is_visible()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    box = page.locator("#carte").bounding_box()
    assert box is not None and box["width"] <= 768 and box["height"] >= 300

    # First paint of the map on the sample data: the token is kept, so a reload is a morning's
    # opening of the page, from navigation to hexagons drawn.
    page.reload()
    wait_for_map(page)
    timings = page.evaluate(
        """() => ({
            hexagons: performance.getEntriesByName('observatoire:hexagones-dessines')[0]?.startTime,
            fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
            dom: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd,
        })"""
    )
    cells = drawn(page)[0]
    record_measure(
        f"première carte (30 000 faits d'exemple, 28 jours, résolution 9, {cells} hexagones, "
        f"768 px) : premier rendu {timings['fcp']:.0f} ms, DOM prêt {timings['dom']:.0f} ms, "
        f"hexagones dessinés {timings['hexagons']:.0f} ms après la navigation"
    )
    print(json.dumps(timings))
    assert timings["hexagons"] is not None and timings["hexagons"] < 15_000


def test_admin_upload_shows_on_the_import_page_and_on_the_map(
    open_page: Callable[..., Any], site: Site, tmp_path: Path
) -> None:
    page = open_page()
    sign_in(page, site, "admin")
    before = int(page.get_attribute("#total-faits", "data-total") or -1)
    last = api(site, "/stats/compstat", by="total")["at"]
    day = "/".join(reversed(last.split("-")))
    upload = tmp_path / "export_e2e.csv"
    upload.write_text(
        "numero;date_faits;heure_faits;nature;adresse;code_insee;longitude;latitude\n"
        f"E2E-1;{day};23:15;Tapage;1 place du Capitole;31555;1,443950;43,604470\n"
        f"E2E-2;{day};23:45;Tapage;1 place du Capitole;31555;1,443950;43,604470\n"
        f"E2E-3;{day};23:50;Nature inconnue;2 place du Capitole;31555;1,443950;43,604470\n",
        encoding="utf-8",
    )

    page.click("#navigation a[data-page=imports]")
    page.wait_for_selector("#table-lots")
    page.set_input_files("#import-fichier", upload)
    page.click("#form-import button[type=submit]")
    page.wait_for_selector("#import-resultat .ok")
    assert "2 importées" in page.inner_text("#import-resultat")
    row = page.locator("#table-lots tbody tr", has_text="export_e2e.csv")
    row.first.wait_for()  # the list of batches is reloaded after the upload answers
    assert row.count() == 1
    assert "1" in row.locator("td").nth(7).inner_text()  # one rejected row
    page.wait_for_selector("#rejets table")
    assert "Nature inconnue" in page.inner_text("#rejets")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "page-imports-apres-televersement.png", full_page=True)

    # Back to the map: the new facts are counted without a restart.
    page.click("#navigation a[data-page=carte]")
    page.wait_for_function(
        f"() => Number(document.querySelector('#total-faits')?.dataset.total) === {before + 2}"
    )
    wait_for_map(page)
    assert drawn(page)[1] == before + 2


def test_classes_and_periods_as_the_page_computes_them(
    open_page: Callable[..., Any], site: Site
) -> None:
    """The legend's classes cover every count once; the periods end on the last day of data."""
    page = open_page()
    page.goto(site.url + "/")
    got = page.evaluate(
        """async () => {
            const c = await import('/static/js/classes.js');
            const e = await import('/static/js/etat.js');
            const counts = [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 7, 9, 12, 30, 31, 50, 212];
            const period = (periode) => e.bornes({periode, from: '', to: ''}, '2024-02-29');
            return {
                quantiles: c.classer(counts, 'quantiles').map(k => [k.min, k.max]),
                jenks: c.classer(counts, 'jenks').map(k => [k.min, k.max]),
                single: c.classer([4, 4, 4], 'quantiles').map(k => [k.min, k.max]),
                days7: period('7j'), days28: period('28j'), months12: period('12m'),
                all: period('tout'),
            };
        }"""
    )
    for bounds in (got["quantiles"], got["jenks"]):
        assert 2 <= len(bounds) <= 5
        assert bounds[0][0] == 1 and bounds[-1][1] == 212
        for (_, high), (low, _) in itertools.pairwise(bounds):
            assert low == high + 1  # contiguous, no count in two classes
    assert got["jenks"][-1] == [51, 212]  # the outlier alone in the top class
    assert got["single"] == [[4, 4]]
    assert got["days7"] == {"from": "2024-02-23", "to": "2024-02-29"}
    assert got["days28"] == {"from": "2024-02-02", "to": "2024-02-29"}
    assert got["months12"] == {"from": "2023-03-01", "to": "2024-02-29"}
    assert got["all"] == {"from": "", "to": ""}


def test_nothing_was_asked_of_the_internet(site: Site) -> None:
    """Every request of every page above went to the local server (no CDN, no tiles)."""
    assert site.external == []


def test_analyst_sees_what_the_query_space_changed(
    open_page: Callable[..., Any], site: Site
) -> None:
    """One day at resolution 10: the map says it is drawn at 9, and that the sensitive
    categories are read per commune only; no resolution 11 to choose."""
    page = open_page()
    last = api(site, "/stats/compstat", role="analyst", by="total")["at"]
    sign_in(page, site, "analyst", f"/?periode=perso&from={last}&to={last}&res=10")
    page.wait_for_selector("#note-espace")
    note = page.inner_text("#note-espace")
    assert "résolution 9" in note
    assert "violences intrafamiliales" in note
    options = page.eval_on_selector_all("#filtre-res option", "els => els.map(e => e.value)")
    assert options == ["6", "7", "8", "9", "10"]
    page.screenshot(path=str(ARTIFACTS / "analyste-jour-r10.png"), full_page=True)
    assert page_errors(page) == []


def test_analyst_at_res_10_is_told_the_whole_weeks_counted(
    open_page: Callable[..., Any], site: Site
) -> None:
    """Twelve months at resolution 10: the map is drawn at 10, over the whole weeks (Monday to
    Sunday) the data cover, and the legend says up to which Sunday (the data end mid-week)."""
    page = open_page()
    last = date.fromisoformat(api(site, "/stats/summary", role="analyst")["data_range"]["last"])
    sunday = last - timedelta(days=last.isoweekday() % 7)
    assert sunday < last  # the samples end on a Wednesday: their last week is cut
    sign_in(page, site, "analyst", "/?periode=12m&res=10")
    page.wait_for_selector("#note-espace")
    note = page.inner_text("#note-espace")
    assert "semaines entières (lundi–dimanche) couvertes par les données" in note
    assert f"au {sunday:%d/%m/%Y}" in note
    assert "résolution 9" not in note
    page.screenshot(path=str(ARTIFACTS / "analyste-12-mois-r10.png"), full_page=True)
    assert page_errors(page) == []
