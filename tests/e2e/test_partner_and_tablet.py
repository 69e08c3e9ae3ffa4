"""A partner's one total, the menus of each role, the page on a 768 px tablet, the état 4001
chart's years and the short-period hot spots, in a real headless Chromium on the samples.

Expected totals come from the API (the partner release), asked with the filter the page sent;
the figures on the page are read from its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in, wait_for_map

pytestmark = pytest.mark.e2e

HEXAGONS = ".leaflet-hexagones-pane path[data-h3]"
NUMBER = re.compile(r"(\d[\d\u202f\u00a0 ]*) faits?\b")


def api(site: Site, path: str, role: str, **params: Any) -> Any:
    answer = httpx.get(
        f"{site.url}/api/v1{path}",
        params={k: v for k, v in params.items() if v not in (None, "")},
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()


def settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    wait_for_map(page)
    page.wait_for_function(
        "() => !document.querySelector('.panneau .contenu.chargement')"
        " && document.querySelector('#carte').dataset.etat === 'pret'"
    )


def integer(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def sent_period(page: Any) -> dict[str, str]:
    """The from/to of the filter the page's state holds, as the API receives them."""
    got = page.evaluate(
        """async () => {
            const e = await import('/static/js/etat.js');
            const s = await (await fetch('/api/v1/stats/summary')).json();
            return e.filtresApi(e.etatCourant(), s.data_range.last);
        }"""
    )
    return {"from": got.get("from", ""), "to": got.get("to", "")}


def banner(page: Any) -> int:
    return integer(page.inner_text("#total-faits"))


def legend_total(page: Any) -> int:
    note = page.inner_text(".legende section[data-couche=hexagones]")
    found = NUMBER.search(note)
    assert found, note
    return integer(found.group(1))


def compstat_total(page: Any, column: int) -> int:
    """The « Ensemble des faits » row's count for the column-th period."""
    row = page.locator("#table-compstat tbody tr").first
    assert "Ensemble" in row.locator("th").inner_text()
    return integer(row.locator("td").nth(3 * column).inner_text())


