"""The GeoJSON writer: valid JSON, the numbers as the layers have always written them."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from observatory import geojson
from observatory.grid import cell_geojson

CELL = 0x8939601A5CBFFFF


def test_properties_are_compact_json_in_the_given_order() -> None:
    properties = {
        "h3": "89396",
        "count": None,
        "suppressed": True,
        "label": 'chaud « 99 % » "x"\n',
        "share": 0.1,
        "codes": ["31555", None],
        "n": np.int64(7),
        "z": np.float64(-2.5),
    }
    text = geojson.properties_text(properties)
    assert text == (
        '{"h3":"89396","count":null,"suppressed":true,"label":"chaud « 99 % » \\"x\\"\\n",'
        '"share":0.1,"codes":["31555",null],"n":7,"z":-2.5}'
    )
    assert json.loads(text) == {**properties, "n": 7, "z": -2.5}


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (1.0, None, "1.0"),
        (1.0, 6, "1"),
        (1.23456789, 6, "1.23457"),
        (-0.000012345678, 6, "-1.23457e-05"),
        (12345678.9, None, "12345678.9"),
        (math.nan, 6, "null"),
        (math.inf, None, "null"),
        (-math.inf, 6, "null"),
    ],
)
def test_floats_as_python_writes_them_or_with_significant_digits(
    value: float, digits: int | None, text: str
) -> None:
    assert geojson.value_text(value, digits) == text


def test_a_cell_feature_holds_the_cells_outline_as_it_is() -> None:
    text = geojson.cell_feature(CELL, {"h3": f"{CELL:x}", "gi_z": 2.0}, digits=6)
    assert text == (
        '{"type":"Feature","properties":{"h3":"8939601a5cbffff","gi_z":2},'
        f'"geometry":{cell_geojson(CELL)}}}'
    )
    feature = json.loads(text)
    assert feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7


def test_a_feature_with_an_id_and_a_geometry_given_as_a_mapping() -> None:
    point = {"type": "Point", "coordinates": [1.44395, 43.60447]}
    feature = json.loads(geojson.feature({"title": "Capitole"}, point, id=12))
    assert feature == {
        "type": "Feature",
        "id": 12,
        "properties": {"title": "Capitole"},
        "geometry": point,
    }


def test_a_collection_with_its_name_and_metadata() -> None:
    features = [geojson.feature({"n": i}, {"type": "Point", "coordinates": [i, 0]}) for i in (1, 2)]
    metadata = {"total": 3, "note": "données bruitées", "filter": {"from": None}}
    text = geojson.collection(features, name="hexagones", metadata=metadata)
    # The metadata as json.dumps writes it: the layers' bytes (and their ETags) unchanged.
    assert text.startswith(
        '{"type":"FeatureCollection","name":"hexagones",'
        '"metadata":{"total": 3, "note": "données bruitées", "filter": {"from": null}},'
        '"features":[{"type":"Feature"'
    )
    collection = json.loads(text)
    assert collection["metadata"] == metadata
    assert [f["properties"]["n"] for f in collection["features"]] == [1, 2]


def test_an_empty_collection() -> None:
    assert geojson.collection([]) == '{"type":"FeatureCollection","features":[]}'
    assert json.loads(geojson.collection([""], metadata={})) == {
        "type": "FeatureCollection",
        "metadata": {},
        "features": [],
    }


def test_chunks_of_features_joined_by_commas_stream_the_same_collection() -> None:
    features = [
        geojson.feature({"n": i}, {"type": "Point", "coordinates": [i, 0]}) for i in range(5)
    ]
    chunks = [",".join(features[:2]), "", ",".join(features[2:]), ""]
    streamed = "".join(geojson.collection_chunks(chunks, name="incidents"))
    assert streamed == geojson.collection(features, name="incidents")
    assert len(json.loads(streamed)["features"]) == 5
