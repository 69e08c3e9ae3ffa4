"""What a CLSPD pack is asked for: a commune (or several together), whole months, a format, a level
of secrecy."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from observatory.analytics.filters import GENERATIONS, parse_commune
from observatory.errors import InvalidInput

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_SHORT = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
MAX_MONTHS = 120
# A file name names up to this many communes; beyond, it says how many.
NAMED_IN_FILENAME = 3


@dataclass(frozen=True)
class PackRequest:
    """A pack: the commune, the first and last day of whole months, the format and the level.
    A pack of several communes together (an EPCI's, a CISPD's) has their sorted codes in
    ``communes`` and an empty ``commune``."""

    commune: str
    first: date
    last: date
    format: Format = "pdf"
    partner: bool = False
    generation: int = 2024
    communes: tuple[str, ...] = ()

    @property
    def group(self) -> bool:
        """Whether the pack covers several communes together."""
        return len(self.communes) > 1

    @property
    def codes(self) -> tuple[str, ...]:
        """The communes the pack covers."""
        return self.communes if self.group else (self.commune,)

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def period_label(self) -> str:
        """« janvier 2025 » or « de janvier 2025 à décembre 2025 »."""
        start, end = month_label(self.first), month_label(self.last)
        return start if start == end else f"de {start} à {end}"

    def filename(self) -> str:
        """An ASCII file name that says what the pack is."""
        level = "-partenaires" if self.partner else ""
        place = self.commune
        if self.group:
            named = len(self.communes) <= NAMED_IN_FILENAME
            place = "-".join(self.communes) if named else f"{len(self.communes)}-communes"
        return f"pack-clspd-{place}-{self.first:%Y-%m}-{self.last:%Y-%m}{level}.{self.format}"


def month_label(day: date) -> str:
    return f"{MONTHS_FR[day.month - 1]} {day.year}"


def day_label(day: date) -> str:
    """« 1er janvier 2025 », « 31 décembre 2025 »."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"


def parse_month(value: str | None, name: str) -> date:
    """The first day of a month written AAAA-MM; a French InvalidInput otherwise."""
    found = MONTH.match((value or "").strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise InvalidInput(f"« {name} » attend un mois AAAA-MM, comme 2025-01 (reçu « {value} »).")
    return date(int(found.group(1)), int(found.group(2)), 1)


def make_request(
    commune: str | None,
    start: str | None,
    end: str | None,
    *,
    format: str = "pdf",
    partner: bool = False,
    generation: int = 2024,
    names: tuple[str, str] = ("from", "to"),
    communes: Iterable[str] | None = None,
    commune_names: tuple[str, str] = ("commune", "communes"),
) -> PackRequest:
    """A checked PackRequest: from the 1st of the first month to the last day of the last.

    ``communes`` (exclusive with ``commune``) asks for a pack of several communes together; one
    alone is that commune's own pack. ``names`` and ``commune_names`` are the parameters' names
    in the messages (``--from`` on the command line).
    """
    one, several = commune_names
    together = sorted({c for c in (parse_commune(c) for c in communes or ()) if c})
    code = parse_commune(commune)
    if code is not None and communes is not None:
        raise InvalidInput(
            f"« {one} » et « {several} » s'excluent : une commune, ou plusieurs ensemble."
        )
    if communes is not None and not together:
        raise InvalidInput(f"« {several} » attend des codes INSEE séparés par des virgules.")
    if len(together) == 1:
        code = together[0]
    if code is None and not together:
        raise InvalidInput(
            f"« {one} » : est obligatoire, un code INSEE comme 31555 (ou « {several} » : "
            "plusieurs communes ensemble)."
        )
    first = parse_month(start, names[0])
    last_month = parse_month(end, names[1])
    if last_month < first:
        raise InvalidInput(
            f"Période vide : « {names[0]} » ({first:%Y-%m}) est après « {names[1]} » "
            f"({last_month:%Y-%m})."
        )
    last = last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])
    if format not in FORMATS:
        raise InvalidInput(f"« format » vaut html ou pdf (reçu « {format} »).")
    if generation not in GENERATIONS:
        raise InvalidInput(f"« generation » vaut 2015 ou 2024 (reçu « {generation} »).")
    chosen: Format = "html" if format == "html" else "pdf"
    group = tuple(together) if len(together) > 1 else ()
    request = PackRequest(code or "", first, last, chosen, partner, generation, group)
    if request.months > MAX_MONTHS:
        raise InvalidInput(
            f"Période trop longue ({request.months} mois) : un pack couvre au plus "
            f"{MAX_MONTHS} mois."
        )
    return request
