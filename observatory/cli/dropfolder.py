"""What the drop-folder commands share (``import etat4001 DIR``, ``import incidents DIR``).

Their options (--log-file, --done-dir, --settle), the run, and what it says: one French summary
line on standard output (or ``--json``), the reasons of the refused files on standard error,
exit 1 when a file was refused or failed. The logic of a run is ``ingest.dropfolder``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ingest.dropfolder import FolderImporter

LogFileOption = Annotated[
    Path | None,
    typer.Option(
        "--log-file",
        dir_okay=False,
        help="Journal (ajout) ; pour un dossier, par défaut DOSSIER/observatory-<type>.log",
    ),
]
DoneDirOption = Annotated[
    Path | None,
    typer.Option(
        "--done-dir", file_okay=False, help="Où ranger les fichiers importés (DOSSIER/importes)"
    ),
]
SettleOption = Annotated[
    float,
    typer.Option(
        "--settle",
        min=0,
        help="Dossier : âge minimal d'un fichier, en secondes (une copie en cours attend)",
    ),
]
DEFAULT_SETTLE = 60.0


def run_folder(
    directory: Path,
    importer: Callable[[], FolderImporter],
    *,
    as_json: bool,
    log_file: Path | None,
    done_dir: Path | None,
    settle: float,
) -> None:
    """One pass over the drop folder, said as a scheduled job says it."""
    from ingest.dropfolder import run_drop_folder
    from observatory.cli.imports import engine_scope, run_by  # it imports this module

    with engine_scope() as engine:
        result = run_drop_folder(
            engine,
            directory,
            importer(),
            done_dir=done_dir,
            log_file=log_file,
            settle=settle,
            run_by=run_by(),
        )
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False) if as_json else result.line())
    for outcome in result.files:
        if outcome.status in ("refused", "failed"):
            message = outcome.message or ""
            prefix = "" if message.startswith(outcome.name) else f"{outcome.name} : "
            typer.echo(f"{prefix}{message}", err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@contextmanager
def logging_to(path: Path | None, logger_name: str) -> Iterator[None]:
    """Append the importer's log lines to this file, if one is given (an import of one file)."""
    if path is None:
        yield
        return
    from ingest.dropfolder import LOG_FORMAT

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()
