"""The page as each role's query space shapes it, in a real headless Chromium.

A partner reads the published release: whole months, whole families, resolution 6 to 8, no hour
or weekday filter, the time slots only for the whole commune, the noise note and its link to the
privacy page, « < 5 » for every value not published. Every request the page sends during an
ordinary session is one the release answers (no 4xx), with months from their first to their
last day. An analyst sees, under the legend, why the map was coarsened or left the sensitive
categories out. Expected figures come from the API, asked here with the filter the page should
send.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h3
import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in, wait_for_map

pytestmark = pytest.mark.e2e

HEXAGONS = ".leaflet-hexagones-pane path[data-h3]"
PARTNER_PERIODS = [
    "Dernier mois publié",
    "3 derniers mois",
    "12 derniers mois",
    "Toute la période",
    "Personnalisée (mois entiers)",
]
NOISE_NOTE = "Valeurs bruitées et arrondies pour protéger les personnes"


def api(site: Site, path: str, role: str, **params: Any) -> Any:
    answer = httpx.get(
        f"{site.url}/api/v1{path}",
        params={k: v for k, v in params.items() if v not in (None, "")},
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


class Traffic:
    """What the page asked of the API, what came back, and what the console said."""

    def __init__(self, page: Any) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.refused: list[tuple[int, str]] = []
        self.console: list[str] = []
        page.on("request", self.request)
        page.on("response", self.response)
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)

    def request(self, r: Any) -> None:
        parts = urlsplit(r.url)
        if parts.path.startswith("/api/v1/"):
            self.requests.append((parts.path.removeprefix("/api/v1"), parse_qs(parts.query)))

    def response(self, r: Any) -> None:
        if r.status >= 400:
            self.refused.append((r.status, r.url))

    def asked(self, path: str) -> list[dict[str, list[str]]]:
        return [q for p, q in self.requests if p == path]


def settle(page: Any) -> None:
    """The map drawn, and every panel filled (none still loading)."""
    # A click changes the state at once but the requests start a moment later: wait for the
    # network to settle first, or a panel still showing the previous answer passes for done.
    page.wait_for_load_state("networkidle")
    wait_for_map(page)
    page.wait_for_function(
        "() => !document.querySelector('.panneau .contenu.chargement')"
        " && document.querySelector('#carte').dataset.etat === 'pret'"
    )


def texts(page: Any, selector: str) -> list[str]:
    return [
        " ".join(str(t).split())
        for t in page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")
    ]


def shown(value: int | None, threshold: int = 5) -> str:
    """A count as the page writes it: « < 5 » when not published, else French digits."""
    return f"< {threshold}" if value is None else f"{value:,}".replace(",", " ")


def plain(text: str) -> str:
    """Text with its spaces made ordinary (French numbers use narrow no-break spaces)."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def last_day_of_month(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"


def month_name(day: date) -> str:
    return f"{MONTHS.split()[day.month - 1]} {day.year}"


