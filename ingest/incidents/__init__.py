"""The incident importer: a CSV, XLSX or vector file of incidents in, one tracked batch out.

- ``importer``: one file, one batch; the stages below overlap, every row is accounted for.
- ``mapping`` and ``profiles/``: how a file maps onto the observatory's fields.
- ``reading`` (with ``plaincsv`` and ``headers``): the file into chunks of text cells.
- ``parse`` (with ``columns``, ``dates``, ``datevalues``, ``places``): cells into typed rows
  and rejects.
- ``rows``: categories, references, H3 cells, local time and territories of the rows.
- ``copying`` and ``pgbinary``: binary COPY into PostgreSQL; ``ahead``: stages in threads.
"""

from ingest.incidents.importer import import_incidents, resolve_mapping

__all__ = ["import_incidents", "resolve_mapping"]
