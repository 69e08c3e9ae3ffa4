"""Some rejects of a batch imported again as a new batch: what regeocode and remap share.

The rejects of a succeeded incident batch that a re-run takes (by their reason: an address
the geocoder could not place, a category label it did not know) are written back, from the
values kept with each reject, into a ;-separated UTF-8 CSV file under their original headers,
and imported as a new batch of the same source. That batch's rows keep their row numbers in
the first file; its record names the batch it re-ran, and the first batch's record the batches
that re-ran it (each kind of re-run under its own keys of ``details``).

The accounting stays exact in both. The first batch's counts are what its file gave at the
time and never change; each reject re-run is marked with the new batch
(``import_reject.rerun_batch_id``) in the new batch's transaction, and is never re-run from
that batch again. The new batch reads exactly those rows and imports, finds as duplicates or
rejects each of them again: rows_read = imported + duplicates + rejected. A row is thus counted
rejected in the first batch and imported in the second, never imported twice; what is still
rejected is the first batch's rejects not re-run, plus the new batch's own.
"""

from __future__ import annotations

import csv
import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, text

from ingest.incidents.importer import Rerun, import_incidents
from ingest.incidents.mapping import Mapping, load_profile
from observatory.errors import InvalidInput
from observatory.imports import BatchSummary, get_batch
from observatory.settings import Settings

# The batch's rejects not yet re-run whose reason a re-run takes (values bound, no text built).
OPEN_REASONS = text(
    "SELECT reason, count(*) AS rows FROM import_reject WHERE batch_id = :batch "
    "AND rerun_batch_id IS NULL AND reason LIKE ANY(:patterns) GROUP BY reason"
)
OPEN_REJECTS = text(
    "SELECT id, row_number, raw FROM import_reject WHERE batch_id = :batch "
    "AND rerun_batch_id IS NULL AND reason LIKE ANY(:patterns) ORDER BY row_number, id"
)


@dataclasses.dataclass(frozen=True)
class RerunKind:
    """Which rejects a re-run takes, and the words and ``details`` keys it writes."""

    patterns: tuple[str, ...]  # LIKE patterns of the reasons it takes
    reasons: str  # those reasons, as the messages name them
    verb: str  # « rien à {verb} »
    done: str  # « viennent d'être {done} par un autre lot »
    title: str  # the new batch's file name: « {file} ({title} du lot N) »
    slug: str  # the CSV file written: {slug}-lot-N.csv
    of_key: str  # the new batch's details: the batch it re-ran
    by_key: str  # the first batch's details: the batches that re-ran it
    refused: str | None = None  # what to say of a file refused as a whole
    check: Callable[[Settings], None] | None = None  # refuses when the re-run cannot work now


def open_reasons(conn: Connection, batch_id: int, kind: RerunKind) -> list[tuple[str, int]]:
    """The reasons of the batch's rejects not yet re-run that ``kind`` takes, with their rows."""
    counted = conn.execute(
        OPEN_REASONS,
        {"batch": batch_id, "patterns": list(kind.patterns)},
    )
    return [(str(reason), int(rows)) for reason, rows in counted]


