"""The command line as a user runs it: a real process, a real database."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatory.localdb import LocalCluster
from observatory.settings import Settings
from tests.conftest import OBSERVATORY, TEST_SECRET, auth, cli_env
from tests.servers import free_port


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OBSERVATORY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_only_the_working_commands() -> None:
    result = run(["--help"], cli_env())
    assert result.returncode == 0
    listed = {
        line.split()[0]
        for line in result.stdout.split("Commands:")[1].splitlines()
        if line.strip() and line.startswith("  ")
    }
    assert listed == {
        "actions",
        "audit",
        "db",
        "demo",
        "etat4001",
        "geocode",
        "geocoder",
        "import",
        "imports",
        "mappings",
        "purge",
        "release",
        "report",
        "token",
        "serve",
        "user",
        "group",
    }


def test_usage_error_exits_2() -> None:
    assert run(["token", "create"], cli_env()).returncode == 2


def test_token_create_prints_the_token_alone(database_url: str, client: TestClient) -> None:
    env = cli_env(DATABASE_URL=database_url)
    created = run(["token", "create", "alice", "--role", "police"], env)
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("obs_") and len(token) > 30
    me = client.get("/api/v1/me", headers=auth(token))
    assert me.json() == {"name": "alice", "role": "police", "communes": None, "account": None}

    listed = run(["token", "list"], env)
    assert "alice" in listed.stdout and token not in listed.stdout

    again = run(["token", "create", "alice", "--role", "police"], env)
    assert again.returncode == 1
    assert "existe déjà" in again.stderr

    assert run(["token", "revoke", "alice"], env).returncode == 0
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401


def test_unknown_role_is_refused_in_french(database_url: str, db: object) -> None:
    result = run(["token", "create", "bob", "--role", "chef"], cli_env(DATABASE_URL=database_url))
    assert result.returncode == 1
    assert "Rôle inconnu" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_is_used_and_nothing_local_starts(database_url: str) -> None:
    env = cli_env(DATABASE_URL=database_url)
    start = run(["db", "start"], env)
    assert start.returncode == 0
    assert "DATABASE_URL est défini" in start.stdout
    status = run(["db", "status"], env)
    assert status.returncode == 0, status.stderr
    assert "Schéma à jour" in status.stdout
    assert "Base locale" not in status.stdout


def test_unreachable_database_is_a_clear_message() -> None:
    env = cli_env(DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/nothing")
    result = run(["db", "status"], env)
    assert result.returncode == 1
    assert "Base de données injoignable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A second project-local cluster, in a temporary directory, for start/stop tests."""
    env = cli_env(
        OBS_PG_DATA_DIR=str(tmp_path_factory.mktemp("cluster") / "pg"), OBS_PG_PORT=str(free_port())
    )
    yield env
    run(["db", "stop"], env)
    cluster = LocalCluster.from_settings(
        Settings(
            _env_file=None,
            pg_data_dir=Path(env["OBS_PG_DATA_DIR"]),
            pg_port=int(env["OBS_PG_PORT"]),
        )
    )
    shutil.rmtree(cluster.base_dir, ignore_errors=True)


@pytest.mark.integration  # a cluster of its own
def test_local_cluster_lifecycle_and_stopped_database(own_cluster: dict[str, str]) -> None:
    env = own_cluster
    first = run(["db", "start"], env)
    assert first.returncode == 0, first.stderr
    assert "démarrée" in first.stdout
    assert "déjà en marche" in run(["db", "start"], env).stdout

    behind = run(["db", "status"], env)
    assert behind.returncode == 1
    assert "Schéma en retard" in behind.stderr
    assert run(["db", "upgrade"], env).returncode == 0
    assert run(["db", "status"], env).returncode == 0
    token = run(["token", "create", "chef", "--role", "admin"], env).stdout.strip()

    settings = Settings(
        _env_file=None,
        environment="test",
        secret_key=TEST_SECRET,
        pg_data_dir=Path(env["OBS_PG_DATA_DIR"]),
        pg_port=int(env["OBS_PG_PORT"]),
    )
    from api.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 200

        stop = run(["db", "stop"], env)
        assert stop.returncode == 0 and "arrêtée" in stop.stdout
        stopped = run(["db", "status"], env)
        assert stopped.returncode == 1 and "arrêtée" in stopped.stderr

        for path, headers in (("/readyz", {}), ("/api/v1/me", auth(token))):
            down = client.get(path, headers=headers)
            assert down.status_code == 503, path
            assert down.headers["content-type"] == "application/problem+json"
            assert "indisponible" in down.json()["detail"]
            assert "Traceback" not in down.text

        assert run(["db", "start"], env).returncode == 0
        deadline = time.monotonic() + 5
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "l'API ne répond pas 5 s après le redémarrage"
            time.sleep(0.1)
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 200


def test_invalid_settings_are_reported_in_french() -> None:
    result = run(["db", "status"], cli_env(OBS_TIMEZONE="Mars/Olympus"))
    assert result.returncode == 1
    assert "Réglages invalides" in result.stderr and "fuseau horaire" in result.stderr
    assert "Traceback" not in result.stderr
