"""Bulk writing into PostgreSQL: COPY of frames as CSV, points as EWKB, reference probes."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection

# Little-endian EWKB point with an SRID: byte order, type (Point | SRID flag), srid, x, y.
EWKB_POINT = np.dtype(
    [("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")]
)
EWKB_POINT_TYPE = 0x20000001


def ewkb_points(lon: np.ndarray, lat: np.ndarray, srid: int = 4326) -> list[str]:
    """Hex EWKB of points, built in numpy (PostGIS reads it as geometry text input)."""
    packed = np.empty(len(lon), dtype=EWKB_POINT)
    packed["order"] = 1
    packed["type"] = EWKB_POINT_TYPE
    packed["srid"] = srid
    packed["x"] = lon
    packed["y"] = lat
    text = packed.tobytes().hex()
    width = 2 * EWKB_POINT.itemsize
    return [text[i : i + width] for i in range(0, len(text), width)]


def copy_frame(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """COPY a frame into a table as CSV (NULL for missing values). Table and columns are ours.

    Timestamps are expected as text in UTC (the importer's transaction sets TIME ZONE UTC).
    """
    if frame.empty:
        return
    arrow = _without_nul(pa.Table.from_pandas(frame.loc[:, list(columns)], preserve_index=False))
    buffer = io.BytesIO()
    # Strings quoted when needed; a null is an unquoted empty field, which COPY reads as NULL.
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(arrow, buffer, options)
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(buffer.getvalue())


def _without_nul(table: pa.Table) -> pa.Table:
    """PostgreSQL text and jsonb cannot hold NUL: a NUL read from a file becomes U+FFFD."""
    for position, column in enumerate(table.columns):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            cleaned = pc.replace_substring(column, "\x00", "\ufffd")
            cleaned = pc.replace_substring(cleaned, "\\u0000", "\\ufffd")  # inside JSON text
            table = table.set_column(position, table.field(position), cleaned)
    return table


def copy_rejects(conn: Connection, batch_id: int, rejects: pd.DataFrame) -> None:
    """COPY rejected rows (row_number, raw dict, reason) into import_reject."""
    if rejects.empty:
        return
    frame = pd.DataFrame(
        {
            "batch_id": batch_id,
            "row_number": rejects["row_number"].astype("int64").to_numpy(),
            "raw": [json.dumps(r or {}, ensure_ascii=False) for r in rejects["raw"]],
            "reason": rejects["reason"].astype(str).to_numpy(),
        }
    )
    copy_frame(conn, "import_reject", frame, ("batch_id", "row_number", "raw", "reason"))


def known_references(conn: Connection, source: str, refs: list[str]) -> set[str]:
    """The references among refs that the source already has in `incident`."""
    if not refs:
        return set()
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT source_ref FROM incident WHERE source = %s AND source_ref = ANY(%s)",
            (source, refs),
        )
        return {row[0] for row in cursor.fetchall()}
