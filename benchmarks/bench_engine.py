"""H3 engine (issue 5): the in-process columnar copy against plain PostGIS GROUP BY, and over HTTP.

A dedicated database holds 5M generated incidents over Toulouse (benchmarks/engine_data.py). On
the same rows and the same filter (one year, three categories) the script times the fast path
(observatory.analytics.engine on one snapshot) and the baseline (observatory.store.plainsql,
plain GROUP BY), checks that they agree (benchmarks/engine_measures.py), then times the real
server over loopback and the delay between a CLI import's exit and the API's first answer that
counts its rows (benchmarks/engine_http.py); benchmarks/engine_report.py writes the figures.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.engine_data import ROWS, database
from benchmarks.engine_http import measure_http
from benchmarks.engine_measures import compare, load_snapshot
from benchmarks.engine_report import machine_of, report
from observatory.settings import Settings


def run(rows: int = ROWS) -> None:
    settings = Settings(database_url=None)
    zone = settings.timezone
    url = database(rows)
    machine = machine_of(url)
    snapshot, memory = load_snapshot(url, zone)
    print(
        f"copie en mémoire : {snapshot.size:,} faits en {memory['load_s']:.1f} s, "
        f"{memory['nbytes_per']:.1f} o/fait (nbytes), RSS +{memory['rss_per']:.1f} o/fait "
        f"(pic +{memory['peak_per']:.1f})"
    )
    compared = compare(url, snapshot, zone)
    for case in compared:
        print(
            f"{case['name']} : rapide {case['fast']:.1f} ms, SQL {case['sql']:.0f} ms, "
            f"rapport {case['sql'] / case['fast']:.0f}×, "
            f"résultats identiques : {'oui' if case['same'] else 'non'}"
        )
    expected = {case["name"]: case["total"] for case in compared}
    del snapshot
    with tempfile.TemporaryDirectory() as folder:
        http = measure_http(url, settings.secret_key, Path(folder), expected)
    for name in ("hexagons", "timeslots", "trends"):
        figures = http[name]
        print(f"HTTP {name} : médiane {figures['median']:.1f} ms, p95 {figures['p95']:.1f} ms")
    print(f"HTTP résultats identiques : {'oui' if http['same'] else 'non'}")
    print(f"import visible par l'API en {http['fresh_s']:.2f} s après la fin de la commande")
    print()
    print(report(rows, machine, memory, compared, http))
