"""The service → communes mapping file: a CSV a town edits in a spreadsheet.

```
perimeter,department,service,commune
PN,31,CIAT CENTRAL DE TOULOUSE,31555
PN,31,CSP TOULOUSE,31555
GN,31,CGD TOULOUSE MIRAIL,31069
```

One line per (service, commune) pair; French column names accepted (périmètre, département,
commune / code_insee); separator ``,`` or ``;``; UTF-8 or Windows-1252. ``observatory etat4001
services export`` writes this very layout, so the mapping can be exported, edited and loaded
back (``services load FILE --replace``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.values import insee_code, normalise_name
from observatory.errors import InvalidInput
from observatory.etat4001.services import Mapping

HEADER = ["perimeter", "department", "service", "commune"]
COLUMNS = {
    "perimeter": ("perimeter", "perimetre", "force"),
    "department": ("department", "departement", "dep"),
    "service": ("service",),
    "commune": ("commune", "commune_code", "code_commune", "code_insee", "insee"),
}


def read_service_mapping(path: Path) -> list[Mapping]:
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in first else ",")
    header = next(reader, [])
    names = {normalise_name(h): i for i, h in enumerate(header)}
    cols = {
        role: next((names[o] for o in options if o in names), None)
        for role, options in COLUMNS.items()
    }
    missing = [r for r in ("department", "service", "commune") if cols[r] is None]
    if missing:
        raise InvalidInput(
            f"{Path(path).name} : colonne(s) {', '.join(missing)} introuvable(s) ; attendu "
            f"{', '.join(HEADER)} (une ligne par service et commune)."
        )
    grouped: dict[tuple[str | None, str, str], list[str]] = {}
    for row in reader:
        if not any(v.strip() for v in row):
            continue

        def value(role: str, row: list[str] = row) -> str:
            col = cols[role]
            return row[col].strip() if col is not None and col < len(row) else ""

        key = (value("perimeter") or None, value("department"), value("service"))
        if not key[2]:
            raise InvalidInput(f"{Path(path).name}, ligne {reader.line_num} : service manquant.")
        grouped.setdefault(key, []).append(insee_code(value("commune")) or "")
    return [Mapping(p, d, s, tuple(c)) for (p, d, s), c in grouped.items()]


def write_service_mapping(services: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for item in services:
        for commune in item["communes"]:
            writer.writerow([item["perimeter"], item["department"], item["service"], commune])
    return out.getvalue()
