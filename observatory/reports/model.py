"""The figures of a pack, as plain values: the display rule is already applied (None: « < 5 »).

The statistics are observatory/figures/'s, as the API serves them; here are the pack's own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely

from observatory.actions import Evaluation
from observatory.actions.records import ActionRecord
from observatory.figures.change import Change
from observatory.figures.communes import Comparison
from observatory.figures.compstat import CompStat
from observatory.figures.territories import CommuneTerritories
from observatory.figures.timeslots import TimeSlots
from observatory.figures.trends import YearOnYear
from observatory.reports.request import PackRequest

# Outlines are drawn at about 5 m: the maps need no more, and the HTML pack stays small.
DRAWN_TOLERANCE_DEGREES = 0.00005


@dataclass(frozen=True)
class Area:
    """A commune or a QPV: code, name, population if known, outline (shapely, WGS84)."""

    code: str
    name: str
    population: int | None
    geometry: Any
    communes: tuple[str, ...] = ()
    population_from: int | None = None  # the QPV generation it is borrowed from; None: its own

    def drawn(self) -> Any:
        """The outline simplified for drawing (the analyses use the outline as stored)."""
        return shapely.simplify(self.geometry, DRAWN_TOLERANCE_DEGREES, preserve_topology=True)


@dataclass(frozen=True)
class HexagonLayer:
    """The non-empty cells of the period at one resolution; a None count is hidden."""

    resolution: int
    cells: np.ndarray
    counts: list[int | None]


@dataclass(frozen=True)
class HotspotLayer:
    """Gi* over the commune's cells, zeros included, classed with FDR (as the API does)."""

    resolution: int
    k: int
    reason: str
    cells: np.ndarray
    counts: list[int | None]
    z: np.ndarray
    p: np.ndarray
    codes: list[str]
    labels: list[str]

    def classes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for code in self.codes:
            out[code] = out.get(code, 0) + 1
        return out


@dataclass(frozen=True)
class Etat4001Row:
    family: str
    unit: str
    year: int
    months: int
    complete: bool
    change: Change


@dataclass(frozen=True)
class Etat4001Table:
    """The yearly family figures of the services that cover the commune."""

    services: list[str]
    rows: list[Etat4001Row]
    note: str


@dataclass(frozen=True)
class ActionPage:
    """One action of the pack: its evaluation, or the reason there is none."""

    action: ActionRecord
    evaluation: Evaluation | None
    reason: str | None
    threshold: int | None = None
    hidden: set[str] = field(default_factory=set)  # areas whose counts are hidden

    @property
    def heading(self) -> str:
        return self.action.heading


@dataclass(frozen=True)
class PackFigures:
    """Everything a pack shows, computed once for both formats."""

    request: PackRequest
    produced_at: datetime
    timezone: str
    threshold: int | None
    commune: Area
    qpvs: list[Area]
    data_range: tuple[date, date] | None
    total: Change
    families: list[tuple[str, int | None]]
    hexagons: HexagonLayer
    hotspots: HotspotLayer | None
    hotspots_note: str | None
    timeslots: TimeSlots
    trend: YearOnYear
    compstat: CompStat
    territories: CommuneTerritories
    etat4001: Etat4001Table
    actions: list[ActionPage] = field(default_factory=list)  # the commune's CLSPD actions
    hot_street: str | None = None  # the street at the main hot spot's heart (not for partners)
    # The commune's streets drawn from the BAN (name, WGS84 line), for a map close enough.
    streets: list[tuple[str, Any]] = field(default_factory=list)
    # A pack of several communes together: each of them side by side (None: one commune).
    comparison: Comparison | None = None

    @property
    def partner(self) -> bool:
        return self.threshold is not None
