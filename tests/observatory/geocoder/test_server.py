"""The geocoder's local Redis: start, status, stop, and the reference kept across a restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from typer.testing import Result

from observatory.geocoder.load import document_count, load_ban, loaded_communes
from observatory.geocoder.server import LocalRedis
from observatory.settings import Settings
from tests.geocoding import free_port, redis_settings


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LocalRedis]:
    """A server of the test's own (the session's stays up for the others)."""
    server = LocalRedis(directory=tmp_path.resolve() / "redis", port=free_port())
    yield server
    server.stop()


def test_lifecycle(own_server: LocalRedis) -> None:
    assert not own_server.is_running()
    assert own_server.start() is True
    assert own_server.is_running()
    assert own_server.start() is False  # already running
    assert own_server.client().ping()
    # Bound to the loopback only, with its files in its own directory.
    assert own_server.client().config_get("bind")["bind"] == "127.0.0.1"
    assert Path(own_server.client().config_get("dir")["dir"]) == own_server.directory
    assert own_server.stop() is True
    assert not own_server.is_running()
    with pytest.raises(redis.ConnectionError):
        own_server.client().ping()
    assert own_server.stop() is False


def test_reference_survives_a_restart(own_server: LocalRedis, extract_file: Path) -> None:
    own_server.start()
    settings = redis_settings(own_server.directory, own_server.port)
    load_ban(settings, [extract_file])
    communes, documents = loaded_communes(settings), document_count(settings)
    assert documents > 0
    own_server.stop()
    assert (own_server.directory / "reference.rdb").exists()
    own_server.start()
    assert loaded_communes(settings) == communes
    assert document_count(settings) == documents


def test_cli_start_status_stop(
    tmp_path: Path, cli_in_process: Callable[[Settings, list[str]], Result]
) -> None:
    settings = redis_settings(tmp_path.resolve() / "redis", free_port())
    try:
        stopped = cli_in_process(settings, ["geocoder", "status"])
        assert stopped.exit_code == 1
        assert "Géocodeur arrêté" in stopped.output

        started = cli_in_process(settings, ["geocoder", "start"])
        assert started.exit_code == 0, started.output
        assert f"Géocodeur démarré : 127.0.0.1:{settings.redis_port}" in started.output
        again = cli_in_process(settings, ["geocoder", "start"])
        assert "déjà en marche" in again.output

        status = cli_in_process(settings, ["geocoder", "status"])
        assert status.exit_code == 0
        assert "Géocodeur en marche" in status.output
        assert "Aucune adresse chargée" in status.output
    finally:
        stop = cli_in_process(settings, ["geocoder", "stop"])
    assert stop.exit_code == 0
    assert "Géocodeur arrêté." in stop.output
    assert "n'était pas démarré" in cli_in_process(settings, ["geocoder", "stop"]).output


def test_a_port_held_by_another_redis_is_refused(redis_server: LocalRedis, tmp_path: Path) -> None:
    intruder = LocalRedis(directory=tmp_path.resolve(), port=redis_server.port)
    with pytest.raises(Exception, match="pris par un autre Redis"):
        intruder.start()
