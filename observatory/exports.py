"""Incidents and hexagon counts as files that QGIS and French Excel open: CSV, GeoJSON, GeoPackage.

- CSV: UTF-8 with a byte-order mark, ``;`` between cells, CRLF line ends (what French Excel
  expects); coordinates with a decimal point, so that QGIS and GDAL read them as numbers. Every
  text cell a spreadsheet would evaluate as a formula is neutralised (``neutralise``).
- GeoJSON: RFC 7946, WGS84 lon/lat, no ``crs`` member; the collection's ``name`` is the layer
  name GDAL and QGIS show.
- GeoPackage: written by pyogrio (GDAL) into a file, one layer in EPSG:4326.

Incidents carry the same columns in every format (``INCIDENT_FIELDS``); dates are text, ISO 8601
in local time with the offset (a GeoPackage date-time must be UTC, which would show a police
officer 22:10 for a fact at 23:10). They are read by ranges of ids (``id > last ORDER BY id
LIMIT n``) inside the caller's transaction, so memory stays bounded however many facts a filter
keeps, and a REPEATABLE READ transaction makes every chunk agree with the count taken first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any

import h3
import numpy as np
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Float,
    Join,
    Numeric,
    Row,
    Select,
    Subquery,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from observatory import geojson
from observatory.analytics.filters import Filter
from observatory.grid import to_hex
from observatory.models import Category, Commune, Incident
from observatory.store.sqlfilter import filter_condition

CHUNK_ROWS = 10_000

# Cells a spreadsheet reads as a formula (or as the start of one, after a tab or a carriage
# return): OWASP's list for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"

INCIDENT_FIELDS = (
    "id",
    "occurred_start",
    "occurred_end",
    "category",
    "category_label",
    "commune",
    "commune_name",
    "qpv_2015",
    "qpv_2024",
    "source",
    "source_ref",
    "lon",
    "lat",
    # How the point was found: empty for the file's own coordinates, else the geocoder's score
    # (0 to 1), the address it matched and its precision (housenumber, street or locality).
    "geocode_score",
    "geocode_label",
    "geocode_type",
)
HEXAGON_FIELDS = ("h3", "count", "suppressed")

INCIDENT_LAYER = "incidents"
HEXAGON_LAYER = "hexagones"

# to_char's ISO 8601 with the offset; it writes the session's zone (start_reading sets it).
LOCAL_ISO = 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'

INCIDENT = Incident.__table__
CATEGORY = Category.__table__.alias("c")
COMMUNE = Commune.__table__.alias("m")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet would evaluate as a formula, made plain text (a quote first)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: object) -> object:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value  # numbers as Python writes them (decimal point), None as an empty cell


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV lines for French Excel (``;``, CRLF), text cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


# -- incidents ---------------------------------------------------------------------------------


def json_object(**members: Any) -> ColumnElement[Any]:
    """``json_build_object`` of the members, in their order."""
    return func.json_build_object(*chain.from_iterable(members.items()))


def incident_filter(f: Filter, zone: str) -> ColumnElement[bool]:
    """The filter as a condition on `incident`."""
    where = filter_condition(f, zone)
    if f.bbox is not None:
        # The same box again, in a form the GiST index on geom can use (edges included too).
        box = func.ST_MakeEnvelope(*f.bbox, 4326)
        where = and_(where, INCIDENT.c.geom.intersects(box))
    return where


def incident_chunk(
    where: ColumnElement[bool],
    limit: int | BindParameter[int],
    after: int | BindParameter[int] | None = None,
    offset: ColumnElement[int] | None = None,
) -> Subquery:
    """The condition's incidents in id order, ``limit`` after ``after`` and past ``offset``."""
    # Cut on `incident` alone, before any join: the limit bounds the rows joined.
    i = INCIDENT.c
    chunk = select(
        i.id,
        i.occurred_at,
        i.occurred_until,
        i.category_code,
        i.address,
        i.commune_code,
        i.qpv_2015,
        i.qpv_2024,
        i.source,
        i.source_ref,
        i.geom,
        i.geocode_score,
        i.geocode_label,
        i.geocode_type,
    ).where(where)
    if after is not None:
        chunk = chunk.where(i.id > after)
    return chunk.order_by(i.id).limit(limit).offset(offset).subquery("i")


def with_names(chunk: Subquery) -> Join:
    """The chunk joined to the labels of its categories and the names of its communes."""
    by_category = chunk.outerjoin(CATEGORY, CATEGORY.c.code == chunk.c.category_code)
    return by_category.outerjoin(COMMUNE, COMMUNE.c.code == chunk.c.commune_code)


