"""Speed and placement of geocode_batch on addresses typed from a generated BAN extract.

Needs the geocoder running with the extract loaded (`make run` does both)::

    python -m benchmarks.bench_geocoder [--queries 5000] [--file adresses-31.csv.gz]

The addresses are written as people type them (lower case, r./av./bd/ch./imp./pl., accents
dropped, postcode or city left out), each one distinct; the figures are addresses per second
and the share placed within 20 m of the true point.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import math
import time
import unicodedata
from pathlib import Path

import numpy as np

from observatory.geocoder import geocode_batch
from observatory.settings import Settings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "adresses-31-extrait.csv.gz"
ABBREVIATIONS = {
    "Rue": "r.",
    "Avenue": "av.",
    "Boulevard": "bd",
    "Chemin": "ch.",
    "Impasse": "imp.",
    "Place": "pl.",
    "Allée": "all.",
    "Route": "rte",
}


def read_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
        return list(csv.DictReader(io.StringIO(text.read()), delimiter=";"))


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def typed(row: dict[str, str], variant: int) -> str:
    """One of several ways of typing the row's address."""
    number = f"{row['numero']} {row['rep']}".strip()
    street = row["nom_voie"]
    kind, _, rest = street.partition(" ")
    if variant % 2 and kind in ABBREVIATIONS:
        street = f"{ABBREVIATIONS[kind]} {rest}"
    where = [
        f"{row['code_postal']} {row['nom_commune']}",
        row["nom_commune"],
        row["code_postal"],
        "",
    ][variant % 4]
    text = f"{number} {street} {where}".strip()
    if variant % 3 == 1:
        text = text.lower()
    elif variant % 3 == 2:
        text = _plain(text).upper()
    return text


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * 110_574
    return math.hypot(dx, dy)


def run(path: Path, n_queries: int, settings: Settings, seed: int = 5) -> dict[str, float]:
    rows = read_rows(path)
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    queries: list[tuple[str, str | None]] = []
    truth: list[dict[str, str]] = []
    while len(queries) < n_queries and len(seen) < 8 * len(rows):
        row = rows[int(rng.integers(len(rows)))]
        text = typed(row, int(rng.integers(12)))
        if text in seen:
            continue
        seen.add(text)
        queries.append((text, row["code_insee"] if rng.random() < 0.5 else None))
        truth.append(row)
    geocode_batch(queries[:10], settings)  # addok's configuration loaded before the clock
    start = time.perf_counter()
    results = geocode_batch(queries, settings)
    elapsed = time.perf_counter() - start
    within = sum(
        1
        for result, row in zip(results, truth, strict=True)
        if result is not None
        and distance_m(result.lon, result.lat, float(row["lon"]), float(row["lat"])) <= 20
    )
    return {
        "queries": len(queries),
        "seconds": elapsed,
        "per_second": len(queries) / elapsed,
        "within_20m": within / len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, default=SAMPLE)
    parser.add_argument("--queries", type=int, default=5000)
    args = parser.parse_args()
    figures = run(args.file, args.queries, Settings())
    print(
        f"{figures['queries']:.0f} adresses en {figures['seconds']:.1f} s : "
        f"{figures['per_second']:.0f} adresses/s, {figures['within_20m']:.1%} à moins de 20 m"
    )


if __name__ == "__main__":
    main()
