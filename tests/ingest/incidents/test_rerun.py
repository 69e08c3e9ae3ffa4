"""A batch's rejects imported again as a new batch (ingest/incidents/rerun.py): the file
written back from the raw values, a mapping's reading options left out, and a re-run that
another one overtook keeping nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from ingest.incidents.mapping import mapping_from_dict
from ingest.incidents.remap import REMAP
from ingest.incidents.rerun import rerun_batch, write_rows
from observatory.errors import InvalidInput
from observatory.imports import BatchSummary, read_batch
from observatory.settings import Settings
from tests.ingest.incidents.reruns import export, rejects


def test_rows_are_written_back_one_line_each_under_all_their_headers(tmp_path: Path) -> None:
    path = tmp_path / "relance.csv"
    raws = [
        {"Nature": "Rixe", "Adresse": "2 rue du Taur\r\nToulouse"},
        {"Adresse": None, "Nature": "Vol; simple", "Heure": "22:10"},
    ]

    assert write_rows(path, raws) == [2, 3]
    assert path.read_text(encoding="utf-8") == (
        'Nature;Adresse;Heure\nRixe;2 rue du Taur Toulouse;\n"Vol; simple";;22:10\n'
    )


def test_the_mappings_header_row_does_not_apply_to_the_file_written_back(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        "R-1;15/01/2024;22:10;Tapage nocturne;1,44330;43,60450",
        "R-2;16/01/2024;08:00;Chien errant;1,44900;43,60600",
        "R-3;17/01/2024;09:00;Nid de frelons;1,44910;43,60610",
    ]
    path = export(tmp_path, rows, title="Main courante de la police municipale, janvier 2024")
    first = import_incidents(
        db, path, settings=settings, mapping=mapping_from_dict({"header_row": 2})
    )
    assert (first.rows_read, first.rows_imported, first.rows_rejected) == (3, 1, 2)

    mapping = mapping_from_dict({"header_row": 2, "categories": {"Chien errant": "incivilite"}})
    second = rerun_batch(db, first.batch_id, REMAP, settings=settings, mapping=mapping)

    assert (second.rows_read, second.rows_imported, second.rows_rejected) == (2, 1, 1)
    [(row_number, (reason, rerun))] = rejects(db, second.batch_id).items()
    assert (row_number, rerun) == (5, None)  # its row number in the first file
    assert reason.startswith("Catégorie inconnue « Nid de frelons »")
    marks = {n: rerun for n, (_, rerun) in rejects(db, first.batch_id).items()}
    assert marks == {4: second.batch_id, 5: second.batch_id}


def test_a_rerun_overtaken_by_another_keeps_nothing(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        "R-1;16/01/2024;08:00;Chien errant;1,44900;43,60600",
        "R-2;17/01/2024;09:00;Nid de frelons;1,44910;43,60610",
    ]
    path = export(tmp_path, rows)
    first = import_incidents(db, path, settings=settings)
    assert (first.rows_read, first.rows_imported, first.rows_rejected) == (2, 0, 2)
    mapping = mapping_from_dict(
        {"categories": {"Chien errant": "incivilite", "Nid de frelons": "autre"}}
    )
    overtaking: list[BatchSummary] = []

    def meanwhile(_: Settings) -> None:
        """Runs once the rejects are chosen: another re-run of the same rejects commits first."""
        overtaking.append(
            rerun_batch(db, first.batch_id, REMAP, settings=settings, mapping=mapping)
        )

    racing = dataclasses.replace(REMAP, check=meanwhile)
    with pytest.raises(InvalidInput, match="viennent d'être relancés par un autre lot"):
        rerun_batch(db, first.batch_id, racing, settings=settings, mapping=mapping)

    [other] = overtaking
    assert (other.rows_read, other.rows_imported, other.rows_rejected) == (2, 2, 0)
    with db.connect() as conn:
        overtaken = conn.execute(text("SELECT max(id) FROM import_batch")).scalar_one()
        stored = conn.execute(
            text("SELECT batch_id, count(*) FROM incident GROUP BY batch_id")
        ).all()
    assert overtaken > other.batch_id and read_batch(db, overtaken).status == "failed"
    assert stored == [(other.batch_id, 2)]  # the rows imported once, by the batch that won
    marks = {n: rerun for n, (_, rerun) in rejects(db, first.batch_id).items()}
    assert marks == {2: other.batch_id, 3: other.batch_id}
    assert read_batch(db, first.batch_id).details["rerun_by"] == [other.batch_id]
