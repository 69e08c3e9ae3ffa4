"""Import incident files: parse in chunks, load through COPY, enrich in PostGIS, account for all.

One batch is one transaction. Rows are parsed chunk by chunk (ingest.parse), their category
resolved, their H3 cell and local hour-of-week and month computed in numpy, then copied into a
temporary staging table; one INSERT … SELECT moves them into `incident`, tagging commune and
QPV by point-in-polygon in PostGIS and skipping the references already known. Every row read
ends imported, duplicate or rejected (with its reason in `import_reject`).

Duplicates: the same source reference for the same source, whether in an earlier batch or
earlier in the same file. A row without a reference gets one derived from what makes it the
same fact — start, end, category and place rounded to 1e-6° — prefixed "auto:", so that
re-importing a file without references imports nothing twice either.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from ingest.mapping import Mapping, load_mapping, load_profile
from ingest.parse import ParsedChunk, parse_chunk, resolve_columns
from ingest.reading import RawChunk, read_table
from observatory.categories import category_lookup, normalise_label
from observatory.errors import InvalidInput
from observatory.grid import cells_from_lonlat
from observatory.imports import (
    BatchSummary,
    create_batch,
    fail_batch,
    file_sha256,
    finish_batch,
    get_batch,
    hold_batch_lock,
    reap_interrupted,
    try_source_lock,
)
from observatory.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "police-municipale"

STAGING_COLUMNS = (
    "row_number",
    "source_ref",
    "occurred_at",
    "occurred_until",
    "category_code",
    "lon",
    "lat",
    "h3",
    "local_hour_of_week",
    "local_month",
    "commune_code",
    "address",
    "attributes",
)

CREATE_STAGING = """
CREATE TEMP TABLE staging_incident (
    row_number integer NOT NULL,
    source_ref text NOT NULL,
    occurred_at timestamptz NOT NULL,
    occurred_until timestamptz,
    category_code text NOT NULL,
    lon float8 NOT NULL,
    lat float8 NOT NULL,
    h3 int8 NOT NULL,
    local_hour_of_week int2 NOT NULL,
    local_month date NOT NULL,
    commune_code text,
    address text,
    attributes jsonb NOT NULL
) ON COMMIT DROP
"""

MOVE_STAGED = """
INSERT INTO incident (
    source, source_ref, occurred_at, occurred_until, category_code, commune_code, geom, h3,
    local_hour_of_week, local_month, address, qpv_2015, qpv_2024, attributes, batch_id
)
SELECT
    :source, s.source_ref, s.occurred_at, s.occurred_until, s.category_code,
    COALESCE(
        s.commune_code,
        (SELECT c.code FROM commune c WHERE ST_Intersects(c.geom, p.pt) ORDER BY c.code LIMIT 1)
    ),
    p.pt, s.h3, s.local_hour_of_week, s.local_month, s.address,
    (SELECT q.code FROM qpv q
      WHERE q.generation = 2015 AND ST_Intersects(q.geom, p.pt) ORDER BY q.code LIMIT 1),
    (SELECT q.code FROM qpv q
      WHERE q.generation = 2024 AND ST_Intersects(q.geom, p.pt) ORDER BY q.code LIMIT 1),
    s.attributes, :batch_id
