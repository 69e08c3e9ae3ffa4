"""From parsed rows to incident rows: categories, references, H3, local time, territories."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.incidents.chunk import RawChunk
from ingest.incidents.parse import NONE, ParsedChunk
from ingest.incidents.pgbinary import ewkb_points, without_nul
from observatory.areas import Territories
from observatory.grid import cells_from_lonlat
from observatory.labels import CLOSEST, UNKNOWN_CATEGORY, CategoryMatcher
from observatory.localtime import hour_of_week_and_month

INCIDENT_COLUMNS = (
    "source",
    "source_ref",
    "occurred_at",
    "occurred_until",
    "category_code",
    "commune_code",
    "geom",
    "h3",
    "local_hour_of_week",
    "local_month",
    "address",
    "qpv_2015",
    "qpv_2024",
    "attributes",
    "batch_id",
    "geocode_score",
    "geocode_label",
    "geocode_type",
)

UNKNOWN_ADVICE = (
    " : ajoutez-la à la table [categories] d'un fichier de correspondance (--mapping) ou "
    "utilisez un libellé de la nomenclature."
)


def unknown_category_reason(value: str, matcher: CategoryMatcher) -> str:
    """The French reason of a row whose category label is unknown, with the closest ones."""
    closest = ", ".join(s.label for s in matcher.suggestions(value))
    return (
        UNKNOWN_CATEGORY.format(value=value)
        + (CLOSEST.format(names=closest) if closest else "")
        + UNKNOWN_ADVICE
    )


def resolve_categories(
    parsed: ParsedChunk, matcher: CategoryMatcher, chunk: RawChunk
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with a category_code, and the rejects of unknown categories."""
    rows = parsed.rows
    labels, distinct = pd.factorize(rows["category_raw"].to_numpy(dtype=object))
    by_label = matcher.codes(distinct)
    codes = np.array([*by_label, None], dtype=object)[labels]  # label -1 (missing): None
    known = np.not_equal(codes, NONE)
    kept = rows if known.all() else rows.loc[known]
    code_column = pd.Series(codes[known], index=kept.index, dtype=object)
    return kept.assign(category_code=code_column), _unknown(rows.loc[~known], chunk, matcher)


def _unknown(unknown_rows: pd.DataFrame, chunk: RawChunk, matcher: CategoryMatcher) -> pd.DataFrame:
    values = unknown_rows["category_raw"].to_numpy(dtype=object)
    reasons = {v: unknown_category_reason(v, matcher) for v in set(values.tolist())}
    return pd.DataFrame(
        {
            "row_number": unknown_rows["row_number"].astype("int64").to_numpy(),
            "raw": raw_values(chunk, unknown_rows["row_number"].to_numpy()),
            "reason": [reasons[v] for v in values],
            "category_raw": values,
        }
    )


def raw_values(chunk: RawChunk, row_numbers: np.ndarray) -> list[dict[str, str]]:
    """The original non-empty values of some rows of a chunk, header -> text."""
    if len(row_numbers) == 0:
        return []
    positions = pd.Index(chunk.row_numbers).get_indexer(row_numbers)
    records = chunk.rows(positions).to_dict("records")
    return [{str(k): str(v) for k, v in r.items() if v is not None and v == v} for r in records]


def auto_references(rows: pd.DataFrame) -> list[str]:
    """References for rows that have none: a digest of start, end, category and place."""

    def digest(r: Any) -> str:
        key = f"{r.occurred_at}|{r.occurred_until}|{r.category_code}|{r.lon:.6f}|{r.lat:.6f}"
        return "auto:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24]

    return [digest(r) for r in rows.itertuples()]


def attributes_json(values: pd.Series) -> pa.Array:
    """The attributes of each row as JSON text ("{}" when it has none)."""
    dicts = values.to_numpy(dtype=object)
    filled = np.flatnonzero(np.fromiter(map(bool, dicts), dtype=bool, count=len(dicts)))
    if not len(filled):
        return _constant("{}", len(dicts))
    text = np.full(len(dicts), "{}", dtype=object)
    text[filled] = [json.dumps(a, ensure_ascii=False) for a in dicts[filled]]
    return pa.array(text, type=pa.string())


def _text(values: np.ndarray | pd.Series) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)


def _constant(value: str, n: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int32), pa.array([value]))


def _geocoded(rows: pd.DataFrame) -> dict[str, pa.Array]:
    """The geocoder's score, label and type (ingest.incidents.geocoding) when a row has them."""
    if "geocode_score" not in rows or rows["geocode_type"].isna().all():
        return {}  # the usual case: fewer columns to COPY, the database writes NULL
    score = rows["geocode_score"].to_numpy(dtype=np.float32)
    return {
        "geocode_score": pa.array(score, type=pa.float32(), from_pandas=True),
        "geocode_label": _text(rows["geocode_label"]),
        "geocode_type": _text(rows["geocode_type"]),
    }


def incident_rows(
    rows: pd.DataFrame,
    *,
    source: str,
    batch_id: int,
    resolution: int,
    timezone: str,
    territories: Territories,
) -> pa.Table:
    """The rows to COPY into `incident` (INCIDENT_COLUMNS, the geocoder's three only when a row
    has them), typed as their columns are."""
    n = len(rows)
    refs = rows["source_ref"].to_numpy(dtype=object, copy=True)
    missing = pd.isna(refs)
    if missing.any():
        refs[missing] = auto_references(rows.loc[missing])
    # PostgreSQL text cannot hold NUL; the reference must be the same in probes and in COPY.
    references = without_nul(_text(refs))
    lon = rows["lon"].to_numpy(dtype=np.float64)
    lat = rows["lat"].to_numpy(dtype=np.float64)
    given = rows["commune_code"].to_numpy(dtype=object)
    unknown = pd.isna(given)
    communes = given
    if unknown.any():
        communes = np.where(unknown, territories.communes_of(lon, lat), given)
    hour_of_week, month = hour_of_week_and_month(rows["occurred_at"], timezone)
    columns = {
        "source": _constant(source, n),
        "source_ref": references,
        "occurred_at": pa.array(rows["occurred_at"]),
        "occurred_until": pa.array(rows["occurred_until"]),
        "category_code": _text(rows["category_code"]),
        "commune_code": _text(communes),
        "geom": ewkb_points(lon, lat),
        "h3": pa.array(cells_from_lonlat(lon, lat, resolution), type=pa.int64()),
        "local_hour_of_week": pa.array(hour_of_week, type=pa.int16()),
        "local_month": pa.array(month, type=pa.date32()),
        "address": _text(rows["address"]),
        "qpv_2015": _text(territories.qpv_of(2015, lon, lat)),
        "qpv_2024": _text(territories.qpv_of(2024, lon, lat)),
        "attributes": attributes_json(rows["attributes"]),
        "batch_id": pa.array(np.full(n, batch_id, dtype=np.int64)),
        **_geocoded(rows),
    }
    names = [name for name in INCIDENT_COLUMNS if name in columns]
    return pa.table([columns[name] for name in names], names=names)
