"""The état 4001 readers on small hand-made files: layouts, quirks, refusals (no database)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from ingest.etat4001.cells import STAGE_COLUMNS, count_value
from ingest.etat4001.importer import Reading
from ingest.etat4001.national import read_national_sheet
from observatory.errors import InvalidInput

COL = {name: i for i, name in enumerate(STAGE_COLUMNS)}


def figures(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [{name: row[i] for name, i in COL.items()} for row in rows]


def read_all(path: Path) -> tuple[Reading, list[dict[str, Any]], int]:
    reading = Reading(path)
    sheets = list(reading.sheets())
    reading.close()
    return reading, figures([r for s in sheets for r in s.rows]), sum(s.empty_cells for s in sheets)


def local_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_count_values() -> None:
    assert count_value(12) == (12, None)
    assert count_value(12.0) == (12, None)
    assert count_value(" 1 234 ") == (1234, None)
    assert count_value("n.c.")[1].startswith("Valeur non numérique « n.c. »")  # type: ignore[union-attr]
    assert "non entière" in (count_value(2.5)[1] or "")
    assert "hors limites" in (count_value(-3)[1] or "")


# -- local monthly extract ----------------------------------------------------------------------


def test_local_extract_months_total_and_metadata(tmp_path: Path) -> None:
    path = local_book(
        tmp_path / "csp.xlsx",
        {
            "Couverture": [["Extrait transmis par le CSP"]],
            "CSP": [
                ["État 4001"],
                ["Département :", "31 - Haute-Garonne"],
                ["Service", "CSP TOULOUSE"],  # no perimeter: read from the name (CSP: police)
                [],
                ["N° index", "Libellé", datetime(2024, 1, 1), "févr. 2024", "2024-03", "Total"],
                [1, "Règlements…", 0, 1, None, 1],
                [27, "Cambriolages…", 250, "248", 261, 759],
                [35, "Vols d'automobiles", 40, "n.c.", 38, 78],
            ],
            "Total 31": [
                ["Département", 31],
                ["Périmètre", "Police nationale"],
                ["Service", "Total"],
                ["Index", "2024-01", "2024-02", "2024"],  # a year beside its months: a total
                [27, 600, 610, 1210],
            ],
        },
    )
    reading, rows, empty = read_all(path)
    assert reading.format == "local" and reading.ignored == ["Couverture"]
    assert empty == 1  # index 1, March: not yet reported
    by_key = {(r["service"], r["index"], r["period"]): r for r in rows}
    assert len(rows) == 8 + 2  # the Total and 2024 columns are not figures
    assert by_key[("CSP TOULOUSE", 27, "2024-02")]["count"] == 248
    assert by_key[("CSP TOULOUSE", 27, "2024-01")]["perimeter"] == "PN"
    assert by_key[("CSP TOULOUSE", 27, "2024-01")]["department"] == "31"
    assert by_key[("", 27, "2024-02")]["count"] == 610  # the département total: service ''
    bad = by_key[("CSP TOULOUSE", 35, "2024-02")]
    assert bad["count"] is None and "non numérique « n.c. »" in bad["reason"]
    assert (bad["sheet"], bad["cell"], bad["row_number"]) == ("CSP", "D8", 8)


def test_local_extract_refusals_name_what_was_expected(tmp_path: Path) -> None:
    header = ["Index", "Libellé", "2024-01", "Observations"]
    unknown = local_book(
        tmp_path / "a.xlsx",
        {"S": [["Département", "31"], ["Périmètre", "GN"], header, [1, "x", 3, "RAS"]]},
    )
    with pytest.raises(InvalidInput, match="colonne D : en-tête « Observations » non reconnu"):
        read_all(unknown)
    no_department = local_book(tmp_path / "b.xlsx", {"S": [["Périmètre", "GN"], header[:3]]})
    with pytest.raises(InvalidInput, match="département introuvable"):
        read_all(no_department)
    no_perimeter = local_book(
        tmp_path / "c.xlsx", {"S": [["Département", "31"], ["Service", "Police municipale"]]}
    )
    no_perimeter_book = local_book(
        tmp_path / "d.xlsx",
        {"S": [["Département", "31"], ["Service", "Police municipale"], header[:3]]},
    )
    with pytest.raises(InvalidInput, match=r"Classeur non reconnu.*Formats attendus"):
        read_all(no_perimeter)
    with pytest.raises(InvalidInput, match="périmètre introuvable"):
        read_all(no_perimeter_book)


# -- national layout ------------------------------------------------------------------------------


def test_national_sheet_quirks() -> None:
    rows = [
        ["Année 2019 - compagnies de gendarmerie", "Départements", "2A", "971", None, None],
        ["Code index", "Libellé index \\ CGD", "CGD AJACCIO", "CGD LE MOULE", None, None],
        [1, "Règlements de compte entre malfaireurs", 0, 2, None, None],
        [96, "Index non utilisé", None, None, None, None],
        [107, "Autres délits (libellé changé)", 5, "12 ", None, 7],  # a figure without header
        ["Total", None, 5, 14, None, None],
        [None, None, None, None, None, None],
    ]
    sheet = read_national_sheet(rows, "Services GN 2019", "GN", "2019")
    found = figures(sheet.rows)
    assert sheet.empty_cells == 2  # index 96 of the two companies; trailing columns not counted
    assert sheet.label_differences == {107: "Autres délits (libellé changé)"}
    good = {
        (r["department"], r["service"], r["index"]): r["count"] for r in found if not r["reason"]
    }
    assert good == {
        ("2A", "CGD AJACCIO", 1): 0,
        ("971", "CGD LE MOULE", 1): 2,
        ("2A", "CGD AJACCIO", 107): 5,
        ("971", "CGD LE MOULE", 107): 12,
    }
    reasons = {r["cell"]: r["reason"] for r in found if r["reason"]}
    assert "Colonne sans département ni service" in reasons["F5"]
    assert "Ligne sans index" in reasons["C6"] and "Total" in reasons["C6"]
    assert {r["period"] for r in found} == {"2019"} and {r["perimeter"] for r in found} == {"GN"}


def test_national_header_is_checked() -> None:
    rows = [["Année 2019", "Départements", "31"], ["Code index", "Libellé", "CSP X"]]
    with pytest.raises(InvalidInput, match="ligne 2, colonne B : « Périmètres »"):
        read_national_sheet(rows, "Services PN 2019", "PN", "2019")


# -- tidy CSV and refusals ------------------------------------------------------------------------


def test_tidy_csv_french_headers_semicolons_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "chiffres.csv"
    path.write_bytes(
        (
            "Période;Périmètre;Département;Service;Index;Libellé;Nombre\r\n"
            "2024-01;GN;31;CGD TOULOUSE MIRAIL;27;Cambriolages;41\r\n"
            "\r\n"
            "01/2024;gendarmerie;31;;27;Cambriolages;260\r\n"
            "2024-13;GN;31;CGD;27;;3\r\n"
            "2024-02;GN;20;CGD;130;;-1\r\n"
            "2024-02;GN;31;CGD;28;;\r\n"
        ).encode("cp1252")
    )
    reading, rows, _ = read_all(path)
    assert reading.format == "tidy"
    assert [r["row_number"] for r in rows] == [2, 4, 5, 6, 7]
    assert rows[0]["count"] == 41 and rows[0]["service"] == "CGD TOULOUSE MIRAIL"
    assert rows[1]["service"] == "" and rows[1]["period"] == "2024-01" and rows[1]["count"] == 260
    assert "Période « 2024-13 » invalide" in rows[2]["reason"]
    assert "Département « 20 » inconnu" in rows[3]["reason"]
    assert "Index « 130 » inconnu" in rows[3]["reason"]
    assert "Nombre manquant" in rows[4]["reason"]
    assert json.loads(rows[2]["raw"])["Période"] == "2024-13"


def test_unknown_files_are_refused_with_the_layouts_expected(tmp_path: Path) -> None:
    text = tmp_path / "etat.txt"
    text.write_text("1;2;3")
    with pytest.raises(InvalidInput, match=r"format non reconnu.*Formats attendus"):
        Reading(text)
    fake = tmp_path / "etat.xlsx"
    fake.write_bytes(b"PK\x03\x04 pas vraiment un classeur")
    with pytest.raises(InvalidInput, match="n'est pas un classeur Excel lisible"):
        Reading(fake)
    csv_ = tmp_path / "autre.csv"
    csv_.write_text("date,nature,adresse\n2024-01-01,vol,rue X\n")
    with pytest.raises(
        InvalidInput, match=r"\(s\) perimeter, department, index, count introuvable"
    ):
        read_all(csv_)