def incident_rows(where: ColumnElement[bool]) -> Select[Any]:
    """One chunk of the filter's incidents (INCIDENT_FIELDS): ``limit`` of them after ``after``."""
    chunk = incident_chunk(where, bindparam("limit"), after=bindparam("after"))
    return select(
        chunk.c.id,
        func.to_char(chunk.c.occurred_at, LOCAL_ISO).label("occurred_start"),
        func.to_char(chunk.c.occurred_until, LOCAL_ISO).label("occurred_end"),
        chunk.c.category_code.label("category"),
        func.coalesce(CATEGORY.c.label, chunk.c.category_code).label("category_label"),
        chunk.c.commune_code.label("commune"),
        COMMUNE.c.name.label("commune_name"),
        chunk.c.qpv_2015,
        chunk.c.qpv_2024,
        chunk.c.source,
        chunk.c.source_ref,
        func.ST_X(chunk.c.geom).label("lon"),
        func.ST_Y(chunk.c.geom).label("lat"),
        # real to double precision as the value written (0.87, not 0.8700000047683716).
        cast(func.round(cast(chunk.c.geocode_score, Numeric), 4), Float).label("geocode_score"),
        chunk.c.geocode_label,
        chunk.c.geocode_type,
    ).select_from(with_names(chunk))


def incident_features(where: ColumnElement[bool]) -> Select[Any]:
    """The same chunk as GeoJSON features joined by commas, with its size and its last id."""
    r = incident_rows(where).subquery("r")
    feature = json_object(
        type="Feature",
        id=r.c.id,
        properties=json_object(**{name: r.c[name] for name in INCIDENT_FIELDS}),
        geometry=json_object(type="Point", coordinates=func.json_build_array(r.c.lon, r.c.lat)),
    )
    return select(
        func.string_agg(cast(feature, Text), aggregate_order_by(literal(","), r.c.id)),
        func.count(),
        func.max(r.c.id),
    )


def start_reading(conn: Connection, zone: str) -> None:
    """Write this transaction's timestamps in the local zone (call first, in the transaction)."""
    conn.execute(text("SELECT set_config('TimeZone', :zone, true)"), {"zone": zone})


def count_incidents(conn: Connection, where: ColumnElement[bool]) -> int:
    """How many incidents the condition keeps."""
    return int(conn.execute(select(func.count()).select_from(INCIDENT).where(where)).scalar_one())


def incident_chunks(
    conn: Connection, where: ColumnElement[bool], size: int | None = None
) -> Iterator[Sequence[Row[Any]]]:
    """The filter's incidents in id order, ``size`` rows at a time (INCIDENT_FIELDS)."""
    size = size or CHUNK_ROWS
    rows = incident_rows(where)
    sql = rows.order_by(rows.selected_columns.id)
    after = -1
    while True:
        chunk = conn.execute(sql, {"after": after, "limit": size}).all()
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        after = chunk[-1].id


def incident_csv(conn: Connection, where: ColumnElement[bool]) -> Iterator[bytes]:
    """The CSV file, a chunk of rows at a time."""
    yield (BOM + csv_text([INCIDENT_FIELDS])).encode("utf-8")
    for rows in incident_chunks(conn, where):
        yield csv_text(rows).encode("utf-8")


def incident_geojson(conn: Connection, where: ColumnElement[bool]) -> Iterator[bytes]:
    """The GeoJSON FeatureCollection, a chunk of features at a time."""
    for piece in geojson.collection_chunks(_feature_chunks(conn, where), name=INCIDENT_LAYER):
        yield piece.encode("utf-8")


def _feature_chunks(conn: Connection, where: ColumnElement[bool]) -> Iterator[str]:
    """The filter's features in id order, CHUNK_ROWS of them joined by commas at a time."""
    sql = incident_features(where)
    after = -1
    while True:
        features, returned, last = conn.execute(sql, {"after": after, "limit": CHUNK_ROWS}).one()
        if returned:
            yield features
        if returned < CHUNK_ROWS:
            return
        after = last


