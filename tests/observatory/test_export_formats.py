"""Export formats without a database: formula neutralisation, CSV for French Excel, file names."""

from __future__ import annotations

import csv
import io
from datetime import date

import h3
import pytest
import shapely

from observatory.exports import HexagonTable, cell_wkt, csv_text, file_name, hexagon_csv, neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x";"clic")', '\'=HYPERLINK("http://x";"clic")'),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("PM31-2024-000001", "PM31-2024-000001"),
        ("Tapage = bruit", "Tapage = bruit"),
        ("'déjà cité", "'déjà cité"),
        ("", ""),
        (" =1", " =1"),
    ],
)
def test_neutralise_prefixes_a_quote_only_before_a_formula_start(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_csv_text_uses_semicolons_crlf_and_neutralises_only_text_cells() -> None:
    out = csv_text([("id", "ref", "lon"), (1, "=1+1", -4.5), (2, "a;b", 1.25), (3, None, True)])

    assert out.split("\r\n")[:-1] == [
        "id;ref;lon",
        "1;'=1+1;-4.5",  # a negative number stays a number
        '2;"a;b";1.25',
        "3;;true",
    ]
    back = list(csv.reader(io.StringIO(out), delimiter=";"))
    assert back[2] == ["2", "a;b", "1.25"]


def test_hexagon_csv_starts_with_a_bom_and_hides_suppressed_counts() -> None:
    cells = [h3.str_to_int("89396020003ffff"), h3.str_to_int("8939602000bffff")]
    body = hexagon_csv(HexagonTable(9, cells, [7, None]))

    assert body.startswith("\ufeff".encode())
    lines = body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "h3;count;suppressed;wkt"
    assert lines[1].startswith("89396020003ffff;7;false;")
    assert lines[2].startswith("8939602000bffff;;true;")


def test_cell_wkt_is_the_closed_h3_outline_in_lon_lat() -> None:
    cell = h3.latlng_to_cell(43.60447, 1.44395, 9)
    polygon = shapely.from_wkt(cell_wkt(h3.str_to_int(cell)))

    assert polygon.is_valid
    assert len(polygon.exterior.coords) == 7
    lat, lng = h3.cell_to_latlng(cell)
    assert polygon.centroid.x == pytest.approx(lng, abs=1e-5)
    assert polygon.centroid.y == pytest.approx(lat, abs=1e-5)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2024, 1, 1), date(2024, 12, 31), "faits_2024-01-01_au_2024-12-31.csv"),
        (date(2024, 1, 1), None, "faits_depuis_le_2024-01-01.csv"),
        (None, date(2024, 12, 31), "faits_jusqu_au_2024-12-31.csv"),
        (None, None, "faits_extrait_le_2025-03-02.csv"),
    ],
)
def test_file_names_say_the_period(start: date | None, end: date | None, expected: str) -> None:
    assert file_name("faits", start, end, date(2025, 3, 2), "csv") == expected
