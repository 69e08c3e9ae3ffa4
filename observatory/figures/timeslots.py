"""Time slots: the local weekday × hour matrix of a filter and its named slots (« nuit »…)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from observatory.analytics import engine
from observatory.analytics.filters import Filter, parse_hours
from observatory.privacy.policy import Disclosure
from observatory.store.snapshot import Snapshot

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NIGHT = "nuit"


@dataclass(frozen=True)
class Slot:
    """A named slot of hours (« 22-6 »): its facts and their share of the total."""

    name: str
    hours: str
    value: float | None
    share: float | None


@dataclass(frozen=True)
class TimeSlots:
    """The 7 × 24 matrix (Monday first, local hours), facts known only within an interval spread
    over the hours it covers (aoristic); None where a value is under the display threshold."""

    matrix: list[list[float | None]]
    suppressed_cells: int
    slots: list[Slot]
    total: float | None

    @property
    def night_share(self) -> float | None:
        night = next((s for s in self.slots if s.name == NIGHT), None)
        return night.share if night else None


def timeslots(
    snapshot: Snapshot, f: Filter, disclosure: Disclosure, slots: Mapping[str, str]
) -> TimeSlots:
    """The filter's week matrix and the ``slots`` (name → hours, « 22-6 »)."""
    raw = engine.week_hours(snapshot, f)
    hidden = disclosure.hidden(raw)
    total = float(raw.sum())
    by_hour = raw.reshape(7, 24).sum(axis=0)
    named = []
    for name, spec in slots.items():
        value = float(sum(by_hour[h] for h in parse_hours(spec) or ()))
        share = value / total if total and not disclosure.hides(value) else None
        named.append(Slot(name, spec, disclosure.amount(value), share))
    matrix = [
        [None if h else v for v, h in zip(row, hidden_row, strict=True)]
        for row, hidden_row in zip(
            engine.matrix_rows(raw), hidden.reshape(7, 24).tolist(), strict=True
        )
    ]
    return TimeSlots(matrix, int(hidden.sum()), named, disclosure.amount(total))
