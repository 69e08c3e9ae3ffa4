"""The incidents drop folder: what ``ingest.dropfolder`` needs to import a town's nightly
exports unattended.

``observatory import incidents DIR --mapping NAME`` (the scheduled job) runs
``run_drop_folder`` with ``incidents_folder(…)``: the files the incident importer takes, the
log ``DIR/observatory-incidents.log``, a summary that counts the incidents imported, the
duplicates and the rejected rows. A file whose batch has rejected rows is imported (the rows
are in the batch: ``observatory imports show N``); only a file refused as a whole goes to
``refuses/``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ingest.dropfolder import FileOutcome, FolderImporter, plural
from ingest.filetypes import INCIDENT_TYPES, SUFFIXES
from ingest.incidents.importer import import_incidents
from ingest.incidents.mapping import Mapping
from observatory.imports import BatchSummary
from observatory.settings import Settings

LOG_NAME = "observatory-incidents.log"
# Left out: a bare .shp needs its .dbf and .shx beside it (a drop folder takes the zipped
# Shapefile), and a .txt dropped in the folder is far more often a note than an export.
EXTENSIONS = tuple(
    suffix for kind in INCIDENT_TYPES for suffix in SUFFIXES[kind] if suffix not in (".shp", ".txt")
)


def _tally(imported: list[FileOutcome]) -> str:
    def total(key: str) -> int:
        return sum(f.counts.get(key, 0) for f in imported)

    return (
        f"{plural(total('rows_imported'), 'fait importé', 'faits importés')}, "
        f"{plural(total('rows_duplicate'), 'doublon', 'doublons')}, "
        f"{plural(total('rows_rejected'), 'ligne rejetée', 'lignes rejetées')}"
    )


def _no_more_counts(summary: BatchSummary) -> dict[str, Any]:
    return {}  # the batch's own counts (rows read, imported, duplicate, rejected) say it all


def incidents_folder(
    settings: Settings,
    mapping: Mapping,
    source: str | None = None,
    mapping_name: str | None = None,
) -> FolderImporter:
    """The incidents drop folder, every file read with this mapping (``mapping_name``: the
    saved mapping it comes from, named in each batch's details)."""

    def run(engine: Engine, path: Path, run_by: str) -> BatchSummary:
        return import_incidents(
            engine,
            path,
            settings=settings,
            mapping=mapping,
            source=source,
            run_by=run_by,
            mapping_name=mapping_name,
        )

    return FolderImporter(
        kind="incidents",
        title="Incidents",
        extensions=EXTENSIONS,
        log_name=LOG_NAME,
        logger=logging.getLogger("observatory.incidents.depot"),
        importer_logger="ingest.incidents",
        run=run,
        counts=_no_more_counts,
        tally=_tally,
        busy="un autre import de cette source est en cours",
    )
