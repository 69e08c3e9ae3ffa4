"""Import batches: their life (running, succeeded, failed), their locks and their reading.

A batch row is written and committed on its own before the data, so that an import killed
half-way leaves a trace. While the import runs, its connection holds an advisory lock named
after the batch; a batch still "running" whose lock nobody holds was interrupted, and is
marked failed the next time anyone looks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Engine,
    Row,
    String,
    and_,
    func,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import DataError

from observatory.errors import DatabaseUnavailable, ImportBusy, InvalidInput, NotFound
from observatory.labels import unknown_label
from observatory.models import ImportBatch, ImportReject

# Advisory lock key spaces (first int4 of the two-key form).
BATCH_LOCK_SPACE = 7301
SOURCE_LOCK_SPACE = 7302

BATCH = ImportBatch.__table__
# The counts of every batch: rows_read = imported + duplicate + rejected.
COUNT_KEYS = ("rows_read", "rows_imported", "rows_duplicate", "rows_rejected")

INTERRUPTED = "Import interrompu avant la fin : aucune donnée n'a été enregistrée. Relancez-le."
STORAGE_FULL = (
    "Import annulé, aucune donnée n'a été enregistrée : le disque du serveur de base de données "
    "est plein (ou un de ses fichiers a atteint la taille permise). Libérez de l'espace sur ce "
    "disque, ou faites-le faire par l'administrateur de la base, puis relancez l'import."
)


def lock_key(name: str) -> int:
    """A stable int4 from a name, for the two-key advisory lock functions."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


def file_sha256(path: Any, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def open_batch(
    engine: Engine,
    path: Path,
    *,
    kind: str,
    run_by: str,
    source: str | None = None,
    file_name: str | None = None,
    details: dict[str, Any] | None = None,
    communes: list[str] | None = None,
) -> int:
    """A running batch for the file at ``path`` (InvalidInput when there is none), created once
    the batches whose importer died are marked failed; ``file_name`` is the name it shows (a
    re-run names the first batch's file); ``communes``: who may read it from the start (the
    scope of who uploads: a file refused as a whole is theirs to read)."""
    if not path.is_file():
        raise InvalidInput(f"Fichier introuvable : {path}")
    reap_interrupted(engine)
    return create_batch(
        engine,
        kind=kind,
        file_name=file_name or path.name,
        sha256=file_sha256(path),
        source=source,
        run_by=run_by,
        details=details,
        communes=communes,
    )


def create_batch(
    engine: Engine,
    *,
    kind: str,
    file_name: str,
    sha256: str,
    source: str | None,
    run_by: str,
    details: dict[str, Any] | None = None,
    communes: list[str] | None = None,
) -> int:
    """Insert a running batch in its own committed transaction and return its id."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO import_batch (kind, file_name, sha256, source, status, run_by, "
                    "rows_read, rows_imported, rows_duplicate, rows_rejected, details, communes) "
                    "VALUES (:kind, :file_name, :sha256, :source, 'running', :run_by, "
                    "0, 0, 0, 0, CAST(:details AS jsonb), :communes) RETURNING id"
                ),
                {
                    "kind": kind,
                    "file_name": file_name,
                    "sha256": sha256,
                    "source": source,
                    "run_by": run_by,
                    "details": json.dumps(details or {}, ensure_ascii=False),
                    "communes": communes,
                },
            ).scalar_one()
        )


def find_succeeded(engine: Engine, kind: str, sha256: str) -> int | None:
    """The id of a batch that already imported this very file, if any."""
    with engine.connect() as conn:
        found = conn.execute(
            select(ImportBatch.id)
            .where(
                ImportBatch.kind == kind,
                ImportBatch.sha256 == sha256,
                ImportBatch.status == "succeeded",
            )
            .order_by(ImportBatch.id)
            .limit(1)
        ).scalar_one_or_none()
    return int(found) if found is not None else None


def hold_batch_lock(conn: Connection, batch_id: int) -> None:
    """Mark the batch alive for as long as conn's transaction lasts."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:space, :id)"),
        {"space": BATCH_LOCK_SPACE, "id": batch_id},
    )


def try_source_lock(conn: Connection, name: str) -> bool:
    """Take the transaction lock that lets one import of a source run at a time."""
    return bool(
        conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:space, :key)"),
            {"space": SOURCE_LOCK_SPACE, "key": lock_key(name)},
        ).scalar_one()
    )


BATCH_COMMUNES = """
SELECT coalesce(array_agg(DISTINCT commune_code ORDER BY commune_code), '{}')
FROM incident WHERE batch_id = :batch AND commune_code IS NOT NULL
"""
# A batch's commune that is no commune: one of its rejected rows lies in a commune unknown, so
# that only a reader of every commune reads the batch (no scope holds it).
UNKNOWN_COMMUNE = "?"


