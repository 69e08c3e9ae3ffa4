"""Import incident files: parse in chunks, enrich, COPY into `incident`, account for every row.

One batch is one transaction. Rows are parsed chunk by chunk (ingest.incidents.parse); their
category is resolved, then ingest.incidents.rows computes, in numpy, the H3 cell, the local hour
of the week and month, and the commune and QPV of each point (observatory.areas: the polygons
stored in PostGIS, tested with GEOS). New rows are copied straight into `incident` in
PostgreSQL's binary COPY format (ingest.incidents.pgbinary); rows with an address and no point
are geocoded on the way (ingest.incidents.geocoding); every row read ends imported,
duplicate or rejected (with its reason in `import_reject`). Reading, parsing, enriching and
copying overlap, each stage in its thread (ingest.incidents.ahead); only the copying one uses
the batch's connection.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, text
from sqlalchemy.schema import CreateIndex

from ingest.incidents.ahead import Ahead
from ingest.incidents.chunk import RawChunk
from ingest.incidents.copying import (
    copy_incidents,
    copy_rejects,
    encode_incidents,
    known_references,
    references_within,
)
from ingest.incidents.geocoding import AddressPlacer
from ingest.incidents.mapping import Mapping, load_profile, named_mapping
from ingest.incidents.parse import ParsedChunk, parse_chunk, resolve_columns
from ingest.incidents.pgbinary import Encoded
from ingest.incidents.places import BBox
from ingest.incidents.reading import read_table
from ingest.incidents.rows import CategoryMatcher, incident_rows, raw_values, resolve_categories
from ingest.incidents.scoping import (
    PLACE_COLUMNS,
    TAKEN_ELSEWHERE,
    reject_communes,
    split_by_scope,
)
from observatory.areas import Territories
from observatory.changes import mark_batch, record_batch
from observatory.errors import InvalidInput
from observatory.imports import (
    COUNT_KEYS,
    BatchSummary,
    batch_communes,
    batch_transaction,
    finish_batch,
    open_batch,
    read_batch,
)
from observatory.models import Base
from observatory.scopes import as_list
from observatory.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "police-municipale"
# A file estimated at more rows than this share of the table loads in bulk mode.
BULK_RATIO = 0.25
BULK_MIN_ROWS = 100_000
BYTES_PER_ROW_ESTIMATE = 90
COPY_ROWS = 25_000  # rows per COPY statement
INCIDENT_TABLE = Base.metadata.tables["incident"]
SPATIAL_INDEX = next(i for i in INCIDENT_TABLE.indexes if i.name == "ix_incident_geom")


@dataclass
class Counts:
    rows_read: int = 0
    rows_imported: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    unknown_categories: dict[str, int] = field(default_factory=dict)
    category_suggestions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # The communes of the rejected rows (scoping.reject_communes), for who may read the batch.
    reject_communes: set[str] = field(default_factory=set)

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
    # The communes of the administrator who uploads (None: every commune; the command line).
    scope: frozenset[str] | None = None


@dataclass(frozen=True)
class Rerun:
    """An import of rows of an earlier batch (regeocode or remap): the row numbers of
    that batch's file for each line of the file imported, and what to do before the commit."""

    row_numbers: dict[int, int]
    file_name: str
    finish: Callable[[Connection, int], dict[str, Any]]


