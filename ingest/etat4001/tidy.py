"""The tidy CSV: one figure per line, as the API gives them back.

```
period,perimeter,department,service,index,count
2024-01,GN,31,CGD TOULOUSE MIRAIL,27,41
2024-01,GN,31,,27,260            <- an empty service: the département total
```

Columns are matched without case or accents, French names accepted: period (période, mois,
année), perimeter (périmètre, force), department (département, dep), service (csp, unité;
optional: absent or empty is the département total), index (code_index), count (nombre,
faits, valeur); any other column (a label) is ignored. Separator ``,`` ``;`` tab or ``|``;
UTF-8 (with or without BOM) or Windows-1252. A period is « AAAA » or « AAAA-MM » (« MM/AAAA »
accepted). Every non-empty line is one figure read: a line that cannot be one is rejected with
its line number (the header is line 1) and the reason.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ingest.etat4001.cells import EXPECTED, Sheet, index_value, is_empty
from ingest.values import normalise_name
from observatory.errors import InvalidInput
from observatory.etat4001.values import department_code, perimeter_code, period_code

COLUMNS: dict[str, tuple[str, ...]] = {
    "period": ("period", "periode", "mois", "annee", "date"),
    "perimeter": ("perimeter", "perimetre", "force"),
    "department": ("department", "departement", "dep", "dept", "code_departement"),
    "service": ("service", "csp", "unite", "service_name"),
    "index": ("index", "code_index", "index_4001", "numero_index"),
    "count": ("count", "nombre", "faits", "valeur", "value", "n"),
}
REQUIRED = ("period", "perimeter", "department", "index", "count")


def read_tidy(path: Path) -> Sheet:
    text = _decode(path.read_bytes(), path.name)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInput(f"{path.name} est vide ou sans ligne d'en-tête. {EXPECTED}")
    delimiter = max(",;\t|", key=lines[0].count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    fields = _fields(header, path.name)
    sheet = Sheet(name=path.name)
    for row in reader:
        if not row or all(is_empty(v) for v in row):
            continue
        values = {
            role: (row[col].strip() if col < len(row) else "") for role, col in fields.items()
        }
        raw = json.dumps(dict(zip(header, row, strict=False)), ensure_ascii=False)
        reasons = []
        period = period_code(values["period"])
        if period is None:
            reasons.append(f"Période « {values['period']} » invalide : attendu AAAA ou AAAA-MM")
        perimeter = perimeter_code(values["perimeter"])
        if perimeter is None:
            reasons.append(f"Périmètre « {values['perimeter']} » inconnu : attendu PN ou GN")
        department = department_code(values["department"])
        if department is None:
            reasons.append(
                f"Département « {values['department']} » inconnu : attendu 01…95, 2A, 2B ou 971…988"
            )
        index, index_reason = index_value(values["index"])
        if index_reason:
            reasons.append(index_reason)
        count = values["count"]
        if is_empty(count):
            reasons.append("Nombre manquant : chaque ligne donne un chiffre")
        sheet.add(
            reader.line_num,
            None,
            period,
            perimeter,
            department,
            values.get("service", ""),
            None,
            index,
            count,
            " ; ".join(reasons) or None,
            raw,
        )
    return sheet


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise InvalidInput(f"{name} n'est pas un fichier texte (CSV). {EXPECTED}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _fields(header: list[str], name: str) -> dict[str, int]:
    names = {normalise_name(h): col for col, h in enumerate(header)}
    fields = {}
    for role, options in COLUMNS.items():
        col = next((names[o] for o in options if o in names), None)
        if col is not None:
            fields[role] = col
    missing = [role for role in REQUIRED if role not in fields]
    if missing:
        raise InvalidInput(
            f"{name} : colonne(s) {', '.join(missing)} introuvable(s) ; colonnes du fichier : "
            f"{', '.join(h for h in header if h) or 'aucune'}. Attendu un CSV ordonné : period, "
            "perimeter, department, service (vide pour le total départemental), index, count."
        )
    return fields
