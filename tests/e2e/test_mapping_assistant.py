"""The mapping assistant of the import page, in a real Chromium: unknown labels and unknown
columns, each chosen, saved as a named mapping, and the rows imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ingest.incidents.mapping import load_mapping, mapping_from_dict
from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

LABELS_CSV = (
    "N° fiche;Date des faits;Heure;Nature;Longitude;Latitude\n"
    "ASSIST-1;15/01/2024;22:10;Tapage nocturne;1,44330;43,60450\n"
    "ASSIST-2;16/01/2024;08:00;Chien errant;1,44900;43,60600\n"
    "ASSIST-3;16/01/2024;09:00;Chien errant;1,44910;43,60610\n"
    "ASSIST-4;17/01/2024;09:30;Nid de frelons;1,44920;43,60620\n"
)
# No header the import knows for the date, the category or the place (Lambert-93 E/N).
COLUMNS_CSV = (
    "Numéro;Quand;Quoi;E;N\n"
    "COLS-1;15/01/2024 22:10;Tapage nocturne;574300;6279500\n"
    "COLS-2;16/01/2024 08:00;Rixe;574350;6279550\n"
)


def api_get(site: Site, path: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {site.tokens['admin']}"}
    return httpx.get(f"{site.url}/api/v1{path}", headers=headers, timeout=30)


def upload(page: Any, path: Path) -> None:
    page.set_input_files("#import-fichier", path)
    page.fill("#import-source", "assistant-e2e")
    page.click("#form-import button[type=submit]")


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def test_unknown_labels_are_chosen_saved_and_rerun(
    open_page: Any, site: Site, tmp_path: Path
) -> None:
    page = open_page()
    sign_in(page, site, "admin")
    page.click("#navigation a[data-page=imports]")
    page.wait_for_selector("#table-lots")
    export = tmp_path / "main_courante_pm.csv"
    export.write_text(LABELS_CSV, encoding="utf-8")
    upload(page, export)
    page.wait_for_selector("#import-resultat .ok")
    assert "1 importée" in page.inner_text("#import-resultat")

    # The assistant lists each unknown label with its rows and the closest categories first.
    page.wait_for_selector("#assistant-libelles")
    rows = page.locator("#assistant-libelles tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("th").inner_text() == "Chien errant"
    assert rows.nth(0).locator("td").nth(0).inner_text() == "2"
    assert rows.nth(1).locator("th").inner_text() == "Nid de frelons"
    closest = page.locator("#assistant-libelle-0 optgroup[label='Les plus proches'] option")
    assert closest.count() == 3
    everything = page.locator("#assistant-libelle-0 option")
    assert everything.count() == 1 + 38  # « laisser rejeté », then every category once
    assert page.input_value("#assistant-nom") == "main_courante_pm"

    page.select_option("#assistant-libelle-0", "incivilite")
    first_suggestion = closest.nth(0).get_attribute("value")
    page.select_option("#assistant-libelle-1", "autre")
    page.fill("#assistant-nom", "PM e2e")
    shoot(page, "assistant-libelles-choisis.png")
    page.click("#assistant-enregistrer")
    page.wait_for_selector("#assistant-resultat .ok")
    said = page.inner_text("#assistant-resultat")
    assert "Correspondance « PM e2e » enregistrée" in said
    assert "3 importées, 0 doublon, 0 rejetée" in said
    page.wait_for_selector("#rejets td:has-text('relancée dans le lot')")
    assert page.is_disabled("#assistant-enregistrer")  # nothing left to re-run from this batch
    shoot(page, "assistant-libelles-relances.png")
    assert first_suggestion  # the closest ones are real categories

    # The batches: the first unchanged, the second naming it; the mapping listed, its TOML
    # export read back into the same mapping.
    batches = api_get(site, "/imports").json()["items"]
    second, first = batches[0], batches[1]
    assert (first["rows_read"], first["rows_imported"], first["rows_rejected"]) == (4, 1, 3)
    assert (second["rows_read"], second["rows_imported"], second["rows_rejected"]) == (3, 3, 0)
    assert second["details"]["rerun_of"] == first["batch_id"]
    saved = {m["name"]: m["document"] for m in api_get(site, "/mappings").json()}
    assert saved["PM e2e"] == {
        "categories": {"Chien errant": "incivilite", "Nid de frelons": "autre"}
    }
    toml = tmp_path / "pm.toml"
    toml.write_bytes(api_get(site, "/mappings/PM e2e/toml").content)
    assert load_mapping(toml) == mapping_from_dict(saved["PM e2e"])
    assert page_errors(page) == []


def test_unknown_columns_are_chosen_then_the_file_uploaded_again(
    open_page: Any, site: Site, tmp_path: Path
) -> None:
    page = open_page()
    sign_in(page, site, "admin")
    page.click("#navigation a[data-page=imports]")
    page.wait_for_selector("#table-lots")
    export = tmp_path / "export_sans_entetes_connus.csv"
    export.write_text(COLUMNS_CSV, encoding="utf-8")
    upload(page, export)
    page.wait_for_selector("#import-resultat .erreur")
    assert "Colonnes introuvables" in page.inner_text("#import-resultat")

    page.wait_for_selector("#assistant-colonnes")
    assert "téléversez-le de nouveau" in page.inner_text("#assistant")
    fields = page.locator("#assistant-colonnes tbody th").all_inner_texts()
    assert fields == ["Date des faits", "Catégorie (nature du fait)", "Lieu"]
    options = page.locator("#assistant-colonne-date option").all_inner_texts()
    assert options == ["— choisir une colonne —", "Numéro", "Quand", "Quoi", "E", "N"]
    page.select_option("#assistant-colonne-date", "Quand")
    page.select_option("#assistant-colonne-category", "Quoi")
    page.select_option("#assistant-lieu-genre", "xy")
    page.select_option("#assistant-colonne-lieu-1", "E")
    page.select_option("#assistant-colonne-lieu-2", "N")
    page.fill("#assistant-nom", "Export E-N")
    shoot(page, "assistant-colonnes-choisies.png")
    page.click("#assistant-enregistrer")
    page.wait_for_selector("#assistant-televerser")
    assert "téléversez-le de nouveau" in page.inner_text("#assistant-televerser")
    page.wait_for_function(
        "() => document.querySelector('#import-correspondance').value === 'Export E-N'"
    )
    shoot(page, "assistant-colonnes-enregistrees.png")

    saved = {m["name"]: m["document"] for m in api_get(site, "/mappings").json()}
    assert saved["Export E-N"] == {
        "columns": {"datetime": "Quand", "category": "Quoi", "x": "E", "y": "N"}
    }
    upload(page, export)
    page.wait_for_selector("#import-resultat .ok")
    assert "2 lignes lues, 2 importées" in page.inner_text("#import-resultat")
    latest = api_get(site, "/imports").json()["items"][0]
    assert latest["details"]["mapping"] == "Export E-N"
    assert page_errors(page) == []


def test_the_assistant_is_the_admins_only(open_page: Any, site: Site) -> None:
    refused = httpx.post(
        f"{site.url}/api/v1/imports",
        headers={"Authorization": f"Bearer {site.tokens['admin']}"},
        files={"file": ("refus_police.csv", COLUMNS_CSV.encode(), "text/csv")},
        timeout=60,
    )
    assert refused.status_code == 422
    batch_id = api_get(site, "/imports").json()["items"][0]["batch_id"]
    page = open_page()
    sign_in(page, site, "police")
    page.click("#navigation a[data-page=imports]")
    page.wait_for_selector("#table-lots")
    assert page.locator("#import-correspondance").count() == 0
    page.click(f"#table-lots tr[data-lot='{batch_id}'] button")
    page.wait_for_selector("#detail-lot dl")
    assert "Colonnes introuvables" in page.inner_text("#detail-lot")
    assert page.locator("#assistant-colonnes, #form-assistant").count() == 0
