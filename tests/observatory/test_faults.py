"""Faults as production meets them: the database stopped under traffic, a disk that fills.

Each test runs its own throwaway cluster (a temporary directory, a free port), as
test_cli.py does, so that stopping it or starving it of disk hurts no other test; the
cluster is stopped and removed whatever happens.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from observatory.db import make_engine, make_sessionmaker, upgrade
from observatory.localdb import LocalCluster
from observatory.settings import PROJECT_ROOT, Settings
from observatory.tokens import create_token
from tests.conftest import OBSERVATORY, TEST_SECRET, auth, cli_env, run_cli
from tests.servers import free_port

# Each test is bounded well under the suite's default: its own cluster, its own server.
# Each test starts a PostGIS cluster of its own.
pytestmark = [pytest.mark.timeout(120), pytest.mark.integration]

SAMPLES = PROJECT_ROOT / "data" / "samples"
MESSY = SAMPLES / "municipal_messy.csv"


@contextmanager
def throwaway_cluster(folder: Path) -> Iterator[tuple[LocalCluster, str]]:
    """A started cluster of its own with a migrated database; stopped and removed after."""
    settings = Settings(_env_file=None, pg_data_dir=folder / "pg", pg_port=free_port())
    cluster = LocalCluster.from_settings(settings)
    try:
        cluster.start()
        url = cluster.ensure_database("observatory")
        upgrade(url)
        yield cluster, url
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(cluster.base_dir, ignore_errors=True)


def cli(args: list[str], url: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return run_cli(args, timeout, DATABASE_URL=url)


# -- the database stopped under traffic --------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One response seen by the traffic: when it was asked and answered, and what it said."""

    path: str
    asked: float
    answered: float
    status: int
    content_type: str
    body: str


ENDPOINTS = (
    "/readyz",
    "/api/v1/me",
    "/api/v1/layers/hexagons?res=9",
    "/api/v1/stats/summary",
    "/api/v1/layers/incidents?limit=50",
)


