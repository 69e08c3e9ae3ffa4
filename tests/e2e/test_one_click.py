"""One click for each job, in a real headless Chromium: print the view, the CLSPD pack, exports.

The printed view is Chromium's own print of the page (print media, A4 landscape), read back with
pdftotext and drawn with pdftoppm into test-artifacts/e2e/. Downloaded files are read back with
pyogrio; the expected counts come from the API's summary and layers for the filter the page
should send (worked out from the dates, not read from the page).
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyogrio
import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

pytestmark = pytest.mark.e2e


def api(site: Site, path: str, role: str = "admin", **params: Any) -> Any:
    answer = httpx.get(
        f"{site.url}/api/v1{path}",
        params={k: v for k, v in params.items() if v not in (None, "")},
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()


def last_28_days(site: Site) -> dict[str, str]:
    """The default period of the page: the 28 days ending on the last day with data."""
    last = date.fromisoformat(api(site, "/stats/compstat", by="total")["at"])
    return {"from": (last - timedelta(days=27)).isoformat(), "to": last.isoformat()}


def download(page: Any, selector: str, folder: Path, timeout: float = 60_000) -> Path:
    """Click the button and keep the file the page downloads; its path."""
    with page.expect_download(timeout=timeout) as info:
        page.click(selector)
    got = info.value
    assert got.failure() is None
    path = folder / got.suggested_filename
    got.save_as(path)
    return path


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_print_gives_an_a4_landscape_pdf_with_the_legend_and_the_filter(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page(1440, 900)
    sign_in(page, site, "police", "/?periode=12m&hours=22-6")
    # The browser's print dialog is not what is tested: the page's preparation is, then
    # Chromium's print of the page in print media.
    page.evaluate("() => { window.print = () => { window.imprime = (window.imprime || 0) + 1; }; }")
    page.click("#bouton-imprimer")
    assert page.evaluate("window.imprime") == 1
    summary = page.inner_text("#resume")
    assert "12 derniers mois" in summary and "22 h" in summary
    page.emulate_media(media="print")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "impression-vue.pdf"
    page.pdf(path=str(target), prefer_css_page_size=True, print_background=True)

    text = pdf_text(target)
    first = text.split("\f")[0]
    assert "Observatoire de la tranquillité publique — carte des faits" in first
    assert "12 derniers mois" in first and "de 22 h" in first
    assert "Légende" in first
    assert "Imprimé le" in first
    assert "Faits par hexagone" in first or "faits" in first.lower()
    # The scale bar (metres or kilometres) and the north.
    assert " m" in first or " km" in first
    assert "N" in first.split()
    # The filter panel and the menus are not printed.
    assert "Se déconnecter" not in text and "Imprimer la vue" not in text
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True)
    size = next(line for line in info.stdout.splitlines() if line.startswith("Page size"))
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split(" x "))
    assert width > height  # landscape
    assert abs(width - 842) < 3 and abs(height - 595) < 3  # A4
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(target),
            str(ARTIFACTS / "impression-vue"),
        ],
        check=True,
    )
    # Back on screen, the page is as before.
    page.emulate_media(media="screen")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert not page.evaluate("document.body.classList.contains('impression')")
    assert page_errors(page) == []


def test_the_pack_button_downloads_the_pdf_with_its_progress(
    open_page: Callable[..., Any], site: Site, tmp_path: Path
) -> None:
    page = open_page()
    sign_in(page, site, "police", "/?periode=perso&from=2025-11-01&to=2025-12-31&commune=31555")
    page.evaluate(
        """() => {
        window.etats = [];
        new MutationObserver(() => window.etats.push(document.querySelector('#outils-etat')
          .textContent)).observe(document.querySelector('#outils-etat'),
          { childList: true, characterData: true, subtree: true });
      }"""
    )
    assert page.input_value("#dossier-commune") == "31555"
    page.select_option("#dossier-format", "pdf")
    path = download(page, "#bouton-dossier", tmp_path, timeout=180_000)
    assert path.name == "pack-clspd-31555-2025-11-2025-12.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    assert "Toulouse" in pdf_text(path)
    states = page.evaluate("window.etats")
    assert any("de novembre 2025 à décembre 2025" in s for s in states), states
    assert any("En attente" in s or "En cours" in s for s in states), states
    assert "Dossier CLSPD prêt" in page.inner_text("#outils-etat")
    assert page_errors(page) == []


def test_each_export_button_gives_a_file_of_the_filter(
    open_page: Callable[..., Any], site: Site, tmp_path: Path
) -> None:
    page = open_page()
    sign_in(page, site, "police")
    period = last_28_days(site)
    facts = api(site, "/stats/summary", role="police", **period)["total"]
    hexagons = api(site, "/layers/hexagons", role="police", res=9, **period)
    assert facts > 0 and hexagons["features"]
    for fmt in ("csv", "geojson", "gpkg"):
        path = download(page, f"#export-faits-{fmt}", tmp_path)
        assert path.name == f"faits_{period['from']}_au_{period['to']}.{fmt}"
        assert len(pyogrio.read_dataframe(path)) == facts, fmt
        path = download(page, f"#export-hexagones-{fmt}", tmp_path)
        assert path.name == f"hexagones_r9_{period['from']}_au_{period['to']}.{fmt}"
        assert len(pyogrio.read_dataframe(path)) == len(hexagons["features"]), fmt
    assert "téléchargé" in page.inner_text("#outils-etat")
    assert page_errors(page) == []


def test_roles_see_only_the_exports_they_may_have(
    open_page: Callable[..., Any], site: Site, tmp_path: Path
) -> None:
    analyst = open_page()
    sign_in(analyst, site, "analyst")
    assert analyst.locator("#export-faits-csv").count() == 0
    assert analyst.locator("#export-hexagones-gpkg").count() == 1

    partner = open_page()
    sign_in(partner, site, "partner")
    assert partner.locator("[id^=export-faits]").count() == 0
    path = download(partner, "#export-hexagones-geojson", tmp_path)
    url = partner.url
    assert "periode=12m" in url or "periode" not in url
    released = pyogrio.read_dataframe(path)
    assert len(released) > 0
    # Partners' file is the release: no count under the threshold is given as a number.
    threshold = site.settings.secrecy_threshold
    shown = released["count"].dropna()
    assert (shown >= threshold).all()
    assert page_errors(analyst) == [] and page_errors(partner) == []


def test_each_table_downloads_as_an_excel_csv(
    open_page: Callable[..., Any], site: Site, tmp_path: Path
) -> None:
    page = open_page()
    sign_in(page, site, "analyst", "/?periode=12m")
    page.wait_for_selector("#matrice-creneaux")
    page.wait_for_selector("#table-compstat")
    expected = {
        "csv-compstat": ("#table-compstat tbody tr", "Famille"),
        "csv-territoires": (".table-territoires tbody tr", None),
        "csv-creneaux_7x24": ("#matrice-creneaux tbody tr", "Jour"),
        "csv-tendance_mensuelle": ("#panneau-tendance table tbody tr", "Mois"),
    }
    for button, (rows, first_header) in expected.items():
        path = download(page, f"#{button}", tmp_path)
        assert path.name.startswith(button.removeprefix("csv-") + "_")
        assert path.name.endswith(".csv")
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert len(table) - 1 == page.locator(rows).count() > 0
        if first_header:
            assert table[0][0] == first_header
        assert len(pyogrio.read_dataframe(path)) == len(table) - 1
        if button == "csv-creneaux_7x24":
            assert table[0][1:] == [f"{h} h" for h in range(24)]
            assert all(cell.replace(",", "").isdigit() for row in table[1:] for cell in row[1:])
        if button == "csv-compstat":
            percents = [c for row in table[1:] for c in row if c.endswith("%")]
            assert percents and all("\u2212" not in c and "+" not in c for c in percents)
    assert page_errors(page) == []


def test_table_cells_reach_the_spreadsheet_as_numbers_or_inert_text(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    page.goto(site.url + "/")
    cells = {
        "1\u202f093": "1093",
        "\u22123,5\u00a0%": "-3,5 %",
        "+137,5 %": "137,5 %",
        "+1,49": "1,49",
        "< 5": "< 5",
        "—": "—",
        '=HYPERLINK("https://evil.example";"x")': '\'=HYPERLINK("https://evil.example";"x")',
        "+33 6 12": "'+33 6 12",
        "-x": "'-x",
        "@SUM(A1)": "'@SUM(A1)",
        "Quartier ; « Nord »": "Quartier ; « Nord »",
    }
    got = page.evaluate(
        """async (cells) => {
          const { valeurCsv, texteCsv } = await import('/static/js/csv.js');
          return { values: cells.map(valeurCsv), text: texteCsv([['a;b', 'c"d'], ['1', '2']]) };
        }""",
        list(cells),
    )
    assert dict(zip(cells, got["values"], strict=True)) == cells
    assert got["text"] == '\ufeff"a;b";"c""d"\r\n1;2\r\n'
