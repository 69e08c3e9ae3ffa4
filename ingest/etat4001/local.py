"""The monthly extract a local service sends (a CSP, a gendarmerie company, a département).

Layout (an .xlsx workbook, one sheet per service or per département; the sheet names are free):

```
     A                        B                       C          D          …   (last)
 1   État 4001 — extrait mensuel                       (any title lines, optional)
 2   Département              31
 3   Périmètre                PN                       (PN / GN, « police », « gendarmerie »)
 4   Service                  CSP TOULOUSE             (absent, empty or « Total » : the
                                                        département total of that perimeter)
 5
 6   Index                    Libellé                 2024-01    2024-02    …   Total
 7   1                        Règlements de comptes…  0          1          …   3
 …
113  107                      Autres délits           512        498        …   6 021
```

- The metadata lines are « label | value » pairs above the header row, in any order; labels
  are matched without case or accents: Département (or Dépt), Périmètre (or Force), Service
  (or CSP, Circonscription, Unité, Brigade, Compagnie). When the perimeter is missing it is
  read from the service's name (CSP, CIAT, commissariat: PN; CGD, COB, BTA, brigade: GN).
- The header row is the first whose column A reads « Index » (or « Code index », « N° index »).
  Its other columns are: « Libellé » (optional, compared with nothing: the index is what
  counts), one column per month (« 2024-01 », « 01/2024 », « janvier 2024 », « janv.-24 » or
  a date cell), a year (« 2024 ») for annual figures, and « Total » / « Cumul » columns,
  which are ignored (as is a year column beside the months of that same year: a total).
  Any other heading refuses the file with the heading named.
- Then one row per index (1..107; rows may be missing or in any order). An empty cell is no
  figure (a month not yet reported).

A sheet without an « Index » header row is set aside (notes, a cover page) and listed in the
batch details; a workbook with none is refused with the expected layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from openpyxl.utils import get_column_letter

from ingest.etat4001.cells import EXPECTED, Sheet, index_value, is_empty
from ingest.filetypes import sheet_rows
from ingest.values import normalise_name
from observatory.errors import InvalidInput
from observatory.etat4001.values import department_code, perimeter_code, period_code

HEADER_SEARCH_ROWS = 30
INDEX_HEADINGS = {"index", "code_index", "n_index", "no_index", "numero_index", "index_4001"}
LABEL_HEADINGS = {"libelle", "libelle_index", "libelles", "intitule", "label", "nature"}
TOTAL_HEADINGS = re.compile(r"^(total|cumul|ensemble|somme)")
META_KEYS = {
    "department": {"departement", "dept", "dep", "code_departement"},
    "perimeter": {"perimetre", "force", "zone"},
    "service": {
        "service",
        "csp",
        "circonscription",
        "unite",
        "brigade",
        "compagnie",
        "cgd",
        "commissariat",
    },
}
TOTAL_SERVICE = {"", "total", "total_departement", "total_departemental", "departement", "ensemble"}
PN_NAMES = re.compile(r"^(CSP|CIAT|COMMISSARIAT|DDSP|DIPN|DDPN|SRPJ|DSPAP|DCSP|CRS|DPAF|DIDPAF)\b")
GN_NAMES = re.compile(r"^(CGD|COB|BTA|BTM|BR|BP|BRIGADE|COMPAGNIE|GGD|EDSR|PSIG)\b")


def read_local(workbook: Any, ignored: list[str]) -> Iterator[Sheet]:
    """One Sheet per sheet in the local layout; names of the other sheets go to ``ignored``."""
    found = False
    for ws in workbook.worksheets:
        rows = [list(r) for r in sheet_rows(ws)]
        header_at = _header_row(rows)
        if header_at is None:
            ignored.append(ws.title)
            continue
        found = True
        yield read_local_sheet(rows, header_at, ws.title)
    if not found:
        raise InvalidInput(
            "Classeur non reconnu : aucune feuille « Services PN/GN AAAA » du classeur national "
            "ni aucune feuille d'extrait local (ligne d'en-tête commençant par « Index »). "
            + EXPECTED
        )


def read_local_sheet(rows: list[list[Any]], header_at: int, name: str) -> Sheet:
    meta = _metadata(rows[:header_at])
    department = _department(meta, name)
    service = _service(meta)
    perimeter = _perimeter(meta, service, name)
    columns = _period_columns(rows[header_at], rows[header_at + 1 :], name)
    sheet = Sheet(name=name)
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not row or all(is_empty(v) for v in row):
            continue
        index, row_reason = index_value(row[0])
        for col, period in columns.items():
            value = row[col] if col < len(row) else None
            if is_empty(value):
                sheet.empty_cells += 1
                continue
            cell = f"{get_column_letter(col + 1)}{offset}"
            sheet.add(
                offset, cell, period, perimeter, department, service, None, index, value, row_reason
            )
    return sheet


def _header_row(rows: list[list[Any]]) -> int | None:
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if row and not is_empty(row[0]) and normalise_name(str(row[0])) in INDEX_HEADINGS:
            return number
    return None


def _metadata(rows: list[list[Any]]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for row in rows:
        cells = [v for v in row if not is_empty(v)]
        if not cells:
            continue
        key = normalise_name(str(cells[0]))
        for role, names in META_KEYS.items():
            if key in names and role not in meta:
                meta[role] = cells[1] if len(cells) > 1 else None
    return meta


def _department(meta: dict[str, Any], sheet: str) -> str:
    if "department" not in meta or is_empty(meta["department"]):
        raise InvalidInput(
            f"Feuille « {sheet} » : département introuvable ; attendu une ligne « Département » "
            "suivie du code (ex. 31) au-dessus de la ligne « Index »."
        )
    code = department_code(meta["department"])
    if code is None:
        raise InvalidInput(
            f"Feuille « {sheet} » : département « {meta['department']} » inconnu ; attendu un "
            "code 01…95, 2A, 2B ou 971…988."
        )
    return code


def _service(meta: dict[str, Any]) -> str:
    value = meta.get("service")
    text = "" if is_empty(value) else str(value).strip()
    return "" if normalise_name(text) in TOTAL_SERVICE else text


def _perimeter(meta: dict[str, Any], service: str, sheet: str) -> str:
    if not is_empty(meta.get("perimeter")):
        code = perimeter_code(meta["perimeter"])
        if code is None:
            raise InvalidInput(
                f"Feuille « {sheet} » : périmètre « {meta['perimeter']} » inconnu ; attendu PN "
                "(police nationale) ou GN (gendarmerie nationale)."
            )
        return code
    upper = service.upper()
    if PN_NAMES.match(upper):
        return "PN"
    if GN_NAMES.match(upper):
        return "GN"
    raise InvalidInput(
        f"Feuille « {sheet} » : périmètre introuvable ; ajoutez une ligne « Périmètre » "
        "suivie de PN (police nationale) ou GN (gendarmerie nationale)."
    )


def _period_columns(header: list[Any], body: list[list[Any]], sheet: str) -> dict[int, str]:
    """Column -> period of the figure columns; the label and total columns are left out."""
    periods: dict[int, str] = {}
    for col in range(1, len(header)):
        heading = header[col]
        if is_empty(heading):
            if any(col < len(r) and not is_empty(r[col]) for r in body):
                raise InvalidInput(
                    f"Feuille « {sheet} », colonne {get_column_letter(col + 1)} : des chiffres "
                    "sans en-tête de mois ; attendu un mois (2024-01, janvier 2024, 01/2024 ou "
                    "une date) en tête de chaque colonne de chiffres."
                )
            continue
        name = normalise_name(str(heading))
        if name in LABEL_HEADINGS or TOTAL_HEADINGS.match(name):
            continue
        period = period_code(heading)
        if period is None:
            raise InvalidInput(
                f"Feuille « {sheet} », colonne {get_column_letter(col + 1)} : en-tête "
                f"« {heading} » non reconnu ; attendu un mois (2024-01, janvier 2024, 01/2024 "
                "ou une date), une année, « Libellé » ou « Total »."
            )
        periods[col] = period
    months = {p[:4] for p in periods.values() if len(p) == 7}
    # A year beside the months of that same year is their total, not a figure of its own.
    return {c: p for c, p in periods.items() if not (len(p) == 4 and p in months)}
