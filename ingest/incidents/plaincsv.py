"""CSV files without quotes, cut into fields in Arrow: the fast path of ingest.incidents.reading.

Most exports quote nothing. In a file without any ``"``, a record is exactly a line (ended by
``\\n``, ``\\r\\n`` or ``\\r``) and its fields lie between separators, so the file can be cut
into lines with numpy and into fields with pyarrow's CSV parser (quoting off), or with numpy
when the lines do not all have the header's width. The records come out in the same chunks
and with the same text as pandas' reader gives on such a file (the general path of
ingest.incidents.reading): chunk k holds records k * size to (k + 1) * size - 1 of the file,
header and blank lines included, each field stripped of white space as pandas' ``str.strip``
does, and missing trailing fields empty.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ingest.incidents.columns import filled

BLOCK = 1 << 22
PLAIN_SEPARATORS = (",", ";", "\t", "|")
# Encodings that write every ASCII character as its own byte and no other character with a
# byte below 0x80: a quote, a separator or a line end is then found in the bytes themselves.
PLAIN_ENCODINGS = ("utf-8", "utf-8-sig", "ascii")
PLAIN_ENCODING_PREFIXES = ("cp125", "iso8859-", "latin", "mac-")
BOM = codecs.BOM_UTF8


@dataclass
class Records:
    """Consecutive records of a file: the index of the first, and their fields as Arrow text.

    ``fields[j]`` holds field j of every record, stripped, "" where the record is shorter; there
    are at least as many fields as the header has names.
    """

    first: int
    fields: list[pa.Array]


def is_plain(path: Path, encoding: str, separator: str) -> bool:
    """True when the file can be read by records(): no quote, no NUL, an ASCII-safe encoding."""
    name = codecs.lookup(encoding).name
    if separator not in PLAIN_SEPARATORS:
        return False
    if name not in PLAIN_ENCODINGS and not name.startswith(PLAIN_ENCODING_PREFIXES):
        return False
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(BLOCK), b""):
            if b'"' in block or b"\0" in block:
                return False
    return True


def records(
    path: Path, encoding: str, separator: str, width: int, size: int, *, valid_utf8: bool = False
) -> Iterator[Records]:
    """The records of a plain file (see is_plain), ``size`` at a time, at least one batch.

    ``valid_utf8``: the caller checked that the whole file is UTF-8, no need to check again.
    """
    first = 0
    for segment, lines in _segments(_utf8_pieces(path, encoding, valid_utf8), size):
        yield Records(first, split_fields(segment, lines, separator, width))
        first += lines
    if first == 0:
        yield Records(0, [pa.array([], type=pa.string()) for _ in range(width)])


def _utf8_pieces(path: Path, encoding: str, valid_utf8: bool) -> Iterator[bytes]:
    """The file as UTF-8 (undecodable bytes replaced), in pieces cut just after line ends."""
    name = codecs.lookup(encoding).name
    carry = b""
    with open(path, "rb") as f:
        if name == "utf-8-sig" and f.read(3) != BOM:
            f.seek(0)
        for block in iter(lambda: f.read(BLOCK), b""):
            data = carry + block
            # A final \r may be the first half of \r\n: keep it for the next block.
            cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
            carry = data[cut:]
            if cut:
                yield _to_utf8(data[:cut], name, valid_utf8)
    if carry:
        yield _to_utf8(carry, name, valid_utf8)


def _to_utf8(data: bytes, name: str, valid_utf8: bool) -> bytes:
    if data.isascii():
        return data
    if name in ("utf-8", "utf-8-sig"):
        if valid_utf8:
            return data
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="replace").encode("utf-8")
    return data.decode(name, errors="replace").encode("utf-8")


def line_ends(data: bytes) -> np.ndarray:
    """Offsets just after each line of data; the last line may lack its line end."""
    array = np.frombuffer(data, dtype=np.uint8)
    if b"\r" in data:
        newline = array == 10
        end = array == 13
        end[:-1] &= ~newline[1:]  # the \r of \r\n is not a line end by itself
        end |= newline
    else:
        end = array == 10
    ends = np.flatnonzero(end) + 1
    if len(data) and (not len(ends) or ends[-1] != len(data)):
        ends = np.append(ends, len(data))
    return ends.astype(np.int64)


def line_count(data: bytes) -> int:
    """How many lines data holds (as many as line_ends gives, counted without numpy)."""
    count = data.count(b"\n")
    if b"\r" in data:
        count += data.count(b"\r") - data.count(b"\r\n")
    if data and data[-1:] not in (b"\n", b"\r"):
        count += 1
    return count


def _segments(pieces: Iterable[bytes], size: int) -> Iterator[tuple[bytes, int]]:
    """Runs of ``size`` lines (the last run fewer), with how many lines each holds."""
    parts: list[bytes] = []
    count = 0
    for piece in pieces:
        lines = line_count(piece)
        if count + lines >= size:
            # The piece completes one run or more: the last line of each is the one to cut after.
            ends, start = line_ends(piece), 0
            lasts = range(size - count - 1, lines, size)
            for last in lasts:
                cut = int(ends[last])
                yield b"".join([*parts, piece[start:cut]]), size
                parts, count, start = [], 0, cut
            piece, lines = piece[start:], lines - (lasts[-1] + 1)
        if piece:
            parts.append(piece)
            count += lines
    if count:
        yield b"".join(parts), count


def split_fields(segment: bytes, lines: int, separator: str, width: int) -> list[pa.Array]:
    """The stripped fields of the ``lines`` lines of segment."""
    # pyarrow would drop a byte order mark that starts the segment: a value starts there.
    table = None if segment.startswith(BOM) else _parse_regular(segment, separator, width)
    if table is not None and table.num_rows == lines:
        return [pc.utf8_trim_whitespace(c).combine_chunks() for c in table.columns]
    return _split_any(segment, line_ends(segment), separator, width)


def _parse_regular(segment: bytes, separator: str, width: int) -> pa.Table | None:
    """The lines as a table when every line has ``width`` fields, else None."""
    names = [f"f{i}" for i in range(width)]
    try:
        return pcsv.read_csv(
            pa.BufferReader(segment),
            read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 20),
            parse_options=pcsv.ParseOptions(
                delimiter=separator,
                quote_char=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=lambda row: "error",
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except pa.ArrowInvalid:
        return None


def _split_any(segment: bytes, ends: np.ndarray, separator: str, width: int) -> list[pa.Array]:
    """Fields of lines of any width: cut at separators and line ends, in numpy."""
    n = len(ends)
    if n == 0:
        return [pa.array([], type=pa.string()) for _ in range(width)]
    if segment[-1:] not in (b"\n", b"\r"):
        segment += b"\n"  # the last byte of each line is then a line end
        ends = np.append(ends[:-1], len(segment))
    data = np.frombuffer(segment, dtype=np.uint8)
    is_separator = data == ord(separator)
    boundary = is_separator.copy()
    boundary[ends - 1] = True
    # Each field runs to its separator or to its line's last byte; blanked, they are stripped.
    stops = np.flatnonzero(boundary) + 1
    text = np.where(is_separator, np.uint8(32), data)
    large = len(segment) >= 2**31 - 1
    offsets = np.concatenate([[0], stops]).astype(np.int64 if large else np.int32)
    flat = pc.utf8_trim_whitespace(
        pa.Array.from_buffers(
            pa.large_string() if large else pa.string(),
            len(stops),
            [None, pa.py_buffer(offsets), pa.py_buffer(text)],
        )
    )
    line_of_separator = np.searchsorted(ends, np.flatnonzero(is_separator), side="right")
    counts = np.bincount(line_of_separator, minlength=n) + 1  # fields per line
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    fields = []
    for j in range(max(width, int(counts.max()))):
        index = pa.array(first + j, mask=counts <= j, type=pa.int64())
        fields.append(pc.fill_null(flat.take(index), "").cast(pa.string()))
    return fields


def text_records(
    fields: list[pa.Array], candidates: np.ndarray, header: list[str]
) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray | None]:
    """The candidate records that hold a value: their text by header name ("" when empty),
    which they are, and per kept record None or its surplus values (past the header) up to
    the last."""
    keep = candidates.copy()
    if len(fields):
        keep &= np.logical_or.reduce([filled(field) for field in fields])
    if not keep.all():
        fields = [field.filter(pa.array(keep)) for field in fields]
    text = dict(zip(header, fields, strict=False))
    return text, keep, _surplus(fields[len(header) :])


def _surplus(fields: list[pa.Array]) -> np.ndarray | None:
    if not fields:
        return None
    over = np.logical_or.reduce([filled(field) for field in fields])
    if not over.any():
        return None
    extra = np.full(len(over), None, dtype=object)
    rows = np.flatnonzero(over)
    values = [field.take(pa.array(rows)).to_pylist() for field in fields]
    for i, row in zip(rows, zip(*values, strict=True), strict=True):
        last = max(j + 1 for j, value in enumerate(row) if value)
        extra[i] = tuple(row[:last])
    return extra
