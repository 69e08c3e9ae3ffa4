"""The real national workbook (2012–2020 edition): imported once, checked against the file.

Every expected figure here is computed from the workbook by the test itself (openpyxl, cell by
cell), or read from the workbook by eye (the exact cells), never taken from the importer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from ingest.etat4001 import import_etat4001
from observatory.etat4001.nomenclature import entry
from observatory.imports import BatchSummary
from tests.conftest import SHARED_DATA, _truncate_all

WORKBOOK = (
    SHARED_DATA
    / "etat4001"
    / "crimes-et-delits-enregistres-par-les-services-de-gendarmerie-et-de-police-depuis-2012.xlsx"
)


class Truth:
    """What the workbook says, read independently: per sheet, the sum and number of figures."""

    def __init__(self) -> None:
        self.total: dict[str, int] = {}
        self.cells: dict[str, int] = {}
        self.trailing_empty: dict[str, int] = {}
        self.labels: dict[str, dict[int, str]] = {}
        self.departments: set[str] = set()
        book = load_workbook(WORKBOOK, read_only=True, data_only=True)
        self.sheets = [n for n in book.sheetnames if n.startswith("Services ")]
        for name in self.sheets:
            rows = list(book[name].iter_rows(values_only=True))
            header = 3 if " PN " in name else 2
            headed = [c for c in range(2, len(rows[0])) if rows[0][c] or rows[header - 1][c]]
            self.trailing_empty[name] = len(rows[0]) - 2 - len(headed)
            body = rows[header:]
            values = [row[c] for row in body for c in headed if row[c] is not None]
            assert all(type(v) is int for v in values)
            self.total[name] = sum(values)
            self.cells[name] = len(values)
            self.labels[name] = {row[0]: row[1] for row in body}
            self.departments |= {rows[0][c] for c in headed}
        book.close()


@pytest.fixture(scope="module")
def truth() -> Truth:
    return Truth()


@pytest.fixture(scope="module")
def imported(engine: Engine) -> Iterator[tuple[BatchSummary, BatchSummary]]:
    """The workbook imported twice in a row (the second time must import nothing)."""
    _truncate_all(engine)
    first = import_etat4001(engine, WORKBOOK, run_by="test")
    second = import_etat4001(engine, WORKBOOK, run_by="test")
    yield first, second
    _truncate_all(engine)


def stored(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def test_every_sheet_total_equals_the_sum_of_its_cells(
    engine: Engine, imported: tuple[BatchSummary, BatchSummary], truth: Truth
) -> None:
    assert len(truth.sheets) == 18
    found = {
        f"Services {p} {y}": (int(total), int(n))
        for p, y, total, n in stored(
            engine, "SELECT perimeter, period, sum(count), count(*) FROM etat4001 GROUP BY 1, 2"
        )
    }
    assert found == {name: (truth.total[name], truth.cells[name]) for name in truth.sheets}


def test_accounting_and_idempotence(
    imported: tuple[BatchSummary, BatchSummary], truth: Truth
) -> None:
    first, second = imported
    cells = sum(truth.cells.values())
    assert first.status == "succeeded"
    assert (first.rows_read, first.rows_imported, first.rows_duplicate, first.rows_rejected) == (
        cells,
        cells,
        0,
        0,
    )
    assert first.details["format"] == "national"
    assert first.details["sheets"] == truth.sheets
    assert first.details["ignored_sheets"] == ["Présentation"]
    assert first.details["periods"] == [str(y) for y in range(2012, 2021)]
    assert first.details["label_differences"] == {}
    # the same file again: every figure read, none imported
    assert (second.rows_read, second.rows_imported, second.rows_duplicate) == (cells, 0, cells)
    assert second.details["revised"] == 0 and second.details["absent_services_count"] == 0


@pytest.mark.parametrize(
    ("period", "perimeter", "department", "service", "index", "count"),
    [
        ("2012", "PN", "01", "DIDPAF PREVESSIN 01", 107, 57),
        ("2012", "PN", "01", "CIAT DE BOURG EN BRESSE", 107, 141),
        ("2012", "PN", "988", "CIAT DE NOUMEA", 107, 172),
        ("2012", "GN", "01", "CGD BELLEY", 107, 107),
        ("2012", "GN", "988", "CGD KONE", 1, 1),
        ("2012", "GN", "988", "CGD POINDIMIE", 107, 10),
        ("2019", "GN", "2A", "CGD AJACCIO", 7, 122),
        ("2019", "GN", "2A", "CGD AJACCIO", 27, 25),
        ("2019", "GN", "2B", "CGD BASTIA", 7, 139),
        ("2019", "GN", "971", "CGD LE MOULE", 27, 213),
        ("2019", "GN", "974", "CGD ST BENOIT", 7, 683),
    ],
)
def test_exact_cells(
    engine: Engine,
    imported: object,
    period: str,
    perimeter: str,
    department: str,
    service: str,
    index: int,
    count: int,
) -> None:
    found = stored(
        engine,
        "SELECT count FROM etat4001 WHERE period = :p AND perimeter = :f AND department = :d "
        "AND service = :s AND index = :i",
        p=period,
        f=perimeter,
        d=department,
        s=service,
        i=index,
    )
    assert [r[0] for r in found] == [count]


def test_quirks(engine: Engine, imported: object, truth: Truth) -> None:
    # département codes as published: 2A, 2B, overseas 971–988, never 20 nor unpadded codes
    departments = {r[0] for r in stored(engine, "SELECT DISTINCT department FROM etat4001")}
    assert departments == truth.departments
    assert {"2A", "2B", "971", "972", "973", "974", "976", "978", "986", "987", "988"} <= (
        departments
    )
    assert not {d for d in departments if len(d) == 1 or d == "20"}
    # trailing empty columns (PN 2018, GN 2018–2020) give no figure and no reject
    assert truth.trailing_empty["Services PN 2018"] == 1
    assert truth.trailing_empty["Services GN 2020"] == 5
    assert stored(engine, "SELECT count(*) FROM import_reject")[0][0] == 0
    # unused index: zeros in the police sheets, empty (no figure) in the gendarmerie ones
    unused = stored(
        engine,
        "SELECT perimeter, sum(count), count(*) FROM etat4001 "
        "WHERE index IN (96, 97, 99, 100) GROUP BY perimeter",
    )
    assert [(p, int(s)) for p, s, _ in unused] == [("PN", 0)]
    # the published labels, typos and double spaces included, are the nomenclature's
    for name in truth.sheets:
        for index, label in truth.labels[name].items():
            assert entry(index).published_label == label, (name, index)
    # the « Périmètres » row of the police sheets is kept as the direction
    directions = stored(
        engine,
        "SELECT DISTINCT direction FROM etat4001 WHERE period = '2012' "
        "AND service = 'CIAT CENTRAL DE TOULOUSE'",
    )
    assert directions == [("DCSP",)]
    assert (
        stored(
            engine, "SELECT count(*) FROM etat4001 WHERE perimeter = 'GN' AND direction IS NOT NULL"
        )[0][0]
        == 0
    )


def test_services_per_year_match_the_headers(engine: Engine, imported: object) -> None:
    book = load_workbook(WORKBOOK, read_only=True, data_only=True)
    expected: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for name in ("Services PN 2020", "Services GN 2015"):
        rows = list(book[name].iter_rows(values_only=True, max_row=3))
        names = rows[2] if " PN " in name else rows[1]
        expected[name] = {(rows[0][c], names[c]) for c in range(2, len(names)) if names[c]}
    book.close()
    for name, services in expected.items():
        _, perimeter, year = name.split()
        found = stored(
            engine,
            "SELECT DISTINCT department, service FROM etat4001 "
            "WHERE period = :y AND perimeter = :p",
            y=year,
            p=perimeter,
        )
        assert {tuple(r) for r in found} == services
