"""The filters every analysis shares (DESIGN.md, "Common filters"), parsed and checked once.

Dates are local calendar days, both ends included. Hours and weekdays are local too and select
facts by the local time they began: ``hours=22-6`` is 22:00 to 06:00 (22 h … 5 h), ``hours=8``
the hour from 8:00 to 9:00; weekdays run Monday (1) to Sunday (7). ``categories`` takes category
codes and family codes alike (a family stands for all its categories). ``qpv`` is ``in``,
``out`` or a QPV code, of the chosen generation (2024 unless told). ``bbox`` is west, south,
east, north in WGS84 degrees, edges included. ``precision=housenumber`` leaves out the facts
the geocoder placed only at the street or the lieu-dit (those with the file's coordinates, or
geocoded to a house number, stay). ``night=D`` is the night from D 18:00 to D+1 06:00 local
time exactly: the days D and D+1 with, of D, the hours 18 h … 23 h and, of D+1, 0 h … 5 h (an
hours filter over two days would also take the morning of D and the evening of D+1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from observatory.errors import InvalidInput

GENERATIONS = (2015, 2024)
DEFAULT_GENERATION = 2024
QPV_CODE = re.compile(r"^Q[NP][0-9A-Z]{6}$")
COMMUNE_CODE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
PRECISIONS = ("housenumber",)
NIGHT_START, NIGHT_END = 18, 6  # « cette nuit » : 18 h to 6 h local time
# The days a filter may name: the in-memory store counts days from 2000-01-01 in an int16
# (1910 to 2089), and a day is widened by a night or whole weeks; beyond, a French 422.
FIRST_DAY, LAST_DAY = date(1950, 1, 1), date(2079, 12, 31)


@dataclass(frozen=True)
class Filter:
    """What to count: every field None means "no restriction"."""

    date_from: date | None = None
    date_to: date | None = None
    categories: frozenset[str] | None = None
    hours: frozenset[int] | None = None
    weekdays: frozenset[int] | None = None
    commune: str | None = None
    qpv: str | None = None
    generation: int = DEFAULT_GENERATION
    bbox: tuple[float, float, float, float] | None = None
    # When set, the bbox keeps whole cells of this resolution (by their centre), not points:
    # what the query space of a role that may not place a fact gets (observatory/privacy/).
    bbox_cells: int | None = None
    # A drawn zone (a shapely polygon, WGS84), set by POST /stats/zone only; ``area_cells``
    # keeps whole cells of that resolution (by their centre), as ``bbox_cells`` does for a bbox.
    area: Any = None
    area_cells: int | None = None
    # "housenumber": only facts with the file's coordinates or geocoded to a house number.
    precision: str | None = None
    # The night from this day 18:00 to the next day 06:00 (its dates are date_from and date_to).
    night: date | None = None
    # The caller's scope (observatory/scopes.py): only the facts of these communes (None: every
    # commune). Set by the API from the caller, never from a parameter; not echoed.
    scope: frozenset[str] | None = None

    def hours_of_week(self) -> list[int] | None:
        """The local hours of the week (0 = Monday 0 h … 167) the filter keeps, or None."""
        if self.hours is None and self.weekdays is None and self.night is None:
            return None
        hours = self.hours if self.hours is not None else range(24)
        days = self.weekdays if self.weekdays is not None else range(1, 8)
        kept = {(d - 1) * 24 + h for d in days for h in hours}
        if self.night is not None:
            kept &= night_hours_of_week(self.night)
        return sorted(kept)

    def but(self, **changes: object) -> Filter:
        """The same filter with some fields replaced (another period, say)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return Filter(**values)


def night_hours_of_week(evening: date) -> set[int]:
    """The hours of the week of the night from ``evening`` 18:00 to the next morning 06:00."""
    first = evening.weekday() * 24
    morning = (evening.weekday() + 1) % 7 * 24
    return {first + h for h in range(NIGHT_START, 24)} | {morning + h for h in range(NIGHT_END)}


def parse_filter(
    params: Mapping[str, str | None],
    *,
    categories: Mapping[str, str],
) -> Filter:
    """A Filter from query parameters; ``categories`` maps each category code to its family.

    Every mistake is an InvalidInput whose French message names the parameter and the value.
    """
    date_from = parse_day(params.get("from"), "from")
    date_to = parse_day(params.get("to"), "to")
    night = parse_day(params.get("night"), "night")
    if night is not None:
        date_from, date_to = _night_days(night, date_from, date_to)
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(
            f"Période vide : « from » ({date_from.isoformat()}) est après « to » "
            f"({date_to.isoformat()})."
        )
    generation = parse_generation(params.get("generation"))
    qpv = parse_qpv(params.get("qpv"))
    if qpv not in (None, "in", "out"):
        assert qpv is not None
        own = generation_of(qpv)
        if not _blank(params.get("generation")) and own != generation:
            raise InvalidInput(
                f"Le QPV {qpv} appartient à la géographie {own}, pas à {generation}."
            )
        generation = own
    return Filter(
        date_from=date_from,
        date_to=date_to,
        categories=parse_categories(params.get("categories"), categories),
        hours=parse_hours(params.get("hours")),
        weekdays=parse_weekdays(params.get("weekdays")),
        commune=parse_commune(params.get("commune")),
        qpv=qpv,
        generation=generation,
        bbox=parse_bbox(params.get("bbox")),
        precision=parse_precision(params.get("precision")),
        night=night,
    )


