"""Reading the incidents out of PostgreSQL for the in-memory copy (observatory/store/snapshot.py).

One binary COPY per range of ids (or per batch), each column an array built by the server, then
decoded with numpy and turned into the copy's compact columns: local days, hours of the week,
resolution-11 cells, positions in the code lists.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, text

from observatory.grid import parent_cells
from observatory.localtime import Clock
from observatory.store.snapshot import FINEST_RESOLUTION, Columns

EPOCH_DAYS_TO_DAY_ZERO = 10957  # days from 1970-01-01 to 2000-01-01
PG_EPOCH_SECONDS = 946684800  # PostgreSQL timestamps count microseconds from 2000-01-01 UTC

# One COPY row per range of ids: each column as an array (array_agg runs in C on the server).
# libpq hands a COPY over row by row and psycopg's loop costs microseconds a row, so a million
# rows one by one would spend seconds in Python; a few wide rows spend nothing.
COLUMNS = """
COPY (
    SELECT array_agg(i.h3), array_agg(i.occurred_at),
           array_agg(coalesce(i.occurred_until, i.occurred_at)), array_agg(i.local_hour_of_week),
           array_agg(coalesce(k.n, 0)::int4), array_agg(coalesce(c.n, 0)::int4),
           array_agg(coalesce(q15.n, 0)::int4), array_agg(coalesce(q24.n, 0)::int4),
           array_agg(ST_X(i.geom)), array_agg(ST_Y(i.geom)),
           array_agg((coalesce(i.geocode_type, 'housenumber') <> 'housenumber')::int4::int2)
    FROM incident AS i
    LEFT JOIN unnest(%(categories)s::text[]) WITH ORDINALITY AS k(code, n)
        ON k.code = i.category_code
    LEFT JOIN unnest(%(communes)s::text[]) WITH ORDINALITY AS c(code, n)
        ON c.code = i.commune_code
    LEFT JOIN unnest(%(qpvs)s::text[]) WITH ORDINALITY AS q15(code, n) ON q15.code = i.qpv_2015
    LEFT JOIN unnest(%(qpvs)s::text[]) WITH ORDINALITY AS q24(code, n) ON q24.code = i.qpv_2024
    WHERE {where}
) TO STDOUT (FORMAT binary)
"""
# Name and big-endian type of each array, in the order of COLUMNS.
ARRAYS = (
    ("h3", ">i8"),
    ("at", ">i8"),
    ("until", ">i8"),
    ("how", ">i2"),
    ("category", ">i4"),
    ("commune", ">i4"),
    ("qpv_2015", ">i4"),
    ("qpv_2024", ">i4"),
    ("lon", ">f8"),
    ("lat", ">f8"),
    ("coarse", ">i2"),
)
IDS_PER_QUERY = 250_000
COPY_HEADER = 19  # signature (11) + flags (4) + header extension length (4, always 0 here)


def decode(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a binary COPY of COLUMNS (each row: one array per column, no NULL inside).

    A binary array is: dimensions, a has-null flag, the element type, then per dimension its
    size and lower bound, then each element as a 4-byte length and its bytes.
    """
    view = memoryview(data)
    pieces: dict[str, list[np.ndarray]] = {name: [] for name, _ in ARRAYS}
    at = COPY_HEADER if data else 0
    while at < len(data):
        (fields,) = struct.unpack_from(">h", view, at)
        at += 2
        if fields == -1:
            break
        for name, kind in ARRAYS:
            (length,) = struct.unpack_from(">i", view, at)
            at += 4
            if length == -1:  # no row in this range: array_agg gives NULL
                continue
            dims, _nulls, _oid = struct.unpack_from(">iii", view, at)
            count = struct.unpack_from(">i", view, at + 12)[0] if dims else 0
            start = at + 12 + 8 * dims
            element = np.dtype([("length", ">i4"), ("value", kind)])
            pieces[name].append(np.frombuffer(view, element, count, start)["value"])
            at += length
    return {
        name: np.concatenate(parts) if parts else np.empty(0, kind)
        for (name, kind), parts in zip(ARRAYS, pieces.values(), strict=True)
    }


def columns_of(rows: dict[str, np.ndarray], zone: str) -> Columns:
    """Columns from the decoded arrays: local days and cells computed, positions 0-based."""
    start_s = rows["at"].astype(np.int64) // 1_000_000 + PG_EPOCH_SECONDS
    # The end rounds up: the hour block holding a fractional end counts (localtime.py).
    until_s = -(-rows["until"].astype(np.int64) // 1_000_000) + PG_EPOCH_SECONDS
    until_s = np.where(rows["until"] > rows["at"], np.maximum(until_s, start_s + 1), start_s)
    clock = Clock.covering(zone, start_s)
    return Columns(
        day=(clock.local_days(start_s) - EPOCH_DAYS_TO_DAY_ZERO).astype(np.int16),
        how=rows["how"].astype(np.uint8),
        category=(rows["category"] - 1).astype(np.uint8),
        commune=rows["commune"].astype(np.uint16),
        qpv_2015=rows["qpv_2015"].astype(np.uint16),
        qpv_2024=rows["qpv_2024"].astype(np.uint16),
        cell11=parent_cells(rows["h3"].astype(np.int64), FINEST_RESOLUTION),
        lon=rows["lon"].astype(np.float64),
        lat=rows["lat"].astype(np.float64),
        start_s=start_s,
        until_s=until_s,
        coarse=rows["coarse"] != 0,
    )


def read_columns(
    conn: Connection,
    zone: str,
    categories: Sequence[str],
    communes: Sequence[str],
    qpvs: Sequence[str],
    batches: Sequence[int] | None,
) -> Columns:
    """The incidents (all, or the batches'), one range of ids per query, in one transaction."""
    params: dict[str, object] = {
        "categories": list(categories),
        "communes": list(communes),
        "qpvs": list(qpvs),
    }
    if batches is not None:
        wheres: list[tuple[str, dict[str, object]]] = [
            ("i.batch_id = ANY(%(batches)s::int8[])", {"batches": list(batches)})
        ]
    else:
        low, high = conn.execute(text("SELECT min(id), max(id) FROM incident")).one()
        wheres = [
            ("i.id >= %(low)s AND i.id < %(high)s", {"low": a, "high": a + IDS_PER_QUERY})
            for a in range(int(low or 0), int(high or -1) + 1, IDS_PER_QUERY)
        ]
    raw = conn.connection.driver_connection
    assert raw is not None
    parts: list[Columns] = []
    for where, extra in wheres:
        statement = COLUMNS.format(where=where)
        with raw.cursor() as cursor, cursor.copy(statement, {**params, **extra}) as copy:
            data = b"".join(bytes(chunk) for chunk in copy)
        parts.append(columns_of(decode(data), zone))  # compact at once: the bytes go
        del data
    return concatenate(parts, zone)


def concatenate(parts: list[Columns], zone: str) -> Columns:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return columns_of(decode(b""), zone)
    return Columns(
        **{
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in Columns.__dataclass_fields__
        }
    )
