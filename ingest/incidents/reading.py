"""Reading incident files into chunks of text cells: CSV, XLSX, GeoJSON, GeoPackage, Shapefile.

A CSV file without quotes is cut into fields by ingest.incidents.plaincsv, any other by pandas'
reader: both give the same chunks.

Every cell comes out as a stripped string, or None when empty. Row numbers are what a person
finds when opening the file:

- CSV: the line of the file where the record starts, the header being line 1 (first data row:
  line 2). Line breaks inside quoted values count, so a record after a multi-line value keeps
  its editor line. Lines without any value (blank, or separators only) are not records: they
  are skipped, but still counted for the lines after them.
- XLSX: the spreadsheet row number; empty rows are skipped the same way. A date cell at
  midnight comes out as a date alone (``2024-01-15``), which the parser reads as the whole day.
- GeoJSON, GeoPackage, Shapefile: the 1-based feature number.

A CSV record with more fields than the header is kept, its surplus values in
``RawChunk.extra_fields``, for the parser to reject with a reason. The header itself (where it
is, its names) is ingest.incidents.headers'.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.filetypes import (
    INCIDENT_TYPES,
    FileLimits,
    FileType,
    allowed_file,
    sheet_rows,
)
from ingest.incidents.chunk import RawChunk, none_for_blank
from ingest.incidents.headers import (
    EXPECTED_CONTENT,
    choose_header,
    csv_header,
    filled_length,
    header_done,
    sheet_header,
)
from ingest.incidents.limits import too_many_columns, within_limits
from ingest.incidents.mapping import Mapping
from ingest.incidents.plaincsv import Records, is_plain, records, text_records
from ingest.incidents.vectorread import read_vector
from observatory.errors import InvalidInput

SEPARATORS = (",", ";", "\t", "|")
BLOCK = 1 << 22
# What openpyxl raises on a file that is not a sound workbook: not a zip, a part missing, a part
# that is not XML (when opening the book, or its sheet's rows as they are read).
BAD_WORKBOOK = (ParseError, zipfile.BadZipFile, KeyError, OSError, ValueError)


def read_table(
    path: Path, mapping: Mapping, chunk_size: int = 100_000, limits: FileLimits | None = None
) -> Iterator[RawChunk]:
    """The file's rows in chunks of at most chunk_size (at least one chunk, maybe empty).

    The file is opened only if ingest.filetypes recognises it; it is refused (InvalidInput,
    TooLarge) as soon as it goes beyond a limit: columns, cell length, rows.
    """
    limits = limits or FileLimits.of()
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError("'chunksize' must be an integer >=1")  # as pandas' reader says
    path = Path(path)
    if path.is_file() and path.stat().st_size == 0:
        raise InvalidInput(f"Le fichier « {path.name} » est vide : {EXPECTED_CONTENT}")
    with allowed_file(path, INCIDENT_TYPES, limits) as found:
        if found.type is FileType.CSV:
            chunks = _read_csv(found.path, mapping, chunk_size, limits)
        elif found.type is FileType.XLSX:
            chunks = _read_xlsx(found.path, mapping, chunk_size, limits)
        else:
            chunks = read_vector(found.path, mapping, chunk_size, limits)
        yield from within_limits(chunks, path.name, limits)


def sniff_csv(path: Path, mapping: Mapping) -> tuple[str, str]:
    """(encoding, separator) of a CSV file: the mapping's, else sniffed."""
    encoding = mapping.encoding or _sniff_encoding(Path(path))
    if mapping.separator:
        return encoding, mapping.separator
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        sample = f.read(1 << 16)
    return encoding, _sniff_separator(sample)


