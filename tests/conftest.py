"""Test fixtures: a real PostGIS (the project-local cluster, or DATABASE_URL), migrated once."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from observatory.db import make_engine, make_sessionmaker, seed_reference, upgrade
from observatory.models import Base
from observatory.settings import Settings
from tests.geocoding import (  # noqa: F401 - the geocoder's fixtures, for every folder
    cli_in_process,
    empty_reference,
    extract_file,
    extract_rows,
    free_port,
    redis_server,
    reference,
)

TEST_SECRET = "test-secret-key-long-enough-for-production-0123456789"
TEST_DATABASE = "observatory_test"

TESTS = Path(__file__).resolve().parent

# No test talks to a geocoder a user may be running (var/redis, OBS_REDIS_PORT): every setting
# made in the tests, and every `observatory` process they start, names a port where nothing
# listens, in a directory of its own (a geocoder stopped, as on a CI machine). The tests of
# geocoding start a Redis of their own (tests/geocoding.py) and name it in their settings.
NO_GEOCODER = {
    "OBS_REDIS_PORT": str(free_port()),
    "OBS_REDIS_DIR": tempfile.mkdtemp(prefix="obs-tests-no-geocoder-"),
}
os.environ.update(NO_GEOCODER)

# Tests mirror the code: tests/api/, tests/ingest/<source>/, tests/observatory/<package>/,
# tests/benchmarks/, tests/notebooks/; tests/e2e/ drives the page in Chromium.
#
# The fast lane, `make test-fast` (pytest -m "not slow"), leaves out whole modules: those that
# drive Chromium (tests/e2e/), execute the notebooks or schemathesis, run the `observatory` CLI
# in a subprocess or serve the API on a port, and those measured longest (pytest --durations),
# so that it runs in under two minutes. `make test` runs everything. Paths are from tests/; a
# path that names no file stops the collection (a moved module must not leave the slow lane).
SLOW_FOLDERS = frozenset({"e2e", "notebooks"})
SLOW_MODULES = frozenset(
    {
        # Schemathesis.
        "api/test_schemathesis.py",
        # The CLI in a subprocess, or the API served on a port.
        "api/test_audit.py",
        "api/test_heavy_queue.py",
        "api/test_pack_jobs.py",
        "api/test_hostile_requests.py",
        "api/test_review17_attacks.py",
        "benchmarks/test_synthetic.py",
        "ingest/incidents/test_import_hostile.py",
        "ingest/incidents/test_import_tracking.py",
        "observatory/actions/test_actions.py",
        "observatory/cli/test_cli.py",
        "observatory/cli/test_etat4001_cli.py",
        "observatory/cli/test_incidents_folder_cli.py",
        "observatory/cli/test_mappings_cli.py",
        "observatory/privacy/test_partner_release.py",
        "observatory/reports/test_group_pack.py",
        "observatory/reports/test_natural_breaks.py",
        "observatory/reports/test_reports.py",
        "observatory/reports/test_pack_messages.py",
        "observatory/test_faults.py",
        "observatory/test_purge.py",
        # Measured longest (5 to 43 s each on the 2-core reference machine).
        # Argon2id costs a quarter second or more per password hashed or checked.
        "api/test_accounts_admin.py",
        "api/test_auth_sessions.py",
        "api/test_sign_in_hardening.py",
        "observatory/accounts/test_store.py",
        "observatory/cli/test_users_cli.py",
        "api/test_answer_cache.py",
        "api/test_basemap.py",
        "api/test_etat4001_routes.py",
        "api/test_injection.py",
        "api/test_places.py",
        "api/test_scope_isolation.py",
        "api/test_tiles_layer.py",
        "ingest/etat4001/test_workbook.py",
        "ingest/incidents/test_import_fuzz.py",
        "ingest/incidents/test_plaincsv.py",
        "observatory/privacy/test_privacy_attacks.py",
        "observatory/test_exports.py",
    }
)
# What needs the real PostGIS: a test that asks, directly or through another fixture, for one of
# these fixtures, is marked `integration`; a test that starts a cluster of its own says so.
DATABASE_FIXTURES = frozenset({"database_url", "engine"})


def _check_slow_paths() -> None:
    missing = sorted(p for p in SLOW_MODULES if not (TESTS / p).is_file())
    if missing:
        raise pytest.UsageError(f"SLOW_MODULES names no file: {', '.join(missing)}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `integration` what uses the database, `slow` what is listed above."""
    _check_slow_paths()
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        where = item.path.relative_to(TESTS)
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        if where.parts[0] in SLOW_FOLDERS or where.as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def database_url() -> str:
    """The test database: OBS_TEST_DATABASE_URL or DATABASE_URL, else a fresh local one."""
    explicit = os.environ.get("OBS_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if explicit:
        url = Settings(database_url=explicit).sqlalchemy_url
    else:
        from observatory.localdb import LocalCluster

        cluster = LocalCluster.from_settings(Settings(database_url=None))
        cluster.start()
        name = os.environ.get("OBS_TEST_DB_NAME", TEST_DATABASE)
        url = cluster.ensure_database(name, fresh=True)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    # A runaway statement fails on its own after two minutes instead of holding its locks while
    # pytest-timeout abandons the test, which would block every test after it.
    engine = make_engine(
        database_url,
        connect_args={
            "connect_timeout": 5,
            "application_name": "observatory-tests",
            "options": "-c statement_timeout=120000",
        },
    )
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    with make_sessionmaker(engine).begin() as session:
        seed_reference(session)


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The migrated test database, emptied after the test."""
    yield engine
    _truncate_all(engine)


@pytest.fixture
def boundaries(db: Engine) -> Engine:
    """The test database with the sample communes and QPV of both generations."""
    from tests.samples import load_boundaries

    load_boundaries(db)
    return db


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with make_sessionmaker(db).begin() as session:
        yield session


def api_settings(database_url: str, **overrides: Any) -> Settings:
    """The settings an API under test runs with, and any the test changes."""
    # No snapshot loaded at start-up: a test's own truncation must not race with it.
    options: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "warm_start": False,
    }
    return Settings(**{**options, **overrides})


@pytest.fixture
def settings(database_url: str) -> Settings:
    return api_settings(database_url)


@pytest.fixture
def client(settings: Settings, db: Engine) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def make_token(db: Engine, settings: Settings) -> Callable[[str], str]:
    """Create a token with the given role and return it in clear."""
    from observatory.tokens import create_token

    counter = iter(range(10**6))

    def make(role: str) -> str:
        with make_sessionmaker(db).begin() as session:
            return create_token(session, f"{role}-{next(counter)}", role, settings.secret_key)

    return make


def role_tokens(engine: Engine, roles: Iterable[str], prefix: str = "") -> dict[str, str]:
    """One token for each role, named prefix + role, in clear."""
    from observatory.tokens import create_token

    with make_sessionmaker(engine).begin() as session:
        return {role: create_token(session, prefix + role, role, TEST_SECRET) for role in roles}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """(actor, role, action, row_count, filters) of each audit row, oldest first."""
    sql = "SELECT actor, role, action, row_count, filters FROM audit_log ORDER BY id"
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


# The command line in a process of its own, as a scheduled job runs it.
OBSERVATORY = [sys.executable, "-m", "observatory"]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of an `observatory` process under test: none of this one's OBS_* nor
    DATABASE_URL but the stopped geocoder above, the test secret, warnings only, and these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBS_") and k != "DATABASE_URL"}
    quiet = {"OBS_SECRET_KEY": TEST_SECRET, "OBS_LOG_LEVEL": "WARNING"}
    return {**env, **NO_GEOCODER, **quiet, **extra}


def run_cli(args: list[str], timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """`observatory` with these arguments, in the environment of cli_env(**env), to its end."""
    return subprocess.run(
        [*OBSERVATORY, *args],
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# The public files of ../shared/data (beside the checkout, in CI too): the tests need them.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