def months_back(last: date, n: int) -> date:
    """The first day of the month n months before the month of ``last``."""
    index = last.year * 12 + last.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def test_partner_session_in_whole_months(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page(1366, 900)
    traffic = Traffic(page)
    sign_in(page, site, "partner")
    settle(page)
    last = date.fromisoformat(api(site, "/stats/summary", "partner")["data_range"]["last"])
    assert last_day_of_month(last)

    # What a partner may not ask is not offered.
    assert page.locator("fieldset.heures, #heure-de, #heure-a").count() == 0
    assert page.locator("input[type=checkbox][value='6']:not([data-famille])").count() == 0
    assert texts(page, "#form-filtres .choix label") == PARTNER_PERIODS
    assert page.is_checked("input[name=periode][value='12m']")
    assert page.eval_on_selector_all("#filtre-res option", "els => els.map(e => e.value)") == [
        "6",
        "7",
        "8",
    ]
    assert page.input_value("#filtre-res") == "8"
    assert page.locator("#form-filtres details").count() == 0  # families only, no single category
    assert page.eval_on_selector_all("input[name=generation]", "els => els.map(e => e.value)") == [
        "2024"
    ]
    assert page.locator("#form-filtres input[type=date]").count() == 0

    # The noise note, once, near the summary, with its link.
    note = page.locator("#note-confidentialite")
    assert note.is_visible()
    assert NOISE_NOTE in note.inner_text()
    link = note.get_by_role("link", name="en savoir plus")
    assert link.get_attribute("href") == "/static/confidentialite.html"

    # The default: the last 12 published months, as the summary says them.
    summary = traffic.asked("/stats/summary")[-1]
    assert summary["from"] == [months_back(last, 11).isoformat()]
    assert summary["to"] == [last.isoformat()]
    first = months_back(last, 11)
    assert plain(page.inner_text("#texte-periode")) == (
        f"Filtre : 12 derniers mois (de {month_name(first)} à {month_name(last)})."
    )
    page.screenshot(path=str(ARTIFACTS / "partenaire-12-mois.png"), full_page=True)

    # Every period choice, then months picked by hand (in the wrong order on purpose).
    for code in ("1m", "3m", "tout", "12m"):
        page.check(f"input[name=periode][value='{code}']")
        settle(page)
    page.check("input[name=periode][value='perso']")
    settle(page)
    months = page.eval_on_selector_all("#filtre-from option", "els => els.map(e => e.value)")
    assert months[-1] == last.isoformat()[:7] and all(
        re.fullmatch(r"\d{4}-\d\d", m) for m in months
    )
    page.select_option("#filtre-from", months[-2])
    settle(page)
    page.select_option("#filtre-to", months[-4])
    settle(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["periode"] == ["perso"]
    start, end = months_back(last, 3), months_back(last, 1)
    end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    sent = traffic.asked("/stats/summary")[-1]
    assert (sent["from"], sent["to"]) == ([start.isoformat()], [end.isoformat()])
    assert plain(page.inner_text("#texte-periode")) == (
        f"Filtre : de {month_name(start)} à {month_name(end)}."
    )

    # The last published month, CompStat by category for the whole commune: « < 5 » where the
    # release does not publish a value, never a number.
    page.check("input[name=periode][value='1m']")
    settle(page)
    month = {"from": last.replace(day=1).isoformat(), "to": last.isoformat()}
    page.select_option("#compstat-par", "category")
    page.wait_for_function(
        "() => document.querySelector('#table-compstat th[scope=col]')?.textContent"
        " === 'Catégorie' && !document.querySelector('#panneau-compstat .chargement')"
    )
    compstat = api(site, "/stats/compstat", "partner", by="category", **month)
    rows = page.locator("#table-compstat tbody tr")
    assert rows.count() == len(compstat["rows"])
    hidden = 0
    for i, row in enumerate(compstat["rows"]):
        cells = [plain(t) for t in rows.nth(i).locator("td").all_inner_texts()]
        assert len(cells) == 3 * len(compstat["periods"])  # no z column for noisy counts
        for j, p in enumerate(row["periods"]):
            assert cells[3 * j] == shown(p["current"]), (row["label"], cells)
            assert cells[3 * j + 1] == shown(p["previous"]), (row["label"], cells)
            hidden += (p["current"] is None) + (p["previous"] is None)
    assert hidden > 0  # the sample's month has categories under 5
    assert "Valeurs bruitées" in page.inner_text("#table-compstat caption")
    assert page.locator("#panneau-compstat .cles").count() == 0

    # The time-slot matrix: released values under 5 are « < 5 », and there is no filter to click.
    slots = api(site, "/stats/timeslots", "partner", **month)
    matrix = [plain(t) for t in page.locator("#matrice-creneaux tbody td").all_inner_texts()]
    assert [m == "< 5" for m in matrix] == [v is None for row in slots["matrix"] for v in row]
    assert all(m == "< 5" or m.replace(" ", "").isdigit() for m in matrix)
    assert page.locator("#matrice-creneaux button").count() == 0

    # One family and one QPV: the time slots say why they are not shown, the QPV table and
    # CompStat are by family, « < 5 » where the release hides a value.
    # The release's noise is drawn anew for each test database: the family is the smallest one
    # whose QPV table hides a value (there is one unless the noise lifted every small count).
    families = {c["family"] for c in api(site, "/categories", "partner")}
    by_size = sorted(
        api(site, "/stats/summary", "partner", **month)["families"],
        key=lambda f: (f["count"] is not None, f["count"] or 0),
    )
    answers = (
        (f["code"], api(site, "/stats/territories", "partner", categories=f["code"], **month))
        for f in by_size
    )
    smallest, territories = next(
        (code, t) for code, t in answers if any(q["suppressed"] for q in t["communes"][0]["qpvs"])
    )
    assert smallest in families
    page.check(f"#famille-{smallest}")
    settle(page)
    assert "ensemble des faits de chaque commune" in page.inner_text("#creneaux-commune")
    table = page.locator(".table-territoires tbody tr")
    rows_api = [
        *territories["communes"][0]["qpvs"],
        territories["communes"][0]["outside_qpv"],
        territories["communes"][0]["whole"],
    ]
    assert table.count() == len(rows_api)
    for i, row in enumerate(rows_api):
        assert plain(table.nth(i).locator("td").first.inner_text()) == shown(row["count"])
    assert any(r["suppressed"] for r in rows_api)
    qpv = next(q for q in territories["communes"][0]["qpvs"] if q["suppressed"])["code"]
    page.select_option("#filtre-qpv", qpv)
    settle(page)
    assert page.input_value("#compstat-par") == "family"
    assert page.is_disabled("#compstat-par option[value=category]")
    assert "Dans un QPV, le détail est publié par famille" in page.inner_text("#panneau-compstat")
    assert "retirez le filtre de familles et de QPV" in page.inner_text("#creneaux-commune")
    grey = page.locator(f"{HEXAGONS}[data-count='']")
    assert grey.count() >= 1  # the QPV's few facts are in cells under 5
    # A grey cell whose centre no QPV outline crosses (the noise decides which cells are grey).
    free = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].findIndex((cell) => {
            const box = cell.getBoundingClientRect();
            const x = box.x + box.width / 2, y = box.y + box.height / 2;
            return document.elementFromPoint(x, y) === cell;
        })""",
        f"{HEXAGONS}[data-count='']",
    )
    assert free >= 0
    grey.nth(free).hover()
    assert page.inner_text(".leaflet-tooltip") == "< 5 faits (valeur non publiée)"
    assert "< 5 (valeur non publiée)" in page.inner_text(".legende section[data-couche=hexagones]")
    # The monthly series of the trend panel, as the page asked it: « < 5 », no z column.
    asked = {k: v[0] for k, v in traffic.asked("/stats/trends")[-1].items()}
    series = api(site, "/stats/trends", "partner", **asked)["series"][0]["counts"]
    page.click("#panneau-tendance summary")
    counts = [
        plain(t) for t in page.locator("#panneau-tendance tbody td:nth-child(2)").all_inner_texts()
    ]
    assert counts == [shown(c) for c in series] and None in series
    assert texts(page, "#panneau-tendance thead th") == ["Mois", "Faits", "Sur un an"]
    page.screenshot(path=str(ARTIFACTS / "partenaire-famille-qpv.png"), full_page=True)

    # Reset: the partner's own defaults (12 months, resolution 8), then the hot spot layers and
    # the coarser resolutions.
    page.get_by_role("button", name="Réinitialiser").click()
    settle(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query.get("periode") == ["12m"] and query.get("res") == ["8"]
    assert "qpv" not in query and "categories" not in query
    for name in ("Points chauds (Gi*)", "Points chauds émergents"):
        page.click(f".leaflet-control-layers-overlays label:has-text('{name}')")
    for layer in ("chauds", "emergents"):
        page.wait_for_selector(f".legende section[data-couche={layer}][data-etat=pret]")
    for res in ("7", "6", "8"):
        page.select_option("#filtre-res", res)
        settle(page)
        for layer in ("hexagones", "chauds", "emergents"):
            page.wait_for_selector(f".legende section[data-couche={layer}][data-etat=pret]")
    # One month is too short for emerging hot spots: the legend says so, nothing is refused.
    page.check("input[name=periode][value='1m']")
    settle(page)
    assert "au moins 6 mois complets" in page.inner_text(".legende section[data-couche=emergents]")
    page.check("input[name=periode][value='12m']")
    settle(page)
    page.wait_for_selector(".legende section[data-couche=emergents] li")
    cells = page.eval_on_selector_all(HEXAGONS, "els => els.map(e => e.dataset.h3)")
    assert cells and {h3.get_resolution(c) for c in cells} == {8}
    legend = page.inner_text(".legende section[data-couche=hexagones]")
    drawn_counts = page.eval_on_selector_all(HEXAGONS, "els => els.map(e => e.dataset.count)")
    assert ("< 5 (valeur non publiée)" in legend) == ("" in drawn_counts)
    assert all(c == "" or int(c) >= 5 for c in drawn_counts)
    page.screenshot(path=str(ARTIFACTS / "partenaire-points-chauds.png"), full_page=True)

    # The état 4001 page: a service's figures are not for partners (no link, the API says 403).
    assert not page.locator("#navigation a[data-page=etat4001]").is_visible()

    # Everything the page asked is in the release's query space, and nothing was refused.
    assert traffic.refused == []
    assert traffic.console == [] and page_errors(page) == []
    assert len(traffic.requests) > 30
    for path, params in traffic.requests:
        assert "hours" not in params and "weekdays" not in params, (path, params)
        assert params.get("generation", ["2024"]) == ["2024"], (path, params)
        if "from" in params:
            assert date.fromisoformat(params["from"][0]).day == 1, (path, params)
        if "to" in params:
            assert last_day_of_month(date.fromisoformat(params["to"][0])), (path, params)
        if "res" in params:
            assert 6 <= int(params["res"][0]) <= 8, (path, params)
        if path == "/stats/timeslots":
            assert not ({"categories", "qpv", "bbox"} & set(params)), params
        if path in ("/stats/compstat", "/stats/trends") and "qpv" in params:
            assert params.get("by") != ["category"], (path, params)
        if path == "/stats/trends":
            assert params.get("step") == ["month"], params
        assert "near-repeat" not in path
    assert traffic.asked("/stats/compstat") and traffic.asked("/layers/emerging-hotspots")

    # The link opens the privacy page: French, under the CSP, nothing refused.
    with page.context.expect_page() as opened:
        link.click()
    about = opened.value
    problems: list[str] = []
    about.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    about.wait_for_load_state()
    assert urlsplit(about.url).path == "/static/confidentialite.html"
    assert about.locator("html").get_attribute("lang") == "fr"
    body = plain(about.inner_text("main"))
    for expected in (
        "Confidentialité",
        "ε = 2",
        "OBS_PRIVACY_EPSILON",
        "« < 5 »",
        "partner_release",
        "privacy",
        "Un mois publié est gelé",
        "La même question donne toujours les mêmes nombres",
        "chaque fait coûte ε",
        "après la publication de son mois",
        "docs/guide/confidentialite.md",
    ):
        assert expected in body, expected
    about.screenshot(path=str(ARTIFACTS / "confidentialite.png"), full_page=True)
    assert problems == []


def test_partner_periods_as_the_page_computes_them(
    open_page: Callable[..., Any], site: Site
) -> None:
    """Whatever the choice, a partner's period runs from a 1st to a month's last day."""
    page = open_page()
    page.goto(site.url + "/")
    got = page.evaluate(
        """async () => {
            const e = await import('/static/js/etat.js');
            const c = await import('/static/js/couches/chauds.js');
            e.definirProfil('partner', ['vols']);
            const b = (periode, from = '', to = '') => e.bornes({periode, from, to}, '2024-02-29');
            return {
                one: b('1m'), three: b('3m'), twelve: b('12m'), all: b('tout'),
                mid: b('perso', '2023-11-15', '2024-01-10'),
                reversed: b('perso', '2024-02-10', '2023-12-31'),
                text: e.textePeriode({periode: '3m', from: '', to: ''}, '2024-02-29'),
                res: e.resolutionMax(), defaults: [e.defauts().periode, e.defauts().res],
                months: [['2024-01-01', '2024-06-30'], ['2024-01-02', '2024-06-30'],
                         ['2023-12-04', '2024-02-28'], ['2024-02-01', '2024-02-29'],
                         ['', '2024-02-29']].map(([f, t]) => c.moisComplets(f, t)),
            };
        }"""
    )
    assert got["one"] == {"from": "2024-02-01", "to": "2024-02-29"}
    assert got["three"] == {"from": "2023-12-01", "to": "2024-02-29"}
    assert got["twelve"] == {"from": "2023-03-01", "to": "2024-02-29"}
    assert got["all"] == {"from": "", "to": ""}
    assert got["mid"] == {"from": "2023-11-01", "to": "2024-01-31"}
    assert got["reversed"] == {"from": "2023-12-01", "to": "2024-02-29"}
    assert got["text"] == "3 derniers mois (de décembre 2023 à février 2024)"
    assert got["res"] == 8 and got["defaults"] == ["12m", "8"]
    assert got["months"] == [6, 5, 1, 1, None]


def test_analyst_sees_why_the_map_is_coarser(open_page: Callable[..., Any], site: Site) -> None:
    """Six days at resolution 10, chosen in the filters: the map is drawn at 9 and says so, and
    says the sensitive categories are left out; seven days stay at 10."""
    page = open_page()
    traffic = Traffic(page)
    sign_in(page, site, "analyst")
    settle(page)
    assert page.eval_on_selector_all("#filtre-res option", "els => els.map(e => e.value)") == [
        "6",
        "7",
        "8",
        "9",
        "10",
    ]
    note = page.locator(".legende #note-espace")
    assert "Catégories sensibles non cartographiées" in note.inner_text()
    assert "violences intrafamiliales" in note.inner_text()
    assert "violences sexuelles" in note.inner_text()
    assert "résolution 9" not in note.inner_text()

    last = date.fromisoformat(api(site, "/stats/summary", "analyst")["data_range"]["last"])
    page.check("input[name=periode][value='perso']")
    settle(page)
    page.fill("#filtre-from", (last - timedelta(days=5)).isoformat())
    page.dispatch_event("#filtre-from", "change")
    settle(page)
    page.fill("#filtre-to", last.isoformat())
    page.dispatch_event("#filtre-to", "change")
    settle(page)
    page.select_option("#filtre-res", "10")
    settle(page)
    page.wait_for_selector(".legende #note-espace:has-text('résolution 9')")
    assert "Période de moins de 7 jours" in note.inner_text()
    assert "violences intrafamiliales" in note.inner_text()
    cells = page.eval_on_selector_all(HEXAGONS, "els => els.map(e => e.dataset.h3)")
    assert cells and {h3.get_resolution(c) for c in cells} == {9}
    assert traffic.asked("/layers/hexagons")[-1]["res"] == ["10"]
    page.screenshot(path=str(ARTIFACTS / "analyste-6-jours-r10.png"), full_page=True)

    # Seven days are not « shorter than 7 days »: the map stays at resolution 10.
    page.fill("#filtre-from", (last - timedelta(days=6)).isoformat())
    page.dispatch_event("#filtre-from", "change")
    settle(page)
    page.wait_for_function(
        "() => !document.querySelector('.legende #note-espace')"
        "?.textContent.includes('résolution 9')"
    )
    cells = page.eval_on_selector_all(HEXAGONS, "els => els.map(e => e.dataset.h3)")
    assert cells and {h3.get_resolution(c) for c in cells} == {10}
    assert "violences sexuelles" in note.inner_text()
    assert traffic.refused == [] and traffic.console == [] and page_errors(page) == []
