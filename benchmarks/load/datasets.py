"""The load benchmark's databases: the samples (`observatory demo`) or 1M generated incidents.

Each dataset has its own database in the project-local cluster, filled through the command
line as an operator would fill it, and only when it is not filled yet: reruns start at once.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text

from benchmarks.common import SAMPLES, observatory_command, write_incidents
from observatory.db import make_engine, upgrade
from observatory.localdb import LocalCluster
from observatory.settings import Settings

GENERATED_ROWS = 1_000_000
SEED = 2024
START = date(2023, 1, 1)
MONTHS = 36


@dataclass(frozen=True)
class Dataset:
    """A filled benchmark database."""

    name: str
    database: str
    url: str
    incidents: int
    description: str


def observatory_cli(*args: str, database_url: str) -> str:
    """Run `observatory …` against database_url; its standard output (raises on failure)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBS_")}
    env.update(DATABASE_URL=database_url, OBS_LOG_LEVEL="WARNING")
    command = observatory_command(*args)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"observatory {' '.join(args)} : {done.stderr.strip()}")
    return done.stdout


def prepare(name: str) -> Dataset:
    """The database of a dataset ("sample" or "1m"), filled if it was not."""
    cluster = LocalCluster.from_settings(Settings(database_url=None))
    cluster.start()
    database = f"observatory_bench_load_{name}"
    url = cluster.ensure_database(database)
    upgrade(url)
    if name == "sample":
        # Idempotent: every file already loaded is skipped ("déjà chargé").
        observatory_cli("demo", database_url=url)
        description = (
            "the samples of data/samples loaded by `observatory demo` (Toulouse, 2024–2025)"
        )
    elif name == "1m":
        if not _filled(url):
            url = cluster.ensure_database(database, fresh=True)
            upgrade(url)
            _fill_generated(url)
        description = (
            f"{GENERATED_ROWS:,} generated incidents (benchmarks.synthetic, seed {SEED}, Toulouse, "
            f"{START:%Y-%m}, {MONTHS} months) imported by `observatory import incidents`"
        )
    else:
        raise ValueError(f"unknown dataset {name!r}")
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        incidents = int(conn.execute(text("SELECT count(*) FROM incident")).scalar_one())
    engine.dispose()
    return Dataset(name, database, url, incidents, description)


def _marker() -> str:
    return f"bench_load_{GENERATED_ROWS}_seed{SEED}.csv"


def _filled(url: str) -> bool:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        imported = conn.execute(
            text(
                "SELECT coalesce(sum(rows_imported), 0) FROM import_batch "
                "WHERE kind = 'incidents' AND status = 'succeeded' AND file_name = :m"
            ),
            {"m": _marker()},
        ).scalar_one()
        present = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    engine.dispose()
    return bool(imported) and present == imported


def _fill_generated(url: str) -> None:
    print(f"génération et import de {GENERATED_ROWS:,} incidents (une fois)…", flush=True)
    started = time.perf_counter()
    observatory_cli(
        "import",
        "communes",
        str(SAMPLES / "communes_toulouse.geojson"),
        "--population",
        str(SAMPLES / "populations_haute_garonne.csv"),
        database_url=url,
    )
    observatory_cli(
        "import",
        "qpv",
        str(SAMPLES / "qpv2015_toulouse.geojson"),
        "--generation",
        "2015",
        "--population",
        str(SAMPLES / "qpv2015_toulouse_insee.csv"),
        database_url=url,
    )
    observatory_cli(
        "import",
        "qpv",
        str(SAMPLES / "qpv2024_toulouse.geojson"),
        "--generation",
        "2024",
        database_url=url,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / _marker()
        # In a child process: the generated frame's memory goes back with it.
        context = multiprocessing.get_context("spawn")
        child = context.Process(target=_generate, args=(str(path),))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"génération échouée ({child.exitcode})")
        print(observatory_cli("import", "incidents", str(path), database_url=url).strip())
    print(f"base remplie en {time.perf_counter() - started:.0f} s", flush=True)


def _generate(path: str) -> None:
    write_incidents(Path(path), GENERATED_ROWS, SEED, START, MONTHS)
