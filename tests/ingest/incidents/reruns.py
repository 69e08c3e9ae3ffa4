"""What the tests of re-runs (rerun, remap, regeocode) read back of a batch."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

HEADER = "Référence;Date des faits;Heure;Nature;Longitude;Latitude"


def export(folder: Path, rows: list[str], title: str | None = None) -> Path:
    """A main courante export under HEADER, after a title line if given."""
    path = folder / "main_courante.csv"
    lines = [title, HEADER] if title else [HEADER]
    path.write_text("\n".join([*lines, *rows]) + "\n", encoding="utf-8")
    return path


def rejects(db: Engine, batch_id: int) -> dict[int, tuple[str, int | None]]:
    """The batch's rejects: row number -> (reason, the batch that re-ran it)."""
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT row_number, reason, rerun_batch_id FROM import_reject WHERE batch_id = :b"
            ),
            {"b": batch_id},
        )
        return {r.row_number: (r.reason, r.rerun_batch_id) for r in rows}
