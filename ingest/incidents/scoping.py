"""An upload by an administrator with a scope: rows of a commune outside it are rejected.

A scoped administrator (observatory/scopes.py) imports for their communes only. Each row's
commune is the one ``incident_rows`` will store (the file's, else the commune whose boundary
holds the point); a row outside the scope, or in no known commune, becomes a reject with a
French reason, so that rows read = imported + duplicates + rejected still holds. The command
line has no scope: it imports every row as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.incidents.reading import RawChunk
from ingest.incidents.rows import raw_values
from observatory.areas import Territories
from observatory.scopes import describe


def outside_reason(commune: str | None, scope: frozenset[str]) -> str:
    if commune is None:
        return f"Fait hors de toute commune connue : hors de votre périmètre ({describe(scope)})."
    return f"Commune {commune} hors de votre périmètre ({describe(scope)})."


def split_by_scope(
    rows: pd.DataFrame, chunk: RawChunk, territories: Territories, scope: frozenset[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the rows of the scope's communes, the rejects of the others); every row kept when the
    scope is None (every commune)."""
    if scope is None or rows.empty:
        return rows, pd.DataFrame({"row_number": [], "raw": [], "reason": []})
    given = rows["commune_code"].to_numpy(dtype=object)
    unknown = pd.isna(given)
    communes = given
    if unknown.any():
        lon = rows["lon"].to_numpy(dtype=np.float64)
        lat = rows["lat"].to_numpy(dtype=np.float64)
        communes = np.where(unknown, territories.communes_of(lon, lat), given)
    codes = [None if pd.isna(c) else str(c) for c in communes]
    inside = np.array([c is not None and c in scope for c in codes], dtype=bool)
    out = rows.loc[~inside]
    numbers = out["row_number"].to_numpy(dtype="int64")
    rejects = pd.DataFrame(
        {
            "row_number": numbers,
            "raw": raw_values(chunk, numbers),
            "reason": pd.Series(
                [outside_reason(c, scope) for c, ok in zip(codes, inside, strict=True) if not ok],
                dtype=object,
            ),
        }
    )
    return (rows if inside.all() else rows.loc[inside]), rejects
