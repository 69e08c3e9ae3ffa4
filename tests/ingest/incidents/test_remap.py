"""The mapping assistant's back end: what a batch left unknown, saved mappings, their TOML
export, and a batch's unknown-label rejects imported again with the accounting kept exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from ingest.incidents.mapping import load_mapping, mapping_from_dict
from ingest.incidents.remap import REMAP, assistant_view
from ingest.incidents.rerun import rerun_batch
from ingest.incidents.saved import (
    delete_saved,
    get_saved,
    list_saved,
    load_saved,
    mapping_argument,
    mapping_toml,
    save_mapping,
)
from observatory.errors import InvalidInput, NotFound
from observatory.imports import read_batch
from observatory.settings import Settings
from tests.ingest.incidents.reruns import export, rejects

# Line 2 a known label; lines 3, 4 and 6 labels the nomenclature does not know; line 5 a bad
# date; line 7 a known label again. (Not « Feu de poubelle »: the nomenclature knows it.)
ROWS = [
    "R-1;15/01/2024;22:10;Tapage nocturne;1,44330;43,60450",
    "R-2;16/01/2024;08:00;Chien errant;1,44900;43,60600",
    "R-3;16/01/2024;09:00;Chien errant;1,44910;43,60610",
    "R-4;32/01/2024;10:00;Tapage nocturne;1,41900;43,56600",
    "R-5;18/01/2024;10:00;Nid de frelons;1,44395;43,60447",
    "R-6;19/01/2024;01:15;Rixe;1,43700;43,60400",
]


@pytest.fixture
def main_courante(tmp_path: Path) -> Path:
    return export(tmp_path, ROWS)


def counts(summary: Any) -> tuple[int, int, int, int]:
    return (
        summary.rows_read,
        summary.rows_imported,
        summary.rows_duplicate,
        summary.rows_rejected,
    )


def references(db: Engine, batch_id: int) -> dict[str, str]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT source_ref, category_code FROM incident WHERE batch_id = :b"),
            {"b": batch_id},
        )
        return {r.source_ref: r.category_code for r in rows}


def test_unknown_labels_are_listed_then_rerun_with_a_saved_mapping(
    db: Engine, settings: Settings, main_courante: Path
) -> None:
    first = import_incidents(db, main_courante, settings=settings)
    assert counts(first) == (6, 2, 0, 4)

    with db.connect() as conn:
        view = assistant_view(conn, first.batch_id)
    assert view["missing_fields"] == [] and view["header"] == []
    assert [(u["label"], u["rows"]) for u in view["unknown_labels"]] == [
        ("Chien errant", 2),
        ("Nid de frelons", 1),
    ]
    assert all(len(u["suggestions"]) == 3 for u in view["unknown_labels"])
    assert view["rerunnable"] == 3  # the bad date is not the assistant's to mend

    # The admin maps one label of the two; the other stays unknown.
    with db.begin() as conn:
        saved, created = save_mapping(
            conn, "PM Toulouse", {"categories": {"Chien errant": "incivilite"}}, "api:admin"
        )
    assert created and saved.created_by == "api:admin"
    with db.connect() as conn:
        mapping = load_saved(conn, "PM Toulouse")
    second = rerun_batch(
        db, first.batch_id, REMAP, settings=settings, mapping=mapping, mapping_name="PM Toulouse"
    )

    # The new batch read exactly the three re-run rows: two imported, one rejected again
    # under its row number in the first file.
    assert counts(second) == (3, 2, 0, 1)
    assert second.file_name == f"main_courante.csv (relance du lot {first.batch_id})"
    assert second.details["rerun_of"] == first.batch_id
    assert second.details["mapping"] == "PM Toulouse"
    assert references(db, second.batch_id) == {"R-2": "incivilite", "R-3": "incivilite"}
    again = rejects(db, second.batch_id)
    assert list(again) == [6] and again[6][0].startswith("Catégorie inconnue « Nid de frelons »")

    # The first batch's counts do not change; its re-run rejects name the new batch.
    first_after = read_batch(db, first.batch_id)
    assert counts(first_after) == counts(first)
    assert first_after.details["rerun_by"] == [second.batch_id]
    marks = {n: rerun for n, (_, rerun) in rejects(db, first.batch_id).items()}
    assert marks == {3: second.batch_id, 4: second.batch_id, 5: None, 6: second.batch_id}

    # Nothing counted twice: every fact stored once, each in one batch.
    with db.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    assert stored == first.rows_imported + second.rows_imported == 4

    # The first batch has nothing left to re-run; the second has its own unknown label.
    with db.connect() as conn:
        assert assistant_view(conn, first.batch_id)["unknown_labels"] == []
        left = assistant_view(conn, second.batch_id)
    assert [(u["label"], u["rows"]) for u in left["unknown_labels"]] == [("Nid de frelons", 1)]
    assert left["mapping"] == "PM Toulouse"
    with pytest.raises(InvalidInput, match="déjà été"):
        rerun_batch(db, first.batch_id, REMAP, settings=settings, mapping=mapping)

    with db.begin() as conn:
        save_mapping(
            conn,
            "PM Toulouse",
            {"categories": {"Chien errant": "incivilite", "Nid de frelons": "autre"}},
            "api:autre",
        )
        replaced = get_saved(conn, "PM Toulouse")
    assert replaced.created_by == "api:admin"  # the first author stays
    with db.connect() as conn:
        mapping = load_saved(conn, "PM Toulouse")
    third = rerun_batch(db, second.batch_id, REMAP, settings=settings, mapping=mapping)
    assert counts(third) == (1, 1, 0, 0)
    assert references(db, third.batch_id) == {"R-5": "autre"}


def test_a_refused_file_names_its_columns_and_imports_with_the_saved_mapping(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Numéro;Quand;Quoi;Où\n"
        "A-1;15/01/2024 22:10;Tapage nocturne;2 rue du Taur, Toulouse\n"
        "A-2;16/01/2024 08:00;Rixe;5 allée Jean Jaurès, Toulouse\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="Colonnes introuvables"):
        import_incidents(db, path, settings=settings)
    with db.connect() as conn:
        batch_id = conn.execute(text("SELECT max(id) FROM import_batch")).scalar_one()
        view = assistant_view(conn, batch_id)
    assert read_batch(db, batch_id).status == "failed"
    assert view["header"] == ["Numéro", "Quand", "Quoi", "Où"]
    assert view["missing_fields"] == ["date", "category", "place"]
    assert view["file_kept"] is False and "téléversez-le de nouveau" in view["advice"]
    with pytest.raises(InvalidInput, match="refusé en entier"):
        rerun_batch(db, batch_id, REMAP, settings=settings, mapping=mapping_from_dict({}))

    document = {
        "columns": {"source_ref": "Numéro", "datetime": "Quand", "category": "Quoi"},
        "territory": "none",
    }
    with db.begin() as conn:
        save_mapping(conn, "export-quand-quoi", document, "cli:test")
    # No place column yet: the file is refused again, naming what is still missing.
    with db.connect() as conn:
        mapping, name = mapping_argument("export-quand-quoi", conn)
    assert name == "export-quand-quoi"
    with pytest.raises(InvalidInput, match="un lieu"):
        import_incidents(db, path, settings=settings, mapping=mapping, mapping_name=name)
    with db.connect() as conn:
        again = conn.execute(text("SELECT max(id) FROM import_batch")).scalar_one()
        assert assistant_view(conn, again)["missing_fields"] == ["place"]
        assert assistant_view(conn, again)["mapping"] == "export-quand-quoi"


def test_mapping_argument_prefers_an_existing_file(db: Engine, tmp_path: Path) -> None:
    with db.begin() as conn:
        save_mapping(conn, "export", {"date_order": "ymd"}, None)
    (tmp_path / "export").write_text('date_order = "mdy"\n', encoding="utf-8")
    with db.connect() as conn:
        by_name, name = mapping_argument("export", conn)
        by_file, no_name = mapping_argument(str(tmp_path / "export"), conn)
        with pytest.raises(NotFound, match="enregistrées : export"):
            mapping_argument("inconnue", conn)
    assert (by_name.date_order, name) == ("ymd", "export")
    assert (by_file.date_order, no_name) == ("mdy", None)


DOCUMENTS = [
    {},
    {
        "source": "police-municipale",
        "timezone": "Europe/Paris",
        "crs": 2154,
        "date_order": "dmy",
        "separator": "\t",
        "encoding": "cp1252",
        "territory": [1.2, 43.5, 1.6, 43.8],
        "month_is_interval": False,
        "sheet": 2,
        "header_row": 4,
        "columns": {"category": "Nature de l'intervention", "datetime": 'Date "début"'},
        "categories": {
            "Chien errant": "incivilite",
            'Tapage "nocturne" \\ voisinage': "tapage",
            "clé.avec=signes [crochets]": "autre",
            "Ligne\u00a0insécable": "rixe",
        },
    },
    {"sheet": "Faits 2024", "territory": "none", "separator": "tab"},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_toml_export_reads_back_identically(document: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "export.toml"
    path.write_text(mapping_toml("essai « 1 »", document), encoding="utf-8")
    assert load_mapping(path) == mapping_from_dict(document)


def test_saved_mappings_are_checked_listed_and_deleted(db: Engine) -> None:
    with db.begin() as conn:
        with pytest.raises(InvalidInput, match="code\\(s\\) de catégorie inconnu"):
            save_mapping(conn, "mauvaise", {"categories": {"Chien": "chien"}}, None)
        with pytest.raises(InvalidInput, match="Nom de correspondance refusé"):
            save_mapping(conn, "../x", {}, None)
        save_mapping(conn, "b", {}, None)
        save_mapping(conn, "a", {"crs": 2154}, None)
    with db.begin() as conn:
        assert [s.name for s in list_saved(conn)] == ["a", "b"]
        delete_saved(conn, "a")
        with pytest.raises(NotFound):
            delete_saved(conn, "a")
        assert [s.name for s in list_saved(conn)] == ["b"]


def test_names_and_texts_postgresql_cannot_hold_are_refused(db: Engine) -> None:
    with db.begin() as conn:
        with pytest.raises(NotFound):
            get_saved(conn, "a\0b")
        with pytest.raises(InvalidInput, match="NUL"):
            save_mapping(conn, "nul", {"categories": {"Chien\0": "autre"}}, None)
