"""The cells a partner release counts in, fixed by the map of the communes and QPV, not by facts.

A release that listed only the cells where facts happened would tell where they happened. So
the release counts in every resolution-8 cell that touches an imported commune (zeros included),
split by the 2024 QPV the cell touches: its units are (commune, QPV or rest of the commune, cell).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import h3
import numpy as np
from sqlalchemy import Connection, text

RELEASE_RESOLUTION = 8
QPV_GENERATION = 2024
REST = ""  # the part of a commune outside every QPV

GEOMETRIES = """
SELECT 'commune' AS kind, code, code AS commune, ST_AsGeoJSON(geom, 7) AS shape FROM commune
UNION ALL
SELECT 'qpv', q.code, c.code, ST_AsGeoJSON(ST_Intersection(q.geom, c.geom), 7)
FROM qpv q JOIN commune c ON c.code = ANY(q.commune_codes) AND ST_Intersects(q.geom, c.geom)
WHERE q.generation = :generation
ORDER BY 1, 2, 3
"""


@dataclass(frozen=True)
class Domain:
    """Parts of communes and the units (part, cell) a release counts in, in a fixed order."""

    communes: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]  # (commune, QPV code or REST)
    unit_part: np.ndarray  # int32: the part of each unit
    unit_cell: np.ndarray  # int64: the resolution-8 cell of each unit

    def part_index(self) -> dict[tuple[str, str], int]:
        return {part: i for i, part in enumerate(self.parts)}

    def describe(self) -> dict[str, object]:
        return {"communes": len(self.communes), "parts": len(self.parts), "units": self.size}

    @property
    def size(self) -> int:
        return int(self.unit_cell.size)


def _cells(geojson: str) -> list[int]:
    shape = h3.geo_to_h3shape(json.loads(geojson))
    found = h3.h3shape_to_cells_experimental(shape, RELEASE_RESOLUTION, contain="overlap")
    return sorted(h3.str_to_int(c) for c in found)


def read_domain(conn: Connection) -> Domain:
    """The release's units for the communes and 2024 QPV in the database."""
    rows = conn.execute(text(GEOMETRIES), {"generation": QPV_GENERATION}).all()
    communes = tuple(r.code for r in rows if r.kind == "commune")
    parts: list[tuple[str, str]] = []
    unit_part: list[np.ndarray] = []
    unit_cell: list[np.ndarray] = []
    for row in rows:
        if row.shape is None:
            continue
        part = (row.commune, REST if row.kind == "commune" else row.code)
        cells = np.asarray(_cells(row.shape), dtype=np.int64)
        if cells.size == 0:
            continue
        unit_part.append(np.full(cells.size, len(parts), dtype=np.int32))
        unit_cell.append(cells)
        parts.append(part)
    return Domain(
        communes=communes,
        parts=tuple(parts),
        unit_part=np.concatenate(unit_part) if unit_part else np.zeros(0, np.int32),
        unit_cell=np.concatenate(unit_cell) if unit_cell else np.zeros(0, np.int64),
    )
