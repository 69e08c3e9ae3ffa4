"""The header of a CSV file or an XLSX sheet: where it is, and its names made usable.

The header is the first record (CSV) or row (XLSX) that holds a value; blank ones before it are
skipped. Its names come out stripped, without byte-order mark or NUL; a blank name becomes
« colonne N » (its 1-based position) and a repeated one is numbered (« nature (2) »), so that
every column has a name of its own. A sheet's header ends at its last non-empty cell.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from observatory.errors import InvalidInput

EXPECTED_CONTENT = "attendu une ligne d'en-tête puis une ligne par fait"


def csv_header(path: Path, encoding: str, separator: str) -> tuple[list[str], int]:
    """Header names and the index of the header record (after leading empty records)."""
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        try:
            for index, record in enumerate(csv.reader(f, delimiter=separator)):
                if any(cell.strip() for cell in record):
                    return unique_names(record), index
        except csv.Error as exc:  # a cell longer than the csv module takes (128 Ki characters)
            raise InvalidInput(
                f"Fichier CSV « {path.name} » illisible : une cellule de l'en-tête dépasse "
                f"{csv.field_size_limit()} caractères ({EXPECTED_CONTENT})"
            ) from exc
    raise InvalidInput(f"Le fichier « {path.name} » ne contient aucune ligne : {EXPECTED_CONTENT}")


def sheet_header(cells: list[str]) -> list[str]:
    """Header names of a sheet's first row with a value (its cells as text, "" when empty)."""
    return unique_names(cells[: filled_length(cells)])


def unique_names(header: list[Any]) -> list[str]:
    """Stripped header names, without BOM or NUL; blanks named "colonne N", duplicates numbered."""
    names: list[str] = []
    taken: set[str] = set()
    # The next number to try per name: a header of one name repeated 100,000 times stays linear.
    numbers: dict[str, int] = {}
    for i, raw in enumerate(header, start=1):
        text = "" if raw is None else str(raw)
        # No NUL: a refusal quotes the names, and PostgreSQL text (the batch's message) has none.
        name = text.replace("\ufeff", "").replace("\0", "").strip() or f"colonne {i}"
        base, k = name, numbers.get(name, 2)
        while name in taken:
            name, k = f"{base} ({k})", k + 1
        numbers[base] = k
        names.append(name)
        taken.add(name)
    return names


def filled_length(values: Any) -> int:
    """How many text cells run up to the last non-empty one (at least one must be)."""
    return max(i + 1 for i, v in enumerate(values) if v != "")
