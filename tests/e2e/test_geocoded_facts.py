"""Facts placed by the geocoder, as an admin meets them in Chromium: an address-only export
uploaded from the import page, the popup that tells how a fact was placed, the checkbox that
leaves out the facts placed at the street only, and the button that re-runs the rejects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in, wait_for_map
from tests.e2e.test_map import api

pytestmark = pytest.mark.e2e

Row = dict[str, str]


def total(page: Any) -> int:
    return int(page.get_attribute("#total-faits", "data-total") or -1)


def test_an_address_only_export_is_placed_told_and_filtered(
    open_page: Callable[..., Any], site: Site, extract_rows: list[Row], tmp_path: Path
) -> None:
    toulouse = [r for r in extract_rows if r["code_insee"] == "31555" and not r["rep"]]
    exact, other = (
        toulouse[0],
        next(r for r in toulouse if r["nom_voie"] != toulouse[0]["nom_voie"]),
    )
    last = api(site, "/stats/compstat", by="total")["at"]
    day = "/".join(reversed(last.split("-")))
    upload = tmp_path / "main_courante_adresses.csv"
    upload.write_text(
        "numero;date_faits;heure_faits;nature;adresse;code_insee;x;y\n"
        f"GEO-1;{day};22:10;Tapage;{exact['numero']} {exact['nom_voie']};31555;;\n"
        f"GEO-2;{day};22:20;Tapage;9999 {other['nom_voie']};31555;;\n"
        f"GEO-3;{day};22:30;Tapage;12 rue des Songes Creux;31555;;\n",
        encoding="utf-8",
    )
    page = open_page()
    sign_in(page, site, "admin")
    before = total(page)

    # The import page: two facts placed, one address not found, named with its candidate.
    page.click("#navigation a[data-page=imports]")
    page.wait_for_selector("#table-lots")
    page.set_input_files("#import-fichier", upload)
    page.click("#form-import button[type=submit]")
    page.wait_for_selector("#import-resultat .ok")
    assert "2 importées" in page.inner_text("#import-resultat")
    page.wait_for_selector("#rejets table")
    assert "adresse introuvable : « 12 rue des Songes Creux »" in page.inner_text("#rejets")
    page.screenshot(path=ARTIFACTS / "geocodage-import.png", full_page=True)

    # The button re-runs the rejected address as a new batch that names the first.
    batches = len(api(site, "/imports")["items"])
    page.click("#bouton-regeocoder")
    page.wait_for_selector("#regeocodage-resultat:not(:empty)")
    assert len(api(site, "/imports")["items"]) == batches + 1
    newest = api(site, "/imports")["items"][0]
    assert (newest["rows_read"], newest["rows_rejected"]) == (1, 1)

    # The map: the fact geocoded to its number tells how it was placed.
    lon, lat = float(exact["lon"]), float(exact["lat"])
    page.goto(f"{site.url}/?couches=faits&vue={lat:.6f},{lon:.6f},19")
    wait_for_map(page)
    assert total(page) == before + 2
    page.wait_for_selector(".legende section[data-couche=faits][data-etat=pret]")
    box = page.locator("#carte").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    shown = popup.inner_text()
    assert "Géocodé" in shown and exact["nom_voie"] in shown and "numéro" in shown, shown
    page.screenshot(path=ARTIFACTS / "geocodage-fiche.png")

    # The checkbox leaves out the fact placed at the street only, and the address keeps it.
    page.check("#filtre-precision")
    page.wait_for_function(
        f"() => Number(document.querySelector('#total-faits')?.dataset.total) === {before + 1}"
    )
    assert parse_qs(urlsplit(page.url).query).get("precision") == ["housenumber"]
    assert page_errors(page) == []
