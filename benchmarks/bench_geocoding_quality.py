"""Geocoding quality and speed: addok beside a pg_trgm baseline, on addresses as people type them.

Everything is made in the run: a seeded BAN extract of ``--addresses`` points over Toulouse
and its neighbours (benchmarks/synthetic/ban.py, not committed), a Redis of the bench's own
(a free port, a temporary directory) loaded with it, the same rows in PostgreSQL for the
baseline (benchmarks/geocoding_trgm.py), and ``--queries`` addresses as typed with their truth
(benchmarks/synthetic/typed_addresses.py)::

    python -m benchmarks geocoding [--addresses 60000] [--queries 10000]

It prints a Markdown report: speed of both, figures per family at the chosen threshold, the
curves the threshold is chosen from, the score distributions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import database_versions, free_port, machine
from benchmarks.geocoding_scores import (
    Figures,
    Judged,
    by_family,
    by_variant,
    choose_threshold,
    curve,
    judge,
    score_quantiles,
)
from benchmarks.geocoding_trgm import geocode_trgm, load_reference
from benchmarks.synthetic.ban import generate_ban, write_ban
from benchmarks.synthetic.typed_addresses import generate_typed
from observatory.geocoder import Result, geocode_batch, workers
from observatory.geocoder.engine import BATCH_THREADS
from observatory.geocoder.load import load_ban
from observatory.geocoder.server import LocalRedis
from observatory.localdb import LocalCluster
from observatory.settings import Settings

BENCH_DB = "observatory_bench_geocoding"
ADDRESSES = 60_000
QUERIES = 10_000
SEED = 31


def _database(url: str | None) -> str:
    """A libpq URL: the one given, or a fresh database in the local cluster."""
    if url:
        return url
    settings = Settings()
    if settings.uses_local_cluster:
        cluster = LocalCluster.from_settings(settings)
        cluster.start()
        url = cluster.ensure_database(BENCH_DB, fresh=True)
    else:
        url = settings.sqlalchemy_url
    return url.replace("postgresql+psycopg://", "postgresql://")


def _in_threads(pairs: list[tuple[str, str]], settings: Settings) -> list[Result | None]:
    """geocode_batch as it was before the worker processes: threads of this process only."""
    before = workers.POOL_MIN
    workers.POOL_MIN = len(pairs) + 1
    try:
        return geocode_batch(pairs, settings)
    finally:
        workers.POOL_MIN = before


def _timed(label: str, call, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = call(*args)
    elapsed = time.perf_counter() - start
    print(f"  {label} : {elapsed:.1f} s", flush=True)
    return value, elapsed


def run(
    addresses: int = ADDRESSES,
    queries: int = QUERIES,
    seed: int = SEED,
    database_url: str | None = None,
) -> str:
    """Measure, print and return the Markdown report."""
    conninfo = _database(database_url)
    load_before = machine("")["load"]
    print(f"Extrait BAN généré : {addresses} adresses, {queries} adresses saisies", flush=True)
    rows = generate_ban(seed=seed, n_addresses=addresses)
    typed = generate_typed(rows, queries, seed=seed)
    pairs = [(a.text, a.citycode) for a in typed]
    with tempfile.TemporaryDirectory(prefix="bench-geocoder-") as tmp:
        directory = Path(tmp)
        ban_file = directory / "adresses-31.csv.gz"
        write_ban(rows, ban_file)
        server = LocalRedis(directory=directory / "redis", port=free_port())
        server.start()
        try:
            settings = Settings(redis_dir=server.directory, redis_port=server.port, redis_db=0)
            _, load_s = _timed("chargement addok", load_ban, settings, [ban_file])
            _, pg_load_s = _timed("chargement PostgreSQL", load_reference, conninfo, rows)
            warm = [(a.text, a.citycode) for a in generate_typed(rows, 2 * workers.POOL_MIN, 1)]
            # addok's configuration and the worker processes started before the clock.
            _, start_s = _timed("démarrage des processus addok", geocode_batch, warm, settings)
            geocode_trgm(conninfo, warm)
            found, addok_s = _timed("addok", geocode_batch, pairs, settings)
            _, threads_s = _timed("addok, threads seuls", _in_threads, pairs, settings)
            baseline, trgm_s = _timed("pg_trgm", geocode_trgm, conninfo, pairs)
            load_avg = machine("")["load"]
        finally:
            server.stop()
    addok = judge(typed, found)
    trgm = judge(typed, baseline)
    report = _report(
        typed_n=len(typed),
        rows_n=len(rows),
        speeds=(len(pairs) / addok_s, len(pairs) / trgm_s, len(pairs) / threads_s),
        start_s=start_s,
        loads=(load_s, pg_load_s),
        addok=addok,
        trgm=trgm,
        conninfo=conninfo,
        load=(load_before, load_avg),
    )
    print(report)
    return report


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _family_table(addok: dict[str, Figures], trgm: dict[str, Figures]) -> list[str]:
    lines = [
        "| family | n | ≤ 20 m addok | ≤ 20 m pg_trgm | ≤ 150 m addok | ≤ 150 m pg_trgm "
        "| right street addok | wrong street (of kept) addok | wrong street pg_trgm "
        "| kept addok | kept pg_trgm |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, a in addok.items():
        t = trgm[name]
        lines.append(
            f"| {name} | {a.n} | {_pct(a.within_20m)} | {_pct(t.within_20m)} "
            f"| {_pct(a.within_150m)} | {_pct(t.within_150m)} | {_pct(a.right_street)} "
            f"| {_pct(a.wrong_street)} | {_pct(t.wrong_street)} | {_pct(a.kept)} "
            f"| {_pct(t.kept)} |"
        )
    return lines


def _curve_table(judged: Sequence[Judged]) -> list[str]:
    lines = [
        "| threshold | clean ≤ 20 m | as typed ≤ 20 m | wrong street (of kept) "
        "| non-existent kept | made-up number kept as a housenumber |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in curve(judged):
        lines.append(
            f"| {p.threshold:.2f} | {_pct(p.clean_20m)} | {_pct(p.as_typed_20m)} "
            f"| {_pct(p.wrong_street)} | {_pct(p.missing_kept)} "
            f"| {_pct(p.missing_number_on_housenumber)} |"
        )
    return lines


def _quantile_table(judged: Sequence[Judged]) -> list[str]:
    lines = [
        "| placements | n | min | 5 % | 25 % | median | 75 % | 95 % | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    counts = {
        "right street": sum(1 for j in judged if j.truth != "none" and j.right_street),
        "wrong street": sum(
            1 for j in judged if j.truth != "none" and not j.right_street and j.score >= 0
        ),
        "does not exist": sum(1 for j in judged if j.truth == "none" and j.score >= 0),
    }
    for name, values in score_quantiles(judged).items():
        cells = " | ".join(f"{v:.3f}" for v in values) if values else " | ".join(["—"] * 7)
        lines.append(f"| {name} | {counts[name]} | {cells} |")
    return lines


def _report(
    typed_n: int,
    rows_n: int,
    speeds: tuple[float, float, float],
    start_s: float,
    loads: tuple[float, float],
    addok: list[Judged],
    trgm: list[Judged],
    conninfo: str,
    load: tuple[str, str],
) -> str:
    now = machine(database_versions(conninfo.replace("postgresql://", "postgresql+psycopg://")))
    threshold = choose_threshold(curve(addok))
    trgm_threshold = choose_threshold(curve(trgm))
    at = threshold if threshold is not None else 1.0
    trgm_at = trgm_threshold if trgm_threshold is not None else 1.0
    lines = [
        f"Machine: {now['nproc']} CPU ({now['cpu']}), {now['memory']}, {now['software']}; "
        f"load average {load[0]} before, {load[1]} at the end of the searches; "
        f"{now['date']}.",
        "",
        f"Reference: {rows_n:,} generated BAN addresses; {typed_n:,} addresses as typed.",
        "",
        "| what | addresses/s | loading the reference |",
        "| --- | ---: | ---: |",
        f"| addok, `geocode_batch` ({workers.PROCESSES} processes × "
        f"{workers.THREADS_PER_PROCESS} threads) | {speeds[0]:,.0f} | {loads[0]:.1f} s |",
        f"| addok, {BATCH_THREADS} threads of one process (before) | {speeds[2]:,.0f} | |",
        f"| pg_trgm baseline (4 connections) | {speeds[1]:,.0f} | {loads[1]:.1f} s |",
        f"| ratio | addok is **{speeds[0] / speeds[1]:.2f}×** the baseline's speed | |",
        "",
        f"Starting the worker processes (first large batch of {2 * workers.POOL_MIN} addresses, "
        f"included): {start_s:.1f} s.",
        "",
        f"Threshold chosen from the curves: addok **{threshold}**, pg_trgm {trgm_threshold} "
        "(the lowest that keeps no non-existent street and ≤ 0.5 % wrong streets).",
        "",
        f"Per family, addok at {at}, pg_trgm at {trgm_at} (shares of the family's addresses; "
        "wrong street: of the kept placements):",
        "",
        *_family_table(by_family(addok, at), by_family(trgm, trgm_at)),
        "",
        f"addok, typed family per variant (at {at}):",
        "",
        "| variant | n | ≤ 20 m | ≤ 150 m | wrong street (of kept) | kept |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {f.n} | {_pct(f.within_20m)} | {_pct(f.within_150m)} "
            f"| {_pct(f.wrong_street)} | {_pct(f.kept)} |"
            for name, f in by_variant(addok, at).items()
        ),
        "",
        "addok, by threshold:",
        "",
        *_curve_table(addok),
        "",
        "addok scores:",
        "",
        *_quantile_table(addok),
        "",
        "pg_trgm, by threshold:",
        "",
        *_curve_table(trgm),
        "",
        "pg_trgm scores (similarity):",
        "",
        *_quantile_table(trgm),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Qualité et vitesse du géocodage")
    parser.add_argument("--addresses", type=int, default=ADDRESSES)
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--database-url", help="base PostgreSQL (défaut : une base du cluster local)"
    )
    args = parser.parse_args(argv)
    run(args.addresses, args.queries, args.seed, args.database_url)


if __name__ == "__main__":
    main()
