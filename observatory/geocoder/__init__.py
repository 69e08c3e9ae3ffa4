"""Offline geocoding of French addresses: addok on a project-local Redis, fed with the BAN.

``server`` runs the Redis, ``engine`` configures addok and searches (``geocode_batch``),
``ban`` reads the BAN's address files, ``load`` puts them in the reference commune by commune.
"""

from observatory.geocoder.engine import Result, connect, geocode, geocode_batch

__all__ = ["Result", "connect", "geocode", "geocode_batch"]
