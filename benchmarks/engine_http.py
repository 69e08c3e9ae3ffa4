"""The engine benchmark over HTTP: the real server (`observatory serve`) on loopback.

Latency of the three endpoints on the benchmark's filter, the server's memory, and the delay
between a CLI import's exit and the API's first answer that counts its rows.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from benchmarks.engine_data import BENCH_DB, FRESH_SOURCE, SAMPLES, forget_fresh
from benchmarks.engine_measures import HTTP_RUNS, QUERY, median, p95, rss_kb, times_ms
from observatory.db import make_engine, make_sessionmaker
from observatory.tokens import create_token, revoke_token

FRESH_ROWS = 1_000


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


def measure_http(
    url: str, secret_key: str, folder: Path, expected: dict[str, float]
) -> dict[str, Any]:
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
            rss_before = rss_kb(pid)
            started = time.perf_counter()
            first = client.get(paths["hexagons"][0], params=paths["hexagons"][1])
            first.raise_for_status()
            out["first_s"] = time.perf_counter() - started
            out["server_rss_mb"] = (rss_kb(pid) - rss_before) / 1024
            answers: dict[str, float] = {}
            for name, (path, params) in paths.items():
                times, response = times_ms(partial(_get, client, path, params), HTTP_RUNS, warmup=5)
                body = response.json()
                if name == "hexagons":
                    answers[name] = body["metadata"]["total"]
                    out["cells"] = len(body["features"])
                    out["kb"] = len(response.content) / 1024
                elif name == "timeslots":
                    answers[name] = body["total"]
                elif name == "trends":
                    answers[name] = sum(body["series"][0]["counts"])
                out[name] = {"median": median(times), "p95": p95(times)}
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
    forget_fresh(engine)
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
