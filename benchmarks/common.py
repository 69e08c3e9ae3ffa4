"""What the benchmarks share: the API served on loopback, a token, generated incidents, the machine.

`serve` runs `observatory serve` on a free loopback port and `wait_ready` polls its /readyz;
`run_token` creates a token for the run and revokes it at the end; `generated_incidents` and
`write_incidents` are benchmarks.synthetic over the Toulouse samples; `machine` describes what the
figures were measured on, for the Markdown reports.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import text

from observatory.db import make_engine, make_sessionmaker
from observatory.settings import PROJECT_ROOT
from observatory.tokens import create_token, revoke_token

if TYPE_CHECKING:
    import pandas as pd

SAMPLES = PROJECT_ROOT / "data" / "samples"


def observatory_command(*args: str) -> list[str]:
    """The command line of this environment's `observatory` with these arguments."""
    return [str(Path(sys.executable).parent / "observatory"), *args]


def free_port() -> int:
    """A TCP port free on the loopback interface at the time of the call."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def run_token(url: str, secret_key: str, label: str, role: str = "analyst") -> Iterator[str]:
    """A token with this role for this run (named bench-<label>-…), revoked at the end."""
    engine = make_engine(url, pool_size=1)
    sessions = make_sessionmaker(engine)
    name = f"bench-{label}-{os.getpid()}-{int(time.time())}"
    with sessions.begin() as session:
        raw = create_token(session, name, role, secret_key)
    try:
        yield raw
    finally:
        with sessions.begin() as session:
            revoke_token(session, name)
        engine.dispose()


@contextmanager
def serve(
    env: dict[str, str], log_path: Path, *options: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`observatory serve` on a free loopback port, its output in log_path, until the block ends."""
    port = free_port()
    command = observatory_command("serve", "--port", str(port), *options)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield f"http://127.0.0.1:{port}", process
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_ready(
    base: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    timeout_s: float,
    also: Callable[[], bool] = lambda: True,
) -> None:
    """Poll /readyz until it answers 200 and `also()` holds; the log's tail if the server dies."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"le serveur ne démarre pas :\n{tail}")
        try:
            ready = httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            ready = False
        if ready and also():
            return
        time.sleep(0.2)


def generated_incidents(
    rows: int,
    seed: int,
    # The generator's defaults: spans under ~2 years fail (components that start late get
    # all-zero day weights, benchmarks/synthetic/timing.py, from_month).
    start: date = date(2024, 1, 1),
    months: int = 24,
) -> pd.DataFrame:
    """`rows` incidents from benchmarks.synthetic over the Toulouse communes and its 2024 QPV."""
    from benchmarks.synthetic import generate_incidents

    return generate_incidents(
        rows,
        seed=seed,
        start=start,
        months=months,
        commune_geojson=SAMPLES / "communes_toulouse.geojson",
        qpv_geojson=[SAMPLES / "qpv2024_toulouse.geojson"],
    )


def write_incidents(
    path: Path, rows: int, seed: int, start: date = date(2024, 1, 1), months: int = 24
) -> Path:
    """`generated_incidents` as a CSV in the French municipal format at path; path."""
    from benchmarks.synthetic import write_municipal_csv

    write_municipal_csv(generated_incidents(rows, seed, start, months), path)
    return path


def database_versions(url: str) -> str:
    """'PostgreSQL x + PostGIS y' of the database at url."""
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        postgres = conn.execute(text("SHOW server_version")).scalar_one()
        postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    engine.dispose()
    return f"PostgreSQL {postgres.split()[0]} + PostGIS {postgis}"


def _command(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def machine(software: str, uname: str = "-a", load_averages: int = 1) -> dict[str, str]:
    """What the figures were measured on, and when: system (`uname` with these options), CPU,
    memory, the software named, and the first `load_averages` load averages (1, 5, 15 min)."""
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "uname": _command("uname", uname),
        "nproc": _command("nproc"),
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "cpu": _cpu_model(),
        "software": software,
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load": " / ".join(f"{v:.1f}" for v in os.getloadavg()[:load_averages]),
    }
