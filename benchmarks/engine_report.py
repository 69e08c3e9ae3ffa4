"""The engine benchmark's figures as a Markdown section, in the style of RESULTS.md."""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np

from benchmarks.common import database_versions, machine
from benchmarks.engine_data import BENCH_DB, PARTS, SEED, START
from benchmarks.engine_measures import CATEGORIES, HTTP_RUNS


def machine_of(url: str) -> dict[str, str]:
    """What the figures were measured on: system, CPU, memory, software versions, load."""
    return machine(
        f"{database_versions(url)}, Python {platform.python_version()}, numpy {np.__version__}"
    )


def _cells(http: dict[str, Any]) -> str:
    return f"; {http['cells']:,} cells, {http['kb']:.0f} kB"


def _count(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows:,}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(
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
        f"Data: {_count(rows)} generated incidents (benchmarks.synthetic, seed {SEED}, Toulouse, "
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
