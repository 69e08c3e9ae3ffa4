"""Reading boundary files (GeoJSON, GeoPackage, Shapefile) into WGS84 polygons.

CRS rule: a file that declares its CRS is reprojected from it. A file that declares none (a
Shapefile without .prj, a GeoPackage with an undefined SRS) is taken as EPSG:4326 when its
coordinates fit longitudes/latitudes, as Lambert-93 (EPSG:2154) when they fit the Lambert-93
extent of France, and refused otherwise.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from ingest.filetypes import BOUNDARY_TYPES, FileLimits, allowed_file, fr_count
from observatory.errors import InvalidInput, TooLarge

log = logging.getLogger(__name__)

# Coordinates of a file without CRS: (xmin, ymin, xmax, ymax) of each plausible system.
LONLAT_EXTENT = (-180.0, -90.0, 180.0, 90.0)
LAMBERT93_EXTENT = (-400_000.0, 5_900_000.0, 1_500_000.0, 7_300_000.0)


def read_boundaries(path: Path, limits: FileLimits | None = None) -> gpd.GeoDataFrame:
    """Read the first polygon layer of a GeoJSON / GeoPackage / Shapefile (zipped or not), in
    EPSG:4326; only a file ingest.filetypes lets through, within its limits."""
    limits = limits or FileLimits.of()
    with allowed_file(Path(path), BOUNDARY_TYPES, limits) as found:
        frame = _read_layer(found.path, Path(path).name, limits)
    return _checked(frame, Path(path))


def _read_layer(path: Path, name: str, limits: FileLimits) -> gpd.GeoDataFrame:
    try:
        layers = pyogrio.list_layers(path)
        polygonal = [name for name, kind in layers if kind and "POLYGON" in str(kind).upper()]
        layer = polygonal[0] if polygonal else (layers[0][0] if len(layers) else None)
        info = pyogrio.read_info(path, layer=layer)
        if len(info["fields"]) > limits.columns:
            raise InvalidInput(
                f"« {name} » a {fr_count(len(info['fields']))} colonnes : "
                f"{fr_count(limits.columns)} au plus (OBS_MAX_COLUMNS)."
            )
        if info["features"] > limits.rows:
            raise TooLarge(
                f"« {name} » a {fr_count(info['features'])} entités : "
                f"{fr_count(limits.rows)} au plus (OBS_MAX_ROWS)."
            )
        return gpd.read_file(path, engine="pyogrio", layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        # GDAL's own message names the server's temporary path, in English: not for the user.
        raise InvalidInput(
            f"Impossible de lire « {name} » : ce n'est pas un fichier GeoJSON, GeoPackage ou "
            "Shapefile lisible (fichier abîmé ou incomplet ?)."
        ) from exc


def _checked(frame: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InvalidInput(f"{path.name} ne contient aucune géométrie : ce n'est pas un contour.")
    if frame.empty:
        raise InvalidInput(f"{path.name} ne contient aucune entité : rien à importer.")
    if frame.crs is None:
        frame = frame.set_crs(guess_crs(frame, path.name))
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    return frame


def guess_crs(frame: gpd.GeoDataFrame, file_name: str) -> int:
    bounds = frame.geometry.dropna().total_bounds
    if len(frame.geometry.dropna()) == 0 or np.isnan(bounds).any():
        return 4326
    for epsg, (xmin, ymin, xmax, ymax) in ((4326, LONLAT_EXTENT), (2154, LAMBERT93_EXTENT)):
        if bounds[0] >= xmin and bounds[1] >= ymin and bounds[2] <= xmax and bounds[3] <= ymax:
            log.info(
                "%s sans système de coordonnées : EPSG:%s déduit de l'étendue", file_name, epsg
            )
            return epsg
    raise InvalidInput(
        f"{file_name} n'indique pas son système de coordonnées et ses coordonnées "
        f"(x de {bounds[0]:.0f} à {bounds[2]:.0f}, y de {bounds[1]:.0f} à {bounds[3]:.0f}) ne "
        "sont ni des longitudes/latitudes ni du Lambert-93 : joignez le fichier .prj ou "
        "reprojetez en EPSG:4326."
    )
