"""The fast reader of CSV files without quotes gives what pandas' reader gives."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ingest.incidents.plaincsv
import ingest.incidents.reading
from ingest.incidents.mapping import Mapping
from ingest.incidents.plaincsv import is_plain, line_count, line_ends, split_fields
from ingest.incidents.reading import _max_fields, read_table

# Cell material: white space of all kinds, accents, a BOM, a Unicode line separator.
ATOMS = ["a", "15/01/2024", " ", "\t", "\u00a0", "\u2003", "é", "x y", "\x1c", "\x0b", "\x0c"]
ATOMS += ["\u3000", "\ufeff", "\x85", "0", "-", "\u200b", "\u2028", "€", "'", "ü"]


def random_csv(rng: random.Random, quotes: bool = False) -> tuple[bytes, str]:
    """A messy CSV: blank lines, short and long records, mixed line ends, odd encodings."""
    separator = rng.choice([";", ",", "\t", "|"])
    ends = rng.choice([["\n"], ["\r\n"], ["\r"], ["\n", "\r\n", "\r", "\r\r\n", "\n\r"]])
    width = rng.randint(1, 5)
    lines = [rng.choice(["", separator * rng.randint(0, 3), " "]) for _ in range(rng.randint(0, 2))]
    lines.append(separator.join(f"h{i}" for i in range(width)))
    for _ in range(rng.randint(0, 30)):
        count = max(0, width + rng.choice([0, 0, 0, 0, -1, 1, 2, -width]))
        cells = ["".join(rng.choices(ATOMS, k=rng.randint(0, 3))) for _ in range(count)]
        if quotes and rng.random() < 0.2:
            cells.append(rng.choice(['"', '"a;b"', '""', '"x\ny"']))
        lines.append(separator.join(cells))
    text = "".join(line + rng.choice(ends) for line in lines)
    if rng.random() < 0.3:
        text = text.rstrip("\r\n")
    encoding = rng.choice(["utf-8", "utf-8", "cp1252", "utf-8-sig"])
    data = text.encode(encoding, errors="replace")
    if rng.random() < 0.1:
        data += bytes([0x81, 0xFF, 0xC3])  # undecodable in UTF-8, undefined in cp1252
    return data or b"h\n", separator


def chunks_of(path: Path, chunk_size: int) -> list[Any]:
    """Everything read_table gives, comparable with ==, or the error it raises."""
    try:
        return [
            (
                list(c.frame.columns),
                c.frame.to_numpy(dtype=object).tolist(),
                [str(t) for t in c.frame.dtypes],
                c.row_numbers.tolist(),
                str(c.row_numbers.dtype),
                None if c.extra_fields is None else c.extra_fields.tolist(),
            )
            for c in read_table(path, Mapping(), chunk_size=chunk_size)
        ]
    except Exception as exc:  # compared as well
        return [type(exc).__name__, str(exc)]


@pytest.mark.parametrize("seed", range(4))
def test_plain_files_read_as_pandas_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    for k in range(60):
        path = tmp_path / f"f{k}.csv"
        path.write_bytes(random_csv(rng)[0])
        size = rng.choice([1, 3, 7, 1000])
        with monkeypatch.context() as m:
            m.setattr(ingest.incidents.plaincsv, "BLOCK", rng.choice([5, 64, 1 << 22]))
            fast = chunks_of(path, size)
        with monkeypatch.context() as m:
            m.setattr(ingest.incidents.reading, "is_plain", lambda *args: False)
            general = chunks_of(path, size)
        assert fast == general, path.read_bytes()


def test_the_fast_path_is_taken_only_without_quotes(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes("Date;Nature\n15/01/2024;Dégradation\n".encode("cp1252"))
    assert is_plain(plain, "cp1252", ";")
    assert not is_plain(plain, "utf-16", ";")
    assert not is_plain(plain, "cp1252", ":")
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(b'Date;Nature\n15/01/2024;"Vol"\n')
    assert not is_plain(quoted, "utf-8", ";")
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"Date;Nature\n15/01/2024;V\0l\n")
    assert not is_plain(nul, "utf-8", ";")


def test_chunk_size_is_checked_as_pandas_does(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"Date;Nature\n15/01/2024;Vol\n")
    with pytest.raises(ValueError, match="'chunksize' must be an integer >=1"):
        list(read_table(path, Mapping(), chunk_size=0))


def test_regular_lines_split_by_pyarrow_as_by_numpy() -> None:
    rng = random.Random(5)
    for _ in range(200):
        width = rng.randint(1, 4)
        end = rng.choice(["\n", "\r\n", "\r"])
        lines = [
            ";".join("".join(rng.choices(ATOMS, k=rng.randint(0, 3))) for _ in range(width))
            for _ in range(rng.randint(1, 20))
        ]
        segment = end.join(lines).encode() + rng.choice([b"", end.encode()])
        ends = line_ends(segment)
        assert line_count(segment) == len(ends)
        fast = split_fields(segment, len(ends), ";", width)
        numpy_split = ingest.incidents.plaincsv._split_any(segment, ends, ";", width)
        assert [f.to_pylist() for f in fast] == [f.to_pylist() for f in numpy_split]


@pytest.mark.parametrize(
    ("data", "ends"),
    [(b"a\nb\r\nc\rd", [2, 5, 7, 8]), (b"a\r\r\n", [2, 4]), (b"", []), (b"\n\r", [1, 2])],
)
def test_line_ends(data: bytes, ends: list[int]) -> None:
    assert line_ends(data).tolist() == ends
    assert line_count(data) == len(ends)


def _max_fields_reference(path: Path, separator: str) -> int:
    """The former dense implementation of reading._max_fields."""
    best, current, quotes = 0, 0, 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            data = np.frombuffer(block, dtype=np.uint8)
            parity = (np.cumsum(data == ord('"')) + quotes) % 2
            quotes = int(parity[-1])
            boundary = ((data == 10) | (data == 13)) & (parity == 0)
            segment = np.cumsum(boundary)
            counts = np.bincount(segment[data == ord(separator)], minlength=int(segment[-1]) + 1)
            counts[0] += current
            best = max(best, int(counts.max()))
            current = int(counts[-1])
    return best + 1


def test_max_fields_as_before(tmp_path: Path) -> None:
    rng = random.Random(11)
    for k in range(150):
        data, separator = random_csv(rng, quotes=True)
        path = tmp_path / f"q{k}.csv"
        path.write_bytes(data)
        assert _max_fields(path, separator) == _max_fields_reference(path, separator)
