"""Where the sample files are, and the defaults of the generator and its command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "data" / "samples"
DEFAULT_COMMUNE = SAMPLES / "communes_toulouse.geojson"
DEFAULT_QPV = (SAMPLES / "qpv2024_toulouse.geojson",)
DEFAULT_START = date(2024, 1, 1)
DEFAULT_MONTHS = 24
DEFAULT_SEED = 42
DEFAULT_ROWS = 30_000
