"""The mapping assistant: what a batch left unknown, and its rejects imported again.

After an import, the import page's assistant (api/static/js/pages/assistant.js) shows what the
import did not recognise (assistant_view): for a file refused as a whole, the required fields
it found no column for and the file's header; for a batch that went through, the category
labels it rejected, each with its number of rows (those not yet re-run) and the closest
categories. The admin's choices are saved as a named mapping (ingest.incidents.saved).

A succeeded batch's « catégorie inconnue » rejects are then imported again with that mapping
as a new batch of the same source: ``rerun_batch(engine, batch_id, REMAP, mapping=…)``
(ingest/incidents/rerun.py: how, and how the accounting stays exact). Its record names the
batch it re-ran (``details.rerun_of``) and the mapping (``details.mapping``); the first
batch's record, the batches that re-ran it (``details.rerun_by``).

A file refused as a whole left no rows behind, and uploads are not kept (the API imports from a
temporary folder): that file is imported again by uploading it with the saved mapping chosen.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ingest.incidents.rerun import RerunKind, open_reasons
from observatory.imports import get_batch
from observatory.labels import UNKNOWN_CATEGORY, unknown_label

NOT_KEPT = (
    "Le fichier n'a pas été conservé après son refus : téléversez-le de nouveau en choisissant "
    "la correspondance enregistrée."
)
# The reasons the assistant's choices can change: an unknown category label.
REMAP = RerunKind(
    patterns=(UNKNOWN_CATEGORY.split("«")[0] + "«%",),
    reasons="« catégorie inconnue »",
    verb="relancer",
    done="relancés",
    title="relance",
    slug="relance",
    of_key="rerun_of",
    by_key="rerun_by",
    refused=NOT_KEPT,
)


def assistant_view(conn: Connection, batch_id: int) -> dict[str, Any]:
    """What a batch left unknown: missing fields and the file's header, unknown labels."""
    batch = get_batch(conn, batch_id)
    details = batch.details
    refused = batch.status == "failed" and bool(details.get("missing_fields"))
    labels: list[dict[str, Any]] = []
    if batch.kind == "incidents" and batch.status == "succeeded":
        suggested = details.get("category_suggestions") or {}
        by_label: dict[str, int] = {}
        for reason, rows in open_reasons(conn, batch_id, REMAP):
            label = unknown_label(reason)
            if label is not None:
                by_label[label] = by_label.get(label, 0) + rows
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
