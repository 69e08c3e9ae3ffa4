"""Observatoire de la tranquillité publique: the core (settings, database, models, analytics)."""

__version__ = "0.1.0"