def rerun_batch(
    engine: Engine,
    batch_id: int,
    kind: RerunKind,
    *,
    settings: Settings,
    mapping: Mapping | None = None,
    mapping_name: str | None = None,
    run_by: str = "cli",
    progress: Callable[[int], None] | None = None,
    scope: frozenset[str] | None = None,
) -> BatchSummary:
    """Import again, as a new batch, the batch's rejects that ``kind`` takes; its summary.

    ``mapping`` (default: the saved mapping the first batch was read with, else the municipal
    profile): its reading options (separator, encoding, sheet, header row) do not apply to the
    file written here; its columns, categories, dates and places do. ``mapping_name``: the
    saved mapping it comes from, kept in the details. ``scope``: the communes of who asks (a
    batch it cannot see is not found; rows outside it are rejected again).
    """
    if scope is not None:
        with engine.connect() as conn:
            get_batch(conn, batch_id, scope)
    first, rejects = _open_rejects(engine, batch_id, kind)
    if kind.check is not None:
        kind.check(settings)
    saved = (first.details or {}).get("mapping")
    if mapping is None and isinstance(saved, str):
        # The first batch read its file with a saved mapping: its rows are read with it again.
        from ingest.incidents.saved import load_saved

        with engine.connect() as conn:
            mapping, mapping_name = load_saved(conn, saved), saved
    ids = [int(r.id) for r in rejects]
    written = dataclasses.replace(
        mapping or load_profile("municipal"),
        separator=";",
        encoding="utf-8",
        sheet=None,
        header_row=None,
    )

    def finish(conn: Connection, new_batch: int) -> dict[str, Any]:
        marked = conn.execute(
            text(
                "UPDATE import_reject SET rerun_batch_id = :new "
                "WHERE id = ANY(:ids) AND rerun_batch_id IS NULL"
            ),
            {"new": new_batch, "ids": ids},
        ).rowcount
        if marked != len(ids):  # another batch re-ran some of them meanwhile
            raise InvalidInput(
                f"Les rejets du lot n° {batch_id} viennent d'être {kind.done} par un autre lot : "
                "rien n'a été enregistré."
            )
        conn.execute(
            text(
                "UPDATE import_batch SET details = jsonb_set(details, ARRAY[CAST(:key AS text)], "
                "coalesce(details->CAST(:key AS text), '[]'::jsonb) "
                "|| to_jsonb(CAST(:new AS bigint))) WHERE id = :first"
            ),
            {"key": kind.by_key, "new": new_batch, "first": batch_id},
        )
        return {kind.of_key: batch_id}

    with tempfile.TemporaryDirectory(prefix="obs-rerun-") as folder:
        path = Path(folder) / f"{kind.slug}-lot-{batch_id}.csv"
        lines = write_rows(path, [r.raw or {} for r in rejects])
        rerun = Rerun(
            row_numbers=dict(zip(lines, (int(r.row_number) for r in rejects), strict=True)),
            file_name=f"{first.file_name} ({kind.title} du lot {batch_id})",
            finish=finish,
        )
        return import_incidents(
            engine,
            path,
            settings=settings,
            mapping=written,
            source=first.source,
            run_by=run_by,
            progress=progress,
            rerun=rerun,
            mapping_name=mapping_name,
            scope=scope,
        )


def _open_rejects(
    engine: Engine, batch_id: int, kind: RerunKind
) -> tuple[BatchSummary, Sequence[Row[Any]]]:
    """The batch and its rejects not yet re-run that ``kind`` takes; InvalidInput if none."""
    with engine.connect() as conn:
        first = get_batch(conn, batch_id)
        if kind.refused and first.kind == "incidents" and first.status == "failed":
            raise InvalidInput(f"Le lot n° {batch_id} a été refusé en entier. {kind.refused}")
        if first.kind != "incidents" or first.status != "succeeded":
            raise InvalidInput(
                f"Le lot n° {batch_id} n'est pas un import de faits réussi : rien à {kind.verb}."
            )
        rejects = conn.execute(
            OPEN_REJECTS,
            {"batch": batch_id, "patterns": list(kind.patterns)},
        ).all()
    if not rejects:
        raise InvalidInput(
            f"Le lot n° {batch_id} n'a aucun rejet {kind.reasons} à {kind.verb} "
            "(ou ils l'ont déjà été)."
        )
    return first, rejects


def write_rows(path: Path, raws: list[dict[str, Any]]) -> list[int]:
    """The rows as a ;-separated UTF-8 CSV under their headers; the line of each row."""
    header = list(dict.fromkeys(key for raw in raws for key in raw))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        for raw in raws:
            writer.writerow([_cell(raw.get(name)) for name in header])
    return list(range(2, len(raws) + 2))


def _cell(value: Any) -> str:
    """A value on one line: each row is one line, so that its line gives back its number."""
    if value is None:
        return ""
    return " ".join(str(value).splitlines())
