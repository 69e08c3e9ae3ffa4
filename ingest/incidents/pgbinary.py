"""COPY of Arrow tables in PostgreSQL's binary format, built column-wise with numpy and Arrow.

A binary COPY stream is a header, then per row a field count (int16) and per field its length
(int32, -1 for NULL) and its bytes in the type's binary form, all big-endian, then a trailer
(int16 -1). Nothing is formatted on the client nor parsed on the server: a timestamp is its
microseconds since 2000-01-01, a date its days since then, a point its EWKB (what PostGIS's
binary input reads), jsonb a version byte (1) and the JSON text.

The values of one width and never NULL (numbers, instants, points, text of one width such as
references or a constant) go, for all rows at once, into a numpy structured array whose fields
are big-endian: one record per row. The other values (text, nullable columns) stay Arrow binary
arrays. Records and values are then joined row by row by Arrow (``binary_join_element_wise``),
whose output buffer holds the rows end to end: no Python loop per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from ingest.incidents.columns import text_buffers

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no header extension
TRAILER = b"\xff\xff"
NULL = -1
JSONB_VERSION = 1
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
PG_EPOCH_DAYS = 10_957
EMPTY = pa.scalar(b"", pa.large_binary())
# Little-endian EWKB point with an SRID: byte order, type (Point | SRID flag), srid, x, y.
EWKB_POINT = np.dtype(
    [("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")]
)
EWKB_POINT_TYPE = 0x20000001


@dataclass(frozen=True)
class Fixed:
    """Values of one binary width, none NULL: a numpy array of a big-endian dtype (or one value
    for every row). ``prefix`` is written before each value, inside its length."""

    dtype: np.dtype
    values: np.ndarray | bytes
    prefix: bytes = b""


@dataclass(frozen=True)
class Variable:
    """Values of any width: their byte lengths (-1 for NULL) and their bytes (NULLs empty).

    ``prefix`` (only where no value is NULL) is written before each value, inside its length.
    """

    lengths: np.ndarray
    body: pa.Array
    prefix: bytes = b""


Field = Fixed | Variable


def ewkb_points(lon: np.ndarray, lat: np.ndarray, srid: int = 4326) -> pa.Array:
    """EWKB points built in numpy, as an Arrow fixed_size_binary(25) array."""
    packed = np.empty(len(lon), dtype=EWKB_POINT)
    packed["order"] = 1
    packed["type"] = EWKB_POINT_TYPE
    packed["srid"] = srid
    packed["x"] = lon
    packed["y"] = lat
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(EWKB_POINT.itemsize), len(lon), [None, pa.py_buffer(packed)]
    )


def field(values: pa.Array | pa.ChunkedArray, *, jsonb: bool = False) -> Field:
    """The binary form of an Arrow column: by its type, or jsonb for JSON text."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = values.type
    if pa.types.is_dictionary(kind):
        if len(values.dictionary) == 1 and not values.null_count + values.dictionary.null_count:
            return _constant(values.dictionary[0].as_py(), jsonb)
        values = values.dictionary.take(values.indices)
        kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _jsonb(values) if jsonb else _text(without_nul(values))
    if pa.types.is_fixed_size_binary(kind) and not values.null_count:
        raw = np.frombuffer(values.buffers()[1], dtype=f"V{kind.byte_width}")
        return Fixed(raw.dtype, raw[values.offset : values.offset + len(values)])
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return _variable(values)
    if pa.types.is_fixed_size_binary(kind):
        return _variable(values.cast(pa.large_binary()))
    if pa.types.is_timestamp(kind):  # with or without time zone: the same binary form
        micros = pc.cast(values, pa.timestamp("us", kind.tz), safe=False).cast(pa.int64())
        return _number(pc.subtract_checked(micros, PG_EPOCH_US), ">i8")
    if pa.types.is_date32(kind):
        days = pc.subtract_checked(values.cast(pa.int32()), pa.scalar(PG_EPOCH_DAYS, pa.int32()))
        return _number(days, ">i4")
    for test, dtype in NUMBERS:
        if test(kind):
            return _number(values, dtype)
    raise TypeError(f"no binary COPY form for Arrow type {kind}")


NUMBERS = (
    (pa.types.is_boolean, "?"),
    (pa.types.is_int16, ">i2"),
    (pa.types.is_int32, ">i4"),
    (pa.types.is_int64, ">i8"),
    (pa.types.is_float32, ">f4"),
    (pa.types.is_float64, ">f8"),
)


def _number(values: pa.Array, dtype: str) -> Field:
    if not values.null_count:
        return Fixed(np.dtype(dtype), values.to_numpy(zero_copy_only=False))
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    packed = np.ascontiguousarray(values.drop_null().to_numpy(zero_copy_only=False), dtype=dtype)
    width = packed.dtype.itemsize
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.where(valid, width, 0), out=offsets[1:])
    body = pa.Array.from_buffers(
        pa.large_binary(), len(values), [None, pa.py_buffer(offsets), pa.py_buffer(packed)]
    )
    return Variable(np.where(valid, width, NULL).astype(np.int32), body)


def _constant(value: str, jsonb: bool) -> Field:
    data = without_nul(pa.array([value], pa.string()))
    if jsonb:
        data = pc.replace_substring(data, "\\u0000", "\\ufffd")
    raw = data[0].as_py().encode()
    return Fixed(np.dtype(f"S{len(raw)}"), raw, bytes([JSONB_VERSION]) if jsonb else b"")


