"""Import an état 4001 file as one batch: national workbook, local extract or tidy CSV.

A figure is identified by (period, perimeter, département, service, index). Each figure cell
read is one row of the batch's accounting, and ends in exactly one of:

- imported: ``inserted`` (a new figure) or ``revised`` (the file gives another count for a
  stored figure: the new count replaces it, and the change is kept in ``etat4001_revision``
  with the old count and the batch that had given it);
- duplicate: ``unchanged`` (the stored figure has that very count) or given twice in the file
  with the same count;
- rejected, with a French reason, into ``import_reject``: a value that is not a whole number
  zero or more, a row without a valid index, a column without département or service, the same
  figure given twice in the file with two different counts (the first one is kept).

So importing the same file twice imports nothing the second time, and a newer edition replaces
the figures it revises, for the periods it covers, and leaves the others alone. A figure the
newer edition no longer gives is kept; for the national workbook, the services stored for a
(year, force, département) the file covers but absent from it are listed in the details
(``absent_services``), because a renamed service would otherwise be counted twice.

The batch ``details``: format, sheets read and set aside, periods, inserted / revised /
unchanged / duplicates in the file, ``revisions_sample`` (the first 20 changes), empty cells
(not figures), labels that differ from the published nomenclature.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from ingest.etat4001.cells import EXPECTED, STAGE_COLUMNS, Sheet
from ingest.etat4001.local import read_local
from ingest.etat4001.national import national_sheets, read_national
from ingest.etat4001.tidy import read_tidy
from ingest.filetypes import ETAT4001_TYPES, allowed_file
from observatory.errors import InvalidInput
from observatory.imports import (
    BatchSummary,
    batch_transaction,
    finish_batch,
    open_batch,
    read_batch,
)

log = logging.getLogger(__name__)

KIND = "etat4001"
EXTENSIONS = (".xlsx", ".csv")
SAMPLE_SIZE = 20


CREATE_STAGE = """
CREATE TEMP TABLE etat4001_stage (
    cell_no integer PRIMARY KEY,
    row_number integer NOT NULL,
    sheet text,
    cell text,
    period text,
    perimeter text,
    department text,
    service text,
    direction text,
    index smallint,
    count integer,
    value text,
    raw text,
    reason text,
    status text,
    old_count integer,
    old_batch_id bigint
) ON COMMIT DROP
"""

RESOLVE = (
    # Given twice in the file: the first stands; the same count again is a duplicate, another
    # count is rejected (which one would be right cannot be told). Found by a hash aggregate:
    # only the few repeated cells are then updated.
    """
    CREATE TEMP TABLE etat4001_repeated ON COMMIT DROP AS
    SELECT period, perimeter, department, service, index, min(cell_no) AS first_no
    FROM etat4001_stage WHERE reason IS NULL
    GROUP BY period, perimeter, department, service, index HAVING count(*) > 1
    """,
    """
    UPDATE etat4001_stage AS s
    SET status = CASE WHEN s.count = f.count THEN 'repeated' END,
        reason = CASE WHEN s.count = f.count THEN NULL ELSE format(
            'Chiffre donné deux fois dans le fichier avec deux valeurs : %s ici, %s %s ; '
            'le premier est gardé', s.count, f.count,
            CASE WHEN f.cell IS NULL THEN format('ligne %s', f.row_number)
                 ELSE format('feuille « %s », cellule %s', f.sheet, f.cell) END) END
    FROM etat4001_repeated AS d JOIN etat4001_stage AS f ON f.cell_no = d.first_no
    WHERE (s.period, s.perimeter, s.department, s.service, s.index)
        = (d.period, d.perimeter, d.department, d.service, d.index)
      AND s.cell_no <> d.first_no
    """,
    # One hash join with the stored figures: what is new, what is revised (unchanged figures,
    # usually most of a re-import, are left out).
    """
    CREATE TEMP TABLE etat4001_todo ON COMMIT DROP AS
    SELECT s.cell_no, e.id AS figure_id, e.count AS old_count, e.batch_id AS old_batch_id
    FROM etat4001_stage AS s LEFT JOIN etat4001 AS e
        ON e.period = s.period AND e.perimeter = s.perimeter AND e.department = s.department
       AND e.service = s.service AND e.index = s.index
    WHERE s.reason IS NULL AND s.status IS NULL AND (e.id IS NULL OR e.count <> s.count)
    """,
    """
    INSERT INTO import_reject (batch_id, row_number, raw, reason)
    SELECT :batch_id, row_number,
           coalesce(raw::jsonb, jsonb_strip_nulls(jsonb_build_object(
               'feuille', sheet, 'cellule', cell, 'valeur', value, 'période', period,
               'périmètre', perimeter, 'département', department, 'service', service,
               'index', index))),
           reason
    FROM etat4001_stage WHERE reason IS NOT NULL ORDER BY cell_no
    """,
    """
    INSERT INTO etat4001_revision (batch_id, period, perimeter, department, service, index,
                                   old_count, new_count, old_batch_id)
    SELECT :batch_id, s.period, s.perimeter, s.department, s.service, s.index, r.old_count,
           s.count, r.old_batch_id
    FROM etat4001_todo AS r JOIN etat4001_stage AS s USING (cell_no)
    WHERE r.figure_id IS NOT NULL ORDER BY cell_no
    """,
    """
    UPDATE etat4001 AS e
    SET count = s.count, batch_id = :batch_id, direction = coalesce(s.direction, e.direction)
    FROM etat4001_todo AS r JOIN etat4001_stage AS s USING (cell_no)
    WHERE e.id = r.figure_id
    """,
)

INSERT_NEW = """
INSERT INTO etat4001 (period, perimeter, department, service, index, count, batch_id, direction)
SELECT s.period, s.perimeter, s.department, s.service, s.index, s.count, :batch_id, s.direction
FROM etat4001_todo AS t JOIN etat4001_stage AS s USING (cell_no)
WHERE t.figure_id IS NULL
ORDER BY s.cell_no
"""

SUMMARY = """
SELECT count(*) AS read,
       count(*) FILTER (WHERE reason IS NOT NULL) AS rejected,
       count(*) FILTER (WHERE status = 'repeated') AS repeated,
       (SELECT count(*) FROM (SELECT DISTINCT perimeter, department, service
                              FROM etat4001_stage WHERE reason IS NULL) AS d) AS services,
       (SELECT array_agg(period ORDER BY period) FROM (SELECT DISTINCT period
                              FROM etat4001_stage WHERE reason IS NULL) AS d) AS periods
