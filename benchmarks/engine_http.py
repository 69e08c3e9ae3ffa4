"""The engine benchmark over HTTP: the real server (`observatory serve`) on loopback.

Latency of the three endpoints on the benchmark's filter, the server's memory, and the delay
between a CLI import's exit and the API's first answer that counts its rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    observatory_command,
    run_token,
    serve,
    wait_ready,
    write_incidents,
)
from benchmarks.engine_data import BENCH_DB, FRESH_SOURCE, forget_fresh
from benchmarks.engine_measures import HTTP_RUNS, QUERY, median, p95, rss_kb, times_ms
from observatory.db import make_engine

FRESH_ROWS = 1_000


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "OBS_DATABASE_URL")}
    env["OBS_PG_DATABASE"] = BENCH_DB
    return env


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
    log_path = folder / "serve.log"
    with (
        run_token(url, secret_key, "engine") as token,
        serve(_child_env(), log_path) as (base, process),
    ):
        wait_ready(base, process, log_path, timeout_s=60)
        pid = process.pid
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
    path = write_incidents(folder / "bench_fresh.csv", FRESH_ROWS, seed=7)
    before = client.get("/api/v1/stats/summary").json()["total"]
    command = observatory_command(
        "import", "incidents", str(path), "--source", FRESH_SOURCE, "--json"
    )
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
