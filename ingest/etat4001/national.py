"""The national workbook of data.gouv.fr: « Crimes et délits enregistrés par les services de
gendarmerie et de police depuis 2012 » (Ministère de l'Intérieur, SSMSI).

Layout, one sheet per force and year (the sheet « Présentation » and any other is skipped):

- « Services PN YYYY »: three header rows. Row 1: A « Année YYYY - services de police »,
  B « Départements », then the département code of each service column ('01' … '95', '2A',
  '2B', '971' … '988', as text). Row 2: B « Périmètres », then the direction of each service
  (DCSP, DSPAP, DCPAF, DCPJ, …), stored as ``etat4001.direction``. Row 3: A « Code index »,
  B « Libellé index \\ CSP », then the service names.
- « Services GN YYYY »: two header rows. Row 1 as above (« compagnies de gendarmerie »);
  row 2: A « Code index », B « Libellé index \\ CGD », then the company names.
- Then 107 rows: A the index, B its published label, then one annual count per service.

Quirks kept by the publisher and handled here: trailing columns without département or name
(and without figures: ignored; with figures: rejected, never guessed); the four « Index non
utilisé » rows, zeros in the police sheets and empty in the gendarmerie ones (empty cells are
not figures); labels misspelt (compared with the published labels of the nomenclature, and a
difference is recorded, not refused). The year is the sheet's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from openpyxl.utils import get_column_letter

from ingest.etat4001.cells import Sheet, count_value, index_value, is_empty
from ingest.filetypes import sheet_rows
from ingest.values import normalise_name
from observatory.errors import InvalidInput
from observatory.etat4001.nomenclature import entry
from observatory.etat4001.values import department_code

SHEET_NAME = re.compile(r"^\s*Services\s+(PN|GN)\s+(\d{4})\s*$", re.IGNORECASE)
HEADER_ROWS = {"PN": 3, "GN": 2}
FIRST_DATA_COLUMN = 2  # C


def national_sheets(names: list[str]) -> list[tuple[str, str, str]]:
    """(sheet name, perimeter, year) of the sheets in the national layout."""
    found = []
    for name in names:
        match = SHEET_NAME.match(name)
        if match:
            found.append((name, match.group(1).upper(), match.group(2)))
    return found


def read_national(workbook: Any) -> Iterator[Sheet]:
    """One Sheet per « Services PN/GN YYYY » sheet, in workbook order."""
    for name, perimeter, year in national_sheets(workbook.sheetnames):
        yield read_national_sheet(sheet_rows(workbook[name]), name, perimeter, year)


def read_national_sheet(rows_iter: Any, name: str, perimeter: str, year: str) -> Sheet:
    rows = iter(rows_iter)
    header_count = HEADER_ROWS[perimeter]
    header = [list(next(rows, ())) for _ in range(header_count)]
    _check_header(header, name, perimeter)
    departments = header[0]
    directions = header[1] if perimeter == "PN" else []
    names = header[-1]
    columns = _columns(departments, directions, names)
    sheet = Sheet(name=name)
    for row_number, row in enumerate(rows, start=header_count + 1):
        if not row or all(is_empty(v) for v in row):
            continue
        index, row_reason = index_value(row[0])
        if index is not None and len(row) > 1:
            _compare_label(sheet, index, row[1])
        for col in range(FIRST_DATA_COLUMN, len(row)):
            value = row[col]
            column = columns.get(col)
            if is_empty(value):
                if column is not None:
                    sheet.empty_cells += 1
                continue
            department, service, direction, col_reason = column or (None, None, None, None)
            if column is None:
                col_reason = (
                    "Colonne sans département ni service : chiffre sans rattachement, non importé"
                )
            reason = row_reason or col_reason
            if reason is None and type(value) is int and value >= 0:
                # fast path: a clean figure (most of the million cells)
                sheet.rows.append(
                    (
                        row_number,
                        name,
                        None,
                        year,
                        perimeter,
                        department,
                        service,
                        direction,
                        index,
                        value,
                        None,
                        None,
                        None,
                    )
                )
                continue
            # A figure written otherwise (3.0, " 12 "), staged as its count; anything else
            # rejected with the cell where it stands.
            count, problem = count_value(value)
            clean = reason is None and problem is None
            sheet.add(
                row_number,
                None if clean else f"{get_column_letter(col + 1)}{row_number}",
                year,
                perimeter,
                department,
                service,
                direction,
                index,
                count if clean else value,
                reason,
            )
    return sheet


def _check_header(header: list[list[Any]], name: str, perimeter: str) -> None:
    def cell(row: int, col: int) -> str:
        values = header[row] if row < len(header) else []
        return normalise_name(str(values[col])) if col < len(values) and values[col] else ""

    expected_rows = HEADER_ROWS[perimeter]
    problems = []
    if cell(0, 1) != "departements":
        problems.append("ligne 1, colonne B : « Départements »")
    if perimeter == "PN" and cell(1, 1) != "perimetres":
        problems.append("ligne 2, colonne B : « Périmètres »")
    if not cell(expected_rows - 1, 0).startswith("code_index"):
        problems.append(f"ligne {expected_rows}, colonne A : « Code index »")
    if problems:
        raise InvalidInput(
            f"Feuille « {name} » : en-tête du classeur national non reconnu ; attendu "
            f"{'; '.join(problems)} ({expected_rows} lignes d'en-tête pour une feuille "
            f"« Services {perimeter} »)."
        )


def _columns(
    departments: list[Any], directions: list[Any], names: list[Any]
) -> dict[int, tuple[str | None, str | None, str | None, str | None]]:
    """Column -> (département, service, direction, reason) for columns that have a header."""
    width = max(len(departments), len(directions), len(names))
    columns = {}
    for col in range(FIRST_DATA_COLUMN, width):
        raw_department = departments[col] if col < len(departments) else None
        raw_name = names[col] if col < len(names) else None
        raw_direction = directions[col] if col < len(directions) else None
        if is_empty(raw_department) and is_empty(raw_name):
            continue  # a trailing empty column
        department = department_code(raw_department)
        service = None if is_empty(raw_name) else str(raw_name).strip()
        direction = None if is_empty(raw_direction) else str(raw_direction).strip()
        reason = None
        if department is None:
            reason = (
                f"Département « {raw_department if raw_department is not None else ''} » "
                "inconnu en tête de colonne : attendu 01…95, 2A, 2B ou 971…988"
            )
        elif service is None:
            reason = "Colonne sans nom de service : chiffre sans rattachement, non importé"
        columns[col] = (department, service, direction, reason)
    return columns


def _compare_label(sheet: Sheet, index: int, label: Any) -> None:
    text = "" if label is None else str(label)
    if text != entry(index).published_label and index not in sheet.label_differences:
        sheet.label_differences[index] = text
