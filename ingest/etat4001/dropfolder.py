"""The état 4001 drop folder: what ``ingest.dropfolder`` needs to import its files unattended.

``observatory import etat4001 DIR`` (the scheduled job) runs ``run_drop_folder`` with
``ETAT4001_FOLDER``: the extracts (.xlsx, .csv), the log ``DIR/observatory-etat4001.log``, a
summary that counts the figures new and revised.
"""

from __future__ import annotations

import logging
from typing import Any

from ingest.dropfolder import FileOutcome, FolderImporter, plural
from ingest.etat4001.importer import EXTENSIONS, KIND, import_etat4001
from observatory.imports import BatchSummary

LOG_NAME = "observatory-etat4001.log"


def _counts(summary: BatchSummary) -> dict[str, Any]:
    return {key: summary.details.get(key, 0) for key in ("inserted", "revised")}


def _tally(imported: list[FileOutcome]) -> str:
    new = sum(f.counts.get("inserted", 0) for f in imported)
    revised = sum(f.counts.get("revised", 0) for f in imported)
    return (
        f"{plural(new, 'chiffre nouveau', 'chiffres nouveaux')}, "
        f"{plural(revised, 'révisé', 'révisés')}"
    )


ETAT4001_FOLDER = FolderImporter(
    kind=KIND,
    title="État 4001",
    extensions=EXTENSIONS,
    log_name=LOG_NAME,
    logger=logging.getLogger("observatory.etat4001.depot"),
    importer_logger="ingest.etat4001",
    run=lambda engine, path, run_by: import_etat4001(engine, path, run_by=run_by),
    counts=_counts,
    tally=_tally,
    busy="un autre import de l'état 4001 est en cours",
)
