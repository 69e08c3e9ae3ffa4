"""Who is told what: each role's query space, the display rule, and which answers are audited.

=========  ============================================================================
role       what an answer may hold
=========  ============================================================================
admin,     everything, exact (points are audited where they are read: incidents, exports)
police
analyst    exact aggregates within a query space: cells no finer than resolution
           OBS_ANALYST_MAX_RESOLUTION (10); a period shorter than OBS_NARROW_DAYS (7), or
           some weekdays only, at resolution 10 is coarsened to 9; at 10 the period is
           widened to whole weeks, then cut to the weeks the data cover from Monday to
           Sunday (none left: resolution 9); the sensitive categories
           (OBS_SENSITIVE_CATEGORIES) only per commune or QPV, never in a cell or a bbox;
           every narrow answer (such a period, or resolution 10 or finer) audited
partner    only the published release (observatory/privacy/partner.py): whole months,
           whole families, no hours or weekdays (the time slots are a table of their own),
           the 2024 QPV, cells no finer than resolution 8, a bbox that keeps whole cells;
           then the SSMSI display rule: a released value under 5 is shown as « < 5 »
=========  ============================================================================

The API and the reports ask this module, never the role, how to answer (DESIGN.md, "Privacy and
roles"). It knows no HTTP: a refusal is an InvalidInput (422) that says what is allowed, or a
NotAllowed (403).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from observatory.analytics.filters import Filter
from observatory.errors import InvalidInput, NotAllowed
from observatory.privacy.domain import QPV_GENERATION, RELEASE_RESOLUTION

Kind = Literal["full", "analyst", "partner"]
KIND_OF_ROLE: dict[str, Kind] = {
    "admin": "full",
    "police": "full",
    "analyst": "analyst",
    "partner": "partner",
}
NOISE_NOTE = "Valeurs bruitées et arrondies pour protéger les personnes."
ETAT4001_NOT_FOR_PARTNERS = (
    "Les chiffres de l'état 4001 par service ne sont pas diffusés aux partenaires : un petit "
    "chiffre s'y retrouverait par différence de deux séries. Les chiffres départementaux que "
    "publie le SSMSI sont en accès libre."
)


@dataclass(frozen=True)
class Rules:
    """The settings that shape the query spaces."""

    threshold: int = 5
    analyst_max_resolution: int = 10
    narrow_days: int = 7
    sensitive: frozenset[str] = frozenset({"violences_intrafamiliales", "violences_sexuelles"})
    epsilon: float = 2.0

    @classmethod
    def of(cls, settings: Any) -> Rules:
        return cls(
            threshold=settings.secrecy_threshold,
            analyst_max_resolution=settings.analyst_max_resolution,
            narrow_days=settings.narrow_days,
            sensitive=frozenset(settings.sensitive_categories),
            epsilon=settings.privacy_epsilon,
        )


@dataclass(frozen=True)
class MapQuery:
    """A question about cells as the query space lets it be answered."""

    filter: Filter
    resolution: int
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Disclosure:
    """What one caller may be told, and how it is shown."""

    kind: Kind
    rules: Rules = Rules()
    # The data's first and last day: an open-ended period ends there.
    data_range: tuple[date, date] | None = None

    @classmethod
    def for_role(
        cls, role: str, rules: Rules, data_range: tuple[date, date] | None = None
    ) -> Disclosure:
        return cls(KIND_OF_ROLE.get(role, "partner"), rules, data_range)

    # -- the display rule ---------------------------------------------------------------------

    @property
    def threshold(self) -> int | None:
        """Values under it are shown as « < threshold » (partners only)."""
        return self.rules.threshold if self.kind == "partner" else None

    @property
    def release(self) -> bool:
        """Whether the caller's answers come from the partner release."""
        return self.kind == "partner"

    @property
    def key(self) -> str:
        """What the answer cache keys on: the same question gets another answer per kind."""
        return self.kind

    def hides(self, value: float | int | None) -> bool:
        t = self.threshold
        return t is not None and value is not None and 0 < value < t

    def count(self, value: int) -> int | None:
        return None if self.hides(value) else value

    def amount(self, value: float) -> float | None:
        return None if self.hides(value) else value

    def hidden(self, values: np.ndarray) -> np.ndarray:
        """Where an array's values are shown as « < threshold »."""
        values = np.asarray(values)
        if self.threshold is None:
            return np.zeros(values.shape, dtype=bool)
        return (values > 0) & (values < self.threshold)

    def describe(self) -> dict[str, Any]:
        """What every answer says of its privacy treatment."""
        out: dict[str, Any] = {"suppression_threshold": self.threshold}
        if self.release:
            out["privacy"] = {
                "release": "diffusion partenaires : comptes bruités (confidentialité "
                "différentielle), mois clos",
                "epsilon_per_fact": self.rules.epsilon,
                "note": NOISE_NOTE,
            }
        return out

    # -- query spaces -------------------------------------------------------------------------

    def table_filter(self, f: Filter, family_of: Mapping[str, str]) -> Filter:
        """The filter as the caller may ask it of any answer (maps add ``map_query``)."""
        if self.kind == "partner":
            _check_partner(f, family_of)
            return f
        if self.kind == "analyst" and f.bbox is not None:
            # A bbox is below the commune: no sensitive category, and whole resolution-9 cells
            # (by their centre), or halving the box would place a fact to the metre.
            return self._without_sensitive(f, family_of).but(bbox_cells=9)
        return f

    def map_query(self, f: Filter, resolution: int, family_of: Mapping[str, str]) -> MapQuery:
        """A question about cells at a resolution, within the caller's query space."""
        if self.kind == "partner":
            if resolution > RELEASE_RESOLUTION:
                raise InvalidInput(
                    f"Pour un partenaire, les hexagones vont de la résolution 6 à "
                    f"{RELEASE_RESOLUTION} (reçu {resolution}) : la diffusion est publiée "
                    f"par hexagone de résolution {RELEASE_RESOLUTION}."
                )
            return MapQuery(f, resolution)
        if self.kind != "analyst":
            return MapQuery(f, resolution)
        limit = self.rules.analyst_max_resolution
        if resolution > limit:
            raise InvalidInput(
                f"Pour un analyste, la résolution la plus fine est {limit} (reçu {resolution}) : "
                "les faits ne se lisent pas un par un."
            )
        notes: dict[str, Any] = {}
        if resolution >= 10 and self.short_period(f):
            notes["resolution_coarsened_from"] = resolution
            notes["resolution_note"] = (
                f"Période de moins de {self.rules.narrow_days} jours : hexagones de résolution 9."
            )
            resolution = 9
        elif resolution >= 10 and _some_weekdays(f):
            notes["resolution_coarsened_from"] = resolution
            notes["resolution_note"] = (
                "Certains jours de la semaine seulement : hexagones de résolution 9 (à la "
                "résolution 10, les périodes sont des semaines entières)."
            )
            resolution = 9
        # Any box the answer is cut to (a bbox, a vector tile's bounds) keeps whole cells.
        narrowed = self._without_sensitive(f, family_of).but(bbox_cells=9)
        if resolution >= 10:
            # Whole weeks, Monday to Sunday, that the data cover: the difference of two such
            # answers is whole weeks of facts too, never the one-day map this resolution is
            # refused for (a week the data begin or end in holds fewer days).
            weeks = self.covered_weeks(narrowed)
            if weeks is None:
                notes["resolution_coarsened_from"] = resolution
                notes["resolution_note"] = NO_COVERED_WEEK
                resolution = 9
            elif weeks != narrowed:
                notes["period_widened"] = _weeks_note(weeks)
                narrowed = weeks
        if narrowed.categories != f.categories or f.categories is None:
            left_out = sorted(self.rules.sensitive & set(family_of))
            if left_out:
                notes["excluded_categories"] = left_out
        return MapQuery(narrowed, resolution, notes)

    def max_resolution(self, f: Filter) -> int:
        """The finest resolution the caller may be answered at for this filter."""
        if self.kind == "partner":
            return RELEASE_RESOLUTION
        if self.kind == "analyst":
            limit = self.rules.analyst_max_resolution
            narrow = self.short_period(f) or _some_weekdays(f) or self.covered_weeks(f) is None
            return min(limit, 9) if narrow else limit
        return 11

    def unasked_resolution_limit(self, f: Filter) -> int:
        """The finest resolution chosen for the caller when it asked for none (hot spots
        choosing their own, tiles following the zoom): an analyst's stays at 9, so that every
        answer at 10 is one asked for, and audited."""
        finest = self.max_resolution(f)
        return min(finest, 9) if self.kind == "analyst" else finest

    def check_near_repeat(self) -> None:
        if self.kind == "partner":
            raise NotAllowed(
                "Les répétitions proches portent sur des paires de faits datés au jour près : "
                "elles ne sont pas diffusées aux partenaires."
            )

    def check_etat4001(self) -> None:
        """A service's état 4001 figures are not in the partner release: with only « < 5 »
        between them and a partner, two series ending a month apart give a month back."""
        if self.kind == "partner":
            raise NotAllowed(ETAT4001_NOT_FOR_PARTNERS)

    def short_period(self, f: Filter) -> bool:
        """Whether the filter selects fewer than ``narrow_days`` days: an open end closed by the
        data's range, only the chosen weekdays counted; an hours filter is narrow in itself (one
        hour of each day of a week is as fine as an hour of one day)."""
        if f.hours is not None or f.night is not None:
            return True
        start = f.date_from or (self.data_range[0] if self.data_range else None)
        end = f.date_to or (self.data_range[1] if self.data_range else None)
        if start is None or end is None:
            return False
        days = (end - start).days + 1
        if days <= 0:
            return True
        if f.weekdays is not None:
            weeks, rest = divmod(days, 7)
            chosen = len(f.weekdays) * weeks
            chosen += sum(
                1 for i in range(rest) if (start + timedelta(days=i)).isoweekday() in f.weekdays
            )
            days = chosen
        return days < self.rules.narrow_days

    def covered_weeks(self, f: Filter) -> Filter | None:
        """The filter's period widened to whole weeks (Monday to Sunday), then cut to the weeks
        the data cover from Monday to Sunday: None when no such week is left. The data's first
        and last days are public (/stats/summary): a week they begin or end in is fewer days of
        facts, read alone or as the difference of two periods."""
        weeks = _whole_weeks(f)
        if self.data_range is None:
            return weeks
        first, last = self.data_range
        first_monday = first + timedelta(days=(8 - first.isoweekday()) % 7)
        last_sunday = last - timedelta(days=last.isoweekday() % 7)
        start = max(weeks.date_from or first_monday, first_monday)
        end = min(weeks.date_to or last_sunday, last_sunday)
        if start > end:
            return None
        return weeks.but(date_from=start, date_to=end)

    def audited(self, f: Filter, resolution: int | None) -> bool:
        """Whether an analyst's answer is narrow enough to be written to the audit log."""
        if self.kind != "analyst":
            return False
        return self.short_period(f) or (resolution is not None and resolution >= 10)

    def _without_sensitive(self, f: Filter, family_of: Mapping[str, str]) -> Filter:
        sensitive = self.rules.sensitive
        asked = f.categories if f.categories is not None else frozenset(family_of)
        kept = frozenset(asked - sensitive)
        if asked and not kept:
            raise NotAllowed(
                "Les catégories sensibles ("
                + ", ".join(sorted(asked & sensitive))
                + ") ne se lisent qu'à l'échelle de la commune ou du QPV, pas par hexagone "
                "ni dans un rectangle."
            )
        if kept == asked and f.categories is not None:
            return f
        return f.but(categories=kept)

    def tells_categories(self, f: Filter) -> bool:
        """Whether the answer for the filter's area may be broken down by category: the partner
        release measures categories per commune, only families within a QPV or a bbox."""
        return not (self.kind == "partner" and (f.qpv is not None or f.bbox is not None))

    def check_breakdown(self, f: Filter, by: str) -> None:
        """Partners: categories are measured per commune only (families per QPV)."""
        if by == "category" and not self.tells_categories(f):
            raise InvalidInput(
                "Pour un partenaire, le détail par catégorie est publié pour la commune entière ; "
                "avec un filtre qpv ou bbox, demandez by=family."
            )

    def check_step(self, step: str) -> None:
        """Partners: the release is published by month, and so are their series."""
        if self.kind == "partner" and step != "month":
            raise InvalidInput("Pour un partenaire, les séries sont mensuelles : step=month.")

    def check_timeslots(self, f: Filter, family_of: Mapping[str, str]) -> None:
        """Partners: the time slots are published for the whole of each commune."""
        if self.kind != "partner":
            return
        if f.categories is not None or f.qpv is not None or f.bbox is not None:
            raise InvalidInput(
                "Pour un partenaire, les créneaux horaires sont publiés pour l'ensemble des faits "
                "d'une commune : retirez les filtres categories, qpv et bbox."
            )


