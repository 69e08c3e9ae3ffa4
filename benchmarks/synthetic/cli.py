"""The command line: ``python -m benchmarks.synthetic``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from benchmarks.synthetic.defaults import (
    DEFAULT_COMMUNE,
    DEFAULT_MONTHS,
    DEFAULT_QPV,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    DEFAULT_START,
)
from benchmarks.synthetic.generator import generate_incidents
from benchmarks.synthetic.messy import write_messy_sample
from benchmarks.synthetic.municipal import municipal_csv_bytes, write_municipal_csv


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (`argv` defaults to sys.argv[1:]); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.synthetic",
        description="Generate synthetic municipal incidents (or the messy sample export).",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (42)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of facts (30000)")
    parser.add_argument(
        "--start", type=date.fromisoformat, default=DEFAULT_START, help="first day (2024-01-01)"
    )
    parser.add_argument("--months", type=int, default=DEFAULT_MONTHS, help="months covered (24)")
    parser.add_argument("--commune", type=Path, default=DEFAULT_COMMUNE, help="commune GeoJSON")
    parser.add_argument(
        "--qpv",
        type=Path,
        action="append",
        help="QPV GeoJSON (repeatable; default: data/samples/qpv2024_toulouse.geojson)",
    )
    parser.add_argument("--out", type=Path, help="CSV to write (default: standard output)")
    parser.add_argument(
        "--messy",
        type=Path,
        metavar="PATH",
        help="write the hand-made messy sample to PATH instead",
    )
    args = parser.parse_args(argv)
    if args.messy:
        write_messy_sample(args.messy)
        return 0
    if args.rows < 0 or args.months < 1:
        parser.error("--rows must be >= 0 and --months >= 1")
    frame = generate_incidents(
        args.rows,
        args.seed,
        args.start,
        args.months,
        args.commune,
        tuple(args.qpv) if args.qpv else DEFAULT_QPV,
    )
    if args.out:
        write_municipal_csv(frame, args.out)
    else:
        sys.stdout.buffer.write(municipal_csv_bytes(frame))
    return 0