def batch_communes(conn: Connection, batch_id: int, rejected: Iterable[str] = ()) -> list[str]:
    """Who may read a batch of facts: the communes of its facts and of its rejected rows
    (``rejected``, UNKNOWN_COMMUNE among them for a row whose commune is unknown)."""
    found = conn.execute(text(BATCH_COMMUNES), {"batch": batch_id}).scalar_one()
    return sorted({*found, *rejected})


def finish_batch(conn: Connection, batch_id: int, counts: dict[str, int], **extra: Any) -> None:
    """Record the counts and success, inside the data transaction (they commit together); an
    import of facts also records the communes that say who may see the batch: ``communes``
    when given (ingest/incidents/importer.py), else those of its facts."""
    values: dict[str, Any] = {"status": "succeeded", "finished_at": func.now()}
    kind = conn.execute(select(BATCH.c.kind).where(BATCH.c.id == batch_id)).scalar_one()
    if kind == "incidents" and "communes" not in extra:
        values["communes"] = batch_communes(conn, batch_id)
    values.update({key: counts[key] for key in COUNT_KEYS})
    values.update(extra)
    conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(**values))


@contextmanager
def batch_transaction(
    engine: Engine, batch_id: int, lock_name: str, busy_message: str
) -> Iterator[Connection]:
    """The one transaction of a batch: locks held, the batch failed and nothing kept on error.

    A value the database refuses (a DataError) becomes InvalidInput: the file was at fault.
    """
    try:
        with engine.connect() as conn, conn.begin():
            hold_batch_lock(conn, batch_id)
            if not try_source_lock(conn, lock_name):
                raise ImportBusy(busy_message)
            yield conn
    except (DataError, psycopg.DataError) as exc:
        message = (
            "La base a refusé une valeur du fichier, rien n'a été enregistré : "
            f"{getattr(exc, 'orig', exc)}"
        )
        fail_batch(engine, batch_id, message)
        raise InvalidInput(message) from exc
    except BaseException as exc:
        message = failure_message(exc)
        # A file refused as a whole may say why in a structured way (MissingColumns: its header
        # and the fields missing), for the mapping assistant of the import page.
        fail_batch(engine, batch_id, message, getattr(exc, "details", None))
        if storage_full(exc):
            raise DatabaseUnavailable(message) from exc
        raise


def storage_full(exc: BaseException) -> bool:
    """True when PostgreSQL could not write for want of disk space (or of file size)."""
    error = getattr(exc, "orig", None) or exc
    if not isinstance(error, psycopg.Error):
        return False
    # 53100 disk_full; a write refused with EFBIG (a file-size limit) comes as 54000 with the
    # same hint, from the same place (relation extension).
    hint = (error.diag.message_hint or "") if error.diag else ""
    return error.sqlstate == "53100" or hint.startswith("Check free disk space")


def failure_message(exc: BaseException) -> str:
    """What the batch says of an import that failed."""
    if isinstance(exc, InvalidInput):
        return str(exc)
    if storage_full(exc):
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return STORAGE_FULL + f" (PostgreSQL : {detail})"
    if isinstance(exc, KeyboardInterrupt):
        return "Import interrompu : aucune donnée n'a été enregistrée."
    return f"Échec de l'import, aucune donnée n'a été enregistrée : {type(exc).__name__}: {exc}"


def fail_batch(
    engine: Engine, batch_id: int, message: str, details: dict[str, Any] | None = None
) -> None:
    """Mark the batch failed, in its own transaction (the data transaction was rolled back);
    ``details`` join those the batch was created with."""
    values: dict[str, Any] = {"status": "failed", "finished_at": func.now(), "message": message}
    if details:
        values["details"] = ImportBatch.details.concat(details)
    with engine.begin() as conn:
        conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(**values))


