"""Write data/samples/incidents_voisines_toulouse.csv: SYNTHETIC municipal-police facts in two
neighbours of Toulouse, Blagnac (31069) and Colomiers (31149), for the intercommunal demo.

The facts are drawn by benchmarks/synthetic (the generator of the Toulouse sample: same
categories, calendar and hours, 2024-01-01 … 2025-12-31) inside each commune's real outline
(data/samples/communes_voisines_toulouse.geojson); each fact's address is the nearest address
point of its commune in the synthetic BAN extract (data/samples/adresses-31-extrait.csv.gz), and
its reference says its commune (PM31069-2024-000001). No real incident. Same seed, same bytes:

    .venv/bin/python scripts/make_neighbour_sample.py            # writes the file
    .venv/bin/python scripts/make_neighbour_sample.py --check    # exit 1 if it differs
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import generate_incidents  # noqa: E402
from benchmarks.synthetic.municipal import municipal_csv_bytes  # noqa: E402

SAMPLES = ROOT / "data" / "samples"
OUTLINES = SAMPLES / "communes_voisines_toulouse.geojson"
ADDRESSES = SAMPLES / "adresses-31-extrait.csv.gz"
OUT = SAMPLES / "incidents_voisines_toulouse.csv"
SEED = 31
# About as many facts per inhabitant as each other: Blagnac ~25,000, Colomiers ~39,000.
ROWS = {"31069": 620, "31149": 880}


def _one_commune(code: str, folder: Path) -> Path:
    """The commune's feature alone, as the generator reads it."""
    collection = json.loads(OUTLINES.read_text(encoding="utf-8"))
    feature = next(f for f in collection["features"] if f["properties"]["code_commune"] == code)
    path = folder / f"{code}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def _nearest_addresses(frame: pd.DataFrame, code: str) -> np.ndarray:
    """« 12 Rue Clémence Isaure »: the commune's nearest address point to each fact."""
    ban = pd.read_csv(ADDRESSES, sep=";", dtype=str)
    ban = ban[ban.code_insee == code]
    lon, lat = ban.lon.astype(float).to_numpy(), ban.lat.astype(float).to_numpy()
    label = (ban.numero + ban.rep.fillna("") + " " + ban.nom_voie).to_numpy(dtype=object)
    scale = np.cos(np.radians(lat.mean()))
    dx = (frame.longitude.to_numpy()[:, None] - lon[None, :]) * scale
    dy = frame.latitude.to_numpy()[:, None] - lat[None, :]
    nearest: np.ndarray = label[np.argmin(dx * dx + dy * dy, axis=1)]
    return nearest


def neighbour_frame() -> pd.DataFrame:
    """The facts of both communes, in chronological order."""
    frames = []
    with tempfile.TemporaryDirectory() as folder:
        for i, (code, rows) in enumerate(ROWS.items()):
            outline = _one_commune(code, Path(folder))
            frame = generate_incidents(rows, SEED + i, commune_geojson=outline, qpv_geojson=())
            frame["adresse"] = _nearest_addresses(frame, code)
            year = frame.occurred_at.dt.year.astype(str)
            frame["numero"] = [
                f"PM{code}-{y}-{n:06d}" for n, y in enumerate(year.tolist(), start=1)
            ]
            frames.append(frame)
    both = pd.concat(frames, ignore_index=True)
    return both.sort_values(["occurred_at", "numero"], kind="stable").reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    data = municipal_csv_bytes(neighbour_frame())
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print("identique" if same else f"différent : {args.out}")
        return 0 if same else 1
    args.out.write_bytes(data)
    facts = data.count(b"\n") - 1
    print(f"{args.out} : {facts} faits")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
