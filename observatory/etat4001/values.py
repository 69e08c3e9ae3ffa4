"""The values that identify a figure: period, perimeter, département, index lists.

Shared by the importers (what a file may say) and the queries (what a caller may ask).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from observatory.errors import InvalidInput

PERIMETERS = ("PN", "GN")
PERIMETER_LABELS = {"PN": "police nationale", "GN": "gendarmerie nationale"}

# Metropolitan 01–95 (no 20: 2A and 2B), overseas 971–976, collectivities 975, 977, 978, 98x.
DEPARTMENT = re.compile(r"^(0[1-9]|1\d|[3-8]\d|9[0-5]|2[1-9]|2[AB]|97[1-8]|98[4-9])$")
PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")
FIRST_YEAR, LAST_YEAR = 1972, 2100  # the état 4001 exists since 1972

MONTHS_FR = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "aou": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}


def department_code(value: object) -> str | None:
    """A département code as the état 4001 writes it ('01', '2A', '971'), or None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = str(value).strip().upper()
    match = re.match(r"^(\d{1,3}|2[AB])\b", raw)
    if not match:
        return None
    code = match.group(1)
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    return code if DEPARTMENT.match(code) else None


def perimeter_code(value: object) -> str | None:
    """PN or GN from 'PN', 'police', 'Police nationale', 'GN', 'gendarmerie', ..."""
    raw = re.sub(r"[^a-z]", "", _ascii(str(value or "")).lower())
    if raw in ("pn", "zpn", "police", "policenationale", "dgpn"):
        return "PN"
    if raw in ("gn", "zgn", "gendarmerie", "gendarmerienationale", "dggn"):
        return "GN"
    return None


def period_code(value: object) -> str | None:
    """'YYYY' or 'YYYY-MM' from a year, a month text ('2024-01', '01/2024', 'janvier 2024',
    'janv.-24') or a date; None when it is none of these."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}" if _year_ok(value.year) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return str(int(number)) if number.is_integer() and _year_ok(int(number)) else None
    raw = str(value or "").strip()
    found = PERIOD.match(raw)
    if found:
        return raw if _year_ok(int(found.group(1))) else None
    match = re.match(r"^(\d{4})[/.](\d{1,2})$", raw)
    if match:
        return _month(int(match.group(1)), int(match.group(2)))
    match = re.match(r"^(\d{1,2})[/.-](\d{4})$", raw)
    if match:
        return _month(int(match.group(2)), int(match.group(1)))
    words = re.findall(r"[a-z]+|\d+", _ascii(raw).lower())
    if len(words) == 2 and words[0] in MONTHS_FR and words[1].isdigit():
        year = int(words[1])
        year = year + 2000 if len(words[1]) == 2 else year
        return _month(year, MONTHS_FR[words[0]])
    return None


def period_bounds(period: str) -> tuple[str, str]:
    """First and last month of a period: '2020' -> ('2020-01', '2020-12')."""
    return (period, period) if len(period) == 7 else (f"{period}-01", f"{period}-12")


def checked_period(value: str, name: str) -> str:
    period = period_code(value)
    if period is None:
        raise InvalidInput(
            f"Paramètre « {name} » : « {value} » n'est pas une période AAAA ou AAAA-MM "
            "(ex. 2019 ou 2024-03)."
        )
    return period


def index_list(value: str) -> list[int]:
    """'27,28,34-38' -> [27, 28, 34, 35, 36, 37, 38]; refused outside 1..107."""
    found: list[int] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        match = re.match(r"^(\d{1,3})(?:\s*-\s*(\d{1,3}))?$", part)
        if not match:
            raise InvalidInput(
                f"Paramètre « index » : « {part} » n'est ni un index ni un intervalle "
                "(ex. 27,28,34-38)."
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 1 <= low <= high <= 107:
            raise InvalidInput(
                f"Paramètre « index » : « {part} » sort des index 1 à 107 de l'état 4001."
            )
        found.extend(range(low, high + 1))
    return sorted(set(found))


def _month(year: int, month: int) -> str | None:
    return f"{year:04d}-{month:02d}" if _year_ok(year) and 1 <= month <= 12 else None


def _year_ok(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
