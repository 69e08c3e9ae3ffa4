"""The page as its users read it, once the pieces of issue 20 are together (Chromium): what the
print keeps and drops, the comparison read alone on the map, the legend clear of the search box,
numbers written alike in a column, words in the singular when there is one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

pytestmark = pytest.mark.e2e

LEGEND = ".legende section[data-couche='comparaison']"


def _shown(page: Any, selector: str) -> bool:
    """True when the element exists and is drawn (not display: none, itself or above)."""
    return bool(
        page.evaluate(
            "sel => { const e = document.querySelector(sel);"
            " return !!e && e.getClientRects().length > 0; }",
            selector,
        )
    )


def _compare_last_week(page: Any) -> None:
    panel = page.locator("#panneau-comparaison")
    panel.get_by_role("button", name="Semaine dernière contre la précédente").click()
    page.wait_for_function(
        "sel => document.querySelector(sel)?.dataset.etat === 'pret'"
        " && document.querySelector('#carte').dataset.etat === 'pret'",
        arg=LEGEND,
    )


def test_the_comparison_is_read_alone_and_in_french(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "police")
    _compare_last_week(page)
    # Two fills on the same hexagons cannot be read: the facts' layer makes way.
    layers = page.locator(".leaflet-control-layers-overlays label")
    facts = layers.filter(has_text="Faits par hexagone").locator("input")
    change = layers.filter(has_text="Écart entre deux périodes").locator("input")
    assert change.is_checked() and not facts.is_checked()
    assert page.locator(".legende section[data-couche='hexagones']").count() == 0
    tips = [
        tuple(t)
        for t in page.eval_on_selector_all(
            ".leaflet-hexagones-pane path[data-level]",
            "els => els.map((e) => [Number(e.dataset.countA), Number(e.dataset.countB),"
            " Number(e.dataset.z)])",
        )
    ]
    assert tips
    # Each cell's text: « 1 fait », « 2 faits », never « fait(s) » nor « −0,0 ».
    chosen = {
        next(t for t in tips if 1 in t[:2]),
        next(t for t in tips if t[0] > 1 and t[1] > 1),
        *[t for t in tips if abs(t[2]) < 0.05][:1],
    }
    for a, b, z in chosen:
        page.mouse.move(0, 0)
        cell = page.locator(
            f".leaflet-hexagones-pane path[data-count-a='{a}'][data-count-b='{b}']"
        ).first
        cell.hover(force=True)
        tip = page.locator(".leaflet-tooltip").last.inner_text().replace("\u202f", " ")
        assert "(s)" not in tip and "−0,0" not in tip, tip
        assert f"A : {a} fait{'s' if a > 1 else ''} ·" in tip, tip
        assert f"B : {b} fait{'s' if b > 1 else ''} (" in tip, tip
        if abs(z) < 0.05:
            assert "z = 0,0" in tip, tip
    # The legend, taller now, stays clear of the search box and the zoom above it.
    legend = page.locator(".legende").bounding_box()
    search = page.locator(".recherche-lieu").bounding_box()
    assert legend["y"] >= search["y"] + search["height"], (legend, search)
    page.screenshot(path=ARTIFACTS / "revue-comparaison.png")
    assert page_errors(page) == []


def test_the_print_drops_the_forms_and_keeps_the_figures(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "police")
    page.locator("#panneau-liste tbody tr").first.wait_for()
    _compare_last_week(page)
    controls = (
        "#panneau-comparaison",
        "#panneau-liste .pagination button",
        "#panneau-liste .table-liste td:last-child button",
        "#panneau-actions-clspd .volet-saisie",
        "#panneau-zone",  # no zone chosen: nothing to print
        "#panneau-repetitions",  # not computed
    )
    kept = ("#panneau-liste .table-liste", "#panneau-compstat table", LEGEND)
    for selector in (*controls, *kept):
        assert _shown(page, selector), selector  # on screen, all there
    page.evaluate("() => { window.print = () => {}; }")
    page.click("#bouton-imprimer")
    page.emulate_media(media="print")
    hidden = [s for s in controls if _shown(page, s)]
    assert hidden == []
    assert all(_shown(page, s) for s in kept)
    # The comparison's legend fits on the sheet: the long reading is left to the screen.
    legend = page.locator(".legende").bounding_box()
    frame = page.locator("#carte").bounding_box()
    assert legend["y"] >= frame["y"] and legend["height"] <= frame["height"]
    page.emulate_media(media="screen")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert _shown(page, "#panneau-comparaison")
    assert page_errors(page) == []


def test_numbers_in_a_column_have_the_same_decimals(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "police")
    page.wait_for_selector("#panneau-compstat table tbody tr")
    page.wait_for_selector("#panneau-qpv table tbody tr")
    changes = page.eval_on_selector_all(
        "#panneau-compstat tbody td", "els => els.map((e) => e.innerText)"
    )
    percents = [c.replace("\u202f", " ").replace("\u00a0", " ") for c in changes if "%" in c]
    assert percents
    assert all(re.fullmatch(r"[+−]?\d[\d ]*,\d %", p) for p in percents), percents
    rates = page.eval_on_selector_all(
        "#panneau-qpv tbody tr td:last-child", "els => els.map((e) => e.innerText)"
    )
    assert [r for r in rates if r != "—"]
    assert all(re.fullmatch(r"\d[\d\u202f ]*,\d", r) for r in rates if r != "—"), rates
    # The classification has a visible label, and its choices fit the filter column.
    assert page.locator("label[for='filtre-classes']").inner_text() == "Classes"
    assert page.locator("#filtre-classes option").all_inner_texts() == [
        "Seuils naturels (Jenks)",
        "Quantiles",
    ]
    # The longest choice's text fits the select (the arrow takes about 2 rem).
    assert page.evaluate(
        "() => { const s = document.querySelector('#filtre-classes');"
        " const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(s).font;"
        " const w = Math.max(...[...s.options].map((o) => c.measureText(o.text).width));"
        " return w + 32 <= s.clientWidth; }"
    )
    assert page_errors(page) == []
