"""The boundary importer: communes and QPV outlines, with their populations.

- ``importer``: one file, one batch; features staged, repaired in PostGIS, upserted.
- ``vectors``: GeoJSON, GeoPackage and Shapefile read into WGS84 polygons (the CRS rule).
- ``populations``: the INSEE population tables of communes and QPV.
"""

from ingest.boundaries.importer import import_communes, import_qpv

__all__ = ["import_communes", "import_qpv"]
