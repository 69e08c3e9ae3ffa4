"""Import incident files: parse in chunks, enrich, COPY into `incident`, account for every row.

One batch is one transaction. Rows are parsed chunk by chunk (ingest.parse); their category is
resolved, then ingest.incident_rows computes, in numpy, the H3 cell, the local hour of the week
and month, and the commune and QPV of each point (observatory.areas: the polygons stored in
PostGIS, tested with GEOS). New rows are copied straight into `incident`; every row read ends
imported, duplicate or rejected (with its reason in `import_reject`).

Duplicates: the same source reference for the same source, whether in an earlier batch or
earlier in the same file (the first one is kept). A row without a reference gets one derived
from what makes it the same fact — start, end, category and place rounded to 1e-6° —
prefixed "auto:", so that re-importing a file without references imports nothing twice either.

Large loads: when a file is big next to the table (see BULK_RATIO), the spatial index is
dropped inside the batch's transaction and rebuilt before commit — one build is much cheaper
than a million insertions; readers of `incident` wait for the batch meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text
from sqlalchemy.schema import CreateIndex

from ingest.copying import copy_frame, copy_rejects, known_references
from ingest.incident_rows import INCIDENT_COLUMNS, incident_rows, resolve_categories
from ingest.mapping import Mapping, load_mapping, load_profile
from ingest.parse import parse_chunk, resolve_columns
from ingest.reading import read_table
from observatory.areas import Territories
from observatory.categories import category_lookup, normalise_label
from observatory.changes import mark_batch, record_batch
from observatory.errors import InvalidInput
from observatory.imports import (
    COUNT_KEYS,
    BatchSummary,
    batch_transaction,
    create_batch,
    file_sha256,
    finish_batch,
    get_batch,
    reap_interrupted,
)
from observatory.models import Base
from observatory.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "police-municipale"
# A file estimated at more rows than this share of the table loads in bulk mode.
BULK_RATIO = 0.25
BULK_MIN_ROWS = 100_000
BYTES_PER_ROW_ESTIMATE = 90
INCIDENT_TABLE = Base.metadata.tables["incident"]
SPATIAL_INDEX = next(i for i in INCIDENT_TABLE.indexes if i.name == "ix_incident_geom")


@dataclass
class Counts:
    rows_read: int = 0
    rows_imported: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    unknown_categories: dict[str, int] = field(default_factory=dict)

    def as_batch(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in COUNT_KEYS}


@dataclass(frozen=True)
class Job:
    """What one import works on, from its first chunk to its last."""

    path: Path
    mapping: Mapping
    source: str
    batch_id: int
    settings: Settings
    chunk_size: int


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
    busy = (
        f"Un import de la source « {source} » est déjà en cours : attendez sa fin puis "
        "relancez (le fichier ne sera pas importé deux fois)."
    )
    with batch_transaction(engine, batch_id, f"incidents:{source}", busy) as conn:
        job = Job(path, mapping, source, batch_id, settings, chunk_size)
        mark_batch(conn, batch_id)
        counts = _load(conn, job, progress)
        details: dict[str, Any] = {}
        if counts.unknown_categories:
            details["unknown_categories"] = counts.unknown_categories
        finish_batch(conn, batch_id, counts.as_batch(), details=details)
        if counts.rows_imported:
            record_batch(conn, batch_id)  # last: the version row stays locked until commit
    with engine.connect() as conn:
        return get_batch(conn, batch_id)


@dataclass
class Prepared:
    """One chunk ready for the database: new-looking rows and rejects."""

    rows: pd.DataFrame
    rejects: pd.DataFrame
    read: int
    duplicates_in_file: int


def _prepared_chunks(conn: Connection, job: Job, counts: Counts) -> Iterator[Prepared]:
    """Parse and enrich the file chunk by chunk (no database work but the initial reads)."""
    mapping, settings = job.mapping, job.settings
    lookup = category_lookup(conn)
    lookup.update({normalise_label(raw): code for raw, code in mapping.categories.items()})
    territories = Territories.load(conn)
    timezone = mapping.timezone or settings.timezone
    seen: set[str] = set()
    columns = None
    for chunk in read_table(job.path, mapping, chunk_size=job.chunk_size):
        if columns is None:
            columns = resolve_columns(
                [str(c) for c in chunk.frame.columns],
                mapping,
                has_geometry=chunk.geometry_lonlat is not None,
            )
        parsed = parse_chunk(
            chunk, columns, mapping, timezone=timezone, territory_bbox=settings.territory_bbox
        )
        rows, unknown = resolve_categories(parsed, lookup, chunk)
        for value in unknown["category_raw"]:
            counts.unknown_categories[value] = counts.unknown_categories.get(value, 0) + 1
        rows = incident_rows(
            rows,
            source=job.source,
            batch_id=job.batch_id,
            resolution=settings.h3_resolution,
            timezone=timezone,
            territories=territories,
        )
        repeated = np.zeros(len(rows), dtype=bool)
        for position, ref in enumerate(rows["source_ref"].tolist()):
            if ref in seen:
                repeated[position] = True
            else:
                seen.add(ref)
        yield Prepared(
            rows=rows.loc[~repeated],
            rejects=pd.concat([parsed.rejects, unknown.drop(columns="category_raw")]),
            read=len(chunk.frame),
            duplicates_in_file=int(repeated.sum()),
        )


def _write(conn: Connection, prepared: Prepared, job: Job, probe: bool, counts: Counts) -> None:
    """Drop the rows the source already has (when it has any), COPY the others and the rejects."""
    rows = prepared.rows
    known = known_references(conn, job.source, rows["source_ref"].tolist()) if probe else set()
    if known:
        rows = rows.loc[~rows["source_ref"].isin(known).to_numpy()]
    copy_frame(conn, "incident", rows, INCIDENT_COLUMNS)
    copy_rejects(conn, job.batch_id, prepared.rejects)
    counts.rows_read += prepared.read
    counts.rows_imported += len(rows)
    counts.rows_duplicate += prepared.duplicates_in_file + len(known)
    counts.rows_rejected += len(prepared.rejects)


def _bulk_mode(conn: Connection, path: Path) -> bool:
    """True when the file is large next to the table (estimates, not counts)."""
    estimated = path.stat().st_size // BYTES_PER_ROW_ESTIMATE
    existing = conn.execute(
        text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'incident'")
    ).scalar_one()
    return estimated >= BULK_MIN_ROWS and estimated >= BULK_RATIO * existing


def _load(conn: Connection, job: Job, progress: Callable[[int], None] | None) -> Counts:
    counts = Counts()
    conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))  # the COPY sends naive UTC text
    # A source seen for the first time needs no probe for known references.
    probe = bool(
        conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM incident WHERE source = :source)"),
            {"source": job.source},
        ).scalar_one()
    )
    bulk = _bulk_mode(conn, job.path)
    if bulk:
        conn.execute(text(f'DROP INDEX "{SPATIAL_INDEX.name}"'))
    chunks = _prepared_chunks(conn, job, counts)
    # Parsing (Python) and writing (the server) overlap: one chunk is written while the next
    # one is prepared. The connection is used by the writer thread only, meanwhile.
    pending: queue.Queue[Prepared | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            while (item := pending.get()) is not None:
                if not failure:
                    _write(conn, item, job, probe, counts)
        except BaseException as exc:  # handed to the main thread below
            failure.append(exc)
            while pending.get() is not None:
                pass

    first = next(chunks, None)  # reads the lookups on conn before the writer owns it
    thread = threading.Thread(target=writer, name="incident-writer", daemon=True)
    thread.start()
    try:
        item = first
        while item is not None and not failure:
            pending.put(item)
            if progress:
                progress(item.read)
            item = next(chunks, None)
    finally:
        pending.put(None)
        thread.join()
    if failure:
        raise failure[0]
    if counts.rows_read == 0:
        raise InvalidInput(f"Le fichier {job.path.name} ne contient aucune ligne de données.")
    if bulk:
        conn.execute(CreateIndex(SPATIAL_INDEX))
    log.info(
        "Lot %s : %s lues, %s importées, %s doublons, %s rejetées",
        job.batch_id,
        counts.rows_read,
        counts.rows_imported,
        counts.rows_duplicate,
        counts.rows_rejected,
    )
    return counts