def write_incident_geopackage(conn: Connection, where: ColumnElement[bool], path: Path) -> None:
    """The GeoPackage file at ``path``: a point layer « incidents », appended chunk by chunk."""
    import pandas as pd

    written = False
    for rows in incident_chunks(conn, where):
        frame = pd.DataFrame.from_records(rows, columns=list(INCIDENT_FIELDS))
        frame["geocode_score"] = pd.to_numeric(frame["geocode_score"]).astype("float64")
        _write_points(frame, path, append=written)
        written = True
    if not written:  # an empty layer, with its fields: QGIS opens it as such
        empty = {name: pd.Series(dtype="object") for name in INCIDENT_FIELDS}
        empty.update(
            id=pd.Series(dtype="int64"),
            lon=pd.Series(dtype="float64"),
            lat=pd.Series(dtype="float64"),
            geocode_score=pd.Series(dtype="float64"),
        )
        _write_points(pd.DataFrame(empty), path, append=False)


def _write_points(frame: Any, path: Path, *, append: bool) -> None:
    import geopandas as gpd
    import pyogrio

    points = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float))
    layer = gpd.GeoDataFrame(frame.astype({"id": "int64"}), geometry=points, crs="EPSG:4326")
    pyogrio.write_dataframe(
        layer, path, layer=INCIDENT_LAYER, driver="GPKG", geometry_type="Point", append=append
    )


# -- hexagons ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HexagonTable:
    """Cells of one resolution and the counts to show (None: suppressed for this reader)."""

    resolution: int
    cells: Sequence[int]
    counts: Sequence[int | None]
    # Every count, shown or not: a partner's are released values (observatory/privacy/), whose
    # total is the one on every other page.
    total: int = 0

    def rows(self) -> Iterator[tuple[str, int | None, bool]]:
        """(h3 hexadecimal id, count or None, suppressed) per cell."""
        ids = to_hex(np.asarray(self.cells, dtype=np.int64))
        for cell, count in zip(ids, self.counts, strict=True):
            yield cell, count, count is None


def cell_wkt(cell: int) -> str:
    """The cell's outline as WKT (lon lat, closed ring, 6 decimals like the GeoJSON layer)."""
    ring = [(lng, lat) for lat, lng in h3.api.basic_int.cell_to_boundary(int(cell))]
    ring.append(ring[0])
    return "POLYGON ((" + ", ".join(f"{lng:.6f} {lat:.6f}" for lng, lat in ring) + "))"


def hexagon_csv(table: HexagonTable) -> bytes:
    """The CSV file: h3, count (empty when suppressed), suppressed, and the outline as WKT."""
    rows = [(*row, cell_wkt(cell)) for row, cell in zip(table.rows(), table.cells, strict=True)]
    return (BOM + csv_text([(*HEXAGON_FIELDS, "wkt"), *rows])).encode("utf-8")


def hexagon_features(table: HexagonTable) -> Iterator[str]:
    """The features of /layers/hexagons: h3, count (null when hidden), suppressed."""
    for (h3_id, count, hidden), cell in zip(table.rows(), table.cells, strict=True):
        yield geojson.cell_feature(cell, {"h3": h3_id, "count": count, "suppressed": hidden})


def hexagon_geojson(table: HexagonTable, metadata: dict[str, Any]) -> bytes:
    """The GeoJSON FeatureCollection of /layers/hexagons, named, with its metadata."""
    body = geojson.collection(hexagon_features(table), name=HEXAGON_LAYER, metadata=metadata)
    return body.encode("utf-8")


def write_hexagon_geopackage(table: HexagonTable, path: Path) -> None:
    """The GeoPackage file at ``path``: a polygon layer « hexagones »."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    rows = list(table.rows())
    frame = pd.DataFrame(
        {
            "h3": pd.Series([r[0] for r in rows], dtype="object"),
            "count": pd.array([r[1] for r in rows], dtype="Int64"),
            "suppressed": pd.Series([r[2] for r in rows], dtype="bool"),
        }
    )
    outlines = shapely.from_wkt([cell_wkt(cell) for cell in table.cells])
    layer = gpd.GeoDataFrame(frame, geometry=outlines, crs="EPSG:4326")
    pyogrio.write_dataframe(
        layer, path, layer=HEXAGON_LAYER, driver="GPKG", geometry_type="Polygon"
    )


def file_name(
    stem: str, date_from: date | None, date_to: date | None, today: date, ext: str
) -> str:
    """A file name a French user recognises: faits_2024-01-01_au_2024-12-31.csv."""
    if date_from and date_to:
        period = f"{date_from.isoformat()}_au_{date_to.isoformat()}"
    elif date_from:
        period = f"depuis_le_{date_from.isoformat()}"
    elif date_to:
        period = f"jusqu_au_{date_to.isoformat()}"
    else:
        period = f"extrait_le_{today.isoformat()}"
    return f"{stem}_{period}.{ext}"
