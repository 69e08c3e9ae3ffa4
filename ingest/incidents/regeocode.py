"""A batch's address rejects imported again once the geocoder holds a reference.

The rows of a succeeded incident batch rejected « non géolocalisé » (the geocoder was down, or
the batch predates geocoding) or « adresse introuvable » are written back, from the values kept
with each reject, into a CSV file with their original headers, and imported as a new batch of
the same source. That batch's rows keep their row numbers in the first file; its record says
which batch it re-ran (``details.regeocode_of``), and the first batch's record the batches that
re-ran it (``details.regeocoded_by``).

The accounting stays exact in both: the first batch's counts are what its file gave at the time
and do not change; each of its rejects that was re-run is marked (``rerun_batch_id``), in the
new batch's transaction, and is never re-run again from that batch; the new batch reads exactly
those rows, and imports, finds as duplicates or rejects each of them again
(rows_read = imported + duplicates + rejected). What stays rejected is the first batch's
rejects not re-run, plus the new batch's own.
"""

from __future__ import annotations

import csv
import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from ingest.incidents.geocoding import RERUN_PREFIXES, geocoder_ready
from ingest.incidents.importer import Rerun, import_incidents
from ingest.incidents.mapping import Mapping, load_profile
from observatory.errors import InvalidInput
from observatory.imports import BatchSummary, get_batch
from observatory.settings import Settings

PATTERNS = [f"{prefix}%" for prefix in RERUN_PREFIXES]
SELECT_REJECTS = text(
    "SELECT id, row_number, raw FROM import_reject "
    "WHERE batch_id = :batch AND rerun_batch_id IS NULL AND reason LIKE ANY(:patterns) "
    "ORDER BY row_number, id"
)


def rerunnable(conn: Connection, batch_id: int) -> int:
    """How many rejects of the batch a regeocoding would import again."""
    return int(
        conn.execute(
            text(
                "SELECT count(*) FROM import_reject WHERE batch_id = :batch "
                "AND rerun_batch_id IS NULL AND reason LIKE ANY(:patterns)"
            ),
            {"batch": batch_id, "patterns": PATTERNS},
        ).scalar_one()
    )


def regeocode_batch(
    engine: Engine,
    batch_id: int,
    *,
    settings: Settings,
    mapping: Mapping | None = None,
    run_by: str = "cli",
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Import again, as a new batch, the address rejects of a batch; the new batch's summary.

    ``mapping``: the one the first import used (default: the municipal profile); its reading
    options (separator, encoding, sheet) do not apply to the file written here.
    """
    with engine.connect() as conn:
        first = get_batch(conn, batch_id)
        if first.kind != "incidents" or first.status != "succeeded":
            raise InvalidInput(
                f"Le lot n° {batch_id} n'est pas un import de faits réussi : rien à regéocoder."
            )
        rejects = conn.execute(SELECT_REJECTS, {"batch": batch_id, "patterns": PATTERNS}).all()
    if not rejects:
        raise InvalidInput(
            f"Le lot n° {batch_id} n'a aucun rejet « non géolocalisé » ou « adresse introuvable » "
            "à regéocoder (ou ils l'ont déjà été)."
        )
    if not geocoder_ready(settings):
        raise InvalidInput(
            "Le géocodeur est arrêté ou n'a pas de référence d'adresses : lancez "
            "« observatory geocoder start », puis « observatory geocoder load FICHIER », "
            "et recommencez."
        )
    ids = [int(r.id) for r in rejects]
    chosen = dataclasses.replace(
        mapping or load_profile("municipal"), separator=";", encoding="utf-8", sheet=None
    )

    def finish(conn: Connection, new_batch: int) -> dict[str, Any]:
        marked = conn.execute(
            text(
                "UPDATE import_reject SET rerun_batch_id = :new "
                "WHERE id = ANY(:ids) AND rerun_batch_id IS NULL"
            ),
            {"new": new_batch, "ids": ids},
        ).rowcount
        if marked != len(ids):  # another regeocoding took some of them meanwhile
            raise InvalidInput(
                f"Les rejets du lot n° {batch_id} viennent d'être regéocodés par un autre lot : "
                "rien n'a été enregistré."
            )
        conn.execute(
            text(
                "UPDATE import_batch SET details = jsonb_set(details, '{regeocoded_by}', "
                "coalesce(details->'regeocoded_by', '[]'::jsonb) || to_jsonb(CAST(:new AS bigint)))"
                " WHERE id = :first"
            ),
            {"new": new_batch, "first": batch_id},
        )
        return {"regeocode_of": batch_id}

    with tempfile.TemporaryDirectory(prefix="obs-regeocode-") as folder:
        path = Path(folder) / f"regeocodage-lot-{batch_id}.csv"
        lines = _write_rows(path, [r.raw or {} for r in rejects])
        rerun = Rerun(
            row_numbers=dict(zip(lines, (int(r.row_number) for r in rejects), strict=True)),
            file_name=f"{first.file_name} (regéocodage du lot {batch_id})",
            finish=finish,
        )
        return import_incidents(
            engine,
            path,
            settings=settings,
            mapping=chosen,
            source=first.source,
            run_by=run_by,
            progress=progress,
            rerun=rerun,
        )


def _write_rows(path: Path, raws: list[dict[str, Any]]) -> list[int]:
    """The rows as a ;-separated UTF-8 CSV under their headers; the line of each row."""
    header = list(dict.fromkeys(key for raw in raws for key in raw))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        for raw in raws:
            writer.writerow([_cell(raw.get(name)) for name in header])
    return list(range(2, len(raws) + 2))


def _cell(value: Any) -> str:
    """A value on one line: each row is one line, so that its line gives back its number."""
    if value is None:
        return ""
    return " ".join(str(value).splitlines())
