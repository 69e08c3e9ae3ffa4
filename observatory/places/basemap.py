"""A town's own raster base map in one file, MBTiles (SQLite) or PMTiles, read-only.

MBTiles numbers its rows from the south (TMS): row = 2^z − 1 − y. PMTiles is read through the
`pmtiles` package. Only raster tiles (PNG, JPEG, WebP): the page draws them with Leaflet.
"""

from __future__ import annotations

import gzip
import mmap
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from observatory.errors import InvalidInput

MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass
class Basemap:
    """An open base-map file: its tile format, zooms, bounds and name, and its tiles."""

    path: Path
    format: str
    minzoom: int = 0
    maxzoom: int = 19
    bounds: tuple[float, float, float, float] | None = None
    name: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else self.format

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's bytes, or None outside the file (its zooms, the grid, no tile there)."""
        if not (self.minzoom <= z <= self.maxzoom and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        with self._lock:
            return self._read(z, x, y)

    def _read(self, z: int, x: int, y: int) -> bytes | None:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to close here."""


@dataclass
class MBTiles(Basemap):
    connection: sqlite3.Connection | None = field(default=None, repr=False)

    def _read(self, z: int, x: int, y: int) -> bytes | None:
        assert self.connection is not None
        row = self.connection.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, 2**z - 1 - y),
        ).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@dataclass
class PMTiles(Basemap):
    reader: Any = field(default=None, repr=False)
    handle: IO[bytes] | None = field(default=None, repr=False)
    mapping: mmap.mmap | None = field(default=None, repr=False)
    gzipped: bool = False

    def _read(self, z: int, x: int, y: int) -> bytes | None:
        data = self.reader.get(z, x, y)
        if not data:
            return None
        return gzip.decompress(data) if self.gzipped else bytes(data)

    def close(self) -> None:
        if self.mapping is not None:
            self.mapping.close()
        if self.handle is not None:
            self.handle.close()


def open_basemap(path: Path) -> Basemap:
    """Open an .mbtiles or .pmtiles file read-only; a French refusal for anything else."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"Fond de carte introuvable : {path}.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".mbtiles":
            return _open_mbtiles(path)
        if suffix == ".pmtiles":
            return _open_pmtiles(path)
    except (sqlite3.DatabaseError, ValueError, KeyError, OSError) as exc:
        raise InvalidInput(f"Fond de carte illisible ({path.name}) : {exc}.") from exc
    raise InvalidInput(f"Fond de carte {path.name} : un fichier .mbtiles ou .pmtiles est attendu.")


def _raster(path: Path, format: str) -> str:
    format = format.strip().lower()
    if format not in MEDIA_TYPES:
        raise InvalidInput(
            f"Fond de carte {path.name} : tuiles « {format or 'inconnu'} » ; seules les tuiles "
            "images (png, jpg, webp) sont affichées par la carte."
        )
    return format


def _open_mbtiles(path: Path) -> MBTiles:
    connection = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
    )
    meta = dict(connection.execute("SELECT name, value FROM metadata").fetchall())
    zooms = connection.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
    return MBTiles(
        path=path,
        format=_raster(path, meta.get("format", "png")),
        minzoom=int(meta.get("minzoom", zooms[0] if zooms[0] is not None else 0)),
        maxzoom=int(meta.get("maxzoom", zooms[1] if zooms[1] is not None else 19)),
        bounds=_bounds(meta.get("bounds")),
        name=str(meta.get("name", "")),
        connection=connection,
    )


def _open_pmtiles(path: Path) -> PMTiles:
    from pmtiles.reader import Reader
    from pmtiles.tile import Compression, TileType

    handle = open(path, "rb")  # noqa: SIM115  # kept open with the map, closed by close()
    mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    reader = Reader(lambda offset, length: mapping[offset : offset + length])
    header = reader.header()
    kinds = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
    metadata = reader.metadata()
    return PMTiles(
        path=path,
        format=_raster(path, kinds.get(header["tile_type"], str(header["tile_type"].name))),
        minzoom=int(header["min_zoom"]),
        maxzoom=int(header["max_zoom"]),
        bounds=(
            header["min_lon_e7"] / 1e7,
            header["min_lat_e7"] / 1e7,
            header["max_lon_e7"] / 1e7,
            header["max_lat_e7"] / 1e7,
        ),
        name=str(metadata.get("name", "")) if isinstance(metadata, dict) else "",
        reader=reader,
        handle=handle,
        mapping=mapping,
        gzipped=header["tile_compression"] == Compression.GZIP,
    )


def _bounds(value: str | None) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(v) for v in (value or "").split(","))
    except ValueError:
        return None
    return (west, south, east, north)