def traffic(base: str, token: str, stop: threading.Event, seen: list[Answer], lag: int) -> None:
    """Ask every endpoint in turn until stopped; a transport error is kept as status 0."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        turn = lag
        while not stop.is_set():
            path = ENDPOINTS[turn % len(ENDPOINTS)]
            turn += 1
            asked = time.monotonic()
            try:
                response = client.get(path)
                status, kind, body = (
                    response.status_code,
                    response.headers.get("content-type", ""),
                    response.text[:2000],
                )
            except httpx.HTTPError as exc:
                status, kind, body = 0, "", f"{type(exc).__name__}: {exc}"
            seen.append(Answer(path, asked, time.monotonic(), status, kind, body))
            time.sleep(0.02)


@contextmanager
def served(url: str, folder: Path, **settings: str) -> Iterator[tuple[str, Path]]:
    """`observatory serve` with production settings (and these) on this database, until the
    block ends."""
    port = free_port()
    log_path = folder / "serve.log"
    env = cli_env(DATABASE_URL=url, OBS_ENVIRONMENT="production", **settings)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*OBSERVATORY, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log_path.read_text(errors="replace")
                assert time.monotonic() < deadline, "le serveur ne démarre pas"
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            yield base, log_path
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_database_stopped_under_traffic_is_503_then_recovers_within_5_s(
    tmp_path: Path,
) -> None:
    from ingest.incidents import import_incidents

    with throwaway_cluster(tmp_path) as (cluster, url):
        engine = make_engine(url)
        settings = Settings(_env_file=None, database_url=url, secret_key=TEST_SECRET)
        assert import_incidents(engine, MESSY, settings=settings).rows_imported > 0
        with make_sessionmaker(engine).begin() as session:
            token = create_token(session, "agent", "police", TEST_SECRET)
        engine.dispose()

        with served(url, tmp_path) as (base, log_path):
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
                for path in ENDPOINTS:  # the snapshot is loaded by the first aggregate
                    assert c.get(path, timeout=30).status_code == 200, path
            stop = threading.Event()
            seen: list[Answer] = []
            threads = [
                threading.Thread(target=traffic, args=(base, token, stop, seen, lag))
                for lag in range(3)
            ]
            for thread in threads:
                thread.start()
            try:
                time.sleep(1)
                cluster.stop()  # pg_ctl stop -m fast
                stopped = time.monotonic()
                time.sleep(2)
                restarting = time.monotonic()
                cluster.start()
                restarted = time.monotonic()
                # Until every endpoint answered 200 after the restart, 5 s at most (and a
                # margin, so that a miss shows as the assertion below, with its figures).
                while time.monotonic() < restarted + 8:
                    recovered = {a.path for a in seen if a.asked >= restarted and a.status == 200}
                    if recovered == set(ENDPOINTS):
                        break
                    time.sleep(0.1)
                time.sleep(0.5)
            finally:
                stop.set()
                for thread in threads:
                    thread.join(15)
            server_log = log_path.read_text(errors="replace")

    answers = list(seen)
    assert answers and not any(t.is_alive() for t in threads)
    # Never anything but 200 or 503; never a 500, a dropped connection or a stack trace.
    assert {a.status for a in answers} <= {200, 503}, [
        (a.path, a.status, a.body[:300]) for a in answers if a.status not in (200, 503)
    ]
    assert not [a for a in answers if "Traceback" in a.body]
    assert "Traceback" not in server_log, server_log[-3000:]
    for answer in answers:
        if answer.status == 503:
            assert answer.content_type == "application/problem+json", answer
            assert "indisponible" in answer.body and "réessayez" in answer.body, answer.body
    # While the database is down, nothing answers 200: every endpoint checks the token (or the
    # schema) in the database first, even those that the in-memory copy could answer.
    down = [a for a in answers if a.asked > stopped and a.answered < restarting]
    assert {a.path for a in down} == set(ENDPOINTS)
    assert {a.status for a in down} == {503}, [(a.path, a.status) for a in down]
    # Every endpoint answers again within 5 s of the restart, and keeps answering.
    for path in ENDPOINTS:
        after = [a for a in answers if a.path == path and a.asked >= restarted]
        first = next((a for a in after if a.status == 200), None)
        assert first is not None, f"{path} ne répond plus après le redémarrage"
        assert first.answered - restarted <= 5, f"{path} : {first.answered - restarted:.1f} s"
        assert all(a.status == 200 for a in after if a.asked >= first.answered), path


# -- a disk that fills during an import --------------------------------------------------------

# RLIMIT_FSIZE of the starved server, in 512-byte blocks: 24 MiB, above a WAL segment (16 MiB,
# written whole) and PostGIS's spatial_ref_sys (7 MiB), far below what the incident table
# reaches with the file below (~200 bytes a row): its heap cannot grow past 24 MiB.
FILE_SIZE_BLOCKS = 24 * 2048
STARVING_ROWS = 200_000


def restart_with_file_size_limit(cluster: LocalCluster, blocks: int) -> None:
    """Restart the cluster's server with every file it writes limited to `blocks` × 512 bytes.

    The file-size limit makes PostgreSQL's relation extension fail as a full disk does ("could
    not extend file …", hint "Check free disk space."): it ignores SIGXFSZ, so the write fails
    with EFBIG instead of killing the process. Unprivileged and local to this server.
    """
    cluster.stop()
    pg_ctl = cluster.bin_dir / "pg_ctl"
    start = f"ulimit -f {blocks} && exec '{pg_ctl}' start -D '{cluster.data_dir}' "
    start += f"-l '{cluster.log_file}' -w -t 60"
    cluster._run_as_owner(["sh", "-c", start])
    cluster.wait_ready()


def test_full_disk_during_import_fails_the_batch_cleanly(tmp_path: Path) -> None:
    from benchmarks.synthetic import generate_incidents, write_municipal_csv

    big = tmp_path / "gros.csv"
    write_municipal_csv(
        generate_incidents(STARVING_ROWS, seed=11, start=date(2024, 1, 1), months=24), big
    )
    with throwaway_cluster(tmp_path) as (cluster, url):
        restart_with_file_size_limit(cluster, FILE_SIZE_BLOCKS)
        engine = make_engine(url, pool_size=1)
        try:
            result = cli(["import", "incidents", str(big), "--json"], url)
            assert result.returncode == 1, (result.stdout, result.stderr)
            assert "Traceback" not in result.stderr
            assert "disque" in result.stderr and "relancez" in result.stderr, result.stderr
            assert "could not extend file" in cluster.log_file.read_text(errors="replace")

            with engine.connect() as conn:
                batch_id, status, message = conn.execute(
                    text("SELECT id, status, message FROM import_batch ORDER BY id DESC LIMIT 1")
                ).one()
                assert status == "failed"
                assert "disque" in message and "aucune donnée" in message, message
                assert not conn.execute(
                    text("SELECT count(*) FROM incident WHERE batch_id = :b"), {"b": batch_id}
                ).scalar_one()
                assert not conn.execute(text("SELECT count(*) FROM import_reject")).scalar_one()
            # The database keeps serving: it answers, and once the aborted rows' space is
            # given back (VACUUM truncates the table), a smaller import goes through.
            assert cli(["db", "status"], url).returncode == 0
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM incident"))
            small = cli(["import", "incidents", str(MESSY), "--json"], url)
            assert small.returncode == 0, small.stderr
            assert '"status": "succeeded"' in small.stdout
        finally:
            engine.dispose()


# -- no database connection free in time ---------------------------------------------------------


def test_no_free_database_connection_is_a_503_not_a_500(
    settings: Settings,
    db: Engine,
    make_token: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An overloaded server (every connection of its pool busy) says so, and when to come back."""
    from api import main

    token = make_token("analyst")
    monkeypatch.setattr(
        main, "make_engine", lambda url, **options: make_engine(url, pool_timeout=0.5, **options)
    )
    with TestClient(main.create_app(settings), raise_server_exceptions=False) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        held = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]
        try:
            busy = client.get("/api/v1/stats/summary", headers=auth(token))
        finally:
            for conn in held:
                conn.close()
        assert client.get("/api/v1/stats/summary", headers=auth(token)).status_code == 200
    assert busy.status_code == 503
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["retry-after"] == "5"
    assert "saturé" in busy.json()["detail"] and "Traceback" not in busy.text
