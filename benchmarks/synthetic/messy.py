"""The hand-made messy municipal export (data/samples/municipal_messy.csv)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

MessyRow = tuple[str, str, str, str, str, str, str, str]

MESSY_HEADER = (
    "N° intervention",
    "Date",
    "Heure",
    "Nature des faits",
    "Adresse",
    "Commune",
    "X",
    "Y",
)
"""Columns of data/samples/municipal_messy.csv."""


def _load_rows() -> tuple[MessyRow | None, ...]:
    """The rows of messy_rows.toml: one per file line after the header, None for an empty one."""
    text = resources.files("benchmarks.synthetic").joinpath("messy_rows.toml").read_text("utf-8")
    rows: list[MessyRow | None] = []
    for row in tomllib.loads(text)["rows"]:
        if row == []:
            rows.append(None)
        elif len(row) == len(MESSY_HEADER) and all(isinstance(value, str) for value in row):
            rows.append(tuple(row))
        else:
            raise ValueError(f"messy_rows.toml: expected {len(MESSY_HEADER)} strings, got {row!r}")
    return tuple(rows)


# Hand-curated in messy_rows.toml: real places of Toulouse in Lambert-93 (EPSG:2154) metres with
# a decimal comma. The quirks are listed, with their file line numbers, in MESSY_QUIRKS and in
# data/samples/README.md.
MESSY_ROWS: tuple[MessyRow | None, ...] = _load_rows()
"""One tuple per file line after the header (None: an empty line)."""

MESSY_QUIRKS: dict[str, tuple[int, ...]] = {
    "exact duplicate of an earlier line (same N°)": (11, 46),
    "address but no coordinates": (37, 50),
    "neither address nor coordinates": (54,),
    "unknown nature (Chien errant)": (24,),
    "impossible date (31/02/2025)": (19,),
    "local time in the spring DST gap (30/03/2025 02:30)": (26,),
    "local time in the repeated autumn hour (26/10/2025 02:30)": (59,),
    "point outside France (X/Y far away)": (58,),
    "empty line": (32,),
    "typographic apostrophe (Windows-1252 0x92)": (9, 33),
}
"""File line numbers (header = line 1) of the deliberate quirks of the messy sample."""


def messy_sample_bytes() -> bytes:
    """The messy municipal export: Windows-1252, `;`, CRLF, Lambert-93 X/Y, decimal commas."""
    lines = [";".join(MESSY_HEADER)]
    lines += ["" if row is None else ";".join(row) for row in MESSY_ROWS]
    return "".join(f"{line}\r\n" for line in lines).encode("cp1252")


def write_messy_sample(path: Path) -> None:
    """Write data/samples/municipal_messy.csv (deterministic: always the same bytes)."""
    Path(path).write_bytes(messy_sample_bytes())