def without_nul(values: pa.Array) -> pa.Array:
    """The strings with each NUL replaced by U+FFFD (PostgreSQL text cannot hold NUL)."""
    offsets, data = text_buffers(values)
    if not len(data) or data[offsets[0] : offsets[-1]].all():  # no NUL: as they are
        return values
    return pc.replace_substring(values, "\x00", "\ufffd")


def _text(values: pa.Array) -> Field:
    """Text of one width (references, codes) as fixed-width values; other text as it is."""
    if values.null_count or not len(values):
        return _variable(values)
    offsets, data = text_buffers(values)
    width = int(offsets[1] - offsets[0])
    total = int(offsets[-1] - offsets[0])
    if width and total == width * len(values) and (np.diff(offsets) == width).all():
        raw = data[offsets[0] : offsets[-1]].view(f"S{width}")
        return Fixed(raw.dtype, raw)
    return _variable(values)


def _jsonb(values: pa.Array) -> Field:
    """JSON text as jsonb; a NUL, raw or escaped (\\u0000), becomes U+FFFD."""
    cleaned = without_nul(values)
    if pc.any(pc.match_substring(cleaned, "\\u0000")).as_py():
        cleaned = pc.replace_substring(cleaned, "\\u0000", "\\ufffd")
    version = bytes([JSONB_VERSION])
    if not cleaned.null_count:
        return Variable(_lengths(cleaned) + 1, cleaned.cast(pa.large_binary()), version)
    first = pa.scalar(version, pa.large_binary())
    return _variable(pc.binary_join_element_wise(first, cleaned.cast(pa.large_binary()), EMPTY))


def _lengths(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.binary_length(values).to_numpy(zero_copy_only=False), dtype=np.int32)


def _variable(values: pa.Array) -> Field:
    if not values.null_count:
        return Variable(_lengths(values), values.cast(pa.large_binary()))
    lengths = pc.fill_null(pc.binary_length(values), NULL).to_numpy(zero_copy_only=False)
    body = pc.fill_null(values, pa.scalar(b"", values.type)).cast(pa.large_binary())
    return Variable(np.asarray(lengths, dtype=np.int32), body)


def _records(parts: list[tuple[np.dtype, np.ndarray | bytes | int]], n: int) -> pa.Array:
    """One packed record per row of the fixed-width parts, as an Arrow binary array."""
    dtype = np.dtype([(f"f{i}", kind) for i, (kind, _) in enumerate(parts)])
    # The values common to all rows (counts, lengths, prefixes) written once, then copied.
    common = np.zeros(1, dtype=dtype)
    for i, (_, values) in enumerate(parts):
        if not isinstance(values, np.ndarray):
            common[f"f{i}"] = values
    records = np.frombuffer(bytearray(common.tobytes() * n), dtype=dtype)
    for i, (_, values) in enumerate(parts):
        if isinstance(values, np.ndarray):
            records[f"f{i}"] = values
    offsets = np.arange(0, (n + 1) * dtype.itemsize, dtype.itemsize, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(records)]
    )


@dataclass(frozen=True)
class Encoded:
    """Rows in binary COPY form: their columns, in order, and one binary value per row."""

    columns: tuple[str, ...]
    rows: pa.Array

    def __len__(self) -> int:
        return len(self.rows)

    def filter(self, keep: np.ndarray) -> Encoded:
        return Encoded(self.columns, self.rows.filter(pa.array(keep)))


def encode_rows(fields: list[Field], n: int) -> pa.Array:
    """The n rows of a binary COPY stream, fields in the given order: one binary value each."""
    segments: list[pa.Array] = []
    parts: list[tuple[np.dtype, np.ndarray | bytes | int]] = [(np.dtype(">i2"), len(fields))]
    for value in fields:
        if isinstance(value, Fixed):
            parts.append((np.dtype(">i4"), len(value.prefix) + value.dtype.itemsize))
        else:
            parts.append((np.dtype(">i4"), value.lengths))
        if value.prefix:
            parts.append((np.dtype(f"S{len(value.prefix)}"), value.prefix))
        if isinstance(value, Variable):
            segments += [_records(parts, n), value.body]
            parts = []
        elif value.dtype.itemsize:
            parts.append((value.dtype, value.values))
    if parts:
        segments.append(_records(parts, n))
    return segments[0] if len(segments) == 1 else pc.binary_join_element_wise(*segments, EMPTY)


def encode(table: pa.Table, *, jsonb: Iterable[str] = ()) -> Encoded:
    """An Arrow table's rows in binary COPY form, for the columns of the same names.

    ``jsonb``: the text columns that go to jsonb columns.
    """
    as_json = set(jsonb)
    fields = {c: field(table.column(c), jsonb=c in as_json) for c in table.column_names}
    # The fixed-width fields first: they make one record per row, fewer pieces to join.
    names = tuple(sorted(fields, key=lambda c: isinstance(fields[c], Variable)))
    return Encoded(names, encode_rows([fields[c] for c in names], table.num_rows))


def copy_encoded(conn: Connection, table: str, encoded: Encoded) -> None:
    """COPY encoded rows into a table. The table and column names are the program's."""
    if not len(encoded):
        return
    rows = encoded.rows
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    start, stop = offsets[rows.offset], offsets[rows.offset + len(rows)]
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table} ({', '.join(encoded.columns)}) FROM STDIN (FORMAT binary)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(HEADER)
        copy.write(memoryview(rows.buffers()[2])[int(start) : int(stop)])
        copy.write(TRAILER)


def copy_table(conn: Connection, table: str, rows: pa.Table, *, jsonb: Iterable[str] = ()) -> None:
    """COPY an Arrow table into the table of the same column names (see encode)."""
    if rows.num_rows:
        copy_encoded(conn, table, encode(rows, jsonb=jsonb))
