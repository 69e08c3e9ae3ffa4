"""The intercommunal view in Chromium: a CISPD coordinator whose scope is the group of Blagnac
and Colomiers (the demo's synthetic facts, loaded here beside the samples) sees « Comparaison des
communes », sorts it, and the map colours both communes by their rate per 1,000 inhabitants;
each town's police, signed in with its own account, sees its own facts only."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import text

from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from observatory.db import make_sessionmaker
from observatory.tokens import create_token
from tests.accounts import make_group
from tests.e2e.conftest import SAMPLES, Site, page_errors, sign_in

pytestmark = pytest.mark.e2e

OUTLINES = SAMPLES / "communes_voisines_toulouse.geojson"
NEIGHBOURS = SAMPLES / "incidents_voisines_toulouse.csv"
SCOPE = ("31069", "31149")
GROUP = "cispd-ouest-e2e"
TOWNS = {"31069": "police-blagnac", "31149": "police-colomiers"}
PERIOD = "/?periode=perso&from=2025-01-01&to=2025-12-31&couches=communes,taux-communes"


@pytest.fixture(scope="module")
def neighbours(site: Site) -> Iterator[Site]:
    """The neighbours' outlines, populations and 1,500 facts; a group of two of them, the CISPD
    coordinator's account (and token) scoped to the group, one police account per town; all
    removed afterwards (the other tests read Toulouse alone)."""
    import_communes(
        site.engine, OUTLINES, population=SAMPLES / "populations_haute_garonne.csv", run_by="e2e"
    )
    imported = import_incidents(site.engine, NEIGHBOURS, settings=site.settings, run_by="e2e")
    assert imported.rows_imported == 1500
    make_group(site.engine, GROUP, SCOPE)
    site.register("cispd", "analyst", communes=[], groups=[GROUP])
    for code, key in TOWNS.items():
        site.register(key, "police", communes=[code])
    with make_sessionmaker(site.engine).begin() as session:
        site.tokens["cispd"] = create_token(
            session, "e2e-cispd", "analyst", site.settings.secret_key, communes=frozenset(SCOPE)
        )
    try:
        yield site
    finally:
        site.tokens.pop("cispd", None)
        for key in ("cispd", *TOWNS.values()):
            site.people.pop(key, None)
            site.cookies.pop(key, None)
        with site.engine.begin() as conn:
            conn.execute(text("DELETE FROM api_token WHERE name = 'e2e-cispd'"))
            conn.execute(
                text("DELETE FROM account WHERE email = ANY(:emails)"),
                {"emails": [f"e2e-{key}@observatoire.test" for key in ("cispd", *TOWNS.values())]},
            )
            conn.execute(text("DELETE FROM commune_group WHERE name = :g"), {"g": GROUP})
            conn.execute(text("DELETE FROM incident WHERE commune_code IN ('31069', '31149')"))
            conn.execute(
                text("DELETE FROM import_batch WHERE file_name IN (:a, :b)"),
                {"a": OUTLINES.name, "b": NEIGHBOURS.name},
            )
            conn.execute(text("DELETE FROM commune WHERE code IN ('31069', '31149', '31157')"))


def facts_2025() -> dict[str, int]:
    frame = pd.read_csv(NEIGHBOURS, sep=";", dtype=str)
    return frame[frame.date_faits.str.endswith("/2025")].groupby("code_insee").size().to_dict()


def test_a_single_commune_caller_does_not_get_the_panel(
    open_page: Callable[..., Any], site: Site
) -> None:
    """The samples alone: only Toulouse has facts or a population, the panel stays hidden."""
    page = open_page()
    sign_in(page, site, "analyst")
    page.wait_for_function(
        "() => document.querySelectorAll('.panneau .contenu.chargement').length === 0"
    )
    assert page.locator("#panneau-communes").is_hidden()


def test_the_scope_s_communes_side_by_side_sorted_and_on_the_map(
    open_page: Callable[..., Any], neighbours: Site
) -> None:
    site = neighbours
    page = open_page()
    sign_in(page, site, "cispd", PERIOD)
    page.wait_for_selector("#panneau-communes:not([hidden]) .table-communes tbody tr")
    page.wait_for_function(
        "() => document.querySelectorAll('.panneau .contenu.chargement').length === 0"
    )
    answer = httpx.get(
        f"{site.url}/api/v1/stats/communes",
        params={"from": "2025-01-01", "to": "2025-12-31"},
        headers={"Authorization": f"Bearer {site.tokens['cispd']}"},
        timeout=30,
    ).json()
    expected = facts_2025()
    rows = page.locator("#panneau-communes tbody tr")
    assert rows.count() == 2
    codes = [rows.nth(i).get_attribute("data-code") for i in range(2)]
    assert sorted(codes) == list(SCOPE)
    for i, code in enumerate(codes):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[1] == str(expected[code])  # facts (under 1 000: no separator)
        rate = next(r["rate_per_1000"] for r in answer["communes"] if r["code"] == code)
        assert cells[2] == f"{rate:.1f}".replace(".", ",")  # French decimal comma
    total = page.locator("#panneau-communes tfoot tr td").all_inner_texts()
    assert total[1] == str(sum(expected.values()))
    # No QPV outline of these communes is loaded: their share in QPV is unknown, not 0 %.
    for i in range(2):
        assert rows.nth(i).locator("td").all_inner_texts()[-1] == "—"
    assert total[-1] == "—"
    assert "inconnue (pas nulle)" in page.inner_text("#note-qpv-inconnus")
    # Sorted by rate, highest first; one click on « Faits » sorts by facts, a second reverses.
    by_rate = sorted(answer["communes"], key=lambda r: -r["rate_per_1000"])
    assert codes == [r["code"] for r in by_rate]
    page.click("#panneau-communes th[data-tri='count'] button")
    by_facts = sorted(SCOPE, key=lambda c: -expected[c])
    assert [rows.nth(i).get_attribute("data-code") for i in range(2)] == by_facts
    assert page.get_attribute("#panneau-communes th[data-tri='count']", "aria-sort") == (
        "descending"
    )
    page.click("#panneau-communes th[data-tri='count'] button")
    assert [rows.nth(i).get_attribute("data-code") for i in range(2)] == by_facts[::-1]

    # The map: both communes filled, the legend saying what the colour is and the period.
    page.wait_for_selector("[data-commune-taux='31069']")
    page.wait_for_selector("[data-commune-taux='31149']")
    legend = page.inner_text(".legende [data-couche='taux-communes']")
    assert "Faits pour 1 000 habitants" in legend and "31 décembre 2025" in legend
    # Two communes: natural breaks would give each a class of its own at the palette's ends,
    # however close their rates; four equal classes from 0 to the highest rate instead.
    assert "4 intervalles égaux de 0 au plus haut taux (moins de 5 communes)" in legend
    assert page.locator("#legende-taux-communes li").count() == 5  # four classes, « inconnue »

    def js_round(x: float) -> int:  # Math.round: halves up
        return math.floor(x + 0.5)

    tenths = {r["code"]: js_round(r["rate_per_1000"] * 10) for r in answer["communes"]}
    top = max(tenths.values())
    bounds = [js_round(top * (i + 1) / 4) for i in range(4)]
    klass = {code: next(i for i, b in enumerate(bounds) if t <= b) for code, t in tenths.items()}
    fills = {code: page.get_attribute(f"[data-commune-taux='{code}']", "fill") for code in SCOPE}
    assert (fills["31069"] == fills["31149"]) == (klass["31069"] == klass["31149"])
    assert page_errors(page) == []


def in_page(page: Any, path: str) -> Any:
    """GET an API path from the signed-in page (its session cookie): (status, body)."""
    return page.evaluate(
        "async p => { const r = await fetch('/api/v1' + p); return [r.status, await r.json()]; }",
        path,
    )


def test_each_town_s_police_sees_its_own_facts_and_the_coordinator_both(
    open_page: Callable[..., Any], neighbours: Site
) -> None:
    """Two towns of one group: each police account sees only its town (totals, points, the
    other town refused), the coordinator's account both and their comparison."""
    site = neighbours
    expected = facts_2025()
    year = "from=2025-01-01&to=2025-12-31"
    for code, key in TOWNS.items():
        other = next(c for c in SCOPE if c != code)
        page = open_page()
        sign_in(page, site, key, PERIOD)
        status, summary = in_page(page, f"/stats/summary?{year}")
        assert status == 200 and summary["total"] == expected[code]
        status, points = in_page(page, f"/layers/incidents?{year}&limit=5000")
        assert status == 200 and len(points["features"]) == expected[code]
        status, refused = in_page(page, f"/stats/summary?{year}&commune={other}")
        assert status == 403 and other in refused["detail"]
        status, compared = in_page(page, f"/stats/communes?{year}")
        assert [r["code"] for r in compared["communes"]] == [code]
        assert page.locator("#panneau-communes").is_hidden()
        # The CLSPD pack is offered for its own town only.
        assert page.eval_on_selector_all(
            "#dossier-commune option", "os => os.map(o => o.value)"
        ) == [code]
        header = page.inner_text("header")
        assert code in header or "Blagnac" in header or "Colomiers" in header
        page.screenshot(path=f"test-artifacts/e2e/communes-{key}.png")
        assert page_errors(page) == []
        page.close()

    page = open_page()
    sign_in(page, site, "cispd", PERIOD)
    status, summary = in_page(page, f"/stats/summary?{year}")
    assert status == 200 and summary["total"] == sum(expected.values())
    status, compared = in_page(page, f"/stats/communes?{year}")
    assert sorted(r["code"] for r in compared["communes"]) == list(SCOPE)
    assert {r["code"]: r["count"] for r in compared["communes"]} == expected
    page.wait_for_selector("#panneau-communes:not([hidden]) .table-communes tbody tr")
    assert page.locator("#panneau-communes tbody tr").count() == 2
    # The pack of the whole group is offered beside each commune's.
    options = page.eval_on_selector_all(
        "#dossier-commune option", "os => os.map(o => [o.value, o.textContent])"
    )
    assert sorted(v for v, _ in options) == sorted([*SCOPE, "perimetre"])
    assert options[0] == ["perimetre", "Les 2 communes du périmètre"]  # offered first
    assert page.input_value("#dossier-commune") == "perimetre"
    assert page_errors(page) == []