def _night_days(night: date, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The two days of a night; « from » and « to » may only repeat them."""
    morning = night + timedelta(days=1)
    if (date_from not in (None, night)) or (date_to not in (None, morning)):
        raise InvalidInput(
            f"« night » ({night.isoformat()}) est la nuit du {night.isoformat()} 18 h au "
            f"{morning.isoformat()} 6 h : « from » et « to » sont alors omis ou valent ces "
            "deux jours."
        )
    return night, morning


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def parse_day(value: str | None, name: str) -> date | None:
    if _blank(value):
        return None
    assert value is not None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"« {name} » doit être une date AAAA-MM-JJ (reçu « {value} »)."
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            f"« {name} » : date hors des années {FIRST_DAY.year} à {LAST_DAY.year} "
            f"(reçu « {value} »)."
        )
    return day


def parse_generation(value: str | None) -> int:
    if _blank(value):
        return DEFAULT_GENERATION
    assert value is not None
    if value.strip() not in {str(g) for g in GENERATIONS}:
        raise InvalidInput(
            f"« generation » vaut 2015 ou 2024 (géographie prioritaire), reçu « {value} »."
        )
    return int(value)


def parse_categories(value: str | None, families_of: Mapping[str, str]) -> frozenset[str] | None:
    """Category codes; a family code stands for every category of the family."""
    if _blank(value):
        return None
    assert value is not None
    by_family: dict[str, set[str]] = {}
    for code, family in families_of.items():
        by_family.setdefault(family, set()).add(code)
    chosen: set[str] = set()
    unknown: list[str] = []
    for item in _items(value):
        if item in families_of:
            chosen.add(item)
        elif item in by_family:
            chosen |= by_family[item]
        else:
            unknown.append(item)
    if unknown:
        raise InvalidInput(
            f"Catégorie ou famille inconnue : {', '.join(unknown)}. "
            "La liste est donnée par GET /api/v1/categories."
        )
    if not chosen:
        raise InvalidInput("« categories » ne contient aucun code.")
    return frozenset(chosen)


def parse_hours(value: str | None) -> frozenset[int] | None:
    """``22-6`` (22 h to 6 h, wrapping midnight), ``8`` (8 h to 9 h), lists: ``7-9,17-19``."""
    if _blank(value):
        return None
    assert value is not None
    hours: set[int] = set()
    for item in _items(value):
        bounds = item.split("-")
        try:
            numbers = [int(b.strip().removesuffix("h")) for b in bounds]
        except ValueError:
            numbers = []
        if len(bounds) not in (1, 2) or len(numbers) != len(bounds):
            raise InvalidInput(_hours_message(value))
        if any(not 0 <= n <= 24 for n in numbers):
            raise InvalidInput(_hours_message(value))
        if len(numbers) == 1:
            if numbers[0] == 24:
                raise InvalidInput(_hours_message(value))
            hours.add(numbers[0])
            continue
        start, end = numbers[0] % 24, numbers[1] % 24
        if start == end:
            hours.update(range(24))
        else:
            hour = start
            while hour != end:
                hours.add(hour)
                hour = (hour + 1) % 24
    return frozenset(hours)


def _hours_message(value: str) -> str:
    return (
        f"« hours » attend des heures de 0 à 24 ou des plages comme « 22-6 » ou "
        f"« 7-9,17-19 » (reçu « {value} »)."
    )


def parse_weekdays(value: str | None) -> frozenset[int] | None:
    """Weekday numbers, Monday 1 … Sunday 7; ranges allowed (``1-5``)."""
    if _blank(value):
        return None
    assert value is not None
    days: set[int] = set()
    message = (
        "« weekdays » attend des jours de 1 (lundi) à 7 (dimanche), par exemple « 6,7 » ou "
        f"« 1-5 » (reçu « {value} »)."
    )
    for item in _items(value):
        bounds = item.split("-")
        try:
            numbers = [int(b) for b in bounds]
        except ValueError:
            raise InvalidInput(message) from None
        if len(numbers) not in (1, 2) or any(not 1 <= n <= 7 for n in numbers):
            raise InvalidInput(message)
        if len(numbers) == 2 and numbers[0] > numbers[1]:
            raise InvalidInput(message)
        days.update(range(numbers[0], numbers[-1] + 1))
    return frozenset(days)


def parse_commune(value: str | None) -> str | None:
    if _blank(value):
        return None
    assert value is not None
    code = value.strip().upper()
    if not COMMUNE_CODE.match(code):
        raise InvalidInput(
            f"« commune » attend un code INSEE à 5 caractères, comme 31555 (reçu « {value} »)."
        )
    return code


def parse_qpv(value: str | None) -> str | None:
    if _blank(value):
        return None
    assert value is not None
    code = value.strip()
    if code.lower() in ("in", "out"):
        return code.lower()
    if not QPV_CODE.match(code.upper()):
        raise InvalidInput(
            "« qpv » vaut « in » (dans un QPV), « out » (hors QPV) ou un code de QPV comme "
            f"QN03101M ou QP031007 (reçu « {value} »)."
        )
    return code.upper()


def generation_of(code: str) -> int:
    """QN… codes are the 2024 priority neighbourhoods, QP… the 2015 ones."""
    return 2024 if code.startswith("QN") else 2015


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if _blank(value):
        return None
    assert value is not None
    message = (
        "« bbox » attend ouest,sud,est,nord en degrés WGS84, par exemple "
        f"« 1.35,43.55,1.50,43.67 » (reçu « {value} »)."
    )
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidInput(message) from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput(message)
    return (west, south, east, north)


def parse_precision(value: str | None) -> str | None:
    if _blank(value):
        return None
    assert value is not None
    if value.strip().lower() not in PRECISIONS:
        raise InvalidInput(
            "« precision » vaut « housenumber » (seulement les faits aux coordonnées du fichier "
            f"ou géocodés au numéro) ; reçu « {value} »."
        )
    return value.strip().lower()


def _items(value: str) -> Iterable[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