def resolve_mapping(
    profile: str | None, mapping_name: str | Path | None, crs: int | None
) -> Mapping:
    """The mapping to use: the one ``--mapping`` names, a profile, or the municipal default."""
    if profile and mapping_name:
        raise InvalidInput("Choisissez --profile ou --mapping, pas les deux.")
    mapping = named_mapping(mapping_name) if mapping_name else load_profile(profile or "municipal")
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
    rerun: Rerun | None = None,
    mapping_name: str | None = None,
    scope: frozenset[str] | None = None,
) -> BatchSummary:
    """Import one incident file as one batch and return its summary.

    ``scope``: the communes of who uploads; rows of the others are rejected (scoping.py).

    ``rerun``: the file holds rows of an earlier batch, imported again under their row numbers.
    ``mapping_name``: the saved mapping ``mapping`` comes from, kept in the batch's details.
    """
    path = Path(path)
    if not path.is_file():  # before the reading threads start; open_batch checks it again
        raise InvalidInput(f"Fichier introuvable : {path}")
    mapping = mapping or load_profile("municipal")
    source = source or mapping.source or DEFAULT_SOURCE
    # The file is read and parsed from now on, in two threads, while the batch is created;
    # an error (an unreadable file, missing columns) is raised where the chunks are taken,
    # inside the batch's transaction.
    timezone = mapping.timezone or settings.timezone
    chunks = Ahead(_read(path, mapping, chunk_size, rerun), "incident-reader")
    parsed = Ahead(
        _parsed_chunks(chunks, mapping, timezone, settings.territory_bbox), "incident-parser"
    )
    try:
        named = {"mapping": mapping_name} if mapping_name else {}
        batch_id = open_batch(
            engine,
            path,
            kind="incidents",
            run_by=run_by,
            source=source,
            file_name=rerun.file_name if rerun else None,
            details=named,
            communes=as_list(scope),
        )
        busy = (
            f"Un import de la source « {source} » est déjà en cours : attendez sa fin puis "
            "relancez (le fichier ne sera pas importé deux fois)."
        )
        with batch_transaction(engine, batch_id, f"incidents:{source}", busy) as conn:
            job = Job(path, mapping, source, batch_id, settings, chunk_size, scope)
            mark_batch(conn, batch_id)
            counts = _load(conn, job, parsed, progress)
            details: dict[str, Any] = dict(named)
            if counts.unknown_categories:
                details["unknown_categories"] = counts.unknown_categories
                details["category_suggestions"] = counts.category_suggestions
            if rerun is not None:
                details.update(rerun.finish(conn, batch_id))
            # Who may read the batch: the uploader's scope, else its facts' and rejects' communes.
            communes = (
                as_list(scope)
                if scope is not None
                else batch_communes(conn, batch_id, counts.reject_communes)
            )
            finish_batch(conn, batch_id, counts.as_batch(), details=details, communes=communes)
            if counts.rows_imported:
                record_batch(conn, batch_id)  # last: the version row stays locked until commit
    finally:
        parsed.close()
        chunks.close()
    return read_batch(engine, batch_id)


@dataclass(frozen=True)
class Lookups:
    """What every chunk is checked and enriched against, read once before the first."""

    categories: CategoryMatcher
    territories: Territories
    timezone: str
    placer: AddressPlacer


@dataclass
class Parsed:
    """One chunk as read and as parsed."""

    chunk: RawChunk
    parsed: ParsedChunk
    commune_name: str | None = None  # the header of the commune names, for the geocoder


@dataclass
class Prepared:
    """One chunk ready for the database: new-looking rows in binary form, and rejects."""

    rows: Encoded
    refs: pa.Array
    rejects: pd.DataFrame
    read: int
    duplicates_in_file: int
    # For an upload with a scope: the rows' numbers and their chunk, that a row whose reference
    # the source holds outside the scope becomes a reject (scoping.TAKEN_ELSEWHERE).
    numbers: np.ndarray | None = None
    chunk: RawChunk | None = None


def _lookups(conn: Connection, job: Job) -> Lookups:
    matcher = CategoryMatcher.from_database(conn, job.mapping.categories)
    timezone = job.mapping.timezone or job.settings.timezone
    placer = AddressPlacer.load(
        conn, job.settings, default_commune=job.mapping.commune, territory=job.mapping.territory
    )
    return Lookups(matcher, Territories.load(conn), timezone, placer)


