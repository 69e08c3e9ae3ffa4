"""H3 engine (issue 5): the in-process columnar copy against plain PostGIS GROUP BY, and over HTTP.

A dedicated database holds 5M generated incidents over Toulouse, 2021–2025 (ingest.synthetic,
seed 2024, imported by the real importer in five files); it is filled only when its marker
batches are missing, so reruns start at once. On the same rows and the same filter (one year,
three categories) the script times the fast path (observatory.analytics.engine on one
snapshot) and the baseline (observatory.analytics.plainsql, plain GROUP BY), checks that they
agree, then times the real server (`observatory serve`) over loopback and the delay between a
CLI import's exit and the API's first answer that counts its rows.

The database is not `observatory_bench`: bench_import recreates that one at every run, which
would throw the 5M rows away (and a rerun here would spend minutes refilling it).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from pathlib import Path
from queue import Empty
from typing import Any

import httpx
import numpy as np
from sqlalchemy import Engine, text

from observatory.analytics import engine as fast
from observatory.analytics import plainsql
from observatory.analytics.filters import Filter
from observatory.analytics.store import IncidentStore, Snapshot
from observatory.db import make_engine, make_sessionmaker, upgrade
from observatory.localdb import LocalCluster
from observatory.settings import PROJECT_ROOT, Settings
from observatory.tokens import create_token, revoke_token

SAMPLES = PROJECT_ROOT / "data" / "samples"
BENCH_DB = "observatory_bench_engine"
ROWS = 5_000_000
PARTS = 5
SEED = 2024
START = date(2021, 1, 1)
MONTHS = 60
CATEGORIES = ("cambriolage_logement", "tapage", "vol_dans_vehicule")
FILTER = Filter(
    date_from=date(2024, 1, 1), date_to=date(2024, 12, 31), categories=frozenset(CATEGORIES)
)
QUERY = {"from": "2024-01-01", "to": "2024-12-31", "categories": ",".join(CATEGORIES)}
FRESH_SOURCE = "bench-fresh"
FRESH_ROWS = 1_000
FAST_RUNS, SQL_RUNS, HTTP_RUNS = 30, 5, 30


def _marker(rows: int) -> str:
    return f"bench_engine_{rows}_seed{SEED}_"


# -- data --------------------------------------------------------------------------------------


def _database(rows: int) -> str:
    """The benchmark database's URL, filled with the generated incidents unless it has them."""
    cluster = LocalCluster.from_settings(Settings(database_url=None))
    cluster.start()
    url = cluster.ensure_database(BENCH_DB)
    upgrade(url)
    engine = make_engine(url)
    try:
        _forget_fresh(engine)  # rows left by an interrupted run
        if _filled(engine, rows):
            return url
    finally:
        engine.dispose()
    print(f"base {BENCH_DB} : génération et import de {rows:,} incidents (une fois)…")
    url = cluster.ensure_database(BENCH_DB, fresh=True)
    upgrade(url)
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_fill_child, args=(url, rows, queue))
    child.start()
    while True:
        try:
            line = queue.get(timeout=5)
        except Empty:
            if child.is_alive():
                continue
            break
        if line is None:
            break
        print(f"  {line}")
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"le remplissage de {BENCH_DB} a échoué ({child.exitcode})")
    with LocalCluster.from_settings(Settings(database_url=None)).connect(BENCH_DB) as conn:
        conn.execute("VACUUM ANALYZE incident")
    print(f"  base remplie en {time.perf_counter() - started:.0f} s")
    return url


def _forget_fresh(engine: Engine) -> None:
    """Delete the freshness test's rows, if there are any."""
    # Only when there are: even a DELETE of nothing bumps the data version (statement trigger).
    with engine.begin() as conn:
        found = conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM incident WHERE source = :s)"), {"s": FRESH_SOURCE}
        ).scalar_one()
        if found:
            conn.execute(text("DELETE FROM incident WHERE source = :s"), {"s": FRESH_SOURCE})


