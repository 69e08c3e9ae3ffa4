"""GeoJSON (RFC 7946, WGS84 lon/lat) written as text: the one writer of features and collections.

Geometries, and whole features, often come already written: by PostgreSQL (``ST_AsGeoJSON``,
``json_build_object``) for stored outlines and incidents, by ``observatory.grid.cell_geojson``
for H3 cells. They are put in as they are, never parsed again. A collection may carry a
``name`` (the layer name GDAL and QGIS show) and a ``metadata`` member (a foreign member,
RFC 7946 §6.1: what the answer was computed from), and may be written a chunk at a time.

Properties are written compactly, text as UTF-8; a float as Python writes it, or with
``digits`` significant digits when asked (the hot-spot statistics: 6); a float that is not
finite as null (JSON has no NaN). The metadata is written as ``json.dumps`` writes it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from json.encoder import encode_basestring  # json.dumps's own writer of text, unescaped UTF-8
from numbers import Integral
from typing import Any

from observatory.grid import cell_geojson

MEDIA_TYPE = "application/geo+json"

Properties = Mapping[str, object]
Geometry = str | Mapping[str, object]


# The plain values by their exact type: a layer writes tens of thousands of features.
_PLAIN: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "null",
    bool: lambda value: "true" if value else "false",
    int: int.__repr__,
    str: encode_basestring,
}


def value_text(value: object, digits: int | None = None) -> str:
    """One property value as JSON text."""
    plain = _PLAIN.get(type(value))
    if plain is not None:
        return plain(value)
    if isinstance(value, float):  # numpy's floats too, written as Python floats
        if not math.isfinite(value):
            return "null"
        return f"{value:.{digits}g}" if digits else float.__repr__(value)
    if isinstance(value, Integral):  # numpy's integers
        return str(int(value))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=1024)
def _member(name: str) -> str:
    return encode_basestring(name) + ":"


def properties_text(properties: Properties, digits: int | None = None) -> str:
    """A properties object as JSON text, members in the mapping's order."""
    members = [_member(name) + value_text(value, digits) for name, value in properties.items()]
    return "{" + ",".join(members) + "}"


def feature(
    properties: Properties,
    geometry: Geometry,
    *,
    id: int | str | None = None,
    digits: int | None = None,
) -> str:
    """A Feature as JSON text; a geometry given as text is put in as it is."""
    if not isinstance(geometry, str):
        geometry = json.dumps(geometry, ensure_ascii=False, separators=(",", ":"))
    head = '{"type":"Feature",'
    if id is not None:
        head += f'"id":{value_text(id)},'
    return f'{head}"properties":{properties_text(properties, digits)},"geometry":{geometry}}}'


def cell_feature(cell: int, properties: Properties, digits: int | None = None) -> str:
    """The Feature of an H3 cell (int64 index): its outline and the properties given."""
    return feature(properties, cell_geojson(cell), digits=digits)


def collection_chunks(
    features: Iterable[str],
    *,
    name: str | None = None,
    metadata: Mapping[str, object] | None = None,
) -> Iterator[str]:
    """A FeatureCollection a piece at a time: its head, each chunk of features (one feature,
    or several already joined by commas; an empty chunk is skipped), then its end."""
    head = '{"type":"FeatureCollection",'
    if name is not None:
        head += f'"name":{json.dumps(name, ensure_ascii=False)},'
    if metadata is not None:
        head += f'"metadata":{json.dumps(metadata, ensure_ascii=False)},'
    yield head + '"features":['
    separator = ""
    for chunk in features:
        if chunk:
            yield separator + chunk
            separator = ","
    yield "]}"


def collection(
    features: Iterable[str],
    *,
    name: str | None = None,
    metadata: Mapping[str, object] | None = None,
) -> str:
    """A whole FeatureCollection as JSON text."""
    return "".join(collection_chunks(features, name=name, metadata=metadata))
