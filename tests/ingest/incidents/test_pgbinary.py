"""Binary COPY (ingest.incidents.pgbinary): rows written into a temporary table come back intact."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Connection, Engine, text

from ingest.incidents.pgbinary import copy_encoded, copy_table, encode, ewkb_points

UTC = dt.UTC
COLUMNS = """
    small int2, number int4, big int8, real float8, flag bool,
    label text, code varchar(16), at timestamptz, day date,
    place geometry(Point, 4326), doc jsonb, raw bytea
"""
READ = """
    SELECT small, number, big, real, flag, label, code, at, day,
           ST_X(place), ST_Y(place), ST_SRID(place), doc, raw
    FROM copied ORDER BY number
"""


def instants(*values: str | None) -> pa.Array:
    array = np.array([v or "NaT" for v in values], dtype="datetime64[us]")
    return pa.array(array, mask=np.isnat(array)).cast(pa.timestamp("us", "UTC"))


def days(*values: str | None) -> pa.Array:
    array = np.array([v or "NaT" for v in values], dtype="datetime64[D]")
    return pa.array(array, mask=np.isnat(array))


def sample() -> pa.Table:
    return pa.table(
        {
            "small": pa.array([-32768, 0, 32767, None], pa.int16()),
            "number": pa.array([1, 2, 3, 4], pa.int32()),
            "big": pa.array([-(2**63), 0, 2**63 - 1, None], pa.int64()),
            "real": pa.array([-0.0, math.inf, 1e-300, None], pa.float64()),
            "flag": pa.array([True, False, None, True]),
            "label": pa.array(["", "é日本🚓", "a\x00b", None]),
            "code": pa.array(["QN03101M", "", None, "31555"]),
            "at": instants(
                "0001-01-01T00:00:00",
                "1999-12-31T23:59:59.999999",
                None,
                "9999-12-31T23:59:59.999999",
            ),
            "day": days("0001-01-01", "2000-01-01", "9999-12-31", None),
            "place": ewkb_points(
                np.array([-61.534, -180.0, 180.0, 0.0]), np.array([-21.1, -90.0, 90.0, 0.0])
            ),
            "doc": pa.array(['{"a": "b\\u0000c"}', "{}", None, '{"é": [1, null]}']),
            "raw": pa.array([b"", b"\x00\xff", None, b"x"], pa.binary()),
        }
    )


EXPECTED = [
    (
        -32768, 1, -(2**63), -0.0, True, "", "QN03101M",
        dt.datetime(1, 1, 1, tzinfo=UTC), dt.date(1, 1, 1),
        -61.534, -21.1, 4326, {"a": "b\ufffdc"}, b"",
    ),
    (
        0, 2, 0, math.inf, False, "é日本🚓", "",
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), dt.date(2000, 1, 1),
        -180.0, -90.0, 4326, {}, b"\x00\xff",
    ),
    (
        32767, 3, 2**63 - 1, 1e-300, None, "a\ufffdb", None,
        None, dt.date(9999, 12, 31),
        180.0, 90.0, 4326, None, None,
    ),
    (
        None, 4, None, None, True, None, "31555",
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), None,
        0.0, 0.0, 4326, {"é": [1, None]}, b"x",
    ),
]  # fmt: skip


def copied(conn: Connection) -> list[tuple[object, ...]]:
    rows = [tuple(r) for r in conn.execute(text(READ)).all()]
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin() as transaction:
        conn.execute(text(f"CREATE TEMP TABLE copied ({COLUMNS}) ON COMMIT DROP"))
        yield conn
        transaction.rollback()


def test_rows_come_back_as_written(conn: Connection) -> None:
    copy_table(conn, "copied", sample(), jsonb=("doc",))
    assert copied(conn) == EXPECTED


def test_chunked_and_sliced_columns(conn: Connection) -> None:
    table = sample()
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=1))
    copy_table(conn, "copied", chunked.slice(1, 2), jsonb=("doc",))
    copy_table(conn, "copied", table.slice(3), jsonb=("doc",))
    copy_table(conn, "copied", table.slice(0, 1), jsonb=("doc",))
    assert copied(conn) == EXPECTED


def test_text_of_one_width_and_constants(conn: Connection) -> None:
    n = 5
    table = pa.table(
        {
            "number": pa.array(range(n), pa.int32()),
            "code": pa.array([f"QN{i:06d}" for i in range(n)]),  # every value 8 bytes wide
            "label": pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), ["police"]),
            "doc": pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), ["{}"]),
            "small": pa.DictionaryArray.from_arrays(
                pa.array([0, 1, None, 1, 0], pa.int32()), pa.array([7, -7], pa.int16())
            ),
        }
    )
    copy_table(conn, "copied", table.slice(1), jsonb=("doc",))
    rows = conn.execute(text("SELECT number, code, label, doc, small FROM copied ORDER BY 1"))
    assert [tuple(r) for r in rows] == [
        (i, f"QN{i:06d}", "police", {}, [7, -7, None, -7, 7][i]) for i in range(1, n)
    ]


def test_filtered_rows_and_nothing_to_copy(conn: Connection) -> None:
    encoded = encode(sample(), jsonb=("doc",))
    copy_encoded(conn, "copied", encoded.filter(np.array([False, True, False, True])))
    copy_table(conn, "copied", sample().slice(0, 0), jsonb=("doc",))
    copy_encoded(conn, "copied", encoded.filter(np.zeros(4, dtype=bool)))
    assert copied(conn) == [EXPECTED[1], EXPECTED[3]]


def test_types_without_a_binary_form_are_refused() -> None:
    with pytest.raises(TypeError, match="no binary COPY form"):
        encode(pa.table({"tags": pa.array([["a"], []])}))