def _filled(engine: Engine, rows: int) -> bool:
    """True when the marker batches all succeeded and the table holds their rows, no other."""
    with engine.connect() as conn:
        batches, imported = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(rows_imported), 0) FROM import_batch "
                "WHERE kind = 'incidents' AND status = 'succeeded' AND file_name LIKE :m"
            ),
            {"m": _marker(rows) + "%"},
        ).one()
        present = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    return batches == PARTS and present == imported and imported >= rows * 0.99


def _fill_child(url: str, rows: int, queue: Any) -> None:
    """Boundaries, then the generated file in PARTS pieces, each imported as one batch."""
    from ingest.boundaries import import_communes, import_qpv
    from ingest.incidents import import_incidents
    from ingest.synthetic import generate_incidents, write_municipal_csv

    engine = make_engine(url)
    import_communes(
        engine,
        SAMPLES / "communes_toulouse.geojson",
        population=SAMPLES / "populations_haute_garonne.csv",
        run_by="bench",
    )
    import_qpv(
        engine,
        SAMPLES / "qpv2015_toulouse.geojson",
        generation=2015,
        population=SAMPLES / "qpv2015_toulouse_insee.csv",
        run_by="bench",
    )
    import_qpv(engine, SAMPLES / "qpv2024_toulouse.geojson", generation=2024, run_by="bench")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        frame = generate_incidents(
            rows,
            seed=SEED,
            start=START,
            months=MONTHS,
            commune_geojson=SAMPLES / "communes_toulouse.geojson",
            qpv_geojson=[SAMPLES / "qpv2024_toulouse.geojson"],
        )
        paths = []
        for part, bounds in enumerate(np.array_split(np.arange(len(frame)), PARTS), start=1):
            path = Path(folder) / f"{_marker(rows)}{part}of{PARTS}.csv"
            write_municipal_csv(frame.iloc[bounds[0] : bounds[-1] + 1].reset_index(drop=True), path)
            paths.append(path)
        del frame
        queue.put(f"{rows:,} lignes générées en {time.perf_counter() - started:.0f} s")
        for path in paths:
            started = time.perf_counter()
            summary = import_incidents(engine, path, settings=Settings(), run_by="bench")
            queue.put(f"{path.name} : {summary.contract()}, {time.perf_counter() - started:.0f} s")
    engine.dispose()
    queue.put(None)


# -- timing ------------------------------------------------------------------------------------


def _times_ms(run: Callable[[], Any], runs: int, warmup: int) -> tuple[list[float], Any]:
    """Milliseconds of each timed run (after the warm-up ones), and the last result."""
    result = None
    for _ in range(warmup):
        result = run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def _median(times: list[float]) -> float:
    return statistics.median(times)


def _p95(times: list[float]) -> float:
    return float(np.percentile(times, 95))


