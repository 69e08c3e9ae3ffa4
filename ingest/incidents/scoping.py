"""An upload by an administrator with a scope: rows of a commune outside it are rejected.

A scoped administrator (observatory/scopes.py) imports for their communes only. Each row's
commune is the one ``incident_rows`` will store (the file's, else the commune whose boundary
holds the point); a row outside the scope, or in no known commune, becomes a reject with a
French reason, so that rows read = imported + duplicates + rejected still holds. The command
line has no scope: it imports every row as before.

Who may read a batch's rejects (their raw values): for an upload with a scope, that scope
(the uploader sent the file); otherwise the communes of its facts and of its rejected rows
(``reject_communes``): the commune code the row gives, else the commune of its point, else the
commune its commune-name column names, else the mapping's ``commune``; a row of none of these
adds UNKNOWN_COMMUNE, so that only a reader of every commune reads the batch. A total or
footer line holds no fact: it adds nothing.

Duplicates: a reference is unique per source, so an upload with a scope whose row repeats the
reference of a fact outside the scope cannot import it. The row is rejected with
TAKEN_ELSEWHERE, which names neither the fact, its commune nor its batch; it is not counted a
duplicate (the uploader would look for it in vain). That the reference is taken in the source
is told: the one bit a unique reference cannot hide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.incidents.parse import FOOTER
from ingest.incidents.reading import RawChunk
from ingest.incidents.rows import raw_values
from observatory.areas import Territories
from observatory.categories import normalise_label
from observatory.imports import UNKNOWN_COMMUNE
from observatory.scopes import describe

PLACE_COLUMNS = ["row_number", "commune_code", "lon", "lat"]
# A row of an upload with a scope whose reference the source holds on a fact outside it. The
# reference is one per source, so the row cannot be imported; that it is taken is all the
# uploader learns (it would learn as much from a duplicate it cannot see), not where nor by
# which fact.
TAKEN_ELSEWHERE = (
    "référence déjà utilisée dans cette source par un fait hors de votre périmètre : ligne non "
    "importée (un administrateur de toutes les communes peut vérifier)"
)


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


def reject_communes(
    rejects: pd.DataFrame,
    places: pd.DataFrame,
    territories: Territories,
    names: dict[str, str],
    name_column: str | None,
    default: str | None,
) -> set[str]:
    """The communes of rejected rows (UNKNOWN_COMMUNE for a row of none): ``places`` says
    what the parser knew of each row (PLACE_COLUMNS), ``names`` maps a normalised commune name
    to its code, ``name_column`` is the file's commune-name header and ``default`` the
    mapping's commune."""
    rejects = rejects.loc[rejects["reason"].astype(str) != FOOTER]
    if rejects.empty:
        return set()
    numbers = rejects["row_number"].to_numpy(dtype="int64")
    at = pd.Index(places["row_number"].to_numpy(dtype="int64")).get_indexer(numbers)
    found = at >= 0
    codes = np.full(len(numbers), None, dtype=object)
    lon = np.full(len(numbers), np.nan)
    lat = np.full(len(numbers), np.nan)
    codes[found] = places["commune_code"].to_numpy(dtype=object)[at[found]]
    lon[found] = places["lon"].to_numpy(dtype=np.float64)[at[found]]
    lat[found] = places["lat"].to_numpy(dtype=np.float64)[at[found]]
    by_point = pd.isna(codes) & np.isfinite(lon) & np.isfinite(lat)
    if by_point.any():
        codes[by_point] = territories.communes_of(lon[by_point], lat[by_point])
    communes: set[str] = set()
    for code, raw in zip(codes, rejects["raw"], strict=True):
        if isinstance(code, str) and code:
            communes.add(code)
            continue
        name = raw.get(name_column) if name_column and isinstance(raw, dict) else None
        named = names.get(normalise_label(name)) if isinstance(name, str) else None
        communes.add(named or default or UNKNOWN_COMMUNE)
    return communes