def _sniff_encoding(path: Path) -> str:
    """utf-8-sig with a BOM, utf-8 when the whole file decodes as such, else cp1252."""
    with open(path, "rb") as f:
        if f.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for block in iter(lambda: f.read(BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _sniff_separator(sample: str) -> str:
    """The candidate that splits the most lines into as many fields, the same count for most.

    The count is the one most lines have, not the first line's: a title line above the header
    (« Export main courante — Police municipale ») holds no separator, or another one.
    """
    lines = [line for line in re.split(r"\r\n|\r|\n", sample)[:-1] or [sample] if line.strip()]
    lines = [re.sub(r'"[^"]*"', "", line) for line in lines[:50]]
    if not lines:
        return ","
    best, best_score = ",", (0.0, 0)
    for separator in SEPARATORS:
        counts = Counter(line.count(separator) for line in lines)
        counts.pop(0, None)
        if not counts:
            continue
        usual = max(counts, key=lambda c: (counts[c], c))
        score = (counts[usual] / len(lines), usual)
        if score > best_score:
            best, best_score = separator, score
    return best


def _max_fields(path: Path, separator: str) -> int:
    """An upper bound of the fields of any record: separators between unquoted line breaks."""
    if not separator.isascii():
        return 0
    best, current, quotes = 0, 0, 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(BLOCK), b""):
            data = np.frombuffer(block, dtype=np.uint8)
            separators = np.flatnonzero(data == ord(separator))
            breaks = np.flatnonzero((data == 10) | (data == 13))
            quoted = np.flatnonzero(data == ord('"'))
            if len(quoted):  # line breaks count outside quotes: after an even number of them
                breaks = breaks[(np.searchsorted(quoted, breaks) + quotes) % 2 == 0]
                quotes = (quotes + len(quoted)) % 2
            counts = np.bincount(np.searchsorted(breaks, separators), minlength=len(breaks) + 1)
            counts[0] += current
            best = max(best, int(counts.max()))
            current = int(counts[-1])
    return best + 1


def _read_csv(
    path: Path, mapping: Mapping, chunk_size: int, limits: FileLimits
) -> Iterator[RawChunk]:
    try:
        encoding, separator = sniff_csv(path, mapping)
        header, header_index = csv_header(
            path,
            encoding,
            separator,
            header_row=mapping.header_row,
            columns=mapping.columns.values(),
        )
    except UnicodeError as exc:  # the mapping's codec cannot even start (UTF-16 without BOM)
        raise InvalidInput(
            f"Le fichier « {path.name} » ne se lit pas dans l'encodage « {mapping.encoding} » "
            "de la correspondance : corrigez « encoding » (ou retirez-le, il sera détecté), ou "
            "enregistrez le fichier en UTF-8"
        ) from exc
    width = len(header)
    # Before any record is split: a line of a million separators would make a million columns.
    widest = max(width, _max_fields(path, separator))
    if widest > limits.columns:
        raise too_many_columns(path.name, widest, limits.columns)
    if is_plain(path, encoding, separator):
        valid_utf8 = mapping.encoding is None and encoding == "utf-8"  # sniffing decoded it all
        size = int(chunk_size)
        batches = records(path, encoding, separator, len(header), size, valid_utf8=valid_utf8)
        return _plain_chunks(batches, header, header_index)
    surplus = widest - width
    names = header + [f"\0surplus {i}" for i in range(surplus)]
    reader = pd.read_csv(
        path,
        sep=separator,
        header=None,
        names=names,
        index_col=False,
        dtype=str,
        na_filter=False,
        skip_blank_lines=False,
        encoding=encoding,
        encoding_errors="replace",
        chunksize=chunk_size,
    )
    return _csv_chunks(reader, path, header, header_index)


def _plain_chunks(
    batches: Iterator[Records], header: list[str], header_index: int
) -> Iterator[RawChunk]:
    yielded = False
    for batch in batches:
        index = batch.first + np.arange(len(batch.fields[0]), dtype="int64")
        chunk = _text_chunk(batch.fields, index, 1 + index, header, header_index)
        if len(chunk) or not yielded:
            yielded = True
            yield chunk


def _csv_chunks(
    reader: Any, path: Path, header: list[str], header_index: int
) -> Iterator[RawChunk]:
    record, breaks = 0, 0  # records and line breaks inside values seen before this chunk
    yielded = False
    with reader:
        try:
            for raw in reader:
                columns = [_arrow_text(raw[name]) for name in raw.columns]
                inner = np.zeros(len(raw), dtype="int64")
                for column in columns:
                    if (
                        pc.any(pc.match_substring(column, "\n")).as_py()
                        or pc.any(pc.match_substring(column, "\r")).as_py()
                    ):
                        inner += np.asarray(pc.count_substring_regex(column, r"\r\n|\r|\n"))
                index = record + np.arange(len(raw), dtype="int64")
                lines = 1 + index + breaks + np.cumsum(inner) - inner
                record, breaks = record + len(raw), breaks + int(inner.sum())
                fields = [pc.utf8_trim_whitespace(column) for column in columns]
                chunk = _text_chunk(fields, index, lines, header, header_index)
                if len(chunk) or not yielded:
                    yielded = True
                    yield chunk
        except pd.errors.ParserError as exc:
            raise InvalidInput(_parser_message(path, str(exc))) from exc
    if not yielded:
        yield _csv_chunk(pd.DataFrame(columns=header, dtype=str), np.array([]), header)


def _text_chunk(
    fields: list[pa.Array],
    index: np.ndarray,
    lines: np.ndarray,
    header: list[str],
    header_index: int,
) -> RawChunk:
    """The records that hold a value and follow the header; fields past the header's aside."""
    text, keep, extra = text_records(fields, index > header_index, header)
    return RawChunk(None, np.asarray(lines[keep], dtype="int64"), None, extra, text=text)


def _arrow_text(values: pd.Series) -> pa.Array:
    text = pa.array(values, type=pa.string(), from_pandas=True)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _csv_chunk(cells: pd.DataFrame, lines: np.ndarray, header: list[str]) -> RawChunk:
    frame = none_for_blank(cells[header])
    extra = None
    surplus = [c for c in cells.columns if c not in header]
    if surplus:
        values = cells[surplus]
        over = (values != "").any(axis=1).to_numpy()
        if over.any():
            extra = np.full(len(cells), None, dtype=object)
            for i, row in zip(
                np.flatnonzero(over), values[over].to_numpy(dtype=object), strict=True
            ):
                extra[i] = tuple(row[: filled_length(row)])
    return RawChunk(frame, np.asarray(lines, dtype="int64"), None, extra)


def _parser_message(path: Path, detail: str) -> str:
    unclosed = re.search(r"EOF inside string starting at row (\d+)", detail)
    if unclosed:
        return (
            f"Fichier CSV « {path.name} » mal formé : un guillemet ouvre une valeur vers "
            f"la ligne {int(unclosed.group(1)) + 1} et n'est jamais refermé ; "
            "fermez ou retirez ce guillemet"
        )
    return f"Fichier CSV « {path.name} » mal formé : {detail.strip()}"


def _read_xlsx(
    path: Path, mapping: Mapping, chunk_size: int, limits: FileLimits
) -> Iterator[RawChunk]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *BAD_WORKBOOK) as exc:
        raise InvalidInput(_unreadable_workbook(path)) from exc
    names = book.sheetnames
    sheet = mapping.sheet if mapping.sheet is not None else 0
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        sheet = names[sheet]
    if sheet not in names:
        book.close()
        raise InvalidInput(
            f"Feuille « {mapping.sheet} » absente de {path.name} "
            f"(feuilles : {', '.join(names)} ; ou un numéro à partir de 0)"
        )
    return _xlsx_chunks(book, str(sheet), path, chunk_size, limits.columns, mapping)


