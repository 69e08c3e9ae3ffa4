"""Population tables: INSEE legal populations of communes, and INSEE figures of QPV."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ingest.filetypes import FileLimits, FileType, allowed_file, fr_count
from ingest.values import INSEE_CODE, insee_code, integer_value, normalise_name, text_value
from observatory.errors import InvalidInput

# Paris, Lyon and Marseille: legal populations are given per municipal arrondissement.
ARRONDISSEMENTS = {
    "75056": range(75101, 75121),
    "69123": range(69381, 69390),
    "13055": range(13201, 13217),
}


def read_insee_populations(path: Path) -> dict[str, int]:
    """INSEE legal populations CSV -> {commune INSEE code: municipal population (PMUN)}."""
    table = _read_csv(path)
    columns = _column_lookup(table.columns)
    pmun = _first_column(columns, ("PMUN", "POPULATION_MUNICIPALE", "POPULATION"))
    if pmun is None:
        raise InvalidInput(
            f"Colonne PMUN (population municipale) introuvable dans {path.name} ; "
            f"colonnes lues : {', '.join(map(str, table.columns))}."
        )
    codes = _insee_codes(table, columns, path.name)
    result: dict[str, int] = {}
    for code, value in zip(codes, table[pmun], strict=True):
        number = integer_value(value)
        if code and number is not None:
            result[code] = number
    for whole, arrondissements in ARRONDISSEMENTS.items():
        parts = [result[str(c)] for c in arrondissements if str(c) in result]
        if whole not in result and parts:
            result[whole] = sum(parts)
    return result


def read_qpv_populations(path: Path) -> dict[str, int]:
    """INSEE figures per QPV (qpv2015_occitanie_insee.csv style) -> {QPV code: pop_mun}."""
    table = _read_csv(path)
    columns = _column_lookup(table.columns)
    code = _first_column(columns, ("CODE_QP", "CODE_QUARTIER", "COD_QP", "CODEQP", "QP", "CODE"))
    pop = _first_column(columns, ("POP_MUN", "POPULATION", "POP", "PMUN"))
    if code is None or pop is None:
        raise InvalidInput(
            f"Colonnes code_qp et pop_mun introuvables dans {path.name} ; "
            f"colonnes lues : {', '.join(map(str, table.columns))}."
        )
    result: dict[str, int] = {}
    for raw_code, value in zip(table[code], table[pop], strict=True):
        number = integer_value(value)
        key = (text_value(raw_code) or "").upper()
        if key and number is not None:
            result[key] = number
    return result


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV as text columns: encoding (UTF-8 with or without BOM, else Windows-1252) and
    separator (; , tab |) detected."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"Fichier de population introuvable : {path}")
    limits = FileLimits.of()
    with allowed_file(path, (FileType.CSV,), limits):  # text, not a workbook or a database
        data = path.read_bytes()
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("cp1252", errors="replace")
    header = content.split("\n", 1)[0]
    separator = max((";", ",", "\t", "|"), key=header.count)
    if header.count(separator) >= limits.columns:
        raise InvalidInput(
            f"« {path.name} » a plus de {fr_count(limits.columns)} colonnes (OBS_MAX_COLUMNS) : "
            "ce n'est pas un tableau de populations."
        )
    try:
        return pd.read_csv(
            io.StringIO(content), sep=separator, dtype=str, keep_default_na=False, quotechar='"'
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInput(f"Impossible de lire {path.name} comme un CSV : {exc}") from exc


def _insee_codes(table: pd.DataFrame, columns: dict[str, str], file_name: str) -> list[str]:
    """Commune INSEE codes of an INSEE table: a code column, or département + commune number.

    Overseas, the code is the first two characters of the département followed by the commune
    number (971 + 101 -> 97101); elsewhere the département followed by the number on 3 digits.
    """
    direct = _first_column(columns, ("CODGEO", "DEPCOM", "CODE_INSEE", "CODE_COMMUNE"))
    if direct is None and "CODCOM" not in columns and "COM" in columns:
        sample = [insee_code(v) or "" for v in table[columns["COM"]].head(50)]
        if sample and all(INSEE_CODE.match(s) for s in sample):
            direct = columns["COM"]
    if direct is not None:
        return [insee_code(v) or "" for v in table[direct]]
    department = _first_column(columns, ("CODDEP", "DEP", "CODE_DEPARTEMENT"))
    number = _first_column(columns, ("CODCOM",))
    if department is None or number is None:
        raise InvalidInput(
            f"Colonnes du code commune introuvables dans {file_name} : attendu CODDEP et CODCOM, "
            f"ou CODGEO ; colonnes lues : {', '.join(map(str, table.columns))}."
        )
    codes = []
    for dep, com in zip(table[department], table[number], strict=True):
        dep, com = str(dep).strip().upper(), str(com).strip()
        if not dep or not com:
            codes.append("")
        elif dep.startswith("97") and len(dep) == 3:
            codes.append(dep[:2] + com.zfill(3))
        else:
            codes.append(dep.zfill(2) + com.zfill(3))
    return codes


def _column_lookup(columns: Iterable[Any]) -> dict[str, str]:
    return {normalise_name(str(c)).upper(): str(c) for c in columns}


def _first_column(columns: dict[str, str], options: Iterable[str]) -> str | None:
    return next((columns[o] for o in options if o in columns), None)
