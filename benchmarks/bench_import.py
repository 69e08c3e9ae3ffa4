"""Import speed: the whole incident pipeline against geopandas.to_postgis on the same rows.

A generated CSV in the French municipal format (benchmarks.synthetic) is imported end to end —
parse, validate, reproject, H3, commune and QPV tagging, COPY, tracking — into a fresh
database; the baseline loads the same rows with `GeoDataFrame.to_postgis` and none of that
work. Both run in this process, in the same run, so the ratio is fair on a noisy machine.
The peak memory is the importer's, measured in a child process: its high-water mark (VmHWM),
not ru_maxrss, which on Linux also counts the parent's memory at the fork before exec (here
the generated frame of a million rows).
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from benchmarks.common import SAMPLES, write_incidents
from observatory.db import make_engine, upgrade
from observatory.localdb import LocalCluster
from observatory.settings import Settings

BENCH_DB = "observatory_bench"


def _fresh_database() -> str:
    settings = Settings()
    if settings.uses_local_cluster:
        cluster = LocalCluster.from_settings(settings)
        cluster.start()
        url = cluster.ensure_database(BENCH_DB, fresh=True)
    else:
        url = settings.sqlalchemy_url
    upgrade(url)
    return url


def _load_boundaries(url: str) -> None:
    from ingest.boundaries import import_communes, import_qpv

    engine = make_engine(url)
    import_communes(engine, SAMPLES / "communes_toulouse.geojson", run_by="bench")
    import_qpv(engine, SAMPLES / "qpv2015_toulouse.geojson", generation=2015, run_by="bench")
    import_qpv(engine, SAMPLES / "qpv2024_toulouse.geojson", generation=2024, run_by="bench")
    engine.dispose()


def _peak_mb() -> float:
    """This process's peak resident memory since it started (since its exec)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_child(url: str, path: str, queue: Any) -> None:
    from ingest.incidents import import_incidents

    engine = make_engine(url)
    started = time.perf_counter()
    summary = import_incidents(engine, Path(path), settings=Settings(), run_by="bench")
    elapsed = time.perf_counter() - started
    peak_mb = _peak_mb()
    queue.put((elapsed, peak_mb, summary.contract()))


def _baseline(url: str, path: Path) -> float:
    """geopandas.to_postgis of the same rows: read, points, load; no checks, no enrichment."""
    started = time.perf_counter()
    frame = pd.read_csv(path, sep=";", dtype=str)
    lon = frame["longitude"].str.replace(",", ".").astype(float)
    lat = frame["latitude"].str.replace(",", ".").astype(float)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    engine = make_engine(url)
    gdf.to_postgis("baseline_incident", engine, if_exists="replace", chunksize=100_000)
    engine.dispose()
    return time.perf_counter() - started


def run(rows: int) -> None:
    url = _fresh_database()
    _load_boundaries(url)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        path = write_incidents(Path(folder) / f"incidents_{rows}.csv", rows, seed=2024)
        print(
            f"fichier généré : {rows} lignes, {path.stat().st_size / 1e6:.0f} Mo, "
            f"{time.perf_counter() - started:.1f} s"
        )
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=_import_child, args=(url, str(path), queue))
        child.start()
        elapsed, peak_mb, counts = queue.get()
        child.join()
        baseline = _baseline(url, path)
    rate = rows / elapsed
    print(
        f"import observatoire : {elapsed:.2f} s, {rate:,.0f} lignes/s, pic mémoire {peak_mb:.0f} Mo"
    )
    print(f"  comptes : {counts}")
    print(f"référence geopandas.to_postgis : {baseline:.2f} s, {rows / baseline:,.0f} lignes/s")
    print(f"rapport (référence / observatoire) : {baseline / elapsed:.2f}×  (objectif ≥ 2×)")
    print(f"objectif ≥ 200 000 lignes/s : {'atteint' if rate >= 200_000 else 'NON atteint'}")
    print(f"objectif pic ≤ 1,5 Go : {'atteint' if peak_mb <= 1536 else 'NON atteint'}")
    from benchmarks import bench_territories

    engine = make_engine(url)
    bench_territories.run(engine)
    engine.dispose()
