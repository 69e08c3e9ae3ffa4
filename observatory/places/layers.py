"""The places' map layers, written by PostgreSQL: streets in a box, names of QPV and communes."""

from __future__ import annotations

from sqlalchemy import Connection, text

from observatory import geojson

# At most this many streets in one answer, the longest first: a town's centre at zoom 15 has a
# few hundred; a box over a whole département gets its main streets, not a 50 MB answer.
MAX_STREETS = 1500

STREETS = text(
    """
    WITH box AS (SELECT ST_MakeEnvelope(:west, :south, :east, :north, 4326) AS geom),
    chosen AS (
        SELECT s.id, s.name, s.commune_code, s.points, s.geom
        FROM street s, box
        WHERE s.geom && box.geom
        ORDER BY s.points DESC, s.id
        LIMIT :limit
    ),
    crossing AS (SELECT 1 FROM street s, box WHERE s.geom && box.geom LIMIT :limit + 1)
    SELECT (SELECT count(*) FROM crossing) > :limit,
           string_agg(json_build_object(
               'type', 'Feature',
               'properties', json_build_object(
                   'name', name, 'commune', commune_code, 'points', points),
               'geometry', ST_AsGeoJSON(geom, 6)::json)::text, ',' ORDER BY points DESC, id)
    FROM chosen
    """
)

NAMES = text(
    """
    SELECT string_agg(f::text, ',' ORDER BY kind DESC, code)
    FROM (
        SELECT 'qpv' AS kind, code, json_build_object(
            'type', 'Feature',
            'properties', json_build_object('kind', 'qpv', 'code', code, 'name', name),
            'geometry', ST_AsGeoJSON(ST_PointOnSurface(geom), 6)::json) AS f
        FROM qpv WHERE generation = :generation
        UNION ALL
        SELECT 'commune', code, json_build_object(
            'type', 'Feature',
            'properties', json_build_object('kind', 'commune', 'code', code, 'name', name),
            'geometry', ST_AsGeoJSON(ST_PointOnSurface(geom), 6)::json)
        FROM commune
    ) AS names
    """
)


def streets_in(conn: Connection, bbox: tuple[float, float, float, float]) -> str:
    """The streets crossing the box (the longest first, at most MAX_STREETS), as GeoJSON."""
    west, south, east, north = bbox
    truncated, features = conn.execute(
        STREETS, {"west": west, "south": south, "east": east, "north": north, "limit": MAX_STREETS}
    ).one()
    return geojson.collection([features or ""], metadata={"truncated": bool(truncated)})


def names(conn: Connection, generation: int) -> str:
    """A point inside each QPV (of the generation) and each commune, with its name."""
    features = conn.execute(NAMES, {"generation": generation}).scalar_one()
    return geojson.collection([features or ""])