NO_COVERED_WEEK = (
    "Aucune semaine entière (lundi–dimanche) couverte par les données dans la période : "
    "hexagones de résolution 9 (à la résolution 10, les périodes sont des semaines entières de "
    "données)."
)

# The area of a resolution-10 cell: an analyst's evaluation counts in no smaller zone.
ANALYST_MIN_AREA_M2 = 15_000.0

POINT_ROLES = ("admin", "police")
# Import details that hold raw cell values of rejected or unmapped rows (an address, a name,
# a telephone number typed in the wrong column): counted for the roles that may not read points.
RAW_DETAILS = ("unknown_categories",)
# Details keyed by such raw values, left out for those roles (their count is RAW_DETAILS'); and
# a refused file's header, which may be a data row (its message is hidden for the same reason).
KEYED_BY_RAW = ("category_suggestions", "header")


def batch_for_role(batch: dict[str, Any], role: str) -> dict[str, Any]:
    """An import batch as a role may read it: raw values only for the roles that read points."""
    if role in POINT_ROLES:
        return batch
    if batch.get("status") == "failed" and batch.get("message"):
        # A refused file's message may quote its first cells (a header that was a data row).
        batch = {
            **batch,
            "message": "Import refusé : le détail (avec des valeurs du fichier) est réservé "
            "aux rôles administrateur et police.",
        }
    details = dict(batch.get("details") or {})
    for key in KEYED_BY_RAW:
        details.pop(key, None)
    for key in RAW_DETAILS:
        values = details.pop(key, None)
        if isinstance(values, dict):
            details[key + "_count"] = len(values)
            details[key + "_rows"] = int(sum(v for v in values.values() if isinstance(v, int)))
    return {**batch, "details": details}


