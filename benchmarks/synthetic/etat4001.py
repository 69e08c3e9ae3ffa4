"""The état 4001 samples of data/samples, and how to make them again.

- ``cut_national``: a cut of the real national workbook: every sheet (« Présentation » and the
  18 « Services PN/GN YYYY »), columns A and B and the columns of one département, with the
  same header rows and the 107 index rows, values as published.
- ``write_local_sample``: a local monthly extract in the layout of ``ingest.etat4001.local``
  (sheets « CSP TOULOUSE » and « Haute-Garonne PN », a total département, and a « Notes »
  sheet that the reader sets aside), for 2024: each month drawn from a Poisson law whose mean
  is one twelfth of the 2020 figure of the cut (CIAT CENTRAL DE TOULOUSE for the CSP, all the
  police services of the département for the total), seeded: the same seed gives the same
  values. Generated, not real figures.
- ``write_tidy_sample``: a tidy CSV: CGD TOULOUSE MIRAIL (gendarmerie), January to June 2024,
  the index that belong to an SSMSI indicator, drawn the same way from its 2020 figures.

From the repository root (the commands are also in data/samples/README.md)::

    S=data/samples
    .venv/bin/python -m benchmarks.synthetic.etat4001 cut SRC.xlsx $S/etat4001_haute_garonne.xlsx \
        --department 31
    .venv/bin/python -m benchmarks.synthetic.etat4001 local $S/etat4001_haute_garonne.xlsx \
        $S/etat4001_csp_toulouse_2024.xlsx
    .venv/bin/python -m benchmarks.synthetic.etat4001 tidy $S/etat4001_haute_garonne.xlsx \
        $S/etat4001_tidy.csv
"""

from __future__ import annotations

import argparse
import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook, load_workbook

from ingest.etat4001.national import HEADER_ROWS, national_sheets
from observatory.etat4001.nomenclature import entries

FIXED_TIME = datetime(2024, 1, 1)  # workbook properties, so that two runs write the same cells
YEAR = 2024
SEED = 2024


def cut_national(source: Path, out: Path, department: str = "31") -> None:
    """Keep columns A, B and those of one département, in every sheet, headers and all."""
    book = load_workbook(source, read_only=True, data_only=True)
    cut = Workbook()
    cut.remove(cut.active)
    kept = {name: perimeter for name, perimeter, _ in national_sheets(book.sheetnames)}
    for name in book.sheetnames:
        target = cut.create_sheet(name)
        if name not in kept:
            continue
        rows = [list(r) for r in book[name].iter_rows(values_only=True)]
        columns = [0, 1] + [c for c, v in enumerate(rows[0]) if c >= 2 and v == department]
        for row in rows:
            target.append([row[c] if c < len(row) else None for c in columns])
    book.close()
    _save(cut, out)


def write_local_sample(cut: Path, out: Path, seed: int = SEED) -> None:
    levels = _levels(cut, "Services PN 2020")
    csp = levels["CIAT CENTRAL DE TOULOUSE"]
    department = np.sum(list(levels.values()), axis=0)
    rng = np.random.default_rng(seed)
    csp_months = rng.poisson(np.repeat(csp[:, None] / 12, 12, axis=1))
    others = rng.poisson(np.repeat((department - csp)[:, None] / 12, 12, axis=1))
    book = Workbook()
    book.remove(book.active)
    _local_sheet(book, "CSP TOULOUSE", "CSP TOULOUSE", csp_months)
    _local_sheet(book, "Haute-Garonne PN", "Total département", csp_months + others)
    notes = book.create_sheet("Notes")
    notes.append(["Extrait généré pour les exemples de l'observatoire : pas de chiffres réels."])
    _save(book, out)


def write_tidy_sample(cut: Path, out: Path, seed: int = SEED) -> None:
    levels = _levels(cut, "Services GN 2020")["CGD TOULOUSE MIRAIL"]
    rng = np.random.default_rng(seed + 1)
    chosen = [e.index for e in entries() if e.indicator]
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["period", "perimeter", "department", "service", "index", "count"])
        for month in range(1, 7):
            values = rng.poisson(levels / 12)
            for index in chosen:
                writer.writerow(
                    [
                        f"{YEAR}-{month:02d}",
                        "GN",
                        "31",
                        "CGD TOULOUSE MIRAIL",
                        index,
                        int(values[index - 1]),
                    ]
                )


def _levels(cut: Path, sheet: str) -> dict[str, np.ndarray]:
    """Service name -> its 107 counts (empty as 0) in one sheet of the cut."""
    book = load_workbook(cut, read_only=True, data_only=True)
    perimeter = "PN" if " PN " in sheet else "GN"
    rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    book.close()
    names = rows[HEADER_ROWS[perimeter] - 1]
    body = rows[HEADER_ROWS[perimeter] :]
    return {
        str(names[c]): np.array([float(r[c] or 0) for r in body])
        for c in range(2, len(names))
        if names[c]
    }


def _local_sheet(book: Workbook, title: str, service: str, months: np.ndarray) -> None:
    sheet = book.create_sheet(title)
    sheet.append(["État 4001 — extrait mensuel (exemple généré)"])
    sheet.append(["Département", "31"])
    sheet.append(["Périmètre", "PN"])
    sheet.append(["Service", service])
    sheet.append([])
    sheet.append(["Index", "Libellé", *(datetime(YEAR, m, 1) for m in range(1, 13)), "Total"])
    for entry in entries():
        values = [int(v) for v in months[entry.index - 1]]
        sheet.append([entry.index, entry.published_label, *values, sum(values)])
    for col in range(3, 15):
        sheet.cell(row=6, column=col).number_format = "mmm yyyy"


def _save(book: Workbook, out: Path) -> None:
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.properties.creator = "observatoire"
    book.save(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synthetic.etat4001")
    sub = parser.add_subparsers(dest="command", required=True)
    cut = sub.add_parser("cut", help="cut of the national workbook for one département")
    cut.add_argument("source", type=Path)
    cut.add_argument("out", type=Path)
    cut.add_argument("--department", default="31")
    for name in ("local", "tidy"):
        command = sub.add_parser(name, help=f"the generated {name} sample, from the cut")
        command.add_argument("cut", type=Path)
        command.add_argument("out", type=Path)
        command.add_argument("--seed", type=int, default=SEED)
    args: Any = parser.parse_args(argv)
    if args.command == "cut":
        cut_national(args.source, args.out, args.department)
    elif args.command == "local":
        write_local_sample(args.cut, args.out, args.seed)
    else:
        write_tidy_sample(args.cut, args.out, args.seed)


if __name__ == "__main__":
    main()
