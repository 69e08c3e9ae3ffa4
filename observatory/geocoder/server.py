"""The project-local Redis that holds the geocoder's reference, started like the local cluster.

Its own port on 127.0.0.1 only, its own directory (``var/redis``: configuration, log, pid file
and the RDB snapshot that brings the loaded reference back after a restart).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from observatory.errors import ObservatoryError
from observatory.settings import Settings

# A Unix socket beside TCP: addok makes about ten round trips per address, a socket halves
# their cost. Its path must fit in 107 bytes; a deeper directory keeps TCP only.
SOCKET_NAME = "redis.sock"

# `save` rules: a snapshot a minute after a change, and at every shutdown (SHUTDOWN SAVE).
# No AOF: the reference is rebuilt from the BAN file, the snapshot is enough to survive a
# restart. `protected-mode` stays on: nothing but 127.0.0.1 may talk to it.
SERVER_CONF = """\
# Written by `observatory geocoder start` at every start: edit the settings, not this file.
bind 127.0.0.1
port {port}
protected-mode yes
daemonize yes
dir {dir}
pidfile {dir}/redis.pid
logfile {dir}/redis.log
dbfilename reference.rdb
{unixsocket}save 60 1
appendonly no
databases 16
"""


class GeocoderServerError(ObservatoryError):
    """The local Redis could not be found, started or reached."""


def find_redis_server() -> Path:
    """The redis-server program, or a French error that says how to install it."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if not found:
        raise GeocoderServerError(
            "redis-server est introuvable. Installez le paquet « redis-server » (sous Debian : "
            "make setup le fait, ou apt-get install redis-server)."
        )
    return Path(found)


@dataclass
class LocalRedis:
    """A Redis server in a directory of the project, on its own port of 127.0.0.1."""

    directory: Path
    port: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalRedis:
        return cls(directory=settings.redis_dir.resolve(), port=settings.redis_port)

    @property
    def conf_file(self) -> Path:
        return self.directory / "redis.conf"

    @property
    def pid_file(self) -> Path:
        return self.directory / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.directory / "redis.log"

    @property
    def snapshot_file(self) -> Path:
        return self.directory / "reference.rdb"

    def client(self, db: int = 0) -> redis.Redis:
        # No retries: a server that hangs up (SHUTDOWN) or is down must not cost seconds.
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            db=db,
            socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 0),
        )

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def is_running(self) -> bool:
        """True when a Redis answers on the port and it is ours (its directory is ours)."""
        try:
            settings = cast(dict[str, str], self.client().config_get("dir"))
            directory = settings.get("dir")
        except redis.RedisError:
            return False
        if directory is not None and Path(directory).resolve() != self.directory:
            raise GeocoderServerError(
                f"Le port {self.port} est pris par un autre Redis (dossier {directory}). "
                "Choisissez un autre port avec OBS_REDIS_PORT."
            )
        return True

    def _log_tail(self, lines: int = 10) -> str:
        try:
            text = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return f"\nJournal du serveur ({self.log_file}) :\n" + "\n".join(text)

    def start(self, timeout: float = 30) -> bool:
        """Start the server (writing its configuration); False when it was already running."""
        if self.is_running():
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        socket = self.directory / SOCKET_NAME
        unixsocket = f"unixsocket {socket}\nunixsocketperm 700\n" if len(str(socket)) < 100 else ""
        self.conf_file.write_text(
            SERVER_CONF.format(port=self.port, dir=self.directory, unixsocket=unixsocket)
        )
        result = subprocess.run(
            [str(find_redis_server()), str(self.conf_file)],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.directory,
        )
        if result.returncode != 0:
            raise GeocoderServerError(
                f"redis-server a échoué ({result.returncode}) : "
                f"{result.stderr.strip() or result.stdout.strip()}{self._log_tail()}"
            )
        self.wait_ready(timeout)
        return True

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                # A server loading its snapshot answers LOADING until the data is there.
                self.client().ping()
                return
            except redis.BusyLoadingError:
                pass
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise GeocoderServerError(
                        f"Le géocodeur ne répond pas sur le port {self.port}.{self._log_tail()}"
                    ) from None
            time.sleep(0.1)

    def stop(self, timeout: float = 30) -> bool:
        """Save the reference and stop the server; False when it was not running."""
        if not self.is_running():
            return False
        pid = self._pid()
        with contextlib.suppress(redis.ConnectionError):  # the server hangs up as it goes
            self.client().shutdown(save=True)
        deadline = time.monotonic() + timeout
        while self._alive(pid) or self._answers():
            if time.monotonic() > deadline:
                if pid is not None:
                    os.kill(pid, signal.SIGTERM)
                raise GeocoderServerError(
                    f"Le géocodeur ne s'arrête pas (pid {pid}).{self._log_tail()}"
                )
            time.sleep(0.1)
        return True

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    @staticmethod
    def _alive(pid: int | None) -> bool:
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # A zombie of ours (daemonized servers are not our children, but be safe) is gone.
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except (OSError, IndexError):
            return True
        return state != "Z"
