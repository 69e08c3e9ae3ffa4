"""A drop folder: import every new file dropped in a folder, unattended (the scheduled jobs).

One module for every source; what differs from one to another (the importer, the extensions it
takes, the log's name, the logger, the words of the summary) is a ``FolderImporter``
(``ingest.etat4001.dropfolder``, ``ingest.incidents.dropfolder``). One run:

1. takes the folder's lock (``fcntl.flock`` on ``DIR/.observatory.lock``, not blocking): when
   another run holds it, says so and stops at once (status ``busy``; the command exits 0, so
   that a cron job that fires while a long import runs sends no mail);
2. lists the regular files of DIR (not its sub-folders) with an accepted extension, oldest
   first (an older export before a newer one, so that the newer one's figures stand), leaving
   out hidden files, Office lock files (``~$…``) and files modified less than ``settle``
   seconds ago (a copy still under way: taken by the next run);
3. for each file: a file already imported (same sha256 as a succeeded batch of the same kind)
   is moved to the done folder without a new batch; a new one is imported as one batch (the
   database batch lock keeps two importers, of any folder, from running at once) and moved to
   the done folder (``DIR/importes/``, or ``done_dir``) — a batch with rejected rows is
   imported, its rejects are in the batch; a file refused as a whole (not a file of this kind,
   unreadable, columns missing) is moved to ``DIR/refuses/`` with ``NAME.txt`` beside it giving
   the reason. A file that could not be imported for another reason (an unexpected error) stays
   where it is for the next run; when another importer holds the database lock the run stops
   there and the files wait;
4. appends its log lines to ``log_file`` (default ``DIR/<log_name>``) and returns a report whose
   ``line()`` is the one-line French summary, ``as_dict()`` its JSON, and ``exit_code`` 0 (done,
   nothing new, busy) or 1 (a file refused or failed).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine

from observatory.errors import ImportBusy, InvalidInput
from observatory.imports import BatchSummary, file_sha256, find_succeeded

LOCK_NAME = ".observatory.lock"
DONE_NAME = "importes"
REFUSED_NAME = "refuses"
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
STATUSES = ("imported", "already", "refused", "failed", "waiting")


@dataclass(frozen=True)
class FolderImporter:
    """What one source's drop folder imports, and how its summary speaks of it."""

    kind: str  # the batches' kind: a file already imported is found among them
    title: str  # the summary line's first words: « État 4001 », « Incidents »
    extensions: tuple[str, ...]  # lower case, with the dot
    log_name: str  # the log file's name in the folder
    logger: logging.Logger  # the run's own lines
    importer_logger: str  # the importer's logger, whose lines go to the log file too
    run: Callable[[Engine, Path, str], BatchSummary]  # (engine, file, run_by): one batch
    counts: Callable[[BatchSummary], dict[str, Any]]  # a batch's figures the summary adds up
    tally: Callable[[list[FileOutcome]], str]  # the imported files' figures, in French
    busy: str  # said when another importer holds the database lock


@dataclass
class FileOutcome:
    """What became of one file: imported, already (imported before), refused, failed, waiting."""

    name: str
    status: str
    batch_id: int | None = None
    message: str | None = None
    moved_to: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "status": self.status,
            "batch_id": self.batch_id,
            "message": self.message,
            "moved_to": self.moved_to,
            **self.counts,
        }


@dataclass
class RunReport:
    directory: Path
    importer: FolderImporter
    busy: bool = False
    stopped_busy: bool = False
    files: list[FileOutcome] = field(default_factory=list)

    def of(self, status: str) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]

    @property
    def exit_code(self) -> int:
        return 1 if self.of("refused") or self.of("failed") else 0

    @property
    def status(self) -> str:
        if self.busy:
            return "busy"
        return "refused" if self.exit_code else "done"

    def line(self) -> str:
        """The one-line French summary."""
        where = f"{self.importer.title}, dépôt {self.directory}"
        if self.busy:
            return f"{where} : un autre passage est en cours, rien fait cette fois."
        imported = self.of("imported")
        parts = []
        if imported:
            lots = ", ".join(str(f.batch_id) for f in imported)
            parts.append(
                f"{plural(len(imported), 'fichier importé', 'fichiers importés')} "
                f"(lot{'s' if len(imported) > 1 else ''} {lots} : {self.importer.tally(imported)})"
            )
        for status, one, many in (
            ("already", "déjà importé", "déjà importés"),
            ("refused", "refusé", "refusés"),
            ("failed", "en échec", "en échec"),
            ("waiting", "en attente (copie récente)", "en attente (copie récente)"),
        ):
            if self.of(status):
                parts.append(plural(len(self.of(status)), one, many))
        if self.stopped_busy:
            parts.append(f"arrêt : {self.importer.busy}")
        return f"{where} : {', '.join(parts) if parts else 'aucun nouveau fichier'}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "status": self.status,
            "summary": self.line(),
            "files": [f.as_dict() for f in self.files],
            **{s: len(self.of(s)) for s in STATUSES},
        }


