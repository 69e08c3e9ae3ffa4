"""A town's nightly exports dropped in a folder, imported unattended: real processes, real
PostGIS (the drop-folder machinery itself is tested through état 4001 too)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from pathlib import Path

from sqlalchemy import Engine, text

from observatory.settings import PROJECT_ROOT
from tests.observatory.cli.test_etat4001_cli import batches, cli

SAMPLES = PROJECT_ROOT / "data" / "samples"
# data/samples/README.md: 61 facts, 2 exact duplicates, 6 rejects, so 53 imported.
MESSY = SAMPLES / "municipal_messy.csv"
CLEAN = SAMPLES / "incidents_toulouse.csv"


def aged(path: Path, seconds: float = 3600) -> Path:
    """The file as if its copy had ended that long ago."""
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def night(drop: Path, day: str, rows: int) -> Path:
    """A night's export: the first rows of the clean sample, a dated name."""
    lines = CLEAN.read_text(encoding="utf-8").splitlines(keepends=True)
    path = drop / f"main-courante-{day}.csv"
    path.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return path


def source_rows(db: Engine, source: str) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM incident WHERE source = :s"), {"s": source}
            ).scalar_one()
        )


def test_nightly_exports_dropped_in_a_folder(database_url: str, db: Engine, tmp_path: Path) -> None:
    drop = tmp_path / "depot"
    drop.mkdir()
    mapping = tmp_path / "ville.toml"
    mapping.write_text('source = "main-courante"\n', encoding="utf-8")
    shutil.copy(MESSY, drop / "main-courante-2024-03-01.csv")
    aged(drop / "main-courante-2024-03-01.csv", 7200)
    (drop / "main-courante-2024-03-02.csv").write_text("bonjour;au revoir\n1;2\n")
    aged(drop / "main-courante-2024-03-02.csv")
    night(drop, "2024-03-03", 20)  # still being copied
    aged(drop / "main-courante-2024-03-03.csv", 10)
    (drop / "lisez-moi.txt").write_text("dépôt de la main courante")
    command = ["import", "incidents", str(drop), "--mapping", str(mapping), "--settle", "600"]

    first = cli(command, database_url)
    assert first.returncode == 1  # a file was refused
    assert first.stdout.splitlines() == [
        f"Incidents, dépôt {drop} : 1 fichier importé (lot 1 : 53 faits importés, 2 doublons, "
        "6 lignes rejetées), 1 refusé, 1 en attente (copie récente)."
    ]
    assert first.stderr.startswith("main-courante-2024-03-02.csv : Colonnes introuvables")
    assert [p.name for p in (drop / "importes").iterdir()] == ["main-courante-2024-03-01.csv"]
    assert sorted(p.name for p in (drop / "refuses").iterdir()) == [
        "main-courante-2024-03-02.csv",
        "main-courante-2024-03-02.csv.txt",
    ]
    reason = (drop / "refuses" / "main-courante-2024-03-02.csv.txt").read_text()
    assert "Colonnes introuvables" in reason and '"bonjour", "au revoir"' in reason
    assert (drop / "main-courante-2024-03-03.csv").exists() and (drop / "lisez-moi.txt").exists()
    assert source_rows(db, "main-courante") == 53
    log = (drop / "observatory-incidents.log").read_text()
    assert "Passage sur" in log and "refusé" in log and "lot 1" in log

    second = cli(command, database_url)
    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout == f"Incidents, dépôt {drop} : 1 en attente (copie récente).\n"
    assert len(batches(db)) == 2

    aged(drop / "main-courante-2024-03-03.csv")  # the copy is over
    shutil.copy(MESSY, drop / "main-courante-2024-03-01.csv")  # dropped again
    aged(drop / "main-courante-2024-03-01.csv")
    third = cli([*command, "--json"], database_url)
    assert third.returncode == 0, third.stderr
    body = json.loads(third.stdout)
    assert (body["status"], body["imported"], body["already"], body["refused"]) == (
        "done",
        1,
        1,
        0,
    )
    by_name = {f["file"]: f for f in body["files"]}
    assert by_name["main-courante-2024-03-01.csv"]["status"] == "already"
    assert Path(by_name["main-courante-2024-03-01.csv"]["moved_to"]).name == (
        "main-courante-2024-03-01-2.csv"
    )
    new = by_name["main-courante-2024-03-03.csv"]
    assert (new["status"], new["rows_read"], new["rows_imported"]) == ("imported", 20, 20)
    assert source_rows(db, "main-courante") == 53 + 20
    assert batches(db) == [
        ("main-courante-2024-03-01.csv", "succeeded"),
        ("main-courante-2024-03-02.csv", "failed"),
        ("main-courante-2024-03-03.csv", "succeeded"),
    ]


def test_a_run_while_another_holds_the_folder_does_nothing(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    shutil.copy(MESSY, tmp_path / "main-courante.csv")
    command = ["import", "incidents", str(tmp_path), "--settle", "0"]
    with open(tmp_path / ".observatory.lock", "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        busy = cli([*command, "--mapping", "municipal"], database_url)
    assert (busy.returncode, busy.stderr) == (0, "")
    assert busy.stdout == (
        f"Incidents, dépôt {tmp_path} : un autre passage est en cours, rien fait cette fois.\n"
    )
    assert (tmp_path / "main-courante.csv").exists() and batches(db) == []
    assert "rien fait" in (tmp_path / "observatory-incidents.log").read_text()

    unknown = cli([*command, "--mapping", "ville-inconnue"], database_url)
    assert unknown.returncode == 1
    assert "Aucune correspondance enregistrée sous le nom « ville-inconnue »" in unknown.stderr
    assert "Profils livrés : municipal, police-uk." in unknown.stderr
    assert (tmp_path / "main-courante.csv").exists() and batches(db) == []
