"""How an incident file maps onto the observatory's fields: mapping files and named profiles.

A mapping file is TOML. Every key is optional; what is left out is recognised or sniffed::

    source = "police-municipale"     # default source name of the batch
    timezone = "Europe/Paris"        # zone of naive dates (default: the settings' timezone)
    crs = 2154                       # EPSG of the x/y columns (default: detected from the range)
    date_order = "dmy"               # "dmy", "ymd" or "mdy" (default: sniffed, else dmy)
    separator = ";"                  # CSV separator (default: sniffed among , ; tab |)
    encoding = "cp1252"              # CSV encoding (default: sniffed: utf-8, utf-8-sig, cp1252)
    territory = "france"             # "france", "none", or a WGS84 box [west, south, east, north]
    commune = "31555"                # INSEE code of the rows that name no commune (geocoding)
    month_is_interval = true         # "2024-01" is the whole month, not its first instant
    sheet = "Faits"                  # XLSX sheet (name or 0-based index), GeoPackage layer
    header_row = 3                   # row of the column names (default: found in rows 1-30)

    [columns]                        # target field = "header of the file"
    datetime = "Date et heure"
    category = "Nature de l'intervention"

    [categories]                     # raw value of the category column = category code
    "Tapage nocturne" = "tapage"

Targets of ``[columns]``: source_ref, datetime, date, time, datetime_end, date_end, time_end,
month, category, x, y, lon, lat, address, commune_code, commune_name. A named profile
(``--profile police-uk``) is such a file shipped in ``ingest/incidents/profiles/``.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyproj import CRS
from pyproj.exceptions import CRSError

from observatory.categories import CATEGORIES
from observatory.errors import InvalidInput

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"

TARGETS: tuple[str, ...] = (
    "source_ref",
    "datetime",
    "date",
    "time",
    "datetime_end",
    "date_end",
    "time_end",
    "month",
    "category",
    "x",
    "y",
    "lon",
    "lat",
    "address",
    "commune_code",
    "commune_name",
)
DATE_ORDERS = ("dmy", "ymd", "mdy")
SEPARATOR_NAMES = {"tab": "\t", "tabulation": "\t", "\\t": "\t"}

Territory = str | tuple[float, float, float, float]


@dataclass
class Mapping:
    """Column names and reading options for one incident file; None means recognise or sniff."""

    columns: dict[str, str] = field(default_factory=dict)
    date_order: str | None = None
    timezone: str | None = None
    crs: int | None = None
    separator: str | None = None
    encoding: str | None = None
    categories: dict[str, str] = field(default_factory=dict)
    territory: Territory = "france"
    source: str | None = None
    month_is_interval: bool = True
    sheet: str | int | None = None
    header_row: int | None = None
    commune: str | None = None  # geocoding: the commune of rows that name none (INSEE code)


def available_profiles() -> list[str]:
    """Names of the profiles shipped with the project."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def load_profile(name: str) -> Mapping:
    """The shipped profile called ``name`` (``ingest/incidents/profiles/<name>.toml``)."""
    known = available_profiles()
    if name not in known:
        raise InvalidInput(
            f"Profil inconnu : « {name} » (profils disponibles : {', '.join(known) or 'aucun'})"
        )
    return load_mapping(PROFILES_DIR / f"{name}.toml")


def named_mapping(name: str | Path) -> Mapping:
    """The mapping ``--mapping NAME`` names: a TOML file (its path), else a shipped profile."""
    path = Path(name)
    if isinstance(name, Path) or path.suffix.lower() == ".toml" or path.is_file():
        return load_mapping(path)
    return load_profile(str(name))


