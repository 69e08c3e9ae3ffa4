"""From parsed rows to incident rows: categories, references, H3, local time, territories."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import numpy as np
import pandas as pd

from ingest.copying import ewkb_points
from ingest.parse import ParsedChunk
from ingest.reading import RawChunk
from observatory.areas import Territories
from observatory.categories import normalise_label
from observatory.grid import cells_from_lonlat

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
)

UNKNOWN_CATEGORY = (
    "Catégorie inconnue « {value} » : ajoutez-la à la table [categories] d'un fichier de "
    "correspondance (--mapping) ou utilisez un libellé de la nomenclature."
)


def resolve_categories(
    parsed: ParsedChunk, lookup: dict[str, str], chunk: RawChunk
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with a category_code, and the rejects of unknown categories."""
    rows = parsed.rows
    labels = pd.Series(rows["category_raw"].unique())
    by_label = dict(zip(labels, labels.map(normalise_label).map(lookup), strict=True))
    codes = rows["category_raw"].map(by_label)
    known = codes.notna().to_numpy()
    unknown_rows = rows.loc[~known]
    unknown = pd.DataFrame(
        {
            "row_number": unknown_rows["row_number"].astype("int64").to_numpy(),
            "raw": raw_values(chunk, unknown_rows["row_number"].to_numpy()),
            "reason": [UNKNOWN_CATEGORY.format(value=v) for v in unknown_rows["category_raw"]],
            "category_raw": unknown_rows["category_raw"].to_numpy(),
        }
    )
    kept = rows.loc[known].copy()
    kept["category_code"] = codes[known].to_numpy()
    return kept, unknown


def raw_values(chunk: RawChunk, row_numbers: np.ndarray) -> list[dict[str, str]]:
    """The original non-empty values of some rows of a chunk, header -> text."""
    if len(row_numbers) == 0:
        return []
    positions = pd.Index(chunk.row_numbers).get_indexer(row_numbers)
    records = chunk.frame.iloc[positions].to_dict("records")
    return [{str(k): str(v) for k, v in r.items() if v is not None and v == v} for r in records]


def auto_references(rows: pd.DataFrame) -> list[str]:
    """References for rows that have none: a digest of start, end, category and place."""

    def digest(r: Any) -> str:
        key = f"{r.occurred_at}|{r.occurred_until}|{r.category_code}|{r.lon:.6f}|{r.lat:.6f}"
        return "auto:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24]

    return [digest(r) for r in rows.itertuples()]


def utc_text(values: pd.Series | np.ndarray, unit: Literal["s", "D"] = "s") -> np.ndarray:
    """ISO text of instants (UTC, the session's zone during COPY), None for NaT; vectorised."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
        array = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    else:
        array = np.asarray(values)
    array = array.astype(f"datetime64[{unit}]")
    text = np.datetime_as_string(array, unit=unit).astype(object)
    text[np.isnat(array)] = None
    return text


def attributes_json(values: pd.Series) -> list[str]:
    return [json.dumps(a, ensure_ascii=False) if a else "{}" for a in values]


def incident_rows(
    rows: pd.DataFrame,
    *,
    source: str,
    batch_id: int,
    resolution: int,
    timezone: str,
    territories: Territories,
) -> pd.DataFrame:
    """The frame to COPY into `incident` (INCIDENT_COLUMNS), plus row_number."""
    out = pd.DataFrame(index=rows.index)
    out["row_number"] = rows["row_number"].to_numpy()
    out["source"] = source
    refs = rows["source_ref"].astype(object)
    missing = refs.isna().to_numpy()
    if missing.any():
        refs = refs.copy()
        refs[missing] = auto_references(rows.loc[missing])
    # PostgreSQL text cannot hold NUL; the reference must be the same in probes and in COPY.
    out["source_ref"] = [r.replace("\x00", "\ufffd") for r in refs.tolist()]
    out["occurred_at"] = utc_text(rows["occurred_at"])
    out["occurred_until"] = utc_text(rows["occurred_until"])
    out["category_code"] = rows["category_code"].to_numpy()
    lon = rows["lon"].to_numpy(dtype=np.float64)
    lat = rows["lat"].to_numpy(dtype=np.float64)
    given = rows["commune_code"].astype(object).to_numpy()
    found = territories.communes_of(lon, lat) if pd.isna(given).any() else given
    out["commune_code"] = np.where(pd.isna(given), found, given)
    out["geom"] = ewkb_points(lon, lat)
    out["h3"] = cells_from_lonlat(lon, lat, resolution)
    local = rows["occurred_at"].dt.tz_convert(timezone)
    out["local_hour_of_week"] = (local.dt.day_of_week * 24 + local.dt.hour).to_numpy("int16")
    months = (local.dt.year.to_numpy() - 1970) * 12 + (local.dt.month.to_numpy() - 1)
    out["local_month"] = utc_text(months.astype("datetime64[M]"), unit="D")
    out["address"] = rows["address"].to_numpy()
    out["qpv_2015"] = territories.qpv_of(2015, lon, lat)
    out["qpv_2024"] = territories.qpv_of(2024, lon, lat)
    out["attributes"] = attributes_json(rows["attributes"])
    out["batch_id"] = batch_id
    return out
