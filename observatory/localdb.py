"""The project-local PostgreSQL + PostGIS cluster, used when DATABASE_URL is unset.

``initdb`` and ``postgres`` refuse to run as root, so when we are root the cluster belongs to an
unprivileged system user (``postgres`` by default) and every server command runs as that user.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from observatory.errors import ObservatoryError
from observatory.settings import Settings

log = logging.getLogger(__name__)

SERVER_CONF = """\
# Written by `observatory db start` at every start: edit the settings, not this file.
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
max_connections = 100
shared_buffers = '256MB'
work_mem = '32MB'
maintenance_work_mem = '256MB'
max_wal_size = '2GB'
synchronous_commit = off
timezone = 'UTC'
log_min_messages = warning
"""


class LocalDatabaseError(ObservatoryError):
    """The local cluster could not be set up or started."""


def find_bin_dir(configured: Path | None = None) -> Path:
    """Directory that holds initdb, pg_ctl and postgres."""
    if configured:
        return configured
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    for candidate in debian:
        if (candidate / "initdb").exists():
            return candidate
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    raise LocalDatabaseError(
        "PostgreSQL est introuvable (initdb, pg_ctl). Installez « postgresql » et "
        "« postgis » (sous Debian : make setup le fait), ou définissez DATABASE_URL."
    )


def _traversable_by_others(path: Path) -> bool:
    """True when every ancestor of path lets other users through (o+x)."""
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        if not parent.stat().st_mode & stat.S_IXOTH:
            return False
    return True


@dataclass
class LocalCluster:
    """A PostgreSQL cluster in a directory of the project, on its own port and socket."""

    base_dir: Path
    port: int
    user: str
    database: str
    os_user: str
    bin_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalCluster:
        base_dir = settings.pg_data_dir.resolve()
        if os.geteuid() == 0 and not _traversable_by_others(base_dir.parent):
            # e.g. a clone under /root: the unprivileged server could not reach it.
            digest = hashlib.sha256(str(base_dir).encode()).hexdigest()[:12]
            var_tmp = Path("/var/tmp")  # noqa: S108 - the server user must reach it
            shared_tmp = var_tmp if var_tmp.is_dir() else Path(tempfile.gettempdir())
            base_dir = shared_tmp / f"observatory-{digest}"
            log.info(
                "Dossier du projet inaccessible à %s : cluster dans %s",
                settings.pg_os_user,
                base_dir,
            )
        return cls(
            base_dir=base_dir,
            port=settings.pg_port,
            user=settings.pg_user,
            database=settings.pg_database,
            os_user=settings.pg_os_user,
            bin_dir=find_bin_dir(settings.pg_bin_dir),
        )

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgres.log"

    def url(self, database: str | None = None) -> str:
        name = database or self.database
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    # -- running server commands -------------------------------------------------------

    def _run_as_owner(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        kwargs: dict = {"capture_output": True, "text": True, "check": False}
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam(self.os_user)
            except KeyError as exc:
                raise LocalDatabaseError(
                    f"L'utilisateur système « {self.os_user} » n'existe pas : PostgreSQL refuse "
                    "de tourner en root. Installez le paquet postgresql (il crée « postgres ») "
                    "ou choisissez un autre utilisateur avec OBS_PG_OS_USER."
                ) from exc
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid)
            kwargs["env"] = {**os.environ, "HOME": entry.pw_dir}
            kwargs["cwd"] = "/"
        result = subprocess.run(args, **kwargs)
        if check and result.returncode != 0:
            raise LocalDatabaseError(
                f"La commande {Path(args[0]).name} a échoué ({result.returncode}) :\n"
                f"{result.stderr.strip() or result.stdout.strip()}{self._log_tail()}"
            )
        return result

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\nJournal du serveur (" + str(self.log_file) + ") :\n" + "\n".join(text)

    def _prepare_dirs(self) -> None:
        for directory in (self.base_dir, self.socket_dir):
            directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(self.os_user)
            for directory in (self.base_dir, self.socket_dir):
                os.chown(directory, entry.pw_uid, entry.pw_gid)
            if self.log_file.exists():
                os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -----------------------------------------------------------------------

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = self._run_as_owner(
            [str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.data_dir)], check=False
        )
        return result.returncode == 0

    def initialise(self) -> None:
        self._prepare_dirs()
        log.info("Création du cluster PostgreSQL local dans %s", self.data_dir)
        self._run_as_owner(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                self.user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ]
        )
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\ninclude_if_exists = 'observatory.conf'\n")

    def _write_server_conf(self) -> None:
        conf = self.data_dir / "observatory.conf"
        conf.write_text(SERVER_CONF.format(port=self.port, socket_dir=self.socket_dir))
        if os.geteuid() == 0:
            entry = pwd.getpwnam(self.os_user)
            os.chown(conf, entry.pw_uid, entry.pw_gid)

    def start(self, timeout: float = 60) -> bool:
        """Start the cluster (creating it first if needed); False when it was already running."""
        if not self.is_initialised():
            self.initialise()
        if self.is_running():
            return False
        self._prepare_dirs()
        self._write_server_conf()
        self._run_as_owner(
            [
                str(self.bin_dir / "pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(int(timeout)),
            ]
        )
        self.wait_ready(timeout)
        return True

    def stop(self) -> bool:
        """Stop the cluster; False when it was not running."""
        if not self.is_running():
            return False
        self._run_as_owner(
            [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"]
        )
        return True

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect("postgres"):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise LocalDatabaseError(
                        f"Le serveur local ne répond pas sur le port {self.port}.{self._log_tail()}"
                    ) from None
                time.sleep(0.2)

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname=database, autocommit=True
        )

    def ensure_database(self, name: str | None = None, fresh: bool = False) -> str:
        """Create the database (dropping it first when fresh) with PostGIS; return its URL."""
        name = name or self.database
        with self.connect("postgres") as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists and fresh:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                exists = None
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        with self.connect(name) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.url(name)
