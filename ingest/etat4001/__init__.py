"""État 4001 importers: the national workbook, local monthly extracts, the tidy CSV, and the
drop-folder runner of the scheduled job.

- ``national``, ``local``, ``tidy``: the readers, one per layout (each documents its layout).
- ``importer``: one file, one batch; figures inserted, revised (and logged) or unchanged.
- ``dropfolder``: what the drop folder of the scheduled job (``ingest.dropfolder``) imports
  and how its summary counts (figures new and revised).
- ``samples``: how the samples of data/samples are made (a cut of the national workbook, a
  generated local extract and tidy CSV).
"""

from ingest.etat4001.importer import import_etat4001
from observatory.errors import ImportBusy

__all__ = ["ImportBusy", "import_etat4001"]
