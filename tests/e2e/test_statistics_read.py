"""Statistics read right on the page (issue 20): natural breaks named in the legend, no « −0 »,
integer axes for counts, the monthly trend on the months of the chosen period, the 7 × 24 total
explained, the QPV table saying why a rate is missing.

Expected figures come from the API called here with the period the URL sets, and from the
calendar; the chart's ticks are read from Chart.js itself (``Chart.getChart``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Site, page_errors, sign_in

pytestmark = pytest.mark.e2e

PERIOD = {"from": "2025-03-10", "to": "2025-06-20"}
MONTHS_SHORT = [
    *("janv.", "févr.", "mars", "avr.", "mai", "juin"),
    *("juil.", "août", "sept.", "oct.", "nov.", "déc."),
]
MONTHS = ["mars 2025", "avr. 2025", "mai 2025", "juin 2025"]
# « −0 », « -0 % », « −0,0 » standing alone (not a date, not −0,5).
MINUS_ZERO = re.compile(r"(?<![\d,])[−-]0(?:,0+)?(?![\d,])")

TICKS = """canvas => {
  const chart = Chart.getChart(canvas);
  if (!chart) return null;
  return chart.scales.y.ticks.map((t) => ({ value: t.value, label: String(t.label) }));
}"""


def api(site: Site, path: str, role: str = "analyst", **params: Any) -> Any:
    answer = httpx.get(
        f"{site.url}/api/v1{path}",
        params=params,
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


def wait_for_panels(page: Any) -> None:
    page.wait_for_selector("#matrice-creneaux")
    page.wait_for_selector(".table-territoires")
    page.wait_for_function(
        "() => document.querySelectorAll('.panneau .contenu.chargement').length === 0"
        " && Chart.getChart(document.querySelector('#panneau-tendance canvas'))"
    )


def assert_integer_ticks(ticks: list[dict[str, Any]] | None) -> None:
    assert ticks, "aucune graduation lue"
    for tick in ticks:
        assert float(tick["value"]).is_integer(), ticks
        assert re.fullmatch(r"[\d\u202f\u00a0 ]+", tick["label"]), ticks


def test_the_page_reads_its_statistics_right(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "analyst", f"/?periode=perso&from={PERIOD['from']}&to={PERIOD['to']}")
    wait_for_panels(page)

    # Natural breaks by default, named in the legend.
    legend = page.inner_text(".legende section[data-couche=hexagones]")
    assert "Classes par seuils naturels (Jenks)" in legend
    assert page.input_value("#filtre-classes") == "jenks"

    # The trend holds the months of the period, and its title says which.
    trend = page.eval_on_selector(
        "#panneau-tendance canvas", "c => Chart.getChart(c).data.labels.map(String)"
    )
    assert trend == MONTHS
    answer = api(site, "/stats/trends", step="month", by="total", **PERIOD)
    assert [p["start"][:7] for p in answer["periods"]] == [
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
    ]
    assert page.inner_text("#titre-tendance") == "Évolution mensuelle, de mars 2025 à juin 2025"
    assert "du 10 mars 2025 au 20 juin 2025" in page.inner_text("#panneau-tendance")
    assert_integer_ticks(page.eval_on_selector("#panneau-tendance canvas", TICKS))

    # The 7 × 24 matrix: its true total, and why rounded cells may not make it.
    slots = api(site, "/stats/timeslots", **PERIOD)
    note = page.inner_text("#creneaux-total")
    total = re.search(r"Total de la matrice : ([\d\u202f\u00a0 ]+) fait", note)
    assert total and int(re.sub(r"\D", "", total.group(1))) == round(slots["total"])
    cells = [v for row in slots["matrix"] for v in row if v is not None]
    if any(abs(v - round(v)) > 1e-6 for v in cells):
        assert "méthode aoristique" in note

    # The QPV table (2024 by default): borrowed populations marked, missing ones explained.
    table = page.inner_text("#panneau-qpv")
    assert "population 2015" in table
    assert "population non chargée" in table
    assert "observatory import qpv" in page.inner_text("#territoires-population-manquante")

    # No « −0 » anywhere, whatever rounds to zero.
    text = page.inner_text("body")
    assert not MINUS_ZERO.findall(text), MINUS_ZERO.findall(text)
    assert page_errors(page) == []


def test_the_etat4001_chart_counts_on_an_integer_axis(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "analyst")
    page.click("#navigation a[data-page=etat4001]")
    page.wait_for_selector("#table-etat4001 tbody tr")
    page.wait_for_function("() => Chart.getChart(document.querySelector('#page-etat4001 canvas'))")

    assert_integer_ticks(page.eval_on_selector("#page-etat4001 canvas", TICKS))
    text = page.inner_text("#page-etat4001")
    assert not MINUS_ZERO.findall(text), MINUS_ZERO.findall(text)
    assert page_errors(page) == []


def test_the_trend_follows_the_period_chosen_in_the_page(
    open_page: Callable[..., Any], site: Site
) -> None:
    # The rarest category of the period: a few facts a month, where Chart.js alone would put
    # ticks at 0,5.
    summary = api(site, "/stats/summary", **PERIOD)
    rare = min((c for c in summary["categories"] if c["count"]), key=lambda c: c["count"])
    assert rare["count"] < 40  # the test's own premise: small monthly counts
    page = open_page(1440, 900)
    sign_in(
        page,
        site,
        "analyst",
        f"/?periode=perso&from={PERIOD['from']}&to={PERIOD['to']}&categories={rare['code']}",
    )
    wait_for_panels(page)
    assert_integer_ticks(page.eval_on_selector("#panneau-tendance canvas", TICKS))

    # « 12 derniers mois » in the filter: the trend's months become those of that year.
    page.check("input[name=periode][value='12m']")
    last = date.fromisoformat(summary["data_range"]["last"])
    first = date(last.year - 1, last.month, last.day) + timedelta(days=1)
    expected = api(
        site,
        "/stats/trends",
        step="month",
        by="total",
        categories=rare["code"],
        **{"from": first.isoformat(), "to": last.isoformat()},
    )
    months = [
        MONTHS_SHORT[int(p["start"][5:7]) - 1] + " " + p["start"][:4] for p in expected["periods"]
    ]
    page.wait_for_function(
        "n => Chart.getChart(document.querySelector('#panneau-tendance canvas'))"
        ".data.labels.length === n",
        arg=len(months),
    )
    wait_for_panels(page)
    labels = page.eval_on_selector(
        "#panneau-tendance canvas", "c => Chart.getChart(c).data.labels.map(String)"
    )
    assert labels == months
    assert (
        page.inner_text("#titre-tendance") == f"Évolution mensuelle, de {months[0]} à {months[-1]}"
    )
    assert_integer_ticks(page.eval_on_selector("#panneau-tendance canvas", TICKS))
    assert page_errors(page) == []