FROM (
    SELECT DISTINCT ON (source_ref) * FROM staging_incident ORDER BY source_ref, row_number
) AS s
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) AS pt) AS p
ON CONFLICT (source, source_ref) DO NOTHING
"""


@dataclass
class Counts:
    rows_read: int = 0
    rows_staged: int = 0
    rows_rejected: int = 0
    unknown_categories: dict[str, int] = field(default_factory=dict)

    def as_batch(self, imported: int) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "rows_imported": imported,
            "rows_duplicate": self.rows_staged - imported,
            "rows_rejected": self.rows_rejected,
        }


def resolve_mapping(profile: str | None, mapping_path: Path | None, crs: int | None) -> Mapping:
    """The mapping to use: a file, a named profile, or the French municipal default."""
    if profile and mapping_path:
        raise InvalidInput("Choisissez --profile ou --mapping, pas les deux.")
    mapping = load_mapping(mapping_path) if mapping_path else load_profile(profile or "municipal")
    if crs is not None:
        mapping.crs = crs
    return mapping


def import_incidents(
    engine: Engine,
    path: Path,
    *,
    settings: Settings,
    mapping: Mapping | None = None,
    source: str | None = None,
    run_by: str = "cli",
    chunk_size: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Import one incident file as one batch and return its summary."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"Fichier introuvable : {path}")
    mapping = mapping or load_profile("municipal")
    source = source or mapping.source or DEFAULT_SOURCE
    reap_interrupted(engine)
    batch_id = create_batch(
        engine,
        kind="incidents",
        file_name=path.name,
        sha256=file_sha256(path),
        source=source,
        run_by=run_by,
    )
    try:
        with engine.connect() as conn, conn.begin():
            if not try_source_lock(conn, f"incidents:{source}"):
                raise InvalidInput(
                    f"Un import de la source « {source} » est déjà en cours : attendez sa fin "
                    "puis relancez (le fichier ne sera pas importé deux fois)."
                )
            hold_batch_lock(conn, batch_id)
            counts, imported = _load(
                conn, path, mapping, source, batch_id, settings, chunk_size, progress
            )
            details: dict[str, Any] = {}
            if counts.unknown_categories:
                details["unknown_categories"] = counts.unknown_categories
            finish_batch(conn, batch_id, counts.as_batch(imported), details=details)
    except BaseException as exc:
        fail_batch(engine, batch_id, _failure_message(exc))
        raise
    with engine.connect() as conn:
        return get_batch(conn, batch_id)


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, InvalidInput):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "Import interrompu : aucune donnée n'a été enregistrée."
    return f"Échec de l'import, aucune donnée n'a été enregistrée : {type(exc).__name__}: {exc}"


def _load(
    conn: Connection,
    path: Path,
    mapping: Mapping,
    source: str,
    batch_id: int,
    settings: Settings,
    chunk_size: int,
    progress: Callable[[int], None] | None,
) -> tuple[Counts, int]:
    lookup = category_lookup(conn)
    lookup.update({normalise_label(raw): code for raw, code in mapping.categories.items()})
    timezone = mapping.timezone or settings.timezone
    conn.execute(text(CREATE_STAGING))
    counts = Counts()
    columns = None
    for chunk in read_table(path, mapping, chunk_size=chunk_size):
        if columns is None:
            columns = resolve_columns(
                [str(c) for c in chunk.frame.columns],
                mapping,
                has_geometry=chunk.geometry_lonlat is not None,
            )
        parsed = parse_chunk(
            chunk,
            columns,
            mapping,
            timezone=timezone,
            territory_bbox=settings.territory_bbox,
        )
        rows, unknown = _resolve_categories(parsed, lookup, chunk)
        rejects = pd.concat([parsed.rejects, unknown], ignore_index=True)
        staged = _enrich(rows, settings.h3_resolution, timezone)
        _copy_frame(conn, "staging_incident", staged, STAGING_COLUMNS)
        _copy_rejects(conn, batch_id, rejects)
        counts.rows_read += len(chunk.frame)
        counts.rows_staged += len(staged)
        counts.rows_rejected += len(rejects)
        for value in unknown.get("category_raw", pd.Series(dtype=object)):
            counts.unknown_categories[value] = counts.unknown_categories.get(value, 0) + 1
        if progress:
            progress(len(chunk.frame))
    if counts.rows_read == 0:
        raise InvalidInput(f"Le fichier {path.name} ne contient aucune ligne de données.")
    imported = conn.execute(text(MOVE_STAGED), {"source": source, "batch_id": batch_id}).rowcount
    log.info(
        "Lot %s : %s lues, %s importées, %s doublons, %s rejetées",
        batch_id,
        counts.rows_read,
        imported,
        counts.rows_staged - imported,
        counts.rows_rejected,
    )
    return counts, int(imported)


def _resolve_categories(
    parsed: ParsedChunk, lookup: dict[str, str], chunk: RawChunk
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows with a category_code, and the rejects of unknown categories."""
    rows = parsed.rows
    keys = rows["category_raw"].map(normalise_label)
    codes = keys.map(lookup)
    known = codes.notna()
    unknown_rows = rows.loc[~known]
    unknown = pd.DataFrame(
        {
            "row_number": unknown_rows["row_number"].astype("int64"),
            "raw": _raw_values(chunk, unknown_rows["row_number"].to_numpy()),
            "reason": [
                f"Catégorie inconnue « {value} » : ajoutez-la à la table [categories] d'un "
                "fichier de correspondance (--mapping) ou utilisez un libellé de la nomenclature."
                for value in unknown_rows["category_raw"]
            ],
            "category_raw": unknown_rows["category_raw"],
        }
    )
    kept = rows.loc[known].copy()
    kept["category_code"] = codes[known]
    return kept, unknown


