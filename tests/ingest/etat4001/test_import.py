"""Importing état 4001 files: samples, revisions, duplicates, rejects, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from benchmarks.synthetic.etat4001 import write_local_sample, write_tidy_sample
from ingest.etat4001 import ImportBusy, import_etat4001
from observatory.errors import InvalidInput
from observatory.imports import try_source_lock
from observatory.settings import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "data" / "samples"
CUT = SAMPLES / "etat4001_haute_garonne.xlsx"
LOCAL = SAMPLES / "etat4001_csp_toulouse_2024.xlsx"
TIDY = SAMPLES / "etat4001_tidy.csv"


def one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def invariant(summary: Any) -> None:
    assert summary.rows_read == (
        summary.rows_imported + summary.rows_duplicate + summary.rows_rejected
    )


def workbook_cells(path: Path) -> dict[tuple[str, str], Any]:
    book = load_workbook(path, data_only=True)
    cells = {(ws.title, c.coordinate): c.value for ws in book.worksheets for row in ws for c in row}
    book.close()
    return cells


def test_samples_are_what_their_generators_write(tmp_path: Path) -> None:
    write_local_sample(CUT, tmp_path / "local.xlsx")
    write_tidy_sample(CUT, tmp_path / "tidy.csv")
    assert workbook_cells(tmp_path / "local.xlsx") == workbook_cells(LOCAL)
    assert (tmp_path / "tidy.csv").read_bytes() == TIDY.read_bytes()


def test_local_extract_sample(db: Engine) -> None:
    summary = import_etat4001(db, LOCAL)
    invariant(summary)
    # independently: the non-empty month cells of the two sheets (columns C to N, rows 7–113)
    book = load_workbook(LOCAL, data_only=True)
    sums = {}
    for title in ("CSP TOULOUSE", "Haute-Garonne PN"):
        ws = book[title]
        sums[title] = sum(
            ws.cell(row=r, column=c).value for r in range(7, 114) for c in range(3, 15)
        )
    assert summary.rows_read == summary.rows_imported == 2 * 107 * 12
    assert summary.details["ignored_sheets"] == ["Notes"]
    assert summary.details["periods"] == [f"2024-{m:02d}" for m in range(1, 13)]
    found = dict(
        (service, int(total))
        for service, total in _all(db, "SELECT service, sum(count) FROM etat4001 GROUP BY 1")
    )
    assert found == {"CSP TOULOUSE": sums["CSP TOULOUSE"], "": sums["Haute-Garonne PN"]}


def test_tidy_sample_and_twice_imports_nothing(db: Engine) -> None:
    first = import_etat4001(db, TIDY)
    second = import_etat4001(db, TIDY)
    lines = TIDY.read_text().splitlines()[1:]
    assert (first.rows_read, first.rows_imported) == (len(lines), len(lines))
    assert (second.rows_read, second.rows_imported, second.rows_duplicate) == (len(lines), 0, 252)
    expected = sum(int(line.rsplit(",", 1)[1]) for line in lines)
    assert one(db, "SELECT sum(count) FROM etat4001")[0] == expected


def test_a_newer_edition_revises_figures_and_the_batch_says_what_changed(
    db: Engine, tmp_path: Path
) -> None:
    first = import_etat4001(db, CUT)
    invariant(first)
    edition = tmp_path / "etat4001_haute_garonne_v2.xlsx"
    shutil.copy(CUT, edition)
    book = load_workbook(edition)
    sheet = book["Services PN 2019"]
    # three header rows: index i is on row 3 + i; the services' names are on row 3
    services = {sheet.cell(row=3, column=c).value: c for c in range(3, sheet.max_column + 1)}
    toulouse = services["CIAT CENTRAL DE TOULOUSE"]
    old_27 = sheet.cell(row=3 + 27, column=toulouse).value
    old_35 = sheet.cell(row=3 + 35, column=toulouse).value
    sheet.cell(row=3 + 27, column=toulouse).value = old_27 + 10
    sheet.cell(row=3 + 35, column=toulouse).value = old_35 - 5
    sheet.cell(row=3 + 7, column=toulouse).value = "n.c."
    book.save(edition)
    second = import_etat4001(db, edition)
    invariant(second)
    assert second.rows_read == first.rows_read
    assert second.rows_imported == 2 and second.rows_rejected == 1
    assert second.rows_duplicate == first.rows_read - 3
    details = second.details
    assert (details["inserted"], details["revised"]) == (0, 2)
    assert details["revisions_sample"] == [
        {
            "period": "2019",
            "perimeter": "PN",
            "department": "31",
            "service": "CIAT CENTRAL DE TOULOUSE",
            "index": i,
            "old": old,
            "new": new,
        }
        for i, old, new in ((27, old_27, old_27 + 10), (35, old_35, old_35 - 5))
    ]
    stored = one(
        db,
        "SELECT count, batch_id FROM etat4001 WHERE period = '2019' AND index = 27 "
        "AND service = 'CIAT CENTRAL DE TOULOUSE'",
    )
    assert tuple(stored) == (old_27 + 10, second.batch_id)
    log = one(db, "SELECT count(*), min(old_batch_id) FROM etat4001_revision")
    assert tuple(log) == (2, first.batch_id)
    reject = one(db, "SELECT row_number, raw, reason FROM import_reject")
    letter = sheet.cell(row=10, column=toulouse).column_letter
    assert reject.row_number == 10
    assert reject.raw["feuille"] == "Services PN 2019" and reject.raw["cellule"] == f"{letter}10"
    assert "non numérique « n.c. »" in reject.reason
    # the cell that could not be read keeps the figure stored before
    assert (
        one(
            db,
            "SELECT count FROM etat4001 WHERE period = '2019' AND index = 7 "
            "AND service = 'CIAT CENTRAL DE TOULOUSE'",
        )[0]
        == load_workbook(CUT, read_only=True)["Services PN 2019"].cell(10, toulouse).value
    )


def test_same_figure_twice_in_a_file(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "doubles.csv"
    path.write_text(
        "period,perimeter,department,service,index,count\n"
        "2024-01,PN,31,CSP TOULOUSE,27,300\n"
        "2024-01,PN,31,CSP TOULOUSE,27,300\n"
        "2024-01,PN,31,CSP TOULOUSE,27,301\n"
        "2024-01,PN,31,CSP TOULOUSE,abc,1\n"
    )
    summary = import_etat4001(db, path)
    invariant(summary)
    assert (summary.rows_read, summary.rows_imported, summary.rows_duplicate) == (4, 1, 1)
    assert summary.rows_rejected == 2
    reasons = dict(_all(db, "SELECT row_number, reason FROM import_reject ORDER BY 1"))
    assert "deux valeurs : 301 ici, 300 ligne 2" in reasons[4]
    assert "Ligne sans index de l'état 4001 (« abc »)" in reasons[5]
    assert one(db, "SELECT count FROM etat4001")[0] == 300


def test_refused_files_leave_a_failed_batch_and_no_figure(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="pas un classeur Excel lisible"):
        import_etat4001(db, path)
    status, message = one(db, "SELECT status, message FROM import_batch")
    assert status == "failed" and "classeur" in message
    assert one(db, "SELECT count(*) FROM etat4001")[0] == 0


def test_a_second_import_waits_its_turn(db: Engine) -> None:
    with db.connect() as holder, holder.begin():
        assert try_source_lock(holder, "etat4001")
        with pytest.raises(ImportBusy, match="déjà en cours"):
            import_etat4001(db, TIDY)
    assert one(db, "SELECT count(*) FROM etat4001")[0] == 0


def _all(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)).all())
