"""The daily questions in the page (issue 20, item 3): « Hier », « Cette nuit (18 h – 6 h) »,
« Semaine dernière » against totals counted by SQL alone; « Liste des faits » and its
« Localiser »; « Comparer deux périodes » whose map changes with the periods."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

pytestmark = pytest.mark.e2e

PARIS = ZoneInfo("Europe/Paris")
LEGEND = ".legende section[data-couche='comparaison']"


def _count(site: Site, start: datetime, end: datetime) -> int:
    """Facts from start (local, included) to end (local, excluded), by SQL alone."""
    sql = text(
        "SELECT count(*) FROM incident WHERE occurred_at >= CAST(:a AS timestamp) AT TIME ZONE "
        "'Europe/Paris' AND occurred_at < CAST(:b AS timestamp) AT TIME ZONE 'Europe/Paris'"
    )
    with site.engine.connect() as conn:
        return int(conn.execute(sql, {"a": start, "b": end}).scalar_one())


def _last_day(site: Site) -> date:
    sql = "SELECT max(occurred_at AT TIME ZONE 'Europe/Paris')::date FROM incident"
    with site.engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def _expected(site: Site) -> dict[str, tuple[int, str]]:
    """Each period's total and a word of its text, from the rule the page states: the period
    ends on the day before today, or on the data's last day when they stop earlier."""
    today = datetime.now(PARIS).date()
    last = _last_day(site)
    day = min(last, today - timedelta(days=1))
    evening = min(last, today) - timedelta(days=1)
    sunday = day - timedelta(days=(day.isoweekday() % 7))
    midnight = datetime.min.time()
    at = lambda d, hour=0: datetime.combine(d, midnight) + timedelta(hours=hour)  # noqa: E731
    return {
        "hier": (_count(site, at(day), at(day, 24)), f"{day.day}"),
        "nuit": (_count(site, at(evening, 18), at(evening, 30)), "18 h au"),
        "semaine": (_count(site, at(sunday - timedelta(days=6)), at(sunday, 24)), "au dimanche"),
    }


def _choose(page: Any, code: str) -> None:
    before = page.inner_text("#resume")
    page.check(f"input[name='periode'][value='{code}']")
    page.wait_for_function(
        "before => { const r = document.querySelector('#resume');"
        " return r.innerText !== before && !r.classList.contains('chargement'); }",
        arg=before,
    )


def _total(page: Any) -> int:
    return int(page.get_attribute("#total-faits", "data-total"))


def test_the_periods_of_the_day_give_the_totals_of_sql(
    open_page: Callable[..., Any], site: Site
) -> None:
    expected = _expected(site)
    page = open_page()
    sign_in(page, site, "police")

    for code in ("hier", "nuit", "semaine"):
        _choose(page, code)
        total, word = expected[code]
        assert _total(page) == total, code
        assert word in page.inner_text("#texte-periode")
        assert f"periode={code}" in page.url
    # A partner keeps whole months: none of these periods is offered.
    partner = open_page()
    sign_in(partner, site, "partner")
    offered = partner.eval_on_selector_all(
        "input[name='periode']", "els => els.map((e) => e.value)"
    )
    assert not {"hier", "nuit", "semaine"} & set(offered)
    assert page_errors(page) == []


def test_the_list_shows_the_facts_and_locates_one(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "police", "/?periode=7j")
    panel = page.locator("#panneau-liste")
    panel.locator("tbody tr").first.wait_for()
    rows = panel.locator("tbody tr")
    assert rows.count() == 25
    assert panel.locator("th[aria-sort='descending']").inner_text().startswith("Date et heure")

    # Sorted by reference, ascending: the page's references in order.
    panel.locator("th[data-tri='source_ref'] button").click()
    page.wait_for_selector("#panneau-liste th[data-tri='source_ref'][aria-sort='ascending']")
    refs = panel.locator("td.reference").all_inner_texts()
    assert refs == sorted(refs)
    panel.get_by_role("button", name="Suivante ›").click()
    page.wait_for_function(
        "first => document.querySelector('#panneau-liste td.reference')?.innerText > first",
        arg=refs[-1],
    )

    first = panel.locator("tbody tr").first
    reference = first.locator("td.reference").inner_text()
    first.get_by_role("button", name="Localiser").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert reference in popup.inner_text()
    assert page.evaluate("() => document.querySelector('#carte') !== null")
    page.wait_for_timeout(800)
    page.screenshot(path=ARTIFACTS / "liste-localiser.png")
    # Analysts and partners have no list.
    for role in ("analyst", "partner"):
        other = open_page()
        sign_in(other, site, role)
        assert other.locator("#panneau-liste").is_hidden()
    assert page_errors(page) == []


def _cells(page: Any) -> dict[str, tuple[str, str, str]]:
    return dict(
        page.eval_on_selector_all(
            ".leaflet-hexagones-pane path[data-level]",
            "els => els.map((e) => [e.dataset.h3,"
            " [e.dataset.level, e.dataset.countA, e.dataset.countB]])",
        )
    )


def test_the_comparison_map_follows_the_periods(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "analyst", "/?couches=qpv,communes&res=8")
    panel = page.locator("#panneau-comparaison")
    last = _last_day(site)

    def compare(a: tuple[date, date], b: tuple[date, date]) -> dict[str, tuple[str, str, str]]:
        before = page.get_attribute("#carte", "data-comparaison") or ""
        for name, value in zip(("from_a", "to_a", "from_b", "to_b"), (*a, *b), strict=True):
            page.fill(f"#comparer-{name}", value.isoformat())
        panel.get_by_role("button", name="Comparer", exact=True).click()
        page.wait_for_function(
            "([sel, before]) => { const s = document.querySelector(sel);"
            " return s && s.dataset.etat === 'pret' && s.innerText !== before"
            " && document.querySelector('#carte').dataset.etat === 'pret'; }",
            arg=[LEGEND, before],
        )
        page.evaluate(
            "sel => { document.querySelector('#carte').dataset.comparaison ="
            " document.querySelector(sel).innerText; }",
            LEGEND,
        )
        return _cells(page)

    month_b = (last - timedelta(days=27), last)
    first = compare((month_b[0] - timedelta(days=364), month_b[1] - timedelta(days=364)), month_b)
    second = compare(
        (last - timedelta(days=13), last - timedelta(days=7)), (last - timedelta(days=6), last)
    )

    assert first and second
    levels = {v[0] for v in first.values()}
    assert levels <= {"hausse_forte", "hausse", "stable", "baisse", "baisse_forte"}
    assert first != second
    legend = page.inner_text(".legende")
    assert "pas d'écart démontré" in legend
    assert "z" in legend
    page.screenshot(path=ARTIFACTS / "comparaison.png")
    # A partner has neither the control nor the layer.
    partner = open_page()
    sign_in(partner, site, "partner")
    assert partner.locator("#panneau-comparaison").is_hidden()
    assert page_errors(page) == []
