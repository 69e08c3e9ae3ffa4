"""QPV tagging: GEOS on prepared polygons (observatory.areas) against PostGIS row by row.

The same random points over Toulouse are tagged with the QPV 2024 polygons stored in the
benchmark database, once by `Territories.qpv_of` and once by the correlated ST_Intersects
subquery an INSERT … SELECT would run; the results must agree and the ratio is printed.
"""

from __future__ import annotations

import io
import time

import numpy as np
from sqlalchemy import Engine, text

from observatory.areas import Territories


def run(engine: Engine, points: int = 1_000_000) -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(1.35, 1.52, points)
    lat = rng.uniform(43.53, 43.67, points)
    with engine.connect() as conn:
        started = time.perf_counter()
        territories = Territories.load(conn)
        ours = territories.qpv_of(2024, lon, lat)
        geos = time.perf_counter() - started

        conn.execute(text("CREATE TEMP TABLE bench_point (i int, lon float8, lat float8)"))
        buffer = io.StringIO()
        np.savetxt(buffer, np.column_stack([np.arange(points), lon, lat]), fmt="%d,%.9f,%.9f")
        raw = conn.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy("COPY bench_point FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(buffer.getvalue())
        started = time.perf_counter()
        rows = conn.execute(
            text(
                "SELECT i, (SELECT q.code FROM qpv q WHERE q.generation = 2024 AND "
                "ST_Intersects(q.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) "
                "ORDER BY q.code LIMIT 1) FROM bench_point p ORDER BY i"
            )
        ).all()
        postgis = time.perf_counter() - started
        conn.rollback()
    theirs = np.array([r[1] for r in rows], dtype=object)
    agree = bool((ours == theirs).all())
    print(
        f"QPV de {points} points : GEOS (observatory.areas) {geos:.2f} s, "
        f"PostGIS ligne à ligne {postgis:.2f} s, rapport {postgis / geos:.1f}×, "
        f"résultats identiques : {'oui' if agree else 'NON'}"
    )