FROM etat4001_stage
"""

REVISIONS_SAMPLE = """
SELECT period, perimeter, department, service, index, old_count AS old, new_count AS new
FROM etat4001_revision WHERE batch_id = :batch_id ORDER BY id LIMIT :limit
"""

ABSENT_SERVICES = """
SELECT e.period, e.perimeter, e.department, e.service
FROM etat4001 AS e
WHERE (e.period, e.perimeter, e.department) IN (
    SELECT period, perimeter, department FROM etat4001_stage WHERE reason IS NULL
)
EXCEPT
SELECT period, perimeter, department, service FROM etat4001_stage WHERE reason IS NULL
ORDER BY 1, 2, 3, 4
"""
# A set difference has no nested-loop plan: it stays linear whatever the planner believes of
# a table that has just grown by a million rows in this transaction (the statistics are
# refreshed first all the same).


# -- reading ----------------------------------------------------------------------------------


class Reading:
    """An opened file: its format and the sheets it yields (read lazily, one at a time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ignored: list[str] = []
        self.workbook: Any = None
        suffix = path.suffix.lower()
        if suffix in (".csv", ".xlsx"):
            with allowed_file(path, ETAT4001_TYPES):  # the content is what the name says
                pass
        if suffix == ".csv":
            self.format = "tidy"
        elif suffix == ".xlsx":
            self.workbook = _open_workbook(path)
            found = national_sheets(self.workbook.sheetnames)
            self.format = "national" if found else "local"
            if found:
                names = {name for name, _, _ in found}
                self.ignored = [n for n in self.workbook.sheetnames if n not in names]
        else:
            raise InvalidInput(
                f"{path.name} : format non reconnu (extension « {path.suffix or 'aucune'} »). "
                + EXPECTED
            )

    def sheets(self) -> Iterator[Sheet]:
        if self.format == "tidy":
            yield read_tidy(self.path)
        elif self.format == "national":
            yield from read_national(self.workbook)
        else:
            yield from read_local(self.workbook, self.ignored)

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(
            f"{path.name} n'est pas un classeur Excel lisible (fichier abîmé, copie inachevée "
            f"ou autre format renommé en .xlsx) : {exc}. {EXPECTED}"
        ) from exc


# -- the batch --------------------------------------------------------------------------------


def import_etat4001(
    engine: Engine,
    path: Path,
    *,
    run_by: str = "cli",
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Import one état 4001 file as one batch (one transaction) and return its summary."""
    batch_id = open_batch(engine, Path(path), kind=KIND, run_by=run_by)
    busy = "Un import de l'état 4001 est déjà en cours : attendez sa fin puis relancez celui-ci."
    with batch_transaction(engine, batch_id, KIND, busy) as conn:
        reading = Reading(Path(path))
        try:
            counts, details = _load(conn, batch_id, reading, progress)
        finally:
            reading.close()
        finish_batch(conn, batch_id, counts, details=details)
    return read_batch(engine, batch_id)


def _load(
    conn: Connection,
    batch_id: int,
    reading: Reading,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, int], dict[str, Any]]:
    conn.execute(text("SET LOCAL work_mem = '256MB'"))  # a million figures: hash in memory
    conn.execute(text(CREATE_STAGE))
    sheets: list[str] = []
    empty = 0
    labels: dict[int, str] = {}
    staged = 0
    for sheet in reading.sheets():
        staged = _copy(conn, sheet.rows, staged)
        sheets.append(sheet.name)
        empty += sheet.empty_cells
        for index, label in sheet.label_differences.items():
            labels.setdefault(index, label)
        log.info("%s, « %s » : %s chiffres lus", reading.path.name, sheet.name, len(sheet.rows))
        if progress is not None:
            progress(len(sheet.rows))
    if staged == 0:
        raise InvalidInput(
            f"{reading.path.name} ne contient aucun chiffre de l'état 4001 "
            f"({empty} cellules vides). " + EXPECTED
        )
    conn.execute(text("ANALYZE etat4001_stage"))
    for statement in RESOLVE:
        conn.execute(text(statement), {"batch_id": batch_id})
    revised = conn.execute(
        text("SELECT count(*) FROM etat4001_todo WHERE figure_id IS NOT NULL")
    ).scalar_one()
    inserted = conn.execute(text(INSERT_NEW), {"batch_id": batch_id}).rowcount
    summary = conn.execute(text(SUMMARY)).one()
    unchanged = summary.read - summary.rejected - summary.repeated - revised - inserted
    counts = {
        "rows_read": summary.read,
        "rows_imported": inserted + revised,
        "rows_duplicate": unchanged + summary.repeated,
        "rows_rejected": summary.rejected,
    }
    periods = list(summary.periods or [])
    details: dict[str, Any] = {
        "format": reading.format,
        "sheets": sheets,
        "ignored_sheets": reading.ignored,
        "periods": periods,
        "services": summary.services,
        "inserted": inserted,
        "revised": revised,
        "unchanged": unchanged,
        "repeated_in_file": summary.repeated,
        "revisions_sample": [
            dict(r._mapping)
            for r in conn.execute(
                text(REVISIONS_SAMPLE), {"batch_id": batch_id, "limit": SAMPLE_SIZE}
            )
        ],
        "empty_cells": empty,
        "label_differences": {str(k): v for k, v in sorted(labels.items())},
    }
    if reading.format == "national":
        conn.execute(text("ANALYZE etat4001"))
        absent = [dict(r._mapping) for r in conn.execute(text(ABSENT_SERVICES))]
        details["absent_services"] = absent[:SAMPLE_SIZE]
        details["absent_services_count"] = len(absent)
        if absent:
            log.warning(
                "%s : %s services déjà enregistrés pour les années couvertes n'y figurent plus "
                "(renommés ?) : %s",
                reading.path.name,
                len(absent),
                ", ".join(sorted({a["service"] for a in absent})[:5]),
            )
    log.info("Lot %s : %s, détails %s", batch_id, counts, _short(details))
    return counts, details


def _copy(conn: Connection, rows: list[tuple[Any, ...]], start: int) -> int:
    """COPY the rows into the stage, numbered from start + 1; return the new total."""
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = f"COPY etat4001_stage (cell_no, {', '.join(STAGE_COLUMNS)}) FROM STDIN"
    number = start
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            number += 1
            copy.write_row((number, *row))
    return number


def _short(details: dict[str, Any]) -> dict[str, Any]:
    return {k: details[k] for k in ("format", "inserted", "revised", "unchanged", "empty_cells")}
