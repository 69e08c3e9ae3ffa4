"""A town's own base map (OBS_BASEMAP_FILE): tiny MBTiles and PMTiles files made here, served
tile by tile with the TMS row flip, their format's content type, 404 outside, read-only."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import api_settings

# Toulouse at zoom 12: tile x 2064, y 1495 (XYZ, from the north).
Z, X, Y = 12, 2064, 1495


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, format="PNG")
    return out.getvalue()


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, format="JPEG")
    return out.getvalue()


RED, BLUE = png((200, 30, 30)), png((30, 30, 200))


def write_mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], fmt: str = "png") -> Path:
    """An MBTiles file: tiles given in XYZ, stored in TMS rows as the specification says."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute(
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
            "tile_data blob)"
        )
        meta = {
            "name": "Plan de ville",
            "format": fmt,
            "minzoom": "11",
            "maxzoom": "13",
            "bounds": "1.35,43.55,1.50,43.67",
        }
        db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()],
        )
    db.close()
    return path


def write_pmtiles(path: Path, tiles: dict[tuple[int, int, int], bytes]) -> Path:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    with open(path, "wb") as f:
        writer = Writer(f)
        for (z, x, y), data in sorted(tiles.items(), key=lambda t: zxy_to_tileid(*t[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_zoom": 11,
                "max_zoom": 13,
                "min_lon_e7": int(1.35e7),
                "min_lat_e7": int(43.55e7),
                "max_lon_e7": int(1.50e7),
                "max_lat_e7": int(43.67e7),
                "center_zoom": 12,
                "center_lon_e7": int(1.44e7),
                "center_lat_e7": int(43.6e7),
            },
            {"name": "Orthophoto"},
        )
    return path


def serve(database_url: str, path: Path | None) -> Iterator[TestClient]:
    from api.main import create_app

    settings = api_settings(database_url, basemap_file=path, basemap_attribution="Ville")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(params=["mbtiles", "pmtiles"])
def basemap(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[TestClient]:
    # Two tiles one above the other: a row flip would swap them.
    tiles = {(Z, X, Y): RED, (Z, X, Y + 1): BLUE}
    write = write_mbtiles if request.param == "mbtiles" else write_pmtiles
    path = write(tmp_path / f"plan.{request.param}", tiles)
    path.chmod(0o444)  # opened read-only: a file the API may not write is served all the same
    yield from serve(database_url, path)


def test_tiles_are_served_from_the_north_with_their_type(basemap: TestClient) -> None:
    red = basemap.get(f"/api/v1/basemap/{Z}/{X}/{Y}.png")
    blue = basemap.get(f"/api/v1/basemap/{Z}/{X}/{Y + 1}.png")
    assert (red.status_code, blue.status_code) == (200, 200)
    assert red.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(red.content)).getpixel((5, 5)) == (200, 30, 30)
    assert Image.open(io.BytesIO(blue.content)).getpixel((5, 5)) == (30, 30, 200)


def test_outside_the_file_is_a_404(basemap: TestClient) -> None:
    for tile in (
        f"{Z}/{X + 1}/{Y}.png",  # no tile there
        f"{Z}/{X}/{Y}.jpg",  # not the file's format
        f"3/{X}/{Y}.png",  # below its zooms
        f"14/{X}/{Y}.png",  # above
        f"{Z}/{2**Z}/{Y}.png",  # off the grid
        f"{Z}/-1/{Y}.png",
    ):
        assert basemap.get(f"/api/v1/basemap/{tile}").status_code == 404, tile


def test_the_page_is_told_where_the_base_map_is(
    basemap: TestClient, request: pytest.FixtureRequest
) -> None:
    page = basemap.get("/").text
    config = json.loads(page.split('id="configuration">', 1)[1].split("</script>", 1)[0])
    # MBTiles says its zooms in its metadata; PMTiles' writer counts them from the tiles.
    low, high = (11, 13) if "mbtiles" in request.node.name else (Z, Z)
    assert config["basemap"] == {
        "url": "/api/v1/basemap/{z}/{x}/{y}.png",
        "minzoom": low,
        "maxzoom": high,
        "bounds": [1.35, 43.55, 1.5, 43.67],
        "attribution": "Ville",
    }


def test_a_jpeg_mbtiles_is_served_as_jpeg(tmp_path: Path, database_url: str) -> None:
    path = write_mbtiles(tmp_path / "ortho.mbtiles", {(Z, X, Y): jpeg((0, 120, 0))}, fmt="jpg")
    for client in serve(database_url, path):
        answer = client.get(f"/api/v1/basemap/{Z}/{X}/{Y}.jpg")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize("kind", ["none", "missing", "vector", "not-sqlite"])
def test_no_usable_file_means_no_base_map(kind: str, tmp_path: Path, database_url: str) -> None:
    path: Path | None = {
        "none": None,
        "missing": tmp_path / "absent.mbtiles",
        "vector": write_mbtiles(tmp_path / "v.mbtiles", {(Z, X, Y): b"\x1a\x00"}, fmt="pbf"),
        "not-sqlite": tmp_path / "faux.mbtiles",
    }[kind]
    if kind == "not-sqlite":
        assert path is not None
        path.write_bytes(b"ceci n'est pas une base SQLite" * 10)
    for client in serve(database_url, path):
        assert client.get(f"/api/v1/basemap/{Z}/{X}/{Y}.png").status_code == 404
        page = client.get("/").text
        assert '"basemap": null' in page
