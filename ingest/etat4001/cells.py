"""What every état 4001 reader produces: figure cells, each with its place and its value.

A reader turns one sheet (or one CSV file) into a ``Sheet``: one staged row per figure cell,
ready for COPY, with the reason when the cell cannot be a figure. Empty cells are not figures
(a month not yet reported, the unused index of the gendarmerie sheets): they are counted apart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from observatory.etat4001.nomenclature import INDEX_COUNT

MAX_COUNT = 2**31 - 1

# Order of the staged columns (the COPY and the reader agree on it).
STAGE_COLUMNS = (
    "row_number",
    "sheet",
    "cell",
    "period",
    "perimeter",
    "department",
    "service",
    "direction",
    "index",
    "count",
    "value",
    "raw",
    "reason",
)

FORMATS = {
    "national": "classeur national (feuilles « Services PN/GN AAAA »)",
    "local": "extrait mensuel local (une feuille par service ou par département)",
    "tidy": "CSV ordonné (une ligne par chiffre)",
}

EXPECTED = (
    "Formats attendus : le classeur national de l'état 4001 (.xlsx, feuilles « Services PN "
    "AAAA » à trois lignes d'en-tête et « Services GN AAAA » à deux), un extrait mensuel local "
    "(.xlsx : lignes « Département », « Périmètre », « Service » puis une ligne d'en-tête "
    "« Index | Libellé | 2024-01 | 2024-02 | … » et une ligne par index), ou un CSV ordonné "
    "(colonnes period, perimeter, department, service, index, count)."
)


@dataclass
class Sheet:
    """The figure cells of one sheet (or file), as staged rows, and what was set aside."""

    name: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    empty_cells: int = 0
    label_differences: dict[int, str] = field(default_factory=dict)

    def add(
        self,
        row_number: int,
        cell: str | None,
        period: str | None,
        perimeter: str | None,
        department: str | None,
        service: str | None,
        direction: str | None,
        index: int | None,
        value: Any,
        reason: str | None = None,
        raw: str | None = None,
    ) -> None:
        count, problem = count_value(value)
        reason = reason or problem
        text = None if value is None else str(value)
        self.rows.append(
            (
                row_number,
                self.name,
                cell,
                period,
                perimeter,
                department,
                service,
                direction,
                index,
                None if reason else count,
                text,
                raw,
                reason,
            )
        )


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def count_value(value: Any) -> tuple[int | None, str | None]:
    """A figure (a whole number, zero or more) from a cell, or the reason it is not one."""
    if type(value) is int:  # the usual case, first
        if 0 <= value <= MAX_COUNT:
            return value, None
        return None, _bad(value)
    if isinstance(value, float) and math.isfinite(value):
        number = value
    elif isinstance(value, str):
        raw = re.sub(r"[\s\u00a0\u202f]", "", value)
        try:
            number = float(raw.replace(",", "."))
        except ValueError:
            return None, (
                f"Valeur non numérique « {value.strip()[:60]} » : un chiffre de l'état 4001 est "
                "un nombre entier positif ou nul"
            )
        if not math.isfinite(number):
            return None, _bad(value)
    else:
        return None, (
            f"Valeur « {str(value)[:60]} » ({type(value).__name__}) : un chiffre de l'état 4001 "
            "est un nombre entier positif ou nul"
        )
    if not number.is_integer():
        return None, f"Valeur non entière « {value} » : un chiffre est un nombre entier"
    if not 0 <= number <= MAX_COUNT:
        return None, _bad(value)
    return int(number), None


def _bad(value: Any) -> str:
    return f"Valeur « {value} » hors limites : un chiffre est un nombre entier positif ou nul"


def index_value(value: Any) -> tuple[int | None, str | None]:
    """The index of a row (1..107), or the reason its cells cannot be figures."""
    number: float | None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = None
    if number is None or not number.is_integer():
        return None, (
            f"Ligne sans index de l'état 4001 (« {str(value).strip()[:40]} ») : attendu un "
            f"numéro d'index de 1 à {INDEX_COUNT} en première colonne"
        )
    if not 1 <= number <= INDEX_COUNT:
        return None, f"Index « {int(number)} » inconnu : l'état 4001 compte les index 1 à 107"
    return int(number), None
