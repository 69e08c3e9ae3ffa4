"""Load (issue 10): N analysts hammering the hexagon layer and the statistics for a while.

`python -m benchmarks load [--users 50] [--duration 60] [--dataset sample|1m] [--workers 1]
[--think 0]` fills (once) the dataset's own database, starts the API as it runs in production
(`observatory serve`, OBS_ENVIRONMENT=production, DATABASE_URL set, a fresh secret key, warm
start on), creates an analyst's token, waits until the in-memory copy is loaded, warms every
endpoint once, then runs the locust scenario of benchmarks/load/locustfile.py headless in its
own process (the users start over 5 s, which the figures leave out) and prints requests/s,
median, p95, p99, max and errors per endpoint and overall, the verdict against the target
(0 errors, p99 ≤ 500 ms) and the same figures as a Markdown section for RESULTS.md.
`--workers N` serves with N uvicorn processes, `--think S` gives each user S seconds (±50 %)
between two requests.

Locust runs on the same two cores as the API and PostgreSQL: its own CPU time is printed
beside the server's, so that what the load generator took from the server can be read.
"""

from __future__ import annotations

import json
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import run_token, serve, wait_ready
from benchmarks.load import figures
from benchmarks.load.datasets import Dataset, prepare

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
TARGET_P99_MS = 500.0
RAMP_S = 5  # the users start over this many seconds, before the measured window
TAIL_S = 5  # and the load goes on this long after it
SNAPSHOT_LOADED = "Copie en mémoire chargée"
# What api/main.py logs when a process stops.
CACHE_COUNTS = re.compile(r"Cache des réponses : (\d+) servies du cache, (\d+) calculées")


