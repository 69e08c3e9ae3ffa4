"""Run every benchmark and print its figures (make bench)."""

from __future__ import annotations

import argparse

from benchmarks import bench_import


def main() -> None:
    parser = argparse.ArgumentParser(description="Mesures de performance de l'observatoire")
    parser.add_argument("--rows", type=int, default=1_000_000, help="lignes du fichier généré")
    args = parser.parse_args()
    bench_import.run(rows=args.rows)


if __name__ == "__main__":
    main()