def _rss_kb(pid: int | str = "self", key: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# -- the fast path and the baseline ------------------------------------------------------------


def _load_snapshot(url: str, zone: str) -> tuple[Snapshot, dict[str, float]]:
    engine = make_engine(url)
    rss_before = _rss_kb()
    started = time.perf_counter()
    snapshot = IncidentStore(engine, zone).snapshot()
    seconds = time.perf_counter() - started
    engine.dispose()
    grown = (_rss_kb() - rss_before) * 1024
    peak = (_rss_kb(key="VmHWM") - rss_before) * 1024
    return snapshot, {
        "load_s": seconds,
        "nbytes_per": snapshot.nbytes() / snapshot.size,
        "rss_per": grown / snapshot.size,
        "peak_per": peak / snapshot.size,
    }


def _compare(url: str, snapshot: Snapshot, zone: str) -> list[dict[str, Any]]:
    """Fast path and plain SQL on one filter: median times and whether the results agree."""
    cases: list[tuple[str, Callable[[], Any], Callable[[Any], Any], Callable[[Any, Any], bool]]]
    cases = [
        (
            "hexagons",
            lambda: fast.hexagon_counts(snapshot, FILTER, 9),
            lambda conn: plainsql.hexagon_counts(conn, FILTER, 9, zone),
            lambda ours, theirs: (
                dict(zip(ours[0].tolist(), ours[1].tolist(), strict=True)) == theirs
            ),
        ),
        (
            "timeslots",
            lambda: fast.week_hours(snapshot, FILTER),
            lambda conn: plainsql.week_hours(conn, FILTER, zone),
            lambda ours, theirs: bool(np.allclose(ours, theirs, rtol=1e-9, atol=1e-9)),
        ),
        (
            "trends",
            lambda: fast.series(snapshot, FILTER, "month", None),
            lambda conn: plainsql.series(conn, FILTER, "month", None, zone),
            lambda ours, theirs: (
                ours.starts == theirs.starts
                and ours.keys == theirs.keys
                and np.array_equal(ours.counts, theirs.counts)
            ),
        ),
    ]
    engine = make_engine(url)
    out = []
    with engine.connect() as conn:
        for name, ours, theirs, same in cases:
            fast_times, fast_result = _times_ms(ours, FAST_RUNS, warmup=3)
            sql_times, sql_result = _times_ms(partial(theirs, conn), SQL_RUNS, warmup=1)
            out.append(
                {
                    "name": name,
                    "fast": _median(fast_times),
                    "sql": _median(sql_times),
                    "same": same(fast_result, sql_result),
                    "total": _total(sql_result),
                }
            )
            conn.rollback()
    engine.dispose()
    return out


def _total(result: Any) -> float:
    if isinstance(result, dict):
        return float(sum(result.values()))
    if isinstance(result, np.ndarray):
        return float(result.sum())
    return float(result.counts.sum())


# -- HTTP --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "OBS_DATABASE_URL")}
    env["OBS_PG_DATABASE"] = BENCH_DB
    return env


@contextmanager
def _server(folder: Path) -> Iterator[tuple[str, int]]:
    """`observatory serve` on a free loopback port, until the block ends."""
    port = _free_port()
    log = (folder / "serve.log").open("wb")
    command = [str(Path(sys.executable).parent / "observatory"), "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=_child_env(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (folder / "serve.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"le serveur ne répond pas :\n{tail}")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def _token(url: str, secret_key: str) -> Iterator[str]:
    engine = make_engine(url)
    name = f"bench-engine-{os.getpid()}-{int(time.time())}"
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        raw = create_token(session, name, "analyst", secret_key)
    try:
        yield raw
    finally:
        with sessions.begin() as session:
            revoke_token(session, name)
        engine.dispose()


def _http(url: str, secret_key: str, folder: Path, expected: dict[str, float]) -> dict[str, Any]:
    """Latency of the three endpoints, the server's memory, and the freshness of an import."""
    paths = {
        "hexagons": ("/api/v1/layers/hexagons", {"res": "9", **QUERY}),
        "timeslots": ("/api/v1/stats/timeslots", QUERY),
        "trends": ("/api/v1/stats/trends", {"step": "month", **QUERY}),
    }
    out: dict[str, Any] = {}
    with _token(url, secret_key) as token, _server(folder) as (base, pid):
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            rss_before = _rss_kb(pid)
            started = time.perf_counter()
            first = client.get(paths["hexagons"][0], params=paths["hexagons"][1])
            first.raise_for_status()
            out["first_s"] = time.perf_counter() - started
            out["server_rss_mb"] = (_rss_kb(pid) - rss_before) / 1024
            answers: dict[str, float] = {}
            for name, (path, params) in paths.items():
                times, response = _times_ms(
                    partial(_get, client, path, params), HTTP_RUNS, warmup=5
                )
                body = response.json()
                if name == "hexagons":
                    answers[name] = body["metadata"]["total"]
                    out["cells"] = len(body["features"])
                    out["kb"] = len(response.content) / 1024
                elif name == "timeslots":
                    answers[name] = body["total"]
                elif name == "trends":
                    answers[name] = sum(body["series"][0]["counts"])
                out[name] = {"median": _median(times), "p95": _p95(times)}
            out["same"] = all(abs(answers[k] - expected[k]) < 1e-3 for k in answers)
            out.update(_freshness(client, url, folder))
    return out


def _get(client: httpx.Client, path: str, params: dict[str, str]) -> httpx.Response:
    return client.get(path, params=params).raise_for_status()


def _freshness(client: httpx.Client, url: str, folder: Path) -> dict[str, float]:
    """Seconds from a CLI import's exit to the first summary that counts its rows."""
    from ingest.synthetic import generate_incidents, write_municipal_csv

    path = folder / "bench_fresh.csv"
    frame = generate_incidents(
        FRESH_ROWS,
        seed=7,
        # The generator's defaults: spans under ~2 years fail (components that start late
        # get all-zero day weights, ingest/synthetic/timing.py, from_month).
        start=date(2024, 1, 1),
        months=24,
        commune_geojson=SAMPLES / "communes_toulouse.geojson",
        qpv_geojson=[SAMPLES / "qpv2024_toulouse.geojson"],
    )
    write_municipal_csv(frame, path)
    before = client.get("/api/v1/stats/summary").json()["total"]
    command = [str(Path(sys.executable).parent / "observatory"), "import", "incidents"]
    command += [str(path), "--source", FRESH_SOURCE, "--json"]
    started = time.perf_counter()
    done = subprocess.run(command, env=_child_env(), capture_output=True, text=True, check=True)
    exited = time.perf_counter()
    cli_s = exited - started
    imported = json.loads(done.stdout.strip().splitlines()[-1])["rows_imported"]
    polls = 0
    while True:
        polls += 1
        total = client.get("/api/v1/stats/summary").json()["total"]
        if total == before + imported:
            visible = time.perf_counter() - exited
            break
        if time.perf_counter() - exited > 60:
            visible = float("inf")
            break
        time.sleep(0.05)
    # A delete is not an import: the snapshot is rebuilt from scratch in the background while
    # the previous one keeps serving; measured until the answers show the deletion.
    engine = make_engine(url)
    _forget_fresh(engine)
    engine.dispose()
    started = time.perf_counter()
    first_answer = None
    while True:
        after = client.get("/api/v1/stats/summary").json()["total"]
        if first_answer is None:
            first_answer = time.perf_counter() - started
        if after == before or time.perf_counter() - started > 120:
            break
        time.sleep(0.05)
    reload_s = time.perf_counter() - started
    return {
        "reload_first_answer_s": first_answer,
        "fresh_s": visible,
        "fresh_rows": imported,
        "fresh_polls": polls,
        "fresh_cli_s": cli_s,
        "reload_s": reload_s,
        "reload_ok": float(after == before),
    }


# -- report ------------------------------------------------------------------------------------


def _machine(url: str) -> dict[str, str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        postgres = conn.execute(text("SHOW server_version")).scalar_one()
        postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    engine.dispose()
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "uname": _command("uname", "-a"),
        "nproc": _command("nproc"),
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "cpu": _cpu_model(),
        "software": f"PostgreSQL {postgres.split()[0]} + PostGIS {postgis}, Python "
        f"{platform.python_version()}, numpy {np.__version__}",
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load": f"{os.getloadavg()[0]:.1f}",
    }


def _command(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _cells(http: dict[str, Any]) -> str:
    return f"; {http['cells']:,} cells, {http['kb']:.0f} kB"


def _count(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows:,}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _report(
    rows: int,
    machine: dict[str, str],
    memory: dict[str, float],
    compared: list[dict[str, Any]],
    http: dict[str, Any],
) -> str:
    """The figures as a Markdown section, in the style of RESULTS.md."""
    labels = {
        "hexagons": ("res-9 hexagon layer", 30),
        "timeslots": ("7×24 matrix (aoristic)", 50),
        "trends": ("monthly trend", 50),
    }
    lines = [
        f"## {machine['date'][:10]} — H3 engine (issue 5), {_count(rows)} incidents",
        "",
        f"Machine: `{machine['uname']}`; {machine['nproc']} CPU ({machine['cpu']}), "
        f"{machine['memory']}; {machine['software']}. Run {machine['date']}; load average "
        f"(1 min) {machine['load']} at the start of the timings, "
        f"{os.getloadavg()[0]:.1f} at the end (this benchmark alone accounts for about 1).",
        "",
        f"Data: {_count(rows)} generated incidents (ingest.synthetic, seed {SEED}, Toulouse, "
        f"{START:%Y-%m}…2025-12), imported by the importer in {PARTS} batches into "
        f"`{BENCH_DB}`. Filter: 2024-01-01…2024-12-31, categories {', '.join(CATEGORIES)}.",
        "",
        "| what | fast path (median) | PostGIS GROUP BY (median) | ratio | target | identical |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case in compared:
        label, target = labels[case["name"]]
        ratio = case["sql"] / case["fast"]
        lines.append(
            f"| {label}, compute | {case['fast']:.1f} ms | {case['sql']:.0f} ms | "
            f"**{ratio:.0f}×** | ≤ {target} ms: {_verdict(case['fast'] <= target)}; "
            f"≥ 15×: {_verdict(ratio >= 15)} | {'yes' if case['same'] else '**NO**'} |"
        )
    for name in ("hexagons", "timeslots", "trends"):
        figures = http[name]
        goal = " ≤ 100 ms: " + _verdict(figures["median"] <= 100) if name == "hexagons" else ""
        lines.append(
            f"| {labels[name][0]}, HTTP end to end (N={HTTP_RUNS}, loopback"
            f"{_cells(http) if name == 'hexagons' else ''}) | "
            f"median {figures['median']:.1f} ms, p95 {figures['p95']:.1f} ms | | |{goal} | "
            f"{'yes' if http['same'] else '**NO**'} |"
        )
    lines += [
        f"| import of {http['fresh_rows']:,} rows (CLI) visible to the API, from the CLI's exit "
        f"| {http['fresh_s']:.2f} s (answered at poll {http['fresh_polls']}; the CLI ran "
        f"{http['fresh_cli_s']:.1f} s) | | | ≤ 2 s: "
        f"{_verdict(http['fresh_s'] <= 2)} | |",
        f"| memory of the snapshot, `nbytes() / size` | {memory['nbytes_per']:.1f} B/incident "
        f"| | | ≤ 40 B: {_verdict(memory['nbytes_per'] <= 40)} | |",
        f"| RSS growth of the process while loading (after / peak) | {memory['rss_per']:.1f} / "
        f"{memory['peak_per']:.1f} B/incident | | | "
        f"≤ 40 B: {_verdict(memory['rss_per'] <= 40)} | |",
        "",
        f"Loading the snapshot in process: {memory['load_s']:.1f} s. In the server: the first "
        f"request (snapshot load included) {http['first_s']:.1f} s, RSS +"
        f"{http['server_rss_mb']:.0f} MB; after a DELETE (not an import) the snapshot is "
        f"rebuilt in the background: the next request answered in "
        f"{http['reload_first_answer_s']:.2f} s (from the previous snapshot) and the deletion "
        f"showed after {http['reload_s']:.1f} s"
        f"{'' if http['reload_ok'] else ' (**total still wrong after 120 s**)'}.",
        "",
    ]
    return "\n".join(lines)


def run(rows: int = ROWS) -> None:
    settings = Settings(database_url=None)
    zone = settings.timezone
    url = _database(rows)
    machine = _machine(url)
    snapshot, memory = _load_snapshot(url, zone)
    print(
        f"copie en mémoire : {snapshot.size:,} faits en {memory['load_s']:.1f} s, "
        f"{memory['nbytes_per']:.1f} o/fait (nbytes), RSS +{memory['rss_per']:.1f} o/fait "
        f"(pic +{memory['peak_per']:.1f})"
    )
    compared = _compare(url, snapshot, zone)
    for case in compared:
        print(
            f"{case['name']} : rapide {case['fast']:.1f} ms, SQL {case['sql']:.0f} ms, "
            f"rapport {case['sql'] / case['fast']:.0f}×, "
            f"résultats identiques : {'oui' if case['same'] else 'non'}"
        )
    expected = {case["name"]: case["total"] for case in compared}
    del snapshot
    with tempfile.TemporaryDirectory() as folder:
        http = _http(url, settings.secret_key, Path(folder), expected)
    for name in ("hexagons", "timeslots", "trends"):
        figures = http[name]
        print(f"HTTP {name} : médiane {figures['median']:.1f} ms, p95 {figures['p95']:.1f} ms")
    print(f"HTTP résultats identiques : {'oui' if http['same'] else 'non'}")
    print(f"import visible par l'API en {http['fresh_s']:.2f} s après la fin de la commande")
    print()
    print(_report(rows, machine, memory, compared, http))