def _unreadable_workbook(path: Path) -> str:
    return f"Classeur Excel illisible : « {path.name} » (attendu un fichier .xlsx valide)"


def _xlsx_chunks(
    book: Any, sheet: str, path: Path, chunk_size: int, max_columns: int, mapping: Mapping
) -> Iterator[RawChunk]:
    header: list[str] | None = None
    candidates: list[tuple[int, list[str]]] = []  # rows with a value, until the header is found
    rows: list[list[str]] = []
    numbers: list[int] = []
    yielded = False
    try:
        for number, values in enumerate(sheet_rows(book[sheet]), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(cells):
                if header is None and header_done(number, candidates, mapping.header_row):
                    header = _sheet_header(candidates, rows, numbers, mapping, path)
                continue
            if len(cells) > max_columns and (width := filled_length(cells)) > max_columns:
                raise too_many_columns(path.name, width, max_columns)
            if header is None:
                candidates.append((number, cells))
                if header_done(number, candidates, mapping.header_row):
                    header = _sheet_header(candidates, rows, numbers, mapping, path)
                continue
            rows.append(cells)
            numbers.append(number)
            while len(rows) >= chunk_size:
                yield _table_chunk(rows[:chunk_size], numbers[:chunk_size], header)
                yielded, rows, numbers = True, rows[chunk_size:], numbers[chunk_size:]
    except BAD_WORKBOOK as exc:
        raise InvalidInput(_unreadable_workbook(path)) from exc
    finally:
        book.close()
    if header is None and candidates:
        header = _sheet_header(candidates, rows, numbers, mapping, path)
    if header is None:
        raise InvalidInput(f"La feuille « {sheet} » de {path.name} est vide : {EXPECTED_CONTENT}")
    while len(rows) > chunk_size:  # the rows read while the header was looked for
        yield _table_chunk(rows[:chunk_size], numbers[:chunk_size], header)
        yielded, rows, numbers = True, rows[chunk_size:], numbers[chunk_size:]
    if rows or not yielded:
        yield _table_chunk(rows, numbers, header)


def _sheet_header(
    candidates: list[tuple[int, list[str]]],
    rows: list[list[str]],
    numbers: list[int],
    mapping: Mapping,
    path: Path,
) -> list[str]:
    """The header among the candidate rows; the rows below it become data rows."""
    chosen = choose_header(candidates, mapping.header_row, mapping.columns.values(), path.name)
    for number, cells in candidates[chosen + 1 :]:
        rows.append(cells)
        numbers.append(number)
    return sheet_header(candidates[chosen][1])


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):  # Excel dates are datetimes at midnight
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table_chunk(rows: list[list[str]], numbers: list[int], header: list[str]) -> RawChunk:
    width = max([len(header), *map(len, rows)])
    names = header + [f"\0surplus {i}" for i in range(width - len(header))]
    table = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], columns=names, dtype=object)
    return _csv_chunk(table, np.asarray(numbers, dtype="int64"), header)
