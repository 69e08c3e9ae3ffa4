"""The scores of real addresses as people type them against those of streets that do not exist.

The figures behind OBS_GEOCODE_MIN_SCORE (observatory/settings.py), measured on the demo's BAN
extract, with the commune filter the importer uses (the row's INSEE code)::

    python -m benchmarks.geocode_threshold [--queries 1500] [--file adresses-31.csv.gz]

Starts its own Redis on a free port in a temporary directory and loads the extract there.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bench_geocoder import SAMPLE, distance_m, read_rows, typed
from observatory.geocoder import geocode_batch
from observatory.geocoder.load import load_ban
from observatory.geocoder.server import LocalRedis
from observatory.settings import Settings

# Street names that the generator never writes (benchmarks/synthetic/ban_names.py).
INVENTED = (
    "Rue des Songes Creux",
    "Avenue du Colonel Imaginaire",
    "Impasse des Licornes",
    "Chemin de la Lune Rousse",
    "Rue Octave Pichenette",
    "Allée des Brumes Lointaines",
    "Boulevard Sans Nom",
    "Place des Quatre Vents Perdus",
)


THRESHOLDS = (0.5, 0.55, 0.6, 0.65)


def _typo(text: str, rng: np.random.Generator) -> str:
    """One letter of the street name changed (never the number)."""
    letters = [i for i, c in enumerate(text) if c.isalpha() and i > text.find(" ") + 3]
    i = int(rng.choice(letters))
    return text[:i] + ("e" if text[i].lower() != "e" else "a") + text[i + 1 :]


def measure(
    settings: Settings, n_queries: int, path: Path = SAMPLE, seed: int = 5
) -> dict[str, np.ndarray]:
    rows = read_rows(path)
    rng = np.random.default_rng(seed)
    picks = [rows[int(i)] for i in rng.choice(len(rows), size=n_queries, replace=False)]
    groups: dict[str, list[tuple[str, str | None]]] = {
        "typed": [(typed(r, k), r["code_insee"]) for k, r in enumerate(picks)],
        "typo": [(_typo(typed(r, k), rng), r["code_insee"]) for k, r in enumerate(picks)],
        "no such number": [
            (f"{900 + k % 90} {r['nom_voie']} {r['nom_commune']}", r["code_insee"])
            for k, r in enumerate(picks[:400])
        ],
        "invented": [
            (f"{int(rng.integers(1, 80))} {INVENTED[k % len(INVENTED)]}", r["code_insee"])
            for k, r in enumerate(picks[:400])
        ],
    }
    scores: dict[str, np.ndarray] = {}
    for name, queries in groups.items():
        found = geocode_batch(queries, settings)
        if name in ("invented", "no such number"):
            scores[name] = np.array([f.score if f else 0.0 for f in found])
            continue
        good = [
            f.score
            for f, r in zip(found, picks, strict=False)
            if f is not None and distance_m(f.lon, f.lat, float(r["lon"]), float(r["lat"])) <= 20
        ]
        bad = [
            f.score
            for f, r in zip(found, picks, strict=False)
            if f is not None and f.street != r["nom_voie"]
        ]
        scores[name] = np.array(good)
        scores[f"{name} (wrong street)"] = np.array(bad)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=1500)
    parser.add_argument("--file", type=Path, default=SAMPLE, help="BAN file (adresses-XX.csv.gz)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="obs-redis-") as folder, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        sock.close()
        server = LocalRedis(directory=Path(folder).resolve(), port=port)
        server.start()
        try:
            settings = Settings(redis_dir=Path(folder), redis_port=port)
            load_ban(settings, [args.file])
            scores = measure(settings, args.queries, args.file)
        finally:
            server.stop()
    report(scores)


def report(scores: dict[str, np.ndarray]) -> None:
    """Quantiles of each group, and the share of it at or above a few thresholds."""
    heads = ["min", "p1", "p5", "median", "max", *(f">={t}" for t in THRESHOLDS)]
    print(f"{'group':<26} {'n':>5} " + " ".join(f"{h:>6}" for h in heads))
    for name, values in scores.items():
        if not len(values):
            print(f"{name:<26} {0:>5}")
            continue
        q = list(np.quantile(values, [0, 0.01, 0.05, 0.5, 1]))
        q += [float(np.mean(values >= t)) for t in THRESHOLDS]
        print(f"{name:<26} {len(values):>5} " + " ".join(f"{v:6.3f}" for v in q))


if __name__ == "__main__":
    main()