def _read(
    path: Path, mapping: Mapping, chunk_size: int, rerun: Rerun | None = None
) -> Iterator[RawChunk]:
    """The file's chunks; a file that cannot be read fails on the first one."""
    for chunk in read_table(path, mapping, chunk_size=chunk_size):
        if rerun is not None:  # the rows keep the numbers they had in the first file
            lines = np.asarray(chunk.row_numbers).tolist()
            chunk.row_numbers = np.array([rerun.row_numbers[n] for n in lines], dtype="int64")
        yield chunk


def _parsed_chunks(
    chunks: Iterator[RawChunk], mapping: Mapping, timezone: str, territory_bbox: BBox | None
) -> Iterator[Parsed]:
    """Parse the file's chunks (no database work)."""
    columns = None
    for chunk in chunks:
        if columns is None:
            columns = resolve_columns(
                [str(c) for c in chunk.columns],
                mapping,
                has_geometry=chunk.geometry_lonlat is not None,
            )
        parsed = parse_chunk(
            chunk, columns, mapping, timezone=timezone, territory_bbox=territory_bbox
        )
        yield Parsed(chunk, parsed, columns.get("commune_name"))


def _prepared_chunks(
    parsed: Iterator[Parsed], job: Job, lookups: Lookups, counts: Counts
) -> Iterator[Prepared]:
    """Resolve categories, enrich, drop the references repeated in the file, encode for COPY."""
    seen: set[str] = set()
    for item in parsed:
        known, unknown = resolve_categories(item.parsed, lookups.categories, item.chunk)
        for value in unknown["category_raw"]:
            key = value.replace("\0", "\ufffd")  # the batch's details are jsonb: no NUL
            counts.unknown_categories[key] = counts.unknown_categories.get(key, 0) + 1
            if key not in counts.category_suggestions:
                counts.category_suggestions[key] = [
                    {"code": s.code, "label": s.label}
                    for s in lookups.categories.suggestions(value)
                ]
        # Rows with an address and no point: geocoded, one call per chunk, or rejected.
        lookups.placer.name_column = item.commune_name
        known, unplaced = lookups.placer.place(known, item.chunk)
        known, outside = split_by_scope(known, item.chunk, lookups.territories, job.scope)
        rejects = pd.concat(
            [item.parsed.rejects, unknown.drop(columns="category_raw"), unplaced, outside]
        )
        if job.scope is None and not rejects.empty:
            counts.reject_communes |= _reject_communes(rejects, item, lookups)
        # In slices, so that the first COPY starts early and the last one ends soon after
        # the parsing; the chunk's rejects and count go with its last slice.
        starts = range(0, max(len(known), 1), COPY_ROWS)
        for start in starts:
            stop = min(start + COPY_ROWS, len(known))
            rows = incident_rows(
                known.iloc[start:stop],
                source=job.source,
                batch_id=job.batch_id,
                resolution=job.settings.h3_resolution,
                timezone=lookups.timezone,
                territories=lookups.territories,
            )
            repeated = _repeated(rows.column("source_ref"), seen)
            if repeated.any():
                rows = rows.filter(pa.array(~repeated))
            last = start == starts[-1]
            numbers = None
            if job.scope is not None:
                numbers = known["row_number"].to_numpy(dtype="int64")[start:stop][~repeated]
            yield Prepared(
                rows=encode_incidents(rows),
                refs=rows.column("source_ref").combine_chunks(),
                rejects=rejects if last else rejects.iloc[:0],
                read=len(item.chunk) if last else 0,
                duplicates_in_file=int(repeated.sum()),
                numbers=numbers,
                chunk=item.chunk if numbers is not None else None,
            )


def _reject_communes(rejects: pd.DataFrame, item: Parsed, lookups: Lookups) -> set[str]:
    """The communes of a chunk's rejected rows (scoping.reject_communes)."""
    known = [item.parsed.rows[PLACE_COLUMNS]]
    if item.parsed.places is not None:
        known.append(item.parsed.places[PLACE_COLUMNS])
    return reject_communes(
        rejects,
        pd.concat(known, ignore_index=True),
        lookups.territories,
        lookups.placer.communes,
        item.commune_name,
        lookups.placer.default_commune,
    )


