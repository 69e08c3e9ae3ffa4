"""The load benchmark's figures: exact percentiles from the raw samples, and their reports."""

from __future__ import annotations

import platform
from collections import Counter
from importlib.metadata import version
from typing import Any

import numpy as np

from benchmarks import common
from benchmarks.common import database_versions

# (name, milliseconds, bytes, status, error, start time) as locustfile.py writes them.
Sample = tuple[str, float, int, int, str, float]
ORDER = (
    "hexagons res=8",
    "hexagons res=9",
    "hexagons res=10",
    "stats/summary",
    "stats/timeslots",
    "stats/trends",
    "stats/compstat",
    "stats/territories",
)
OVERALL = "overall"


def machine(url: str) -> dict[str, str]:
    """What the figures were measured on, and when (the 1, 5 and 15 min load averages)."""
    software = (
        f"{database_versions(url)}, Python {platform.python_version()}, "
        f"uvicorn {version('uvicorn')}, locust {version('locust')}"
    )
    return common.machine(software, uname="-srm", load_averages=3)


def _row(samples: list[Sample], duration: float) -> dict[str, float]:
    times = np.array([s[1] for s in samples], dtype=np.float64)
    if not len(times):
        times = np.array([np.nan])
    return {
        "requests": len(samples),
        "rps": len(samples) / duration,
        "median": float(np.percentile(times, 50)),
        "p95": float(np.percentile(times, 95)),
        "p99": float(np.percentile(times, 99)),
        "max": float(times.max()),
        "errors": sum(1 for s in samples if s[4]),
        "kb": float(np.mean([s[2] for s in samples]) / 1024) if samples else 0.0,
    }


def table(samples: list[Sample], duration: float) -> dict[str, dict[str, float]]:
    """Per endpoint and overall: requests, requests/s, median, p95, p99, max (ms), errors."""
    names = [n for n in ORDER if any(s[0] == n for s in samples)]
    names += sorted({s[0] for s in samples} - set(names))
    out = {name: _row([s for s in samples if s[0] == name], duration) for name in names}
    out[OVERALL] = _row(samples, duration)
    return out


def error_kinds(samples: list[Sample], most: int = 5) -> list[tuple[str, int]]:
    """The most frequent errors, as 'endpoint: message'."""
    kinds = Counter(f"{s[0]}: {s[4]}" for s in samples if s[4])
    return kinds.most_common(most)


def met(result: dict[str, Any]) -> bool:
    overall = result["table"][OVERALL]
    return overall["errors"] == 0 and overall["p99"] <= result["target_p99_ms"]


def console(result: dict[str, Any]) -> str:
    """The figures for the terminal, in French."""
    lines = [
        f"{'point d’accès':<20} {'requêtes':>9} {'req/s':>7} {'médiane':>9} {'p95':>9} "
        f"{'p99':>9} {'max':>9} {'erreurs':>8} {'Ko':>7}"
    ]
    for name, row in result["table"].items():
        lines.append(
            f"{name:<20} {row['requests']:>9,} {row['rps']:>7.1f} {row['median']:>7.0f}ms "
            f"{row['p95']:>7.0f}ms {row['p99']:>7.0f}ms {row['max']:>7.0f}ms "
            f"{row['errors']:>8} {row['kb']:>7.0f}"
        )
    for kind, number in result["errors"]:
        lines.append(f"  erreur ×{number} : {kind}")
    overall = result["table"][OVERALL]
    lines.append(
        f"objectif 0 erreur et p99 ≤ {result['target_p99_ms']:.0f} ms : "
        f"{'atteint' if met(result) else 'NON atteint'} (p99 {overall['p99']:.0f} ms, "
        f"{overall['errors']} erreurs)"
    )
    lines.append(f"cache des réponses : {cache_words(result)} ; filtres : {result['filters']}")
    lines.append(
        f"CPU pendant la mesure : serveur {result['server_cpu_s']:.0f} s, locust "
        f"{result['locust_cpu_s']:.0f} s sur {result['run_s']} s ; machine occupée à "
        f"{result['machine_busy']:.0%}, temps volé par l'hyperviseur "
        f"{result['machine_stolen']:.0%} ; charge {result['load_before']:.1f} → "
        f"{result['load_after']:.1f} ; RSS du serveur {result['server_rss_mb']:.0f} Mo ; "
        f"traces d'erreur dans son journal : {result['tracebacks']}"
    )
    return "\n".join(lines)


def cache_words(result: dict[str, Any]) -> str:
    """The answer cache's setting and, from the server's log, how often it answered."""
    if not result["cache_mb"]:
        return "off (OBS_ANSWER_CACHE_MB=0)"
    hits, misses = result["cache_hits"], result["cache_misses"]
    share = f"{hits / (hits + misses):.0%}" if hits + misses else "–"
    return (
        f"{result['cache_mb']} MB per process, {share} of the answers from it "
        f"({hits:,} of {hits + misses:,})"
    )


def markdown(result: dict[str, Any]) -> str:
    """The figures as a Markdown block for RESULTS.md."""
    data, host = result["dataset"], result["machine"]
    overall = result["table"][OVERALL]
    think = (
        f", {result['think'] / 2:g}–{result['think'] * 3 / 2:g} s of think time between a user's "
        "requests"
        if result["think"]
        else ", no think time"
    )
    workers = f"{result['workers']} uvicorn workers" if result["workers"] > 1 else "one process"
    lines = [
        f"### {data.name}: {data.incidents:,} incidents, {result['users']} users × "
        f"{result['duration']} s ({host['date']})",
        "",
        f"Machine: `{host['uname']}`, {host['nproc']} CPU ({host['cpu']}), {host['memory']}; "
        f"{host['software']}. Load average (1/5/15 min) {host['load']} before, "
        f"{result['load_after']:.1f} (1 min) after. Data: {data.description}, database "
        f"`{data.database}`. API: `observatory serve`, {workers}, production settings, "
        f"snapshot loaded {result['ready_s']:.1f} s after the start; locust "
        f"{result['users']} users{think}, on the same machine, started over "
        f"{result['ramp_s']} s before the {result['duration']} s measured. Filters: "
        f"{result['filters']}; answer cache: {cache_words(result)}.",
        "",
        "| endpoint | requests | req/s | median | p95 | p99 | max | errors | mean size |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in result["table"].items():
        bold = "**" if name == OVERALL else ""
        lines.append(
            f"| {bold}{name}{bold} | {row['requests']:,} | {row['rps']:.1f} | "
            f"{row['median']:.0f} ms | {row['p95']:.0f} ms | {bold}{row['p99']:.0f} ms{bold} | "
            f"{row['max']:.0f} ms | {row['errors']} | {row['kb']:.0f} kB |"
        )
    verdict = "met" if met(result) else "**not met**"
    lines += [
        "",
        f"Target (0 errors, p99 ≤ {result['target_p99_ms']:.0f} ms): {verdict} — p99 "
        f"{overall['p99']:.0f} ms, {overall['errors']} errors. CPU during the run: server "
        f"{result['server_cpu_s']:.0f} s, locust {result['locust_cpu_s']:.0f} s, over "
        f"the {result['run_s']} s of the run on {host['nproc']} cores (machine busy "
        f"{result['machine_busy']:.0%}, stolen by the hypervisor {result['machine_stolen']:.0%}); "
        f"server RSS {result['server_rss_mb']:.0f} MB; "
        f"tracebacks in the server log: {result['tracebacks']}.",
    ]
    for kind, number in result["errors"]:
        lines.append(f"Error ×{number}: `{kind}`.")
    return "\n".join(lines)
