"""Incident files read through GDAL (GeoJSON, GeoPackage, Shapefile): their attributes as text
cells, their points in WGS84, in chunks like the other readers' (ingest/incidents/reading.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ingest.filetypes import FileLimits
from ingest.incidents.chunk import RawChunk, to_object_frame
from ingest.incidents.headers import unique_names
from ingest.incidents.limits import too_many_columns
from ingest.incidents.mapping import Mapping
from ingest.incidents.places import WGS84, detect_crs, to_wgs84
from observatory.errors import InvalidInput

# The formats an incident file may be in, named when GDAL cannot read one.
EXPECTED_FORMATS = "CSV (.csv, .tsv, .txt), Excel (.xlsx), GeoJSON, GeoPackage (.gpkg) ou Shapefile"


def read_vector(
    path: Path, mapping: Mapping, chunk_size: int, limits: FileLimits
) -> Iterator[RawChunk]:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    layer = mapping.sheet if path.suffix.lower() == ".gpkg" else None
    try:
        source = pyogrio.open_arrow(path, layer=layer, use_pyarrow=True, batch_size=chunk_size)
        meta, reader = source.__enter__()
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InvalidInput(
            f"Fichier géographique illisible : « {path.name} » (attendu {EXPECTED_FORMATS})"
        ) from exc
    if len(reader.schema) > limits.columns + 1:  # + the geometry
        source.__exit__(None, None, None)
        raise too_many_columns(path.name, len(reader.schema) - 1, limits.columns)
    return _vector_chunks(source, meta, reader, mapping)


def _vector_chunks(
    source: Any, meta: dict[str, Any], reader: Any, mapping: Mapping
) -> Iterator[RawChunk]:
    import pyarrow as pa
    import pyarrow.compute as pc

    crs = meta.get("crs") or mapping.crs
    schema = reader.schema
    geometry = next(
        (
            f.name
            for f in schema
            if (f.metadata or {}).get(b"ARROW:extension:name") == b"geoarrow.wkb"
        ),
        meta.get("geometry_name") or "wkb_geometry",
    )
    done = 0
    try:
        for batch in reader:
            n = batch.num_rows
            cells = {}
            for field in schema:
                if field.name == geometry:
                    continue
                column = batch.column(field.name)
                try:
                    column = pc.cast(column, pa.string())
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    column = pa.array([None if v is None else str(v) for v in column.to_pylist()])
                cells[field.name] = column.to_pandas()
            frame = to_object_frame(pd.DataFrame(cells, index=pd.RangeIndex(n)))
            frame.columns = unique_names(list(frame.columns))
            if geometry in schema.names:
                lonlat = _points(batch.column(geometry).to_numpy(zero_copy_only=False), crs)
            else:
                lonlat = np.full((n, 2), np.nan)
            yield RawChunk(frame, np.arange(done + 1, done + n + 1, dtype="int64"), lonlat)
            done += n
        if done == 0:
            empty = pd.DataFrame(columns=[f.name for f in schema if f.name != geometry])
            yield RawChunk(empty.astype(object), np.array([], dtype="int64"), np.empty((0, 2)))
    finally:
        source.__exit__(None, None, None)


def _points(wkb: np.ndarray, crs: int | str | None) -> np.ndarray:
    """WGS84 lon/lat of point geometries (single-part multipoints too); NaN for others."""
    import shapely

    geoms = shapely.from_wkb(wkb)
    single = (shapely.get_type_id(geoms) == 4) & (shapely.get_num_geometries(geoms) == 1)
    geoms = np.where(single, shapely.get_geometry(geoms, 0), geoms)
    points = np.asarray(geoms, dtype=object).copy()
    points[(shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms)] = None
    x, y = shapely.get_x(points), shapely.get_y(points)
    finite = np.isfinite(x) & np.isfinite(y)
    source = crs if crs is not None else detect_crs(x[finite], y[finite])
    lon, lat = to_wgs84(x, y, source) if source != WGS84 else (x, y)
    return np.column_stack([lon, lat]).astype("float64")
