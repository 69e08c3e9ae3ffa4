"""Observatoire de la tranquillité publique: the core (settings, database, models, analytics)."""

from observatory.gdalenv import harden_gdal

harden_gdal()  # before anything imports pyogrio (GDAL registers its drivers once)

__version__ = "0.1.0"
