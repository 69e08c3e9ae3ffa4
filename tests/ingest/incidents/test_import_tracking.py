"""Import tracking as users meet it: the CLI, the API, a killed import, a concurrent one."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from observatory.errors import InvalidInput
from observatory.imports import try_source_lock
from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import OBSERVATORY, auth, cli_env, run_cli
from tests.ingest.incidents.test_import_incidents import last_batch

SAMPLES = PROJECT_ROOT / "data" / "samples"
MESSY = SAMPLES / "municipal_messy.csv"
CONTRACT_KEYS = {
    "batch_id",
    "status",
    "rows_read",
    "rows_imported",
    "rows_duplicate",
    "rows_rejected",
}


def cli(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, 300, DATABASE_URL=database_url)


# -- command line ---------------------------------------------------------------------------


def test_cli_import_json_is_the_contract(database_url: str, db: Engine) -> None:
    result = cli(["import", "incidents", str(MESSY), "--json"], database_url)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) == CONTRACT_KEYS
    assert body["status"] == "succeeded"
    assert (
        body["rows_read"] == body["rows_imported"] + body["rows_duplicate"] + body["rows_rejected"]
    )
    with db.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    assert stored == body["rows_imported"]

    shown = cli(["imports", "show", str(body["batch_id"])], database_url)
    assert shown.returncode == 0
    assert "ligne 24" in shown.stdout and "Chien errant" in shown.stdout
    as_json = json.loads(
        cli(["imports", "show", str(body["batch_id"]), "--json"], database_url).stdout
    )
    assert as_json["rows_rejected"] == len(as_json["rejects"]) == body["rows_rejected"]
    listed = json.loads(cli(["imports", "list", "--json"], database_url).stdout)
    assert [b["batch_id"] for b in listed] == [body["batch_id"]]


def test_cli_refuses_bad_input_with_exit_1(database_url: str, db: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    result = cli(["import", "incidents", str(empty)], database_url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.strip()
    unknown = cli(["import", "incidents", str(MESSY), "--profile", "inconnu"], database_url)
    assert unknown.returncode == 1
    assert "police-uk" in unknown.stderr  # the known profiles are listed


def test_cli_usage_errors_exit_2(database_url: str, tmp_path: Path) -> None:
    assert cli(["import", "incidents", str(tmp_path / "absent.csv")], database_url).returncode == 2
    qpv = SAMPLES / "qpv2015_toulouse.geojson"
    assert cli(["import", "qpv", str(qpv), "--generation", "2016"], database_url).returncode == 2


def test_cli_boundaries_then_demo_is_idempotent(database_url: str, db: Engine) -> None:
    first = cli(["demo"], database_url)
    assert first.returncode == 0, first.stderr
    second = cli(["demo"], database_url)
    assert second.returncode == 0
    assert second.stdout.count("déjà chargé") == 9
    with db.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM commune), (SELECT count(*) FROM qpv), "
                "(SELECT count(*) FROM incident), (SELECT count(*) FROM import_batch), "
                "(SELECT count(*) FROM etat4001), (SELECT count(*) FROM service_commune)"
            )
        ).one()
    # Toulouse and its three neighbours; Toulouse's 30,000 facts and 1,500 synthetic ones of
    # Blagnac and Colomiers (scripts/make_neighbour_sample.py)
    assert counts[0] == 4 and counts[1] == 24
    assert counts[2] == 31_500
    assert counts[3] == 9  # 2 × communes, 2 × QPV, 2 × incidents, 3 × état 4001
    # the cut: 57 PN columns × 107 index + 45 GN columns × 103 (unused rows empty in GN);
    # the local extract: 2 sheets × 12 months × 107; the CSV: 6 months × 42 index
    assert counts[4] == 57 * 107 + 45 * 103 + 2 * 12 * 107 + 6 * 42
    assert counts[5] == 2


# -- atomicity and concurrency -------------------------------------------------------------


def test_second_import_of_a_source_is_refused_while_one_runs(
    db: Engine, settings: Settings
) -> None:
    with db.connect() as holder, holder.begin():
        assert try_source_lock(holder, "incidents:police-municipale")
        with pytest.raises(InvalidInput, match="déjà en cours"):
            import_incidents(db, MESSY, settings=settings)
    status, message, facts = last_batch(db)
    assert facts == 0
    assert status == "failed" and "déjà en cours" in message


def test_import_killed_during_its_copy_leaves_nothing(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    from benchmarks.synthetic import generate_incidents, write_municipal_csv

    rows = 300_000
    big = tmp_path / "gros.csv"
    write_municipal_csv(generate_incidents(rows, seed=5, start=date(2024, 1, 1), months=24), big)
    # Rows inserted into `incident`, committed or not: the server counts the rows of an aborted
    # transaction too, so that the killed COPY shows by what it had written.
    inserted = text("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = 'incident'::regclass")
    with db.connect() as conn:
        inserted_before = conn.execute(inserted).scalar_one()
    process = subprocess.Popen(
        [*OBSERVATORY, "import", "incidents", str(big)],
        env=cli_env(DATABASE_URL=database_url, OBS_LOG_LEVEL="INFO"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Killed once its COPY into `incident` has processed rows (pg_stat_progress_copy, this
    # database only: the cluster may be shared with other test runs that import too).
    copying = text(
        "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy "
        "WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND relid = 'incident'::regclass"
    )
    deadline = time.monotonic() + 120
    with db.connect() as conn:
        while conn.execute(copying).scalar_one() < 2_000:
            assert process.poll() is None, "l'import a fini avant d'être interrompu"
            assert time.monotonic() < deadline
            conn.rollback()  # the statistics views are a snapshot per transaction
            time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()

    deadline = time.monotonic() + 30
    while True:
        listed = json.loads(cli(["imports", "list", "--json"], database_url).stdout)
        if listed[0]["status"] == "failed":
            break
        assert time.monotonic() < deadline, listed[0]
        time.sleep(0.5)
    assert "interrompu" in listed[0]["message"]
    # It was killed in the middle: rows had reached the table (counted once its server
    # process has ended and reported them), not all of them.
    deadline = time.monotonic() + 30
    with db.connect() as conn:
        while True:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            written = conn.execute(inserted).scalar_one() - inserted_before
            if written or time.monotonic() > deadline:
                break
            conn.rollback()
            time.sleep(0.2)
    assert 0 < written < rows, written
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM import_reject")).scalar_one() == 0
        # A large file loads in bulk mode (spatial index dropped in the transaction): it is back.
        indexes = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'incident'")
        ).scalars()
        assert "ix_incident_geom" in set(indexes)

    again = cli(["import", "incidents", str(big), "--json"], database_url)
    body = json.loads(again.stdout)
    assert body["status"] == "succeeded"
    assert body["batch_id"] != listed[0]["batch_id"]
    # The generator's rows are all valid and distinct, and the killed batch left no duplicate.
    assert (body["rows_read"], body["rows_imported"]) == (rows, rows)
    assert (body["rows_duplicate"], body["rows_rejected"]) == (0, 0)
    with db.connect() as conn:
        stored = conn.execute(
            text("SELECT batch_id, count(*) FROM incident GROUP BY batch_id")
        ).all()
    assert [tuple(row) for row in stored] == [(body["batch_id"], rows)]


# -- HTTP API -------------------------------------------------------------------------------


def test_upload_and_tracking_through_the_api(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    admin, police, analyst = make_token("admin"), make_token("police"), make_token("analyst")
    with MESSY.open("rb") as handle:
        created = client.post(
            "/api/v1/imports",
            headers=auth(admin),
            files={"file": ("municipal_messy.csv", handle, "text/csv")},
            data={"kind": "incidents"},
        )
    assert created.status_code == 201, created.text
    batch = created.json()
    assert set(batch) >= CONTRACT_KEYS
    assert batch["rows_rejected"] == 6 and batch["file_name"] == "municipal_messy.csv"
    assert batch["run_by"].startswith("api:")

    same = client.get(f"/api/v1/imports/{batch['batch_id']}", headers=auth(analyst)).json()
    assert {k: same[k] for k in CONTRACT_KEYS} == {k: batch[k] for k in CONTRACT_KEYS}
    page = client.get("/api/v1/imports", headers=auth(analyst)).json()
    assert page["total"] == 1 and page["items"][0]["batch_id"] == batch["batch_id"]

    rejects = client.get(
        f"/api/v1/imports/{batch['batch_id']}/rejects",
        params={"limit": 4, "offset": 2},
        headers=auth(police),
    ).json()
    assert rejects["total"] == 6
    assert [r["row_number"] for r in rejects["items"]] == [37, 50, 54, 58]
    assert all(r["reason"] for r in rejects["items"])


def test_import_api_roles_and_errors(client: TestClient, make_token: Callable[[str], str]) -> None:
    analyst, partner = make_token("analyst"), make_token("partner")
    with MESSY.open("rb") as handle:
        refused = client.post(
            "/api/v1/imports", headers=auth(analyst), files={"file": ("m.csv", handle, "text/csv")}
        )
    assert refused.status_code == 403
    assert client.get("/api/v1/imports", headers=auth(partner)).status_code == 403
    assert client.get("/api/v1/imports/1/rejects", headers=auth(analyst)).status_code == 403
    missing = client.get("/api/v1/imports/999", headers=auth(analyst))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "999" in missing.json()["detail"]
    bad = client.get("/api/v1/imports", params={"limit": 0}, headers=auth(analyst))
    assert bad.status_code == 422 and "limit" in bad.json()["detail"]


def test_uploaded_garbage_is_a_422_and_a_failed_batch(
    client: TestClient, make_token: Callable[[str], str]
) -> None:
    admin = make_token("admin")
    response = client.post(
        "/api/v1/imports",
        headers=auth(admin),
        files={"file": ("n_importe_quoi.bin", b"\x00\x01\x02garbage", "application/octet-stream")},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    listed = client.get("/api/v1/imports", headers=auth(admin)).json()
    assert listed["items"][0]["status"] == "failed"


def test_only_batches_whose_importer_is_gone_are_reaped(db: Engine) -> None:
    from observatory.imports import create_batch, hold_batch_lock, reap_interrupted

    alive = create_batch(
        db, kind="incidents", file_name="a.csv", sha256="a", source=None, run_by="t"
    )
    dead = create_batch(
        db, kind="incidents", file_name="b.csv", sha256="b", source=None, run_by="t"
    )
    with db.connect() as holder, holder.begin():
        hold_batch_lock(holder, alive)
        assert reap_interrupted(db) == 1
    with db.connect() as conn:
        status = {
            row.id: row.status for row in conn.execute(text("SELECT id, status FROM import_batch"))
        }
    assert status == {alive: "running", dead: "failed"}


def test_upload_while_the_source_is_busy_is_a_409(
    client: TestClient, make_token: Callable[[str], str], db: Engine
) -> None:
    admin = make_token("admin")
    with db.connect() as holder, holder.begin():
        assert try_source_lock(holder, "incidents:police-municipale")
        with MESSY.open("rb") as handle:
            response = client.post(
                "/api/v1/imports",
                headers=auth(admin),
                files={"file": ("municipal_messy.csv", handle, "text/csv")},
            )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "déjà en cours" in response.json()["detail"]