def run_drop_folder(
    engine: Engine,
    directory: Path,
    importer: FolderImporter,
    *,
    done_dir: Path | None = None,
    refused_dir: Path | None = None,
    log_file: Path | None = None,
    settle: float = 0.0,
    run_by: str = "cli",
) -> RunReport:
    """One pass over the drop folder (see the module docstring)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidInput(f"Dossier introuvable : {directory}")
    folders = Folders(
        Path(done_dir) if done_dir else directory / DONE_NAME,
        Path(refused_dir) if refused_dir else directory / REFUSED_NAME,
    )
    report = RunReport(directory=directory, importer=importer)
    log = importer.logger
    with (
        _file_log(log_file or directory / importer.log_name, importer),
        _folder_lock(directory) as locked,
    ):
        if not locked:
            report.busy = True
            log.info("Un autre passage tient le verrou de %s : rien fait.", directory)
            return report
        log.info("Passage sur %s (lancé par %s)", directory, run_by)
        try:
            for path in _candidates(directory, settle, report):
                outcome = _one_file(engine, path, importer, folders, run_by)
                if outcome.status == "busy":
                    report.stopped_busy = True
                    break
                report.files.append(outcome)
        except Exception as exc:
            if _database_down(exc):
                log.error("Base de données injoignable, passage interrompu : %s", exc)
            raise
        log.info(report.line())
    return report


@dataclass(frozen=True)
class Folders:
    done: Path
    refused: Path


def _candidates(directory: Path, settle: float, report: RunReport) -> list[Path]:
    now = time.time()
    found = []
    for entry in os.scandir(directory):
        if not entry.is_file(follow_symlinks=False) or entry.name.startswith((".", "~$")):
            continue
        if not entry.name.lower().endswith(report.importer.extensions):
            continue
        mtime = entry.stat().st_mtime
        if now - mtime < settle:
            report.files.append(FileOutcome(entry.name, "waiting"))
            report.importer.logger.info(
                "%s : modifié il y a moins de %s s, pris au prochain passage", entry.name, settle
            )
            continue
        found.append((mtime, entry.name, Path(entry.path)))
    return [path for _, _, path in sorted(found)]


def _one_file(
    engine: Engine, path: Path, importer: FolderImporter, folders: Folders, run_by: str
) -> FileOutcome:
    name = path.name
    log = importer.logger
    earlier = find_succeeded(engine, importer.kind, file_sha256(path))
    if earlier is not None:
        moved = _move(path, folders.done)
        log.info("%s : déjà importé (lot %s), déplacé vers %s", name, earlier, moved)
        return FileOutcome(name, "already", earlier, f"Déjà importé (lot {earlier}).", str(moved))
    try:
        summary = importer.run(engine, path, run_by)
    except ImportBusy as exc:
        log.warning("%s : %s Il attend le prochain passage.", name, exc)
        return FileOutcome(name, "busy", message=str(exc))
    except InvalidInput as exc:
        moved = _move(path, folders.refused)
        reason = moved.with_name(moved.name + ".txt")
        reason.write_text(
            f"{name} refusé le {datetime.now():%d/%m/%Y à %H:%M:%S}\n\n{exc}\n", encoding="utf-8"
        )
        log.error("%s : refusé, déplacé vers %s : %s", name, moved, exc)
        return FileOutcome(name, "refused", message=str(exc), moved_to=str(moved))
    except Exception as exc:
        if _database_down(exc):
            raise
        log.exception("%s : échec inattendu, le fichier reste en place", name)
        return FileOutcome(name, "failed", message=f"{type(exc).__name__}: {exc}")
    moved = _move(path, folders.done)
    counts = {**summary.contract(), **importer.counts(summary)}
    counts.pop("batch_id")
    counts.pop("status")
    outcome = FileOutcome(name, "imported", summary.batch_id, None, str(moved), counts)
    log.info(
        "%s : lot %s (%s), déplacé vers %s",
        name,
        summary.batch_id,
        importer.tally([outcome]),
        moved,
    )
    return outcome


def _database_down(exc: Exception) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError)


def _move(path: Path, folder: Path) -> Path:
    """Move the file into folder, never over another one (name-2.xlsx, name-3.xlsx, …)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    number = 1
    while target.exists() or target.with_name(target.name + ".txt").exists():
        number += 1
        target = folder / f"{path.stem}-{number}{path.suffix}"
    shutil.move(str(path), target)
    return target


@contextmanager
def _folder_lock(directory: Path) -> Iterator[bool]:
    handle: TextIO = open(directory / LOCK_NAME, "a+")  # noqa: SIM115 (held for the run)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()} {datetime.now().isoformat(timespec='seconds')}\n")
            handle.flush()
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


@contextmanager
def _file_log(path: Path, importer: FolderImporter) -> Iterator[None]:
    """Send this run's log lines (and the importer's) to the log file only.

    They do not reach standard error: a scheduled run says its one line on standard output
    and its refusals on standard error (the command does), and nothing else.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    loggers = [importer.logger, logging.getLogger(importer.importer_logger)]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        handler.close()


def plural(count: int, one: str, many: str) -> str:
    """« 1 fichier », « 2 fichiers » (French: 0 takes the singular)."""
    return f"{count} {one if count <= 1 else many}"
