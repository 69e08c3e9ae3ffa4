"""Bulk writing into PostgreSQL: incident rows and rejects by binary COPY, reference probes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from ingest.incidents.pgbinary import Encoded, copy_encoded, copy_table, encode


def encode_incidents(rows: pa.Table) -> Encoded:
    """Incident rows (ingest.incidents.rows) in binary COPY form."""
    return encode(rows, jsonb=("attributes",))


def copy_incidents(conn: Connection, rows: Encoded) -> None:
    """COPY encoded incident rows into `incident`."""
    copy_encoded(conn, "incident", rows)


def copy_rejects(conn: Connection, batch_id: int, rejects: pd.DataFrame) -> None:
    """COPY rejected rows (row_number, raw dict, reason) into import_reject."""
    if rejects.empty:
        return
    table = pa.table(
        {
            "batch_id": pa.array(np.full(len(rejects), batch_id, dtype=np.int64)),
            "row_number": pa.array(rejects["row_number"].to_numpy(dtype=np.int32)),
            "raw": pa.array([json.dumps(r or {}, ensure_ascii=False) for r in rejects["raw"]]),
            "reason": pa.array(rejects["reason"].astype(str).to_numpy(dtype=object)),
        }
    )
    copy_table(conn, "import_reject", table, jsonb=("raw",))


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


def references_within(
    conn: Connection, source: str, refs: list[str], communes: frozenset[str]
) -> set[str]:
    """The references among refs that the source holds on facts of these communes."""
    if not refs or not communes:
        return set()
    found = conn.execute(
        text(
            "SELECT source_ref FROM incident WHERE source = :source "
            "AND source_ref = ANY(:refs) AND commune_code = ANY(:communes)"
        ),
        {"source": source, "refs": refs, "communes": sorted(communes)},
    )
    return {str(row[0]) for row in found}
