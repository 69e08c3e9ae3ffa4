"""GDAL for this process: only the drivers the importers and exports use, and no network.

Run by observatory/__init__.py, so before anything imports pyogrio: GDAL reads GDAL_SKIP when
it registers its drivers, once. The importers already open nothing but the allow-list of
ingest/filetypes.py (magic bytes); this is the second wall, should a file get past the first.
"""

from __future__ import annotations

import os

# Every driver of pyogrio's GDAL 3.12 but those used here (ESRI Shapefile, GeoJSON, GPKG, MEM;
# CSV, with which the tests read the CSV exports back as QGIS does): virtual
# datasets and pipelines (VRT, OGR_VRT, GDALG, GTI), network services, external programs
# (GPSBabel), databases and the many formats the observatory never reads. ("MapInfo File" has
# a space, which GDAL_SKIP cannot hold: the magic bytes keep MapInfo files out.)
SKIPPED_DRIVERS = [
    "VRT",
    "DERIVED",
    "GTI",
    "GDALG",
    "OGR_VRT",
    "WMS",
    "WMTS",
    "WCS",
    "DAAS",
    "STACIT",
    "STACTA",
    "PLMOSAIC",
    "EEDA",
    "EEDAI",
    "OGCAPI",
    "WFS",
    "OAPIF",
    "CSW",
    "HTTP",
    "Elasticsearch",
    "Carto",
    "AmigoCloud",
    "PLSCENES",
    "NGW",
    "ADBC",
    "GPSBabel",
    "PGDUMP",
    "XLSX",
    "ODS",
    "SQLite",
    "MBTiles",
    "PMTiles",
    "MVT",
    "GTFS",
    "LIBKML",
    "KML",
    "GML",
    "GPX",
    "GeoRSS",
    "OSM",
    "MapML",
    "JML",
    "VFK",
    "VDV",
    "OGR_GMT",
    "OGR_PDS",
    "PDS",
    "PDS4",
    "PDF",
    "DXF",
    "S57",
    "DGN",
    "OpenFileGDB",
    "FlatGeobuf",
    "Selafin",
    "SXF",
    "EDIGEO",
    "Idrisi",
    "WAsP",
    "LVBAG",
    "MiraMonVector",
    "AVCBin",
    "AVCE00",
    "AIVector",
    "GeoJSONSeq",
    "ESRIJSON",
    "TopoJSON",
    "JSONFG",
    "PCIDSK",
    "VICAR",
    "Zarr",
]

NO_NETWORK = {
    # /vsicurl/ and the cloud file systems built on it fetch only names with these endings.
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".observatoire-sans-reseau",
    # Every other request GDAL makes (a GeoJSON « crs » given as a link, a URL where a
    # coordinate system is expected) goes through a proxy that does not exist: port 9 of the
    # loopback (« discard »), closed; curl then fails at once. NO_PROXY is removed below, so
    # that no host escapes the proxy.
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_TIMEOUT": "1",
    "PROJ_NETWORK": "OFF",
    "GDAL_HTTP_MAX_RETRY": "0",
    # No SQL function of a GeoPackage reaching another dataset; no Python in a VRT.
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
}


def harden_gdal() -> None:
    """Set the environment GDAL reads when it starts (idempotent)."""
    skipped = set(os.environ.get("GDAL_SKIP", "").split()) | set(SKIPPED_DRIVERS)
    os.environ["GDAL_SKIP"] = " ".join(sorted(skipped))
    os.environ.update(NO_NETWORK)
    for name in ("NO_PROXY", "no_proxy"):  # the observatory makes no request of its own
        os.environ.pop(name, None)
