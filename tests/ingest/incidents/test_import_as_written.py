"""A town's export as it comes: a title above the header, French headers with articles, labels
typed by hand, a total line, and no mapping file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from ingest.incidents.headers import csv_header
from ingest.incidents.mapping import mapping_from_dict
from ingest.incidents.rows import unknown_category_reason
from observatory.categories import CATEGORIES
from observatory.errors import InvalidInput
from observatory.labels import CategoryMatcher, unknown_label
from observatory.settings import Settings
from tests.conftest import auth

FOOTER = "ligne de total ou de pied de tableau"
# Line by line: 1-2 a title and a period, 3 blank, 4 the header, then the facts and the footer.
MUNICIPAL_CSV = """\
Export main courante — Police municipale de Toulouse
Période du 01/01/2024 au 31/01/2024;;;;;;;
;;;;;;;
N° de main courante;Date de début des faits;Heure de début;Nature de l'intervention;\
Lieu d'intervention;Code INSEE;Longitude;Latitude
MC-1;15/01/2024;22:10;Violences volontaires;2 rue du Taur;31555;1,44330;43,60450
MC-2;16/01/2024;08:00;Dégradation de biens;5 allée Jean Jaurès;31555;1,44900;43,60600
MC-3;17/01/2024;23:30;Occupation de hall d'immeuble;12 rue de Gironis;31555;1,41900;43,56600
MC-4;18/01/2024;10:00;Chien errant;Place du Capitole;31555;1,44395;43,60447
MC-5;19/01/2024;01:15;Tapage nocturne;3 place Saint-Pierre;31555;1,43700;43,60400
MC-1;15/01/2024;22:10;Violences volontaires;2 rue du Taur;31555;1,44330;43,60450
;;;;;;;
Total;;;;;;;6
Nombre de lignes : 6;;;;;;;
"""


def rejects_of(db: Engine, batch_id: int) -> dict[int, str]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT row_number, reason FROM import_reject WHERE batch_id = :b"),
            {"b": batch_id},
        )
        return {r.row_number: r.reason for r in rows}


def categories_of(db: Engine, batch_id: int) -> dict[str, str]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT source_ref, category_code FROM incident WHERE batch_id = :b"),
            {"b": batch_id},
        )
        return {r.source_ref: r.category_code for r in rows}


@pytest.fixture
def municipal_csv(tmp_path: Path) -> Path:
    path = tmp_path / "main_courante_janvier.csv"
    path.write_text(MUNICIPAL_CSV, encoding="utf-8")
    return path


def test_a_municipal_csv_imports_without_a_mapping(
    db: Engine, settings: Settings, municipal_csv: Path
) -> None:
    summary = import_incidents(db, municipal_csv, settings=settings)
    assert summary.status == "succeeded"
    # The title, period and blank lines above the header are no data rows; the two footer
    # lines are read and rejected for what they are.
    assert (summary.rows_read, summary.rows_imported) == (8, 4)
    assert (summary.rows_duplicate, summary.rows_rejected) == (1, 3)
    assert summary.rows_read == (
        summary.rows_imported + summary.rows_duplicate + summary.rows_rejected
    )
    assert categories_of(db, summary.batch_id) == {
        "MC-1": "violences_physiques",
        "MC-2": "degradation_bien_prive",
        "MC-3": "occupation_halls",
        "MC-5": "tapage",
    }
    reasons = rejects_of(db, summary.batch_id)
    assert set(reasons) == {8, 12, 13}  # the lines of the file
    assert reasons[12] == reasons[13] == FOOTER
    assert reasons[8].startswith("Catégorie inconnue « Chien errant » ; les plus proches : ")
    assert unknown_label(reasons[8]) == "Chien errant"
    suggestions = summary.details["category_suggestions"]["Chien errant"]
    labels = {c.code: c.label for c in CATEGORIES}
    assert len(suggestions) == 3
    assert all(labels[s["code"]] == s["label"] for s in suggestions)
    assert ", ".join(s["label"] for s in suggestions) in reasons[8]


def test_the_rejects_api_gives_the_suggestions(
    client: TestClient, make_token: Callable[[str], str], municipal_csv: Path
) -> None:
    admin = make_token("admin")
    with municipal_csv.open("rb") as handle:
        created = client.post(
            "/api/v1/imports",
            headers=auth(admin),
            files={"file": (municipal_csv.name, handle, "text/csv")},
            data={"kind": "incidents"},
        )
    assert created.status_code == 201, created.text
    batch = created.json()
    page = client.get(f"/api/v1/imports/{batch['batch_id']}/rejects", headers=auth(admin))
    items = {r["row_number"]: r for r in page.json()["items"]}
    assert items[12]["suggestions"] == items[13]["suggestions"] == []
    assert len(items[8]["suggestions"]) == 3
    assert items[8]["suggestions"] == batch["details"]["category_suggestions"]["Chien errant"]
    # The roles that may not read raw values see neither the labels nor their suggestions.
    analyst = client.get(
        f"/api/v1/imports/{batch['batch_id']}", headers=auth(make_token("analyst"))
    )
    assert "category_suggestions" not in analyst.json()["details"]
    assert analyst.json()["details"]["unknown_categories_count"] == 1


def municipal_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Main courante"
    sheet.append(["Export main courante — Police municipale de Toulouse"])  # row 1
    sheet.append([])  # row 2: the logo's place
    sheet.append(["Édité le 02/02/2024 par le poste central"])  # row 3
    sheet.append([])  # row 4
    sheet.append(
        [
            "Référence",
            "Date et heure des faits",
            "Nature des faits",
            "Adresse de l'intervention",
            "Commune",
            "Coordonnées X (Lambert 93)",
            "Coordonnées Y (Lambert 93)",
        ]
    )  # row 5
    facts = [
        ("PM-1", datetime(2024, 1, 15, 22, 10), "Violences volontaires"),
        ("PM-2", datetime(2024, 1, 16, 8, 0), "DÉGRADATION DE BIENS"),
        ("PM-3", datetime(2024, 1, 17, 23, 30), "Occupation de hall d’immeuble"),
        ("PM-4", datetime(2024, 1, 18, 9, 45), "Nuisances sonores"),
        ("PM-5", datetime(2024, 1, 19, 14, 0), "Rodéos urbains"),
    ]
    for ref, when, nature in facts:  # rows 6-10
        sheet.append([ref, when, nature, "14 rue Pargaminières", "TOULOUSE", 573953.62, 6279586.48])
    sheet.append(["PM-6", datetime(2024, 1, 20, 3, 0), "Feu de broussailles", "", "TOULOUSE",
                  573744.47, 6279508.35])  # row 11  # fmt: skip
    sheet.append([])  # row 12
    sheet.append(["Total général", None, None, None, None, None, 6])  # row 13
    book.save(path)
    return path


def test_a_municipal_workbook_with_a_title_imports_without_a_mapping(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = municipal_workbook(tmp_path / "main_courante.xlsx")
    summary = import_incidents(db, path, settings=settings)
    assert summary.status == "succeeded"
    assert (summary.rows_read, summary.rows_imported) == (7, 5)
    assert (summary.rows_duplicate, summary.rows_rejected) == (0, 2)
    assert categories_of(db, summary.batch_id) == {
        "PM-1": "violences_physiques",
        "PM-2": "degradation_bien_prive",
        "PM-3": "occupation_halls",
        "PM-4": "tapage",
        "PM-5": "rodeo_urbain",
    }
    reasons = rejects_of(db, summary.batch_id)
    assert set(reasons) == {11, 13}  # the spreadsheet's row numbers
    assert reasons[13] == FOOTER
    assert reasons[11].startswith("Catégorie inconnue « Feu de broussailles » ; les plus proches")


def test_header_row_in_the_mapping_overrides_the_search(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = municipal_workbook(tmp_path / "main_courante.xlsx")
    summary = import_incidents(
        db, path, settings=settings, mapping=mapping_from_dict({"header_row": 5})
    )
    assert (summary.rows_read, summary.rows_imported, summary.rows_rejected) == (7, 5, 2)
    with pytest.raises(InvalidInput, match=r"header_row = 2 : la ligne 2 .* est vide"):
        import_incidents(db, path, settings=settings, mapping=mapping_from_dict({"header_row": 2}))
    # Row 3 as the header: « Édité le … » names no column, the file is refused naming it.
    with pytest.raises(InvalidInput, match=r"Colonnes introuvables .*Édité le 02/02/2024"):
        import_incidents(db, path, settings=settings, mapping=mapping_from_dict({"header_row": 3}))


def test_csv_header_is_found_below_a_title(tmp_path: Path, municipal_csv: Path) -> None:
    names, index = csv_header(municipal_csv, "utf-8", ";")
    assert index == 3 and names[:2] == ["N° de main courante", "Date de début des faits"]
    # Given by its line (a quoted value over two lines above it: lines are not records).
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('"Export\nmain courante";x\nDate;Nature;Lieu\n15/01/2024;Tapage;Place\n')
    assert csv_header(quoted, "utf-8", ";") == (["Date", "Nature", "Lieu"], 1)
    assert csv_header(quoted, "utf-8", ";", header_row=3) == (["Date", "Nature", "Lieu"], 1)
    with pytest.raises(InvalidInput, match="header_row = 2"):
        csv_header(quoted, "utf-8", ";", header_row=2)  # inside the quoted value


def test_with_no_known_name_the_first_row_stays_the_header(tmp_path: Path) -> None:
    path = tmp_path / "unknown.csv"
    path.write_text("\nalpha;beta\n1;2\nDate;Nature\n", encoding="utf-8")
    # Row 4 names two fields but lies below data: the best row wins, the first of equals.
    assert csv_header(path, "utf-8", ";") == (["Date", "Nature"], 3)
    path.write_text("\nalpha;beta\n1;2\n", encoding="utf-8")
    assert csv_header(path, "utf-8", ";") == (["alpha", "beta"], 1)


def test_the_mapping_columns_count_when_the_header_is_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text("Rapport du jour;\nQuand;Quoi\n15/01/2024;Tapage\n", encoding="utf-8")
    assert csv_header(path, "utf-8", ";", columns=["Quand", "Quoi"]) == (["Quand", "Quoi"], 1)
    assert csv_header(path, "utf-8", ";")[1] == 0


def test_the_reason_names_the_closest_categories_and_gives_the_label_back() -> None:
    names = {n: c.code for c in CATEGORIES for n in (c.code, c.label, *c.aliases)}
    matcher = CategoryMatcher.of(names, {c.code: c.label for c in CATEGORIES})
    reason = unknown_category_reason("Tapage diurnes répétés", matcher)
    assert reason.startswith(
        "Catégorie inconnue « Tapage diurnes répétés » ; les plus proches : "
        "Tapage et nuisances sonores, "
    )
    assert unknown_label(reason) == "Tapage diurnes répétés"
    assert unknown_label("date illisible : « 31/02/2024 »") is None
