"""The header of a CSV file or an XLSX sheet: where it is, and its names made usable.

Exports often put a title, a logo or blank rows above the header. Of the rows among the first
SCANNED_ROWS (file lines or sheet rows) that hold a value, the header is the one that names the
most known fields (ingest.incidents.synonyms, and the mapping's [columns]), the first of equals;
when none names any, the first row with a value, as before. ``header_row`` in the mapping (the
row number the user sees) overrides the search. Rows above the header are not data rows: they
are neither read nor counted, as blank rows are not.

Its names come out stripped, without byte-order mark or NUL; a blank name becomes « colonne N »
(its 1-based position) and a repeated one is numbered (« nature (2) »), so that every column has
a name of its own. A sheet's header ends at its last non-empty cell.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.incidents.synonyms import HeaderIndex, recognised_count
from observatory.errors import InvalidInput

EXPECTED_CONTENT = "attendu une ligne d'en-tête puis une ligne par fait"
SCANNED_ROWS = 30  # rows where the header is looked for, below a title, a logo, blank rows
# Names of a row scored at most: a row wider than the column limit is refused anyway, and a
# hostile one of a million names must not be normalised 30 times.
SCORED_NAMES = 1000


def csv_header(
    path: Path,
    encoding: str,
    separator: str,
    *,
    header_row: int | None = None,
    columns: Iterable[str] = (),
) -> tuple[list[str], int]:
    """Header names and the index of the header record (0-based, blank records included)."""
    candidates: list[tuple[int, list[str]]] = []  # (first line, cells) of records with a value
    indices: list[int] = []
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=separator)
        line = 1
        try:
            for index, record in enumerate(reader):
                start, line = line, reader.line_num + 1
                if any(cell.strip() for cell in record):
                    candidates.append((start, record))
                    indices.append(index)
                if header_done(start, candidates, header_row):
                    break
        except csv.Error as exc:  # a cell longer than the csv module takes (128 Ki characters)
            raise InvalidInput(
                f"Fichier CSV « {path.name} » illisible : une cellule de l'en-tête dépasse "
                f"{csv.field_size_limit()} caractères ({EXPECTED_CONTENT})"
            ) from exc
    if not candidates:
        raise InvalidInput(
            f"Le fichier « {path.name} » ne contient aucune ligne : {EXPECTED_CONTENT}"
        )
    chosen = choose_header(candidates, header_row, columns, path.name)
    return unique_names(candidates[chosen][1]), indices[chosen]


def header_done(number: int, candidates: list[Any], header_row: int | None) -> bool:
    """Whether the rows up to ``number`` (a line or row number) are enough to find the header."""
    if header_row is not None:
        return number >= header_row
    return number >= SCANNED_ROWS and bool(candidates)


def choose_header(
    candidates: list[tuple[int, list[str]]],
    header_row: int | None,
    columns: Iterable[str],
    file_name: str,
) -> int:
    """Position among the candidates (row number, cells) of the header row."""
    if header_row is not None:
        for position, (number, _) in enumerate(candidates):
            if number == header_row:
                return position
        raise InvalidInput(
            f"header_row = {header_row} : la ligne {header_row} de « {file_name} » est vide ou "
            "absente ; indiquez le numéro de la ligne des noms de colonnes, tel que le tableur "
            "l'affiche"
        )
    wanted = [c for c in columns if c]
    best, best_score = 0, 0
    for position, (number, cells) in enumerate(candidates):
        if number > SCANNED_ROWS and position:
            break
        names = [c.strip() for c in cells if c and c.strip()][:SCORED_NAMES]
        score = recognised_count(names)
        if wanted:
            index = HeaderIndex(names)
            score += sum(index.find(c) is not None for c in wanted)
        if score > best_score:
            best, best_score = position, score
    return best


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
