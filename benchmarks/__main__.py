"""Run every benchmark and print its figures (make bench)."""

from __future__ import annotations

import argparse

from benchmarks import bench_engine, bench_hotspots, bench_import, bench_nearrepeat_memory


def main() -> None:
    parser = argparse.ArgumentParser(description="Mesures de performance de l'observatoire")
    parser.add_argument(
        "which",
        nargs="?",
        choices=(
            "all",
            "import",
            "engine",
            "hotspots",
            "nearrepeat",
            "privacy",
            "geocoding",
            "load",
        ),
        default="all",
        help="mesure",
    )
    parser.add_argument(
        "--rows",
        type=int,
        help=(
            "lignes générées (import : 1 000 000, engine : 5 000 000, privacy : 1 000 000, "
            "geocoding : 60 000 adresses de la BAN)"
        ),
    )
    parser.add_argument("--users", type=int, default=50, help="load : utilisateurs simultanés")
    parser.add_argument("--duration", type=int, default=60, help="load : durée en secondes")
    parser.add_argument(
        "--dataset", choices=("sample", "1m"), default="sample", help="load : jeu de données"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="load : secondes entre deux requêtes d'un utilisateur",
    )
    parser.add_argument("--workers", type=int, default=1, help="load : processus uvicorn")
    parser.add_argument(
        "--cache-mb",
        type=int,
        default=64,
        help="load : mémoire des réponses déjà calculées par processus (0 : sans cache)",
    )
    parser.add_argument(
        "--filters",
        choices=("presets", "varied"),
        default="presets",
        help="load : filtres pris parmi 8 tableaux de bord, ou périodes tirées au hasard",
    )
    args = parser.parse_args()
    if args.which in ("all", "import"):
        bench_import.run(rows=args.rows or 1_000_000)
    if args.which in ("all", "engine"):
        bench_engine.run(rows=args.rows or bench_engine.ROWS)
    if args.which in ("all", "hotspots"):
        bench_hotspots.run()
    if args.which in ("all", "nearrepeat"):
        bench_nearrepeat_memory.run()
    if args.which in ("all", "privacy"):
        from benchmarks import bench_privacy

        # After `engine`, its database holds bench_engine.ROWS: measured as they are, not refilled.
        bench_privacy.main(rows=args.rows or (bench_engine.ROWS if args.which == "all" else None))
    if args.which in ("all", "geocoding"):
        from benchmarks import bench_geocoding_quality

        bench_geocoding_quality.run(addresses=args.rows or bench_geocoding_quality.ADDRESSES)
    if args.which == "load":
        from benchmarks import load

        load.run(
            users=args.users,
            duration=args.duration,
            dataset=args.dataset,
            cache_mb=args.cache_mb,
            filters=args.filters,
            think=args.think,
            workers=args.workers,
        )


if __name__ == "__main__":
    main()