def test_a_partner_sees_one_total(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page(1366, 900)
    sign_in(page, site, "partner")
    settle(page)
    assert "(partenaire · toutes les communes)" in page.inner_text("#qui")

    # The default (12 published months, resolution 8) is a map the release can show: few greys.
    cells = page.eval_on_selector_all(HEXAGONS, "els => els.map(e => e.dataset.count)")
    assert len(cells) > 50 and sum(c == "" for c in cells) <= len(cells) // 10

    for periode in ("12m", "1m", "tout"):
        if periode != "12m":
            page.check(f"input[name=periode][value='{periode}']")
            settle(page)
        period = sent_period(page)
        summary = api(site, "/stats/summary", "partner", generation=2024, **period)
        total = banner(page)
        assert total == summary["total"], periode
        # The legend counts the same facts; its grey cells are said to be in that total.
        assert legend_total(page) == total, periode
        grey = sum(
            c == ""
            for c in page.eval_on_selector_all(HEXAGONS, "els => els.map(e => e.dataset.count)")
        )
        note = page.locator("#note-total-hexagones")
        assert note.count() == (1 if grey else 0), periode
        if grey:
            expected = f"Les {grey} hexagones gris" if grey > 1 else "L'hexagone gris"
            assert expected in note.inner_text().replace("\u202f", "")
        # The QPV table's whole commune is the banner's total.
        whole = page.locator(".table-territoires tbody tr").last
        assert integer(whole.locator("td").first.inner_text()) == total, periode
        # CompStat: the column of the chosen period shows the banner's total; with none, a
        # sentence says so.
        compstat = api(site, "/stats/compstat", "partner", generation=2024, by="family", **period)
        same = [
            i
            for i, p in enumerate(compstat["periods"])
            if (p["start"], p["end"]) == (period["from"], period["to"])
        ]
        sentence = page.locator("#note-total-compstat")
        if same:
            assert compstat_total(page, same[0]) == total, periode
            assert sentence.count() == 0
        else:
            assert "aucune ne couvre la période choisie" in sentence.inner_text()
        # The time slots: « < 5 » cells are said to count in the banner's total.
        hidden = [t for t in page.locator("#matrice-creneaux tbody td").all_inner_texts()]
        assert page.locator("#note-total-creneaux").count() == (
            1 if any(t.startswith("<") for t in hidden) else 0
        )
        page.screenshot(path=str(ARTIFACTS / f"partenaire-un-total-{periode}.png"), full_page=True)
    # The demo's last month (a month at resolution 8) has grey cells: the sentence was seen.
    assert page_errors(page) == []


@pytest.mark.parametrize(
    ("role", "name", "menus"),
    [
        ("partner", "partenaire", ["Carte et analyses", "Mon compte"]),
        ("analyst", "analyste", ["Carte et analyses", "État 4001", "Imports", "Mon compte"]),
        ("police", "police", ["Carte et analyses", "État 4001", "Imports", "Mon compte"]),
        (
            "admin",
            "administrateur",
            ["Carte et analyses", "État 4001", "Imports", "Administration", "Mon compte"],
        ),
    ],
)
def test_menus_only_for_the_pages_a_role_may_open(
    open_page: Callable[..., Any], site: Site, role: str, name: str, menus: list[str]
) -> None:
    page = open_page()
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    sign_in(page, site, role)
    assert f"({name} · toutes les communes)" in page.inner_text("#qui")
    shown = [
        " ".join(a.inner_text().split())
        for a in page.locator("#navigation a").all()
        if a.is_visible()
    ]
    assert shown == menus
    # Each menu shown opens its page without a refusal.
    for link in page.locator("#navigation a").all():
        if not link.is_visible():
            continue
        link.click()
        target = link.get_attribute("data-page")
        page.wait_for_selector(f"#page-{target}:not([hidden])")
        page.wait_for_load_state("networkidle")
        assert page.locator(f"#page-{target} .erreur:visible").count() == 0, target
    assert refused == [] and page_errors(page) == []


def test_the_tablet_scrolls_the_tables_and_shows_the_whole_legend(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page(768, 1024)
    sign_in(page, site, "admin")
    settle(page)
    table = page.locator("#panneau-compstat .defilement")
    table.scroll_into_view_if_needed()
    box = table.evaluate(
        """(d) => ({scroll: d.scrollWidth, client: d.clientWidth, classes: [...d.classList],
                   cue: getComputedStyle(d, '::after').content,
                   mask: getComputedStyle(d).maskImage || getComputedStyle(d).webkitMaskImage})"""
    )
    assert box["scroll"] > box["client"]
    assert "deborde-droite" in box["classes"]
    assert "Faire défiler le tableau →" in box["cue"]
    assert box["mask"].startswith("linear-gradient")
    page.screenshot(path=str(ARTIFACTS / "tablette-768-carte.png"), full_page=True)
    table.screenshot(path=str(ARTIFACTS / "tablette-768-compstat.png"))
    # Scrolled to the end, the cue points back.
    table.evaluate("(d) => { d.scrollLeft = d.scrollWidth; }")
    page.wait_for_function(
        "() => document.querySelector('#panneau-compstat .defilement')"
        ".classList.contains('deborde-gauche')"
    )
    assert "deborde-droite" not in table.evaluate("(d) => [...d.classList]")

    page.click("#navigation a[data-page=etat4001]")
    page.wait_for_selector("#e4001-resultat canvas")
    legend = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector('#e4001-resultat canvas'));
            const l = chart.legend;
            return {items: chart.data.datasets.length, height: chart.height, top: l.top,
                    bottom: l.bottom, boxes: l.legendHitBoxes.map((b) => [b.top, b.height]),
                    canvas: chart.canvas.getBoundingClientRect().height};
        }"""
    )
    assert legend["items"] >= 5 and len(legend["boxes"]) == legend["items"]
    for top, height in legend["boxes"]:
        assert legend["top"] <= top and top + height <= legend["bottom"] <= legend["height"]
    page.locator("#page-etat4001").screenshot(path=str(ARTIFACTS / "tablette-768-etat4001.png"))
    assert page_errors(page) == []


def test_the_etat4001_chart_draws_every_year_of_its_span(
    open_page: Callable[..., Any], site: Site
) -> None:
    """A hand-made answer with 2020 and 2024 only: five years on the axis, three gaps named."""
    page = open_page(768, 1024)
    sign_in(page, site, "admin")
    got = page.evaluate(
        """async () => {
            const { PageEtat4001 } = await import('/static/js/pages/etat4001.js');
            const section = document.createElement('section');
            section.innerHTML = '<div class="contenu"></div>';
            document.body.append(section);
            const vue = new PageEtat4001(section, { communes: { features: [] } });
            vue.resultat = section.querySelector('.contenu');
            const point = (year, count) => ({year, count, change_pct: null, z: null,
                                            suppressed: false, complete: true, months: 12});
            vue.dessiner({ note: null, series: [
                { label: 'Vols', unit: 'faits', points: [point(2020, 120), point(2024, 90)] },
                { label: 'Violences', unit: 'victimes', points: [point(2024, 40)] },
            ]});
            const chart = Chart.getChart(section.querySelector('canvas'));
            return { labels: chart.data.labels, data: chart.data.datasets.map((d) => d.data),
                     missing: section.querySelector('#e4001-annees-manquantes')?.textContent,
                     columns: [...section.querySelectorAll('thead th')].map((t) => t.textContent) };
        }"""
    )
    assert got["labels"] == ["2020", "2021", "2022", "2023", "2024"]
    assert got["data"] == [[120, None, None, None, 90], [None, None, None, None, 40]]
    assert got["missing"] == (
        "Aucun chiffre importé pour 2021, 2022 et 2023 : la courbe s'interrompt ces années-là."
    )
    assert got["columns"] == ["Série", "Unité", "2020", "2024"]


def test_emerging_hot_spots_offer_a_longer_period(
    open_page: Callable[..., Any], site: Site
) -> None:
    """28 days are too short for emerging hot spots: an explanation and a button, no error; the
    button sets six whole months and the layer is drawn."""
    page = open_page()
    sign_in(page, site, "police", "/?couches=hexagones,emergents")
    section = page.locator(".legende section[data-couche=emergents]")
    button = section.get_by_role("button", name="Étendre à 6 mois")
    button.wait_for()
    assert "au moins 6 mois complets" in section.inner_text()
    assert section.locator(".erreur").count() == 0
    last = api(site, "/stats/summary", "police")["data_range"]["last"]
    button.click()
    page.wait_for_selector(
        ".legende section[data-couche=emergents][data-etat=pret] li", timeout=120_000
    )
    query = parse_qs(urlsplit(page.url).query)
    assert query["periode"] == ["perso"] and query["to"] == [last]
    start = query["from"][0]
    months = (int(last[:4]) * 12 + int(last[5:7])) - (int(start[:4]) * 12 + int(start[5:7])) + 1
    assert start.endswith("-01") and months == 6
    assert section.locator(".erreur").count() == 0 and page_errors(page) == []
    labels = page.evaluate(
        """async () => {
            const { intitule } = await import('/static/js/couches/actions.js');
            return ['FA-2.3 (exemple)', 'FA-2.3', ''].map(
                (reference) => intitule({title: 'Vidéoprotection', reference}));
        }"""
    )
    assert labels == [
        "Vidéoprotection — fiche FA-2.3 (exemple)",
        "Vidéoprotection (FA-2.3)",
        "Vidéoprotection",
    ]
