"""The plain PostgreSQL baseline for geocoding: pg_trgm similarity over the BAN rows in PostGIS.

One row per address point with a normalised label (« 12 bis rue de la republique 31000
toulouse »: lower case, no accents, punctuation as spaces), a GiST trigram index, and per query
``ORDER BY label <-> query LIMIT 1`` restricted to the commune; the score is
``similarity(label, query)``. No abbreviations expanded, no street-level fallback: what a
developer writes in an afternoon with the database the project already has.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from benchmarks.synthetic.typed_addresses import plain

TABLE = "ban_trgm"


@dataclass(frozen=True)
class TrgmResult:
    lon: float
    lat: float
    score: float
    street: str
    citycode: str
    type: str = "housenumber"


def normalise(text: str) -> str:
    """Lower case, no accents, anything but letters and digits as one space."""
    return " ".join(re.split(r"[^a-z0-9]+", plain(text).lower())).strip()


def load_reference(conninfo: str, rows: Sequence[dict[str, str]]) -> None:
    """The table of the BAN rows with their labels, and its trigram index (made again)."""
    buffer = io.StringIO()
    for row in rows:
        number = f"{row['numero']} {row['rep']}".strip()
        label = normalise(f"{number} {row['nom_voie']} {row['code_postal']} {row['nom_commune']}")
        values = (row["id"], row["code_insee"], row["nom_voie"], label, row["lon"], row["lat"])
        buffer.write("\t".join(values) + "\n")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(
            f"CREATE TABLE {TABLE} (id text PRIMARY KEY, citycode text NOT NULL, "
            "street text NOT NULL, label text NOT NULL, lon float8 NOT NULL, lat float8 NOT NULL, "
            "geom geometry(Point, 4326))"
        )
        with conn.cursor().copy(
            f"COPY {TABLE} (id, citycode, street, label, lon, lat) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        conn.execute(f"UPDATE {TABLE} SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
        conn.execute(f"CREATE INDEX {TABLE}_label ON {TABLE} USING gist (label gist_trgm_ops)")
        conn.execute(f"CREATE INDEX {TABLE}_citycode ON {TABLE} (citycode)")
        conn.execute(f"ANALYZE {TABLE}")


QUERY = (
    f"SELECT lon, lat, similarity(label, %(q)s), street, citycode FROM {TABLE} "
    "WHERE citycode = %(code)s ORDER BY label <-> %(q)s LIMIT 1"
)


def geocode_trgm(
    conninfo: str, queries: Sequence[tuple[str, str]], workers: int = 4
) -> list[TrgmResult | None]:
    """The nearest label for each (text, INSEE code), in order, on ``workers`` connections."""
    local = threading.local()
    connections: list[psycopg.Connection] = []
    lock = threading.Lock()

    def one(query: tuple[str, str]) -> TrgmResult | None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(conninfo, autocommit=True)
            with lock:
                connections.append(conn)
        text = normalise(query[0])
        if not text:
            return None
        found = conn.execute(QUERY, {"q": text, "code": query[1]}).fetchone()
        if found is None:
            return None
        lon, lat, score, street, code = found
        return TrgmResult(float(lon), float(lat), float(score), str(street), str(code))

    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="trgm") as pool:
            return list(pool.map(one, queries, chunksize=32))
    finally:
        for conn in connections:
            conn.close()
