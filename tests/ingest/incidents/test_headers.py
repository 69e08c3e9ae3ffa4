"""The header of a CSV file or an XLSX sheet: where it is, its names cleaned and unique."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.incidents.headers import csv_header, filled_length, sheet_header, unique_names
from observatory.errors import InvalidInput


def test_names_are_stripped_numbered_and_never_blank() -> None:
    raw = ["\ufeff Date ", None, "Date", "Na\0ture", "", "Date", "Date (2)"]
    assert unique_names(raw) == [
        "Date",
        "colonne 2",
        "Date (2)",
        "Nature",
        "colonne 5",
        "Date (3)",
        "Date (2) (2)",
    ]


def test_a_name_repeated_many_times_is_numbered_in_order() -> None:
    assert unique_names(["x"] * 5) == ["x", "x (2)", "x (3)", "x (4)", "x (5)"]


def test_csv_header_is_the_first_record_with_a_value(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(";\n  \nDate;Nature;Date\n15/01/2024;Tapage;x\n", encoding="utf-8")
    assert csv_header(path, "utf-8", ";") == (["Date", "Nature", "Date (2)"], 2)


def test_a_csv_without_any_value_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(";\n\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="ne contient aucune ligne"):
        csv_header(path, "utf-8", ";")


def test_sheet_header_ends_at_its_last_value() -> None:
    assert filled_length(["a", "", "b", "", ""]) == 3
    assert sheet_header(["Date", "", "Nature", "", ""]) == ["Date", "colonne 2", "Nature"]
