"""Run every benchmark and print its figures (make bench)."""

from __future__ import annotations

import argparse

from benchmarks import bench_engine, bench_hotspots, bench_import


def main() -> None:
    parser = argparse.ArgumentParser(description="Mesures de performance de l'observatoire")
    parser.add_argument(
        "which",
        nargs="?",
        choices=("all", "import", "engine", "hotspots"),
        default="all",
        help="mesure",
    )
    parser.add_argument(
        "--rows", type=int, help="lignes générées (import : 1 000 000, engine : 5 000 000)"
    )
    args = parser.parse_args()
    if args.which in ("all", "import"):
        bench_import.run(rows=args.rows or 1_000_000)
    if args.which in ("all", "engine"):
        bench_engine.run(rows=args.rows or bench_engine.ROWS)
    if args.which in ("all", "hotspots"):
        bench_hotspots.run()


if __name__ == "__main__":
    main()