def load_mapping(path: Path) -> Mapping:
    """Read and check a TOML mapping file."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(
            f"Fichier de correspondance illisible : {path} ({exc.strerror})"
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Fichier de correspondance {Path(path).name} : TOML invalide ({exc})"
        ) from exc
    try:
        return mapping_from_dict(document)
    except InvalidInput as exc:
        raise InvalidInput(f"Fichier de correspondance {Path(path).name} : {exc}") from exc


def mapping_from_dict(document: dict[str, Any]) -> Mapping:
    """Check a parsed mapping document and build the Mapping."""
    known = sorted(Mapping.__dataclass_fields__)
    unknown = sorted(set(document) - set(known))
    if unknown:
        raise InvalidInput(
            f"clé(s) inconnue(s) : {', '.join(unknown)} (clés permises : {', '.join(known)})"
        )
    mapping = Mapping()
    mapping.columns = _columns(document.get("columns", {}))
    mapping.categories = _categories(document.get("categories", {}))
    mapping.source = _optional_text(document, "source")
    mapping.timezone = _timezone(_optional_text(document, "timezone"))
    mapping.crs = _crs(document.get("crs"))
    mapping.date_order = _choice(document, "date_order", DATE_ORDERS)
    mapping.separator = _separator(_optional_text(document, "separator"))
    mapping.encoding = _encoding(_optional_text(document, "encoding"))
    mapping.territory = _territory(document.get("territory", "france"))
    month_is_interval = document.get("month_is_interval", True)
    if not isinstance(month_is_interval, bool):
        raise InvalidInput("month_is_interval doit valoir true ou false")
    mapping.month_is_interval = month_is_interval
    sheet = document.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)):
        raise InvalidInput("sheet doit être un nom de feuille ou un numéro (0 pour la première)")
    mapping.sheet = sheet
    header_row = document.get("header_row")
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
    ):
        raise InvalidInput(
            "header_row doit être le numéro (à partir de 1) de la ligne des noms de colonnes"
        )
    mapping.header_row = header_row
    mapping.commune = _commune(document.get("commune"))  # geocoding at import
    return mapping


def _commune(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{5}|2[AB]\d{3}", value.strip()):
        raise InvalidInput(f'commune = {value!r} : attendu un code INSEE, par exemple "31555"')
    return value.strip()


def _table(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput(f"[{name}] doit être une table TOML")
    bad = [k for k, v in value.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise InvalidInput(f"[{name}] : valeur vide ou non textuelle pour {', '.join(bad)}")
    return {str(k): v.strip() for k, v in value.items()}


def _columns(value: Any) -> dict[str, str]:
    columns = _table(value, "columns")
    unknown = sorted(set(columns) - set(TARGETS))
    if unknown:
        raise InvalidInput(
            f"[columns] : champ(s) inconnu(s) {', '.join(unknown)} "
            f"(champs permis : {', '.join(TARGETS)})"
        )
    return columns


def _categories(value: Any) -> dict[str, str]:
    categories = _table(value, "categories")
    codes = {c.code for c in CATEGORIES}
    unknown = sorted({code for code in categories.values() if code not in codes})
    if unknown:
        raise InvalidInput(
            f"[categories] : code(s) de catégorie inconnu(s) {', '.join(unknown)} "
            f"(codes permis : {', '.join(sorted(codes))})"
        )
    return {raw.strip(): code for raw, code in categories.items()}


def _optional_text(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{key} doit être un texte non vide")
    return value


def _choice(document: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = _optional_text(document, key)
    if value is not None and value.lower() not in allowed:
        raise InvalidInput(f"{key} = « {value} » : valeurs permises {', '.join(allowed)}")
    return value.lower() if value else None


def _timezone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(
                f"fuseau horaire inconnu : « {value} » (par exemple Europe/Paris)"
            ) from exc
    return value


def _crs(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"(?i)(epsg:)?\d{4,6}", value.strip()):
        value = int(value.strip().split(":")[-1])
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(f"crs = {value!r} : attendu un code EPSG, par exemple 2154")
    try:
        CRS.from_epsg(value)
    except CRSError as exc:
        raise InvalidInput(f"crs = {value} : code EPSG inconnu") from exc
    return value


def _separator(value: str | None) -> str | None:
    if value is None:
        return None
    value = SEPARATOR_NAMES.get(value.lower(), value)
    if len(value) != 1 or value in '"\r\n':
        raise InvalidInput(f"separator = {value!r} : attendu un caractère, par exemple ; , ou tab")
    return value


def _encoding(value: str | None) -> str | None:
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise InvalidInput(
                f"encoding = « {value} » : encodage inconnu (par exemple utf-8 ou cp1252)"
            ) from exc
    return value


def _territory(value: Any) -> Territory:
    if isinstance(value, str):
        if value.lower() not in ("france", "none"):
            raise InvalidInput(
                f"territory = « {value} » : attendu france, none ou [ouest, sud, est, nord]"
            )
        return value.lower()
    if (
        isinstance(value, list)
        and len(value) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        west, south, east, north = (float(v) for v in value)
        if -180 <= west < east <= 180 and -90 <= south < north <= 90:
            return (west, south, east, north)
    raise InvalidInput(
        f"territory = {value!r} : attendu france, none ou une emprise WGS84 "
        "[ouest, sud, est, nord] en degrés, ouest < est et sud < nord"
    )