def _raw_values(chunk: RawChunk, row_numbers: np.ndarray) -> list[dict[str, str]]:
    """The original non-empty values of some rows of a chunk, header -> text."""
    positions = pd.Index(chunk.row_numbers).get_indexer(row_numbers)
    records = chunk.frame.iloc[positions].to_dict("records")
    return [{str(k): str(v) for k, v in r.items() if v is not None and v == v} for r in records]


def _auto_refs(rows: pd.DataFrame) -> pd.Series:
    """References for rows that have none: a digest of start, end, category and place."""

    def digest(r: Any) -> str:
        key = f"{r.occurred_at}|{r.occurred_until}|{r.category_code}|{r.lon:.6f}|{r.lat:.6f}"
        return "auto:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:24]

    return pd.Series([digest(r) for r in rows.itertuples()], index=rows.index, dtype=object)


def _enrich(rows: pd.DataFrame, resolution: int, timezone: str) -> pd.DataFrame:
    """The staging frame: H3 cell, local hour of week and month, references for all."""
    out = rows.copy()
    missing = out["source_ref"].isna()
    if missing.any():
        out.loc[missing, "source_ref"] = _auto_refs(out.loc[missing])
    lon = out["lon"].to_numpy(dtype=np.float64)
    lat = out["lat"].to_numpy(dtype=np.float64)
    out["h3"] = cells_from_lonlat(lon, lat, resolution)
    local = out["occurred_at"].dt.tz_convert(timezone)
    out["local_hour_of_week"] = (local.dt.day_of_week * 24 + local.dt.hour).astype("int16")
    months = (local.dt.year.to_numpy() - 1970) * 12 + (local.dt.month.to_numpy() - 1)
    out["local_month"] = months.astype("datetime64[M]").astype("datetime64[D]")
    out["attributes"] = [json.dumps(a or {}, ensure_ascii=False) for a in out["attributes"]]
    return out


def _copy_frame(
    conn: Connection, table: str, frame: pd.DataFrame, columns: tuple[str, ...]
) -> None:
    """COPY a frame into a table as CSV (NULL for missing values)."""
    if frame.empty:
        return
    buffer = io.StringIO()
    frame.loc[:, list(columns)].to_csv(
        buffer, header=False, index=False, date_format="%Y-%m-%d %H:%M:%S%z"
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    column_list = ", ".join(columns)
    statement = f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(buffer.getvalue())


def _copy_rejects(conn: Connection, batch_id: int, rejects: pd.DataFrame) -> None:
    if rejects.empty:
        return
    frame = pd.DataFrame(
        {
            "batch_id": batch_id,
            "row_number": rejects["row_number"].astype("int64"),
            "raw": [json.dumps(r or {}, ensure_ascii=False) for r in rejects["raw"]],
            "reason": rejects["reason"].astype(str),
        }
    )
    _copy_frame(conn, "import_reject", frame, ("batch_id", "row_number", "raw", "reason"))
