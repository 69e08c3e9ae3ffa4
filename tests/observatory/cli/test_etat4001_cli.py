"""The état 4001 command line as a scheduled job runs it: real processes, a real database."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import time
from pathlib import Path

from sqlalchemy import Engine, text

from ingest.etat4001 import import_etat4001
from observatory.settings import PROJECT_ROOT
from tests.conftest import OBSERVATORY, cli_env, run_cli

SAMPLES = PROJECT_ROOT / "data" / "samples"
LOCAL = SAMPLES / "etat4001_csp_toulouse_2024.xlsx"
TIDY = SAMPLES / "etat4001_tidy.csv"
CUT = SAMPLES / "etat4001_haute_garonne.xlsx"
CONTRACT = {"batch_id", "status", "rows_read", "rows_imported", "rows_duplicate", "rows_rejected"}


def env(database_url: str) -> dict[str, str]:
    return cli_env(DATABASE_URL=database_url, OBS_LOG_LEVEL="INFO")


def cli(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, DATABASE_URL=database_url, OBS_LOG_LEVEL="INFO")


def batches(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT file_name, status FROM import_batch ORDER BY id"))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_one_file_json_is_the_contract_and_twice_imports_nothing(
    database_url: str, db: Engine
) -> None:
    first = cli(["import", "etat4001", str(TIDY), "--json"], database_url)
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    assert set(body) == CONTRACT
    assert (body["status"], body["rows_read"], body["rows_imported"]) == ("succeeded", 252, 252)
    again = json.loads(cli(["import", "etat4001", str(TIDY), "--json"], database_url).stdout)
    assert (again["rows_imported"], again["rows_duplicate"]) == (0, 252)
    missing = cli(["import", "etat4001", "/nonexistent/etat.xlsx"], database_url)
    assert missing.returncode == 2


def test_drop_folder_run_twice_in_a_row(database_url: str, db: Engine, tmp_path: Path) -> None:
    drop = tmp_path / "depot"
    drop.mkdir()
    for sample in (LOCAL, TIDY):
        shutil.copy(sample, drop)
    (drop / "bad.csv").write_text("date;nature\n2024-01-01;vol\n")
    (drop / "lisez-moi.txt").write_text("dépôt de l'état 4001")
    (drop / "~$etat4001_csp_toulouse_2024.xlsx").write_bytes(b"office lock file")
    first = cli(["import", "etat4001", str(drop), "--settle", "0"], database_url)
    assert first.returncode == 1  # a file was refused
    assert first.stdout.count("\n") == 1
    assert "2 fichiers importés" in first.stdout and "1 refusé" in first.stdout
    assert first.stderr.startswith("bad.csv : colonne(s) perimeter, department, index, count")
    assert sorted(p.name for p in (drop / "importes").iterdir()) == [LOCAL.name, TIDY.name]
    assert sorted(p.name for p in (drop / "refuses").iterdir()) == ["bad.csv", "bad.csv.txt"]
    assert "Attendu un CSV ordonné" in (drop / "refuses" / "bad.csv.txt").read_text()
    left = sorted(p.name for p in drop.iterdir() if p.is_file())
    assert left == [
        ".observatory.lock",
        "lisez-moi.txt",
        "observatory-etat4001.log",
        "~$etat4001_csp_toulouse_2024.xlsx",
    ]
    log = (drop / "observatory-etat4001.log").read_text()
    assert "Passage sur" in log and "refusé" in log and "lot 1" in log

    second = cli(["import", "etat4001", str(drop), "--settle", "0"], database_url)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"État 4001, dépôt {drop} : aucun nouveau fichier."
    assert second.stderr == ""

    shutil.copy(TIDY, drop)  # the same file dropped again: moved beside, no new batch
    third = cli(["import", "etat4001", str(drop), "--settle", "0", "--json"], database_url)
    body = json.loads(third.stdout)
    assert (body["status"], body["already"], body["imported"]) == ("done", 1, 0)
    assert Path(body["files"][0]["moved_to"]).name == "etat4001_tidy-2.csv"
    assert batches(db) == [  # oldest file first
        (LOCAL.name, "succeeded"),
        (TIDY.name, "succeeded"),
        ("bad.csv", "failed"),
    ]
    assert log.count("\n") < (drop / "observatory-etat4001.log").read_text().count("\n")


def test_a_file_still_being_copied_waits(database_url: str, db: Engine, tmp_path: Path) -> None:
    shutil.copy(TIDY, tmp_path)
    result = cli(
        ["import", "etat4001", str(tmp_path), "--done-dir", str(tmp_path / "ok")], database_url
    )
    assert result.returncode == 0
    assert "1 en attente (copie récente)" in result.stdout
    assert (tmp_path / TIDY.name).exists() and batches(db) == []


def test_a_run_while_another_holds_the_folder_does_nothing(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    shutil.copy(TIDY, tmp_path)
    with open(tmp_path / ".observatory.lock", "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        result = cli(["import", "etat4001", str(tmp_path), "--settle", "0"], database_url)
        assert time.monotonic() - started < 30  # at once, no waiting for the lock
    assert result.returncode == 0 and result.stderr == ""
    assert "un autre passage est en cours" in result.stdout
    assert (tmp_path / TIDY.name).exists() and batches(db) == []
    assert "rien fait" in (tmp_path / "observatory-etat4001.log").read_text()


def test_two_runs_at_once_import_each_file_once(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    for sample in (CUT, LOCAL, TIDY):
        shutil.copy(sample, tmp_path)
    command = [*OBSERVATORY, "import", "etat4001", str(tmp_path)]
    runs = [
        subprocess.Popen(
            [*command, "--settle", "0"],
            env=env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(b[0] for b in batches(db)) == sorted(p.name for p in (CUT, LOCAL, TIDY))
    assert {b[1] for b in batches(db)} == {"succeeded"}
    assert sorted(p.name for p in (tmp_path / "importes").iterdir()) == sorted(
        p.name for p in (CUT, LOCAL, TIDY)
    )
    said = " ".join(out for out, _ in outputs)
    assert "3 fichiers importés" in said
    assert "un autre passage est en cours" in said or "aucun nouveau fichier" in said


def test_services_commands(database_url: str, db: Engine) -> None:
    import_etat4001(db, CUT)
    mapped = cli(
        ["etat4001", "services", "map", "CGD MURET", "31395", "31069", "-d", "31"], database_url
    )
    assert mapped.returncode == 0, mapped.stderr
    assert mapped.stdout.strip() == "CGD MURET (GN, 31) couvre : 31069, 31395."
    listed = json.loads(
        cli(["etat4001", "services", "list", "--commune", "31395", "--json"], database_url).stdout
    )
    assert [(s["service"], s["first_period"], s["last_period"]) for s in listed] == [
        ("CGD MURET", "2012", "2020")
    ]
    exported = cli(["etat4001", "services", "export"], database_url).stdout
    assert exported.splitlines() == [
        "perimeter,department,service,commune",
        "GN,31,CGD MURET,31069",
        "GN,31,CGD MURET,31395",
    ]
    unknown = cli(["etat4001", "services", "map", "CSP MURET", "31395", "-d", "31"], database_url)
    assert unknown.returncode == 1 and "Service « CSP MURET » inconnu" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    removed = cli(["etat4001", "services", "unmap", "CGD MURET", "31069", "-d", "31"], database_url)
    assert removed.returncode == 0
    left = cli(["etat4001", "services", "export"], database_url).stdout.splitlines()
    assert left[1:] == ["GN,31,CGD MURET,31395"]
