"""The mapping assistant: what a batch left unknown, and its rejects imported again.

After an import, the import page's assistant (api/static/js/pages/assistant.js) shows what the
import did not recognise (assistant_view): for a file refused as a whole, the required fields
it found no column for and the file's header; for a batch that went through, the category
labels it rejected, each with its number of rows (those not yet re-run) and the closest
categories. The admin's choices are saved as a named mapping (ingest.incidents.saved).

A succeeded batch's « catégorie inconnue » rejects are then imported again with that mapping
(remap_batch): written back, from the values kept with each reject, into a CSV file under
their original headers, and imported as a new batch of the same source. Its rows keep their
row numbers in the first file; its record names the batch it re-ran (``details.rerun_of``)
and the mapping (``details.mapping``); the first batch's record, the batches that re-ran it
(``details.rerun_by``).

The accounting stays exact in both. The first batch's counts are what its file gave at the
time and never change; each reject re-run is marked with the new batch
(``import_reject.rerun_batch_id``) in the new batch's transaction, and is never re-run from
that batch again. The new batch reads exactly those rows and imports, finds as duplicates or
rejects each of them again: rows_read = imported + duplicates + rejected. A row is thus counted
rejected in the first batch and imported in the second, never imported twice; what is still
rejected is the first batch's rejects not re-run, plus the new batch's own.

A file refused as a whole left no rows behind, and uploads are not kept (the API imports from a
temporary folder): that file is imported again by uploading it with the saved mapping chosen.
"""

from __future__ import annotations

import csv
import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from ingest.incidents.importer import Rerun, import_incidents
from ingest.incidents.mapping import Mapping
from observatory.errors import InvalidInput
from observatory.imports import BatchSummary, get_batch
from observatory.labels import UNKNOWN_CATEGORY, unknown_label
from observatory.settings import Settings

# The reasons the assistant's choices can change: an unknown category label.
UNKNOWN_PATTERN = UNKNOWN_CATEGORY.split("«")[0] + "«%"
OPEN_REJECTS = (
    "FROM import_reject WHERE batch_id = :batch AND rerun_batch_id IS NULL AND reason LIKE :pattern"
)
NOT_KEPT = (
    "Le fichier n'a pas été conservé après son refus : téléversez-le de nouveau en choisissant "
    "la correspondance enregistrée."
)


def assistant_view(conn: Connection, batch_id: int) -> dict[str, Any]:
    """What a batch left unknown: missing fields and the file's header, unknown labels."""
    batch = get_batch(conn, batch_id)
    details = batch.details
    refused = batch.status == "failed" and bool(details.get("missing_fields"))
    labels: list[dict[str, Any]] = []
    if batch.kind == "incidents" and batch.status == "succeeded":
        suggested = details.get("category_suggestions") or {}
        counted = conn.execute(
            text(f"SELECT reason, count(*) AS rows {OPEN_REJECTS} GROUP BY reason"),
            {"batch": batch_id, "pattern": UNKNOWN_PATTERN},
        ).all()
        by_label: dict[str, int] = {}
        for reason, rows in counted:
            label = unknown_label(reason)
            if label is not None:
                by_label[label] = by_label.get(label, 0) + int(rows)
        labels = [
            {
                "label": label,
                "rows": rows,
                "suggestions": list(suggested.get(label.replace("\0", "\ufffd")) or []),
            }
            for label, rows in sorted(by_label.items(), key=lambda item: (-item[1], item[0]))
        ]
    return {
        "batch_id": batch_id,
        "mapping": details.get("mapping"),
        "missing_fields": list(details.get("missing_fields") or []) if refused else [],
        "header": list(details.get("header") or []) if refused else [],
        "unknown_labels": labels,
        "rerunnable": sum(item["rows"] for item in labels),
        "file_kept": False,
        "advice": NOT_KEPT if refused else None,
    }


def remap_batch(
    engine: Engine,
    batch_id: int,
    *,
    settings: Settings,
    mapping: Mapping,
    mapping_name: str | None = None,
    run_by: str = "cli",
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Import again, as a new batch and with ``mapping``, a batch's unknown-category rejects.

    The mapping's reading options (separator, encoding, sheet, header row) do not apply to the
    file written here; its columns, categories, dates and places do.
    """
    with engine.connect() as conn:
        first = get_batch(conn, batch_id)
        if first.kind == "incidents" and first.status == "failed":
            raise InvalidInput(f"Le lot n° {batch_id} a été refusé en entier. {NOT_KEPT}")
        if first.kind != "incidents" or first.status != "succeeded":
            raise InvalidInput(
                f"Le lot n° {batch_id} n'est pas un import de faits réussi : rien à relancer."
            )
        rejects = conn.execute(
            text(f"SELECT id, row_number, raw {OPEN_REJECTS} ORDER BY row_number, id"),
            {"batch": batch_id, "pattern": UNKNOWN_PATTERN},
        ).all()
    if not rejects:
        raise InvalidInput(
            f"Le lot n° {batch_id} n'a aucun rejet « catégorie inconnue » à relancer "
            "(ou ils l'ont déjà été)."
        )
    ids = [int(r.id) for r in rejects]
    written = dataclasses.replace(
        mapping, separator=";", encoding="utf-8", sheet=None, header_row=None
    )

    def finish(conn: Connection, new_batch: int) -> dict[str, Any]:
        marked = conn.execute(
            text(
                "UPDATE import_reject SET rerun_batch_id = :new "
                "WHERE id = ANY(:ids) AND rerun_batch_id IS NULL"
            ),
            {"new": new_batch, "ids": ids},
        ).rowcount
        if marked != len(ids):  # another batch re-ran some of them meanwhile
            raise InvalidInput(
                f"Les rejets du lot n° {batch_id} viennent d'être relancés par un autre lot : "
                "rien n'a été enregistré."
            )
        conn.execute(
            text(
                "UPDATE import_batch SET details = jsonb_set(details, '{rerun_by}', "
                "coalesce(details->'rerun_by', '[]'::jsonb) || to_jsonb(CAST(:new AS bigint))) "
                "WHERE id = :first"
            ),
            {"new": new_batch, "first": batch_id},
        )
        return {"rerun_of": batch_id}

    with tempfile.TemporaryDirectory(prefix="obs-remap-") as folder:
        path = Path(folder) / f"relance-lot-{batch_id}.csv"
        lines = write_rows(path, [r.raw or {} for r in rejects])
        rerun = Rerun(
            row_numbers=dict(zip(lines, (int(r.row_number) for r in rejects), strict=True)),
            file_name=f"{first.file_name} (relance du lot {batch_id})",
            finish=finish,
        )
        return import_incidents(
            engine,
            path,
            settings=settings,
            mapping=written,
            source=first.source,
            run_by=run_by,
            progress=progress,
            rerun=rerun,
            mapping_name=mapping_name,
        )


def write_rows(path: Path, raws: list[dict[str, Any]]) -> list[int]:
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