def _repeated(refs: pa.ChunkedArray, seen: set[str]) -> np.ndarray:
    """Where a reference was seen before (in this chunk or an earlier one); adds the new ones."""
    values = refs.to_numpy(zero_copy_only=False)
    fresh = set(values.tolist())
    if len(fresh) == len(values) and seen.isdisjoint(fresh):  # the usual case: no repeat
        seen |= fresh
        return np.zeros(len(values), dtype=bool)
    repeated = np.zeros(len(values), dtype=bool)
    for position, ref in enumerate(values.tolist()):
        if ref in seen:
            repeated[position] = True
        else:
            seen.add(ref)
    return repeated


def _write(conn: Connection, prepared: Prepared, job: Job, probe: bool, counts: Counts) -> None:
    """Drop the rows the source already has (when it has any), COPY the others and the rejects."""
    rows = prepared.rows
    known = known_references(conn, job.source, prepared.refs.to_pylist()) if probe else set()
    elsewhere: pd.DataFrame | None = None
    if known:
        have = pc.is_in(prepared.refs, value_set=pa.array(sorted(known), type=pa.string()))
        rows = rows.filter(~have.to_numpy(zero_copy_only=False))
        if job.scope is not None:
            elsewhere, foreign = _taken_elsewhere(conn, prepared, job, known)
            known -= foreign
    copy_incidents(conn, rows)
    copy_rejects(conn, job.batch_id, prepared.rejects)
    taken = 0
    if elsewhere is not None and len(elsewhere):
        copy_rejects(conn, job.batch_id, elsewhere)
        taken = len(elsewhere)
    counts.rows_read += prepared.read
    counts.rows_imported += len(rows)
    counts.rows_duplicate += prepared.duplicates_in_file + len(known)
    counts.rows_rejected += len(prepared.rejects) + taken


def _taken_elsewhere(
    conn: Connection, prepared: Prepared, job: Job, known: set[str]
) -> tuple[pd.DataFrame, set[str]]:
    """For an upload with a scope, the rejects of the rows whose reference the source holds on
    a fact outside the scope, and those references: not duplicates the uploader could look
    up, and the reason names neither that fact nor its commune."""
    assert job.scope is not None and prepared.numbers is not None and prepared.chunk is not None
    foreign = sorted(known - references_within(conn, job.source, sorted(known), job.scope))
    mask = pc.is_in(prepared.refs, value_set=pa.array(foreign, type=pa.string()))
    numbers = prepared.numbers[mask.to_numpy(zero_copy_only=False)]
    found = pd.DataFrame(
        {
            "row_number": numbers,
            "raw": raw_values(prepared.chunk, numbers),
            "reason": [TAKEN_ELSEWHERE] * len(numbers),
        }
    )
    return found, set(foreign)


def _bulk_mode(conn: Connection, path: Path) -> bool:
    """True when the file is large next to the table (estimates, not counts)."""
    estimated = path.stat().st_size // BYTES_PER_ROW_ESTIMATE
    existing = conn.execute(
        text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'incident'")
    ).scalar_one()
    return estimated >= BULK_MIN_ROWS and estimated >= BULK_RATIO * existing


def _load(
    conn: Connection,
    job: Job,
    parsed: Iterator[Parsed],
    progress: Callable[[int], None] | None,
) -> Counts:
    counts = Counts()
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
    lookups = _lookups(conn, job)
    # The stages overlap, each in its thread: reading a chunk, parsing the one before,
    # enriching and encoding the one before that, and copying (here, the only user of the
    # connection) the previous one. Much of each runs outside the GIL, and the server works
    # on the second core.
    prepared = Ahead(_prepared_chunks(parsed, job, lookups, counts), "incident-rows")
    try:
        for item in prepared:
            _write(conn, item, job, probe, counts)
            if progress and item.read:
                progress(item.read)
    finally:
        prepared.close()
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
