"""The command line with saved mappings: --mapping NAME or a file, mappings save/list/export,
imports remap."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text

from ingest.incidents.mapping import load_mapping
from tests.ingest.incidents.test_import_tracking import cli

EXPORT = (
    "Numéro;Quand;Quoi;Longitude;Latitude\n"
    "C-1;15/01/2024 22:10;Tapage nocturne;1,44330;43,60450\n"
    "C-2;16/01/2024 08:00;Chien errant;1,44900;43,60600\n"
)


def test_mapping_by_name_or_by_file(database_url: str, db: Engine, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    toml = tmp_path / "colonnes.toml"
    toml.write_text('[columns]\ndatetime = "Quand"\ncategory = "Quoi"\n', encoding="utf-8")

    unknown = cli(["import", "incidents", str(export), "--mapping", "pm-cli"], database_url)
    assert unknown.returncode == 1
    assert "Aucune correspondance enregistrée sous le nom « pm-cli »" in unknown.stderr

    saved = cli(["mappings", "save", "pm-cli", str(toml)], database_url)
    assert saved.returncode == 0 and "« pm-cli » créée" in saved.stdout
    listed = cli(["mappings", "list"], database_url)
    assert listed.stdout.startswith("pm-cli : 2 colonne(s), 0 libellé(s)")

    by_name = cli(
        ["import", "incidents", str(export), "--mapping", "pm-cli", "--json"], database_url
    )
    assert by_name.returncode == 0, by_name.stderr
    first = json.loads(by_name.stdout)
    assert (first["rows_read"], first["rows_imported"], first["rows_rejected"]) == (2, 1, 1)

    # The unknown label, mapped in the saved mapping, then its reject re-run.
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[categories]\n"Chien errant" = "incivilite"\n',
        encoding="utf-8",
    )
    assert cli(["mappings", "save", "pm-cli", str(toml)], database_url).returncode == 0
    remap = cli(
        ["imports", "remap", str(first["batch_id"]), "--mapping", "pm-cli", "--json"],
        database_url,
    )
    assert remap.returncode == 0, remap.stderr
    second = json.loads(remap.stdout)
    assert (second["rows_read"], second["rows_imported"], second["rows_rejected"]) == (1, 1, 0)
    with db.connect() as conn:
        details = conn.execute(
            text("SELECT details FROM import_batch WHERE id = :b"), {"b": second["batch_id"]}
        ).scalar_one()
    assert details["rerun_of"] == first["batch_id"] and details["mapping"] == "pm-cli"

    exported = cli(["mappings", "export", "pm-cli"], database_url)
    back = tmp_path / "exportee.toml"
    back.write_text(exported.stdout, encoding="utf-8")
    assert load_mapping(back) == load_mapping(toml)

    # A path still works, and wins over a saved mapping of the same name.
    again = cli(
        ["import", "incidents", str(export), "--mapping", str(toml), "--json"], database_url
    )
    assert json.loads(again.stdout)["rows_duplicate"] == 2
    both = cli(
        ["import", "incidents", str(export), "--mapping", "pm-cli", "--profile", "police-uk"],
        database_url,
    )
    assert both.returncode == 1 and "pas les deux" in both.stderr