def _server_env(url: str, secret_key: str, cache_mb: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBS_")}
    env.update(
        DATABASE_URL=url,
        OBS_ENVIRONMENT="production",
        OBS_SECRET_KEY=secret_key,
        OBS_WARM_START="true",
        OBS_LOG_LEVEL="INFO",
        OBS_ANSWER_CACHE_MB=str(cache_mb),
    )
    return env


def _wait_ready(
    base: str, token: str, process: subprocess.Popen[bytes], log_path: Path, workers: int
) -> float:
    """Seconds from now until the API answers and every worker's in-memory copy is loaded."""
    started = time.perf_counter()

    def loaded() -> bool:
        return log_path.read_text(errors="replace").count(SNAPSHOT_LOADED) >= workers

    wait_ready(base, process, log_path, timeout_s=600, also=loaded)
    # A statistics request also waits for a load still running: it answers from the snapshot.
    headers = {"Authorization": f"Bearer {token}"}
    httpx.get(f"{base}/api/v1/stats/summary", headers=headers, timeout=600).raise_for_status()
    return time.perf_counter() - started


def _scenario_inputs(base: str, token: str) -> dict[str, str]:
    """The data's last day and its three most frequent categories, for the filters."""
    body = httpx.get(
        f"{base}/api/v1/stats/summary",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()
    top = [c["code"] for c in body["categories"][:3]]
    return {"LOAD_LAST_DAY": body["data_range"]["last"], "LOAD_CATEGORIES": ",".join(top)}


def _warm_up(base: str, token: str) -> None:
    """Every endpoint of the scenario once, unmeasured (imports, caches, first allocations)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for res in ("8", "9", "10"):
            client.get("/api/v1/layers/hexagons", params={"res": res}).raise_for_status()
        for name in ("summary", "timeslots", "trends", "compstat", "territories"):
            client.get(f"/api/v1/stats/{name}").raise_for_status()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _server_pids(process: subprocess.Popen[bytes]) -> list[int]:
    """The server's process and its workers' (when it forks them)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    found = [process.pid]
    if children.exists():
        found += [int(p) for p in children.read_text().split()]
    return found


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _machine_times() -> list[int]:
    """The whole machine's CPU times in jiffies, from /proc/stat: user, nice, system, idle,
    iowait, irq, softirq, steal."""
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]


def _machine_shares(before: list[int], after: list[int]) -> tuple[float, float]:
    """(busy, stolen) shares of the machine's time between two readings; stolen is the time
    the hypervisor gave this virtual machine's CPUs to others."""
    delta = [b - a for a, b in zip(before, after, strict=True)]
    total = max(sum(delta), 1)
    busy = delta[0] + delta[1] + delta[2] + delta[5] + delta[6]
    return busy / total, delta[7] / total


def _locust(
    base: str, users: int, duration: int, think: float, env_extra: dict[str, str], folder: Path
) -> tuple[list[Any], float]:
    """Run the scenario headless; (the samples of the measured window, locust's CPU seconds).

    The users start over RAMP_S seconds and the run goes on TAIL_S seconds after the window,
    so that the window sees neither the start-up burst nor requests cut short by the stop.
    """
    samples_path = folder / "samples.json"
    env = {**os.environ, **env_extra, "LOAD_SAMPLES": str(samples_path), "LOAD_THINK": str(think)}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-H", base]
    command += [
        "-u",
        str(users),
        "-r",
        f"{users / RAMP_S:g}",
        "-t",
        f"{RAMP_S + duration + TAIL_S}s",
    ]
    command += ["--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 180, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0 or not samples_path.exists():
        output = (done.stdout + done.stderr)[-3000:]
        raise RuntimeError(f"locust a échoué ({done.returncode}) :\n{output}")
    samples = json.loads(samples_path.read_text())
    if not samples:
        raise RuntimeError("locust n'a envoyé aucune requête")
    start = min(s[5] for s in samples) + RAMP_S
    return [s for s in samples if start <= s[5] < start + duration], cpu


def _cache_counts(log: str) -> dict[str, int]:
    """Answers served from the cache and computed, added over the workers' last words."""
    found = [tuple(map(int, m)) for m in CACHE_COUNTS.findall(log)]
    return {"cache_hits": sum(h for h, _ in found), "cache_misses": sum(m for _, m in found)}


def _first_traceback(log: str, lines: int = 12) -> str:
    """The first line and the innermost lines of the server log's first traceback, or nothing."""
    start = log.find("Traceback")
    if start < 0:
        return ""
    head = log[log.rfind("\n", 0, max(start - 1, 0)) + 1 : start].strip()
    block = log[start:].splitlines()
    end = next((i for i, line in enumerate(block[1:], 1) if line and line[0] != " "), 0)
    # The exception's own lines follow the frames (it may span several).
    tail = block[: end + 1 + 3]
    return "\n".join([head, *tail[-lines:]])


def run(
    users: int = 50,
    duration: int = 60,
    dataset: str = "sample",
    think: float = 0.0,
    workers: int = 1,
    cache_mb: int = 64,
    filters: str = "presets",
) -> dict[str, Any]:
    """Measure one dataset under load and print the figures; return them."""
    data: Dataset = prepare(dataset)
    machine = figures.machine(data.url)
    print(
        f"jeu « {data.name} » : {data.incidents:,} faits dans {data.database} ; "
        f"charge de la machine {machine['load']}",
        flush=True,
    )
    secret_key = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log_path = folder / "serve.log"
        options = ("--workers", str(workers)) if workers > 1 else ()
        env = _server_env(data.url, secret_key, cache_mb)
        with (
            run_token(data.url, secret_key, "load") as token,
            serve(env, log_path, *options) as (base, process),
        ):
            ready_s = _wait_ready(base, token, process, log_path, workers)
            inputs = _scenario_inputs(base, token)
            _warm_up(base, token)
            pids = _server_pids(process)
            print(
                f"API prête et copie en mémoire chargée en {ready_s:.1f} s "
                f"({_rss_mb(pids):.0f} Mo) ; {users} utilisateurs pendant {duration} s…",
                flush=True,
            )
            load_before = os.getloadavg()[0]
            cpu_before = _cpu_seconds(pids)
            times_before = _machine_times()
            samples, locust_cpu = _locust(
                base,
                users,
                duration,
                think,
                {"LOAD_TOKEN": token, "LOAD_FILTERS": filters, **inputs},
                folder,
            )
            times_after = _machine_times()
            server_cpu = _cpu_seconds(pids) - cpu_before
            rss = _rss_mb(pids)
            load_after = os.getloadavg()[0]
        server_log = log_path.read_text(errors="replace")
    machine_busy, machine_stolen = _machine_shares(times_before, times_after)
    result = {
        "dataset": data,
        "machine": machine,
        "users": users,
        "duration": duration,
        "run_s": RAMP_S + duration + TAIL_S,
        "ramp_s": RAMP_S,
        "think": think,
        "workers": workers,
        "cache_mb": cache_mb,
        "filters": filters,
        "ready_s": ready_s,
        "inputs": inputs,
        "table": figures.table(samples, duration),
        "errors": figures.error_kinds(samples),
        "server_cpu_s": server_cpu,
        "locust_cpu_s": locust_cpu,
        "machine_busy": machine_busy,
        "machine_stolen": machine_stolen,
        "server_rss_mb": rss,
        "load_before": load_before,
        "load_after": load_after,
        "tracebacks": server_log.count("Traceback"),
        **_cache_counts(server_log),
        "first_traceback": _first_traceback(server_log),
        "target_p99_ms": TARGET_P99_MS,
    }
    print(figures.console(result))
    if result["first_traceback"]:
        print(f"première trace d'erreur du serveur :\n{result['first_traceback']}")
    print()
    print(figures.markdown(result))
    return result
