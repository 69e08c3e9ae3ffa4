"""The streets of the BAN in PostGIS, commune by commune: a reloaded commune replaces its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from observatory.geocoder.ban import CommuneAddresses, read_communes
from observatory.places.streets import commune_streets

DELETE = text("DELETE FROM street WHERE commune_code = :code")
INSERT = text(
    "INSERT INTO street (commune_code, name, points, geom) "
    "VALUES (:code, :name, :points, ST_Multi(ST_GeomFromText(:wkt, 4326)))"
)


def replace_streets(conn: Connection, commune: CommuneAddresses) -> int:
    """Store the commune's streets in place of those it had; how many were stored."""
    streets = commune_streets(commune)
    conn.execute(DELETE, {"code": commune.code})
    if streets:
        conn.execute(
            INSERT,
            [
                {"code": commune.code, "name": s.name, "points": s.points, "wkt": s.wkt()}
                for s in streets
            ],
        )
    return len(streets)


def load_streets(engine: Engine, paths: Sequence[Path]) -> int:
    """Store the streets of BAN files without touching the geocoder; how many were stored."""
    stored = 0
    for path in paths:
        for commune in read_communes(Path(path)):
            with engine.begin() as conn:
                stored += replace_streets(conn, commune)
    return stored


class StreetWriter:
    """Given each commune the geocoder loads, stores its streets; a database that cannot take
    them (stopped, not migrated) is said once, and the geocoder's load goes on without them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.streets = 0
        self.problem: str | None = None

    def __call__(self, commune: CommuneAddresses) -> None:
        if self.problem is not None:
            return
        try:
            with self.engine.begin() as conn:
                self.streets += replace_streets(conn, commune)
        except (OperationalError, ProgrammingError) as exc:
            self.problem = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
