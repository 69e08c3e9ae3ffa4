"""The état 4001: its nomenclature, the figures' values, queries and the dashboard statistics.

- ``nomenclature``: the 107 index (published and display labels, unit, indicator, family).
- ``values``: periods, perimeters, départements and index lists, checked.
- ``queries``: filtered tidy rows and the per-family yearly series for a service or a
  département (``series`` computes the changes and the Poisson z without a database).
- ``services``: the editable mapping of services to the communes they cover.

The readers and the importer of the files are in ``ingest/etat4001``.
"""