def _some_weekdays(f: Filter) -> bool:
    """Whether the filter keeps some days of the week only. At resolution 10 an analyst reads
    whole weeks: seven Mondays are seven days, but one Monday where the data begins on the last
    of them (or the difference of two windows of Mondays sliding by a week)."""
    return f.weekdays is not None and len(set(f.weekdays)) < 7


def _whole_weeks(f: Filter) -> Filter:
    start = f.date_from - timedelta(days=f.date_from.isoweekday() - 1) if f.date_from else None
    end = f.date_to + timedelta(days=7 - f.date_to.isoweekday()) if f.date_to else None
    return f.but(date_from=start, date_to=end)


def _weeks_note(weeks: Filter) -> str:
    start, end = weeks.date_from, weeks.date_to
    if start is None or end is None:  # no data: nothing to cut the weeks to
        return "Période étendue aux semaines entières (lundi–dimanche)."
    return (
        "Résolution 10 : période ramenée aux semaines entières (lundi–dimanche) couvertes par "
        f"les données, du {start:%d/%m/%Y} au {end:%d/%m/%Y}."
    )


def _check_partner(f: Filter, family_of: Mapping[str, str]) -> None:
    if f.date_from is not None and f.date_from.day != 1:
        raise InvalidInput(_MONTHS)
    if f.date_to is not None:
        last = calendar.monthrange(f.date_to.year, f.date_to.month)[1]
        if f.date_to.day != last:
            raise InvalidInput(_MONTHS)
    if f.hours is not None or f.weekdays is not None or f.night is not None:
        raise InvalidInput(
            "Pour un partenaire, pas de filtre hours, weekdays ni night : la diffusion publie les "
            "créneaux horaires dans un tableau à part (/stats/timeslots)."
        )
    if f.generation != QPV_GENERATION:
        raise InvalidInput(
            f"Pour un partenaire, la géographie prioritaire est celle de {QPV_GENERATION}."
        )
    if f.precision is not None:
        raise InvalidInput(
            "Pour un partenaire, pas de filtre precision : la diffusion compte tous les faits, "
            "quelle que soit la précision de leur géocodage."
        )
    if f.categories is not None:
        families = _whole_families(f.categories, family_of)
        if families is None:
            names = ", ".join(sorted(set(family_of.values())))
            raise InvalidInput(
                f"Pour un partenaire, le filtre categories prend des familles entières : {names}."
            )


_MONTHS = (
    "Pour un partenaire, une période va du premier jour d'un mois au dernier jour d'un mois "
    "(par exemple from=2024-01-01&to=2024-03-31) : les chiffres publiés sont mensuels."
)


def _whole_families(categories: frozenset[str], family_of: Mapping[str, str]) -> list[str] | None:
    """The families the categories make up, or None when one is cut."""
    touched = {family_of.get(c) for c in categories}
    if None in touched:
        return None
    members: dict[str, set[str]] = {}
    for code, family in family_of.items():
        members.setdefault(family, set()).add(code)
    families: Sequence[str] = sorted(f for f in touched if f is not None)
    if any(not members[f] <= categories for f in families):
        return None
    return list(families)
