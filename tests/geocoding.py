"""A real Redis for the geocoder's tests, on a free port in a temporary directory.

It is never the user's server (var/redis, OBS_REDIS_PORT): a loaded reference is not touched.
The tests load small seeded BAN extracts written by benchmarks/synthetic/ban.py. The fixtures
are shared by every test folder (tests/conftest.py imports them): the geocoder's own tests,
the importer's, the API's.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from benchmarks.synthetic.ban import generate_ban, write_ban
from observatory.geocoder.load import load_ban
from observatory.geocoder.server import LocalRedis
from observatory.settings import Settings

EXTRACT_SEED = 7
EXTRACT_ADDRESSES = 600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_settings(directory: Path, port: int, db: int = 0) -> Settings:
    return Settings(redis_dir=directory, redis_port=port, redis_db=db)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    """The tests' Redis, started once for the session and stopped after it."""
    server = LocalRedis(directory=tmp_path_factory.mktemp("redis").resolve(), port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def extract_rows() -> list[dict[str, str]]:
    """A small seeded BAN extract over Toulouse and three neighbours: the truth."""
    return generate_ban(seed=EXTRACT_SEED, n_addresses=EXTRACT_ADDRESSES)


@pytest.fixture(scope="session")
def extract_file(
    extract_rows: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("ban") / "adresses-31.csv.gz"
    write_ban(extract_rows, path)
    return path


@pytest.fixture(scope="session")
def reference(redis_server: LocalRedis, extract_file: Path) -> Settings:
    """Settings pointing at the tests' Redis (databases 0 and 1) with the extract loaded."""
    settings = redis_settings(redis_server.directory, redis_server.port, db=0)
    load_ban(settings, [extract_file])
    return settings


@pytest.fixture
def empty_reference(redis_server: LocalRedis) -> Iterator[Settings]:
    """Settings on databases of their own (4 and 5), emptied before and after the test."""
    settings = redis_settings(redis_server.directory, redis_server.port, db=4)
    for db in (4, 5):
        redis_server.client(db).flushdb()
    yield settings
    for db in (4, 5):
        redis_server.client(db).flushdb()


@pytest.fixture
def cli_in_process(monkeypatch: pytest.MonkeyPatch) -> Callable[[Settings, list[str]], Result]:
    """``observatory …`` in this process, with the given settings' Redis."""
    from observatory.cli import app
    from observatory.settings import get_settings

    def run(settings: Settings, args: list[str]) -> Result:
        for name in [n for n in os.environ if n.startswith("OBS_REDIS")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("OBS_REDIS_DIR", str(settings.redis_dir))
        monkeypatch.setenv("OBS_REDIS_PORT", str(settings.redis_port))
        monkeypatch.setenv("OBS_REDIS_DB", str(settings.redis_db))
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, args)
        finally:
            get_settings.cache_clear()

    return run
