"""The map's search box: addresses and streets from the geocoder, QPV and communes by name.

Everything searched here is public reference data (the BAN, the QPV and commune outlines):
no answer is computed from the facts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

import redis
from sqlalchemy import Connection, text

from observatory.errors import Busy, InvalidInput
from observatory.settings import Settings

MIN_QUERY = 2
MAX_QUERY = 120
MAX_LIMIT = 10
GEOCODER_RETRY_S = 30

# Accented letters and separators folded as fold() does, so that « Bagatelle » finds
# « La Bagatelle » and « Reynerie » « Reynerie - Bellefontaine » in SQL as in Python.
_ACCENTED = "àâäáãåéèêëíìîïóòôöõúùûüýÿçñ-'’"
_PLAIN = "aaaaaaeeeeiiiiooooouuuuyycn   "
PLACES = text(
    r"""
    WITH found AS (
        SELECT 'qpv' AS kind, code, name, geom
        FROM qpv
        WHERE generation = :generation
          AND translate(lower(name), :accented, :plain) LIKE :pattern ESCAPE '\'
        UNION ALL
        SELECT 'commune', code, name, geom
        FROM commune
        WHERE translate(lower(name), :accented, :plain) LIKE :pattern ESCAPE '\'
    )
    SELECT kind, code, name,
           ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat,
           ST_XMin(geom) AS west, ST_YMin(geom) AS south,
           ST_XMax(geom) AS east, ST_YMax(geom) AS north
    FROM found
    ORDER BY length(name), name
    LIMIT :limit
    """
)
STREET_EXTENT = text(
    """
    SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
    FROM (SELECT ST_Extent(geom) AS e FROM street
          WHERE commune_code = :code AND name = :name) AS s
    WHERE e IS NOT NULL
    """
)


class GeocoderStopped(Busy):
    """The geocoder (its Redis) does not answer: try again once it is started."""

    def __init__(self) -> None:
        super().__init__(
            "Le géocodeur est arrêté : la recherche d'adresses reprendra quand il sera démarré "
            "(observatory geocoder start). Réessayez dans un moment.",
            retry_after=GEOCODER_RETRY_S,
        )


@dataclass(frozen=True)
class Found:
    """A place found: what to show, how sure, what kind, where, and its extent if it has one."""

    label: str
    score: float
    type: str  # housenumber, street, locality, municipality, qpv, commune
    lon: float
    lat: float
    bbox: tuple[float, float, float, float] | None = None
    code: str | None = None  # QPV code, or INSEE code
    citycode: str | None = None
    street: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["bbox"] = list(self.bbox) if self.bbox else None
        return found


def fold(value: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, spaces collapsed."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-'’]", " ", plain.lower()).split())


def check_query(q: str, limit: int) -> str:
    """The query trimmed, or a French refusal for one too short or too long."""
    if any(unicodedata.category(c) == "Cc" for c in q or ""):
        raise InvalidInput("« q » ne peut pas contenir de caractères de contrôle.")
    q = " ".join((q or "").split())
    if not MIN_QUERY <= len(q) <= MAX_QUERY:
        raise InvalidInput(f"« q » attend de {MIN_QUERY} à {MAX_QUERY} caractères (reçu {len(q)}).")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"« limit » vaut de 1 à {MAX_LIMIT} (reçu {limit}).")
    return q


def _score(query: str, name: str) -> float:
    """1 for the name itself, less for its start, a word's start, anywhere in it."""
    folded = fold(name)
    if folded == query:
        return 1.0
    if folded.startswith(query):
        return 0.9
    if f" {query}" in f" {folded}":
        return 0.8
    return 0.7


def search_places(conn: Connection, q: str, limit: int, generation: int = 2024) -> list[Found]:
    """The QPV (of the generation) and communes whose name holds the query."""
    query = fold(q)
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        PLACES,
        {
            "generation": generation,
            "accented": _ACCENTED,
            "plain": _PLAIN,
            "pattern": f"%{escaped}%",
            "limit": limit,
        },
    ).all()
    found = [
        Found(
            label=r.name if r.kind == "commune" else f"{r.name} (QPV)",
            score=_score(query, r.name),
            type=r.kind,
            lon=round(r.lon, 6),
            lat=round(r.lat, 6),
            bbox=(round(r.west, 6), round(r.south, 6), round(r.east, 6), round(r.north, 6)),
            code=r.code,
            citycode=r.code if r.kind == "commune" else None,
        )
        for r in rows
    ]
    return sorted(found, key=lambda f: -f.score)


def search_addresses(settings: Settings, q: str, limit: int) -> list[Found]:
    """Addresses, streets, lieux-dits and communes of the BAN reference, best first."""
    from observatory.geocoder.engine import connect, search
    from observatory.geocoder.load import index_client

    try:
        index_client(settings).ping()
        connect(settings)
        results = search(q, limit=limit)
    except (redis.RedisError, OSError):
        raise GeocoderStopped() from None
    return [
        Found(
            label=r.label,
            score=r.score,
            type=r.type,
            lon=round(r.lon, 6),
            lat=round(r.lat, 6),
            code=r.id,
            citycode=r.citycode,
            street=r.street,
        )
        for r in results
    ]


def with_street_extents(conn: Connection, found: list[Found]) -> list[Found]:
    """Streets and lieux-dits given the extent of their drawn lines, when they have some."""
    out = []
    for f in found:
        if f.type in ("street", "locality") and f.citycode and f.street:
            extent = conn.execute(STREET_EXTENT, {"code": f.citycode, "name": f.street}).first()
            if extent is not None:
                f = Found(**{**asdict(f), "bbox": tuple(round(v, 6) for v in extent)})
        out.append(f)
    return out


def geocode(
    conn: Connection, settings: Settings, q: str, limit: int, generation: int = 2024
) -> list[Found]:
    """The places, then the geocoder's answers, best first, at most ``limit``."""
    q = check_query(q, limit)
    places = search_places(conn, q, limit, generation)
    addresses = search_addresses(settings, q, limit)
    communes = {p.code for p in places if p.type == "commune"}
    # A commune found by name is given once, with its outline's extent.
    addresses = [a for a in addresses if not (a.type == "municipality" and a.citycode in communes)]
    merged = sorted([*places, *with_street_extents(conn, addresses)], key=lambda f: -f.score)
    return merged[:limit]