def reap_interrupted(engine: Engine) -> int:
    """Mark failed the running batches whose importer is gone; return how many."""
    reaped = 0
    with engine.connect() as conn:
        running = list(
            conn.execute(select(ImportBatch.id).where(ImportBatch.status == "running")).scalars()
        )
        conn.rollback()
        for batch_id in running:
            with conn.begin():
                alive = not conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:space, :id)"),
                    {"space": BATCH_LOCK_SPACE, "id": batch_id},
                ).scalar_one()
                if alive:
                    continue
                conn.execute(
                    update(ImportBatch)
                    .where(ImportBatch.id == batch_id, ImportBatch.status == "running")
                    .values(status="failed", finished_at=func.now(), message=INTERRUPTED)
                )
                reaped += 1
    return reaped


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSummary:
    """What `import --json`, `imports show` and `/imports/{id}` say of a batch."""

    batch_id: int
    kind: str
    file_name: str
    source: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    rows_imported: int
    rows_duplicate: int
    rows_rejected: int
    run_by: str | None
    message: str | None
    details: dict[str, Any]

    def contract(self) -> dict[str, Any]:
        """The keys DESIGN.md promises for `import --json`."""
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            **{key: getattr(self, key) for key in COUNT_KEYS},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.contract(),
            "kind": self.kind,
            "file_name": self.file_name,
            "source": self.source,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "run_by": self.run_by,
            "message": self.message,
            "details": self.details,
        }


def _summary(batch: Row[Any]) -> BatchSummary:
    values = {f.name: getattr(batch, f.name) for f in fields(BatchSummary) if f.name != "batch_id"}
    values["details"] = values["details"] or {}
    return BatchSummary(batch_id=batch.id, **values)


def visible(scope: frozenset[str] | None) -> ColumnElement[bool]:
    """The batches a reader with this scope sees: every one for every commune (None), else
    those whose communes are known, not empty and all within the scope: the communes of its
    facts and rejected rows, or the scope of who uploaded it (a batch of boundaries or of the
    état 4001 has no communes, one with a reject of unknown commune has UNKNOWN_COMMUNE:
    neither is for a scoped reader)."""
    if scope is None:
        return true()
    return and_(
        BATCH.c.communes.is_not(None),
        func.cardinality(BATCH.c.communes) > 0,
        BATCH.c.communes.op("<@")(literal(sorted(scope), ARRAY(String(5)))),
    )


def list_batches(
    conn: Connection, *, limit: int = 50, offset: int = 0, scope: frozenset[str] | None = None
) -> list[BatchSummary]:
    rows = conn.execute(
        select(BATCH).where(visible(scope)).order_by(BATCH.c.id.desc()).limit(limit).offset(offset)
    ).all()
    return [_summary(b) for b in rows]


def count_batches(conn: Connection, scope: frozenset[str] | None = None) -> int:
    return int(
        conn.execute(select(func.count()).select_from(BATCH).where(visible(scope))).scalar_one()
    )


def get_batch(conn: Connection, batch_id: int, scope: frozenset[str] | None = None) -> BatchSummary:
    """The batch; NotFound when there is none, or when the scope does not let its reader see
    it (observatory/scopes.py)."""
    batch = conn.execute(select(BATCH).where(BATCH.c.id == batch_id, visible(scope))).one_or_none()
    if batch is None:
        raise NotFound(f"Aucun import n° {batch_id}.")
    return _summary(batch)


def read_batch(engine: Engine, batch_id: int) -> BatchSummary:
    """A batch's summary, read on a connection of its own (once its transaction is over)."""
    with engine.connect() as conn:
        return get_batch(conn, batch_id)


def list_rejects(
    conn: Connection,
    batch_id: int,
    *,
    limit: int = 100,
    offset: int = 0,
    scope: frozenset[str] | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Total and one page of a batch's rejected rows, in file order.

    A row rejected for an unknown category carries the closest categories (``suggestions``,
    code and label), as the import found them; other rows an empty list. A row imported again
    by a later batch (ingest.incidents.remap) names it (``rerun_batch_id``). A reader with a
    scope reads the rejects of the batches it sees only (``get_batch``).
    """
    suggested = get_batch(conn, batch_id, scope).details.get("category_suggestions") or {}
    total = conn.execute(
        select(func.count()).select_from(ImportReject).where(ImportReject.batch_id == batch_id)
    ).scalar_one()
    rows = conn.execute(
        select(
            ImportReject.row_number,
            ImportReject.reason,
            ImportReject.raw,
            ImportReject.rerun_batch_id,
        )
        .where(ImportReject.batch_id == batch_id)
        .order_by(ImportReject.row_number, ImportReject.id)
        .limit(limit)
        .offset(offset)
    )
    return int(total), [
        {
            "row_number": r.row_number,
            "reason": r.reason,
            "raw": r.raw,
            "suggestions": _suggestions(suggested, r.reason),
            "rerun_batch_id": r.rerun_batch_id,
        }
        for r in rows
    ]


def _suggestions(suggested: dict[str, Any], reason: str) -> list[dict[str, str]]:
    label = unknown_label(reason) if suggested else None
    found = suggested.get(label.replace("\0", "\ufffd")) if label is not None else None
    return list(found) if isinstance(found, list) else []
