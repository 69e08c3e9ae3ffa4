"""From raw text chunks to incident rows and rejected rows, column-wise.

Column recognition (ingest.incidents.synonyms) compares header names on their letters and
digits ("Date des faits" is date_des_faits is datedesfaits) or on their words (« Nature de
l'intervention » is « nature interventions »); the mapping's ``[columns]`` wins over it. Every
row of a chunk ends either in ``rows`` or in ``rejects``, with all its problems in one French
reason; a total or footer line (« Total », « Nombre de lignes : 12 ») with that reason alone.
Mapped columns that have no field of their own (commune_name, an unusable commune code) stay
in ``attributes`` under their header name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import pandas as pd

from ingest.incidents.chunk import RawChunk
from ingest.incidents.columns import per_value, stripped
from ingest.incidents.dates import UTC_DTYPE, parse_dates
from ingest.incidents.mapping import TARGETS, Mapping
from ingest.incidents.places import BBox, CoordinateColumns, clean_address, locate
from ingest.incidents.synonyms import HeaderIndex
from observatory.categories import normalise_label
from observatory.errors import InvalidInput, MissingColumns

NONE = np.array(None)  # compared with cells: != NONE is "is not None" for str and None
# Characters of a source reference: real ones are short, and the unique index on the
# reference (a few kilobytes at most per entry) refuses a much longer one for the whole batch.
MAX_REFERENCE = 200

FOOTER = "ligne de total ou de pied de tableau"
# The first value of a total or footer line, normalised (observatory.categories.normalise_label).
FOOTER_START = re.compile(
    r"(sous )?total\b|nombre (de |d )?(ligne|enregistrement|resultat|fiche|intervention|fait"
    r"|element|evenement|main)|(edite|imprime|genere|exporte?) le\b|page \d+( sur| \d)"
)

ROW_COLUMNS = (
    "row_number", "source_ref", "occurred_at", "occurred_until", "category_raw",
    "lon", "lat", "commune_code", "address", "attributes",
)  # fmt: skip


@dataclass(frozen=True)
class ResolvedColumns:
    """Target field -> header name of the file, after recognition and the mapping's override."""

    columns: dict[str, str] = field(default_factory=dict)

    def get(self, target: str) -> str | None:
        return self.columns.get(target)

    def __contains__(self, target: object) -> bool:
        return target in self.columns


@dataclass
class ParsedChunk:
    """Incident rows ready to load, and rejected rows with their reason; ``places``: what is
    known of where each rejected row lies (row_number, commune_code, lon, lat; None or NaN
    when unknown), which decides who may read the rejects (observatory/imports.py)."""

    rows: pd.DataFrame
    rejects: pd.DataFrame
    places: pd.DataFrame | None = None


def resolve_columns(header: list[str], mapping: Mapping, has_geometry: bool) -> ResolvedColumns:
    """Which header holds each target field; InvalidInput if no date, category or place."""
    seen = ", ".join(f'"{h}"' for h in header) or "aucune"
    index = HeaderIndex(header)
    resolved: dict[str, str] = {}
    for target, wanted in mapping.columns.items():
        found = wanted if wanted in header else index.find(wanted)
        if found is None:
            raise InvalidInput(
                f'Colonne "{wanted}" (indiquée pour {target} dans la correspondance) absente '
                f"du fichier ; colonnes lues : {seen}"
            )
        resolved[target] = found
    unmapped = [target for target in TARGETS if target not in resolved]
    resolved.update(index.recognise(unmapped, set(resolved.values())))
    for a, b in (("x", "y"), ("lon", "lat")):
        if (a in resolved) != (b in resolved):
            resolved.pop(a, None)
            resolved.pop(b, None)
    missing: dict[str, str] = {}
    if not {"datetime", "date", "month"} & resolved.keys():
        missing["date"] = "une date (par exemple date, date_faits, date_heure ou mois)"
    if "category" not in resolved:
        missing["category"] = "une catégorie (par exemple nature, categorie ou type)"
    if not (has_geometry or {"x", "lon", "address"} & resolved.keys()):
        missing["place"] = "un lieu (x et y, longitude et latitude, ou adresse)"
    if missing:
        raise MissingColumns(
            f"Colonnes introuvables : {' ; '.join(missing.values())}. Colonnes lues : {seen}. "
            "Renommez-les ou indiquez-les dans [columns] du fichier de correspondance",
            header=header,
            missing=list(missing),
        )
    return ResolvedColumns(resolved)


def _coalesce(*series: pd.Series | None) -> pd.Series | None:
    present = [s for s in series if s is not None]
    if not present:
        return None
    if len(present) > 1:  # filled from one another: as objects (not categories, say)
        present = [s.astype(object) for s in present]
    out = present[0]
    for s in present[1:]:
        out = out.where(out.notna(), s)
    return out


def commune_codes(values: pd.Series) -> pd.Series:
    """INSEE codes: 5 characters, 4-digit codes padded with a leading 0, 2A/2B accepted."""
    return per_value(_commune_codes, values)


def _commune_codes(values: pd.Series) -> pd.Series:
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.upper()
    text = text.where(~text.str.fullmatch(r"\d{4}"), "0" + text)
    return text.astype(object).where(text.str.fullmatch(r"\d{5}|2[AB]\d{3}"), None)


def parse_chunk(
    chunk: RawChunk,
    columns: ResolvedColumns,
    mapping: Mapping,
    *,
    timezone: str,
    territory_bbox: BBox | None = None,
) -> ParsedChunk:
    """Parse one chunk; ``timezone`` applies unless the mapping names one."""
    # Missing cells may be None or NaN: the helpers read both as missing, and the values that
    # go out as they are (attributes, raw values of rejects) are cleaned where they are taken.
    names = chunk.columns
    index = pd.RangeIndex(len(chunk))

    def col(target: str) -> pd.Series | None:
        name = columns.get(target)
        return chunk.column(name) if name is not None and name in names else None

    start = _coalesce(col("datetime"), col("date"), col("month"))
    dates = parse_dates(
        start if start is not None else _nones(index),
        timezone=mapping.timezone or timezone,
        time=col("time"),
        end=_coalesce(col("datetime_end"), col("date_end")),
        end_time=col("time_end"),
        date_order=mapping.date_order,
        month_is_interval=mapping.month_is_interval,
    )
    reference = _text(col("source_ref"), index)
    category = _text(col("category"), index)
    address_column = col("address")  # clean_address strips it, as _text would
    address = _nones(index) if address_column is None else clean_address(address_column)
    pairs = []
    for a, b, crs in (("lon", "lat", None), ("x", "y", mapping.crs)):
        xs, ys = col(a), col(b)
        if xs is not None and ys is not None:
            pairs.append(CoordinateColumns(xs, ys, str(columns.get(a)), str(columns.get(b)), crs))
    place = locate(
        pairs,
        address=address,
        geometry=chunk.geometry_lonlat,
        territory=mapping.territory,
        territory_bbox=territory_bbox,
    )
    reasons = pd.DataFrame(
        {
            "surplus": _surplus_reasons(chunk, len(names)),
            "reference": _reference_reasons(reference),
            "date": dates.error,
            "category": _nones(index).where(category.notna(), "catégorie manquante"),
            "place": place.error,
        }
    )
    rejected = reasons.notna().any(axis=1).to_numpy()
    row_numbers = np.asarray(chunk.row_numbers, dtype="int64")

    code_column = col("commune_code")
    if code_column is None and col("commune_name") is not None:
        code_column = col("commune_name")
    codes = commune_codes(code_column) if code_column is not None else None
    keep = ~rejected
    kept = pd.RangeIndex(int(keep.sum()))

    def objects(values: pd.Series | None) -> pd.Series:
        values = _nones(index) if values is None else values
        return pd.Series(values[keep].to_numpy(dtype=object), index=kept, dtype=object)

    def instants(values: pd.Series) -> pd.Series:
        return values[keep].reset_index(drop=True).astype(UTC_DTYPE)

    rows = pd.DataFrame(
        {
            "row_number": pd.Series(row_numbers[keep], index=kept, dtype="int64"),
            "source_ref": objects(reference),
            "occurred_at": instants(dates.start),
            "occurred_until": instants(dates.until),
            "category_raw": objects(category),
            "lon": pd.Series(place.lon[keep], index=kept, dtype="float64"),
            "lat": pd.Series(place.lat[keep], index=kept, dtype="float64"),
            "commune_code": objects(codes),
            "address": objects(address),
            "attributes": pd.Series(
                _attributes(chunk, columns, codes, keep), index=kept, dtype=object
            ),
        },
        columns=list(ROW_COLUMNS),
    )
    lost = pd.RangeIndex(int(rejected.sum()))
    raw = _raw(chunk, rejected)
    reason_text = [
        FOOTER
        if is_footer(values, len(names))
        else " ; ".join(r for r in row if isinstance(r, str))
        for values, row in zip(raw, reasons[rejected].itertuples(index=False), strict=True)
    ]
    rejects = pd.DataFrame(
        {
            "row_number": pd.Series(row_numbers[rejected], index=lost, dtype="int64"),
            "raw": pd.Series(raw, index=lost, dtype=object),
            "reason": pd.Series(reason_text, index=lost, dtype=object),
        }
    )
    lost_codes = (
        _nones(lost)
        if codes is None
        else pd.Series(codes[rejected].to_numpy(dtype=object), index=lost, dtype=object)
    )
    places = pd.DataFrame(
        {
            "row_number": rejects["row_number"],
            "commune_code": lost_codes,
            "lon": pd.Series(place.lon[rejected], index=lost, dtype="float64"),
            "lat": pd.Series(place.lat[rejected], index=lost, dtype="float64"),
        }
    )
    return ParsedChunk(rows=rows, rejects=rejects, places=places)


def is_footer(values: dict[str, str], width: int) -> bool:
    """Whether a row (its non-empty values, in column order) is a total or a footer line."""
    if not values or len(values) > max(2, width // 2):
        return False
    first = normalise_label(str(next(iter(values.values()))))
    return FOOTER_START.match(first) is not None


def _nones(index: pd.Index) -> pd.Series:
    return pd.Series([None] * len(index), index=index, dtype=object)


def _text(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """Stripped strings, None for empty or missing."""
    if values is None:
        return _nones(index)
    return per_value(stripped, values)


def _surplus_reasons(chunk: RawChunk, width: int) -> pd.Series:
    reasons = _nones(pd.RangeIndex(len(chunk)))
    if chunk.extra_fields is None:
        return reasons
    rows = [i for i, extra in enumerate(chunk.extra_fields) if extra is not None]
    reasons.iloc[rows] = [
        f"ligne de {width + len(extra)} valeurs pour {width} colonnes d'en-tête "
        f"(en trop : {', '.join(repr(v) for v in extra)}) : une valeur contient sans "
        "doute le séparateur sans être entre guillemets"
        for extra in chunk.extra_fields[rows]
    ]
    return reasons


def _reference_reasons(references: pd.Series) -> pd.Series:
    reasons = _nones(references.index)
    long = references.str.len().gt(MAX_REFERENCE).to_numpy()
    reasons.iloc[np.flatnonzero(long)] = [
        f"référence de {len(ref)} caractères ({MAX_REFERENCE} au plus) : la colonne prise pour "
        "la référence n'en contient sans doute pas"
        for ref in references[long]
    ]
    return reasons


def _cells(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The cells of some rows (a mask or positions) of a column, None for missing ones."""
    cells = values.iloc[rows].to_numpy(dtype=object, copy=True)
    cells[pd.isna(cells)] = None
    return cells


def _attributes(
    chunk: RawChunk, columns: ResolvedColumns, codes: pd.Series | None, keep: np.ndarray
) -> list[dict[str, str]]:
    """Per kept row, the non-empty values of the columns no field took, by header name."""
    taken = {v for k, v in columns.columns.items() if k != "commune_name"}
    names = [c for c in chunk.columns if c not in taken]
    values = [_cells(chunk.column(c), keep) for c in names]
    code_name = columns.get("commune_code")
    if codes is not None and code_name is not None:
        # A commune code that is not an INSEE code stays with the row, under its header.
        unusable = codes[keep].isna().to_numpy()
        if unusable.any():
            raw = np.full(len(unusable), None, dtype=object)
            raw[unusable] = _cells(chunk.column(code_name), np.flatnonzero(keep)[unusable])
            names.append(code_name)
            values.append(raw)
    return _records(names, values, int(keep.sum()))


def _records(names: list[str], columns: list[np.ndarray], count: int) -> list[dict[str, str]]:
    """Per row, its non-None values by name (rows grouped by which values they have)."""
    if not names or not count:
        return [{} for _ in repeat(None, count)]
    pattern = np.zeros(count, dtype="int64")
    if len(names) <= 62:
        for bit, column in enumerate(columns):
            pattern |= np.not_equal(column, NONE).astype("int64") << bit
    codes, patterns = pd.factorize(pattern)
    if len(names) > 62 or len(patterns) * 8 > count:  # many kinds of rows: one at a time
        return [
            {k: v for k, v in zip(names, row, strict=True) if v is not None}
            for row in zip(*columns, strict=True)
        ]
    out = np.empty(count, dtype=object)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(patterns)))
    for bits, rows in zip(patterns, np.split(order, bounds[:-1]), strict=True):
        chosen = [j for j in range(len(names)) if bits >> j & 1]
        values = [columns[j][rows].tolist() for j in chosen]
        keys = [names[j] for j in chosen]
        out[rows] = _dicts(keys, values) if keys else [{} for _ in repeat(None, len(rows))]
    return out.tolist()


def _dicts(keys: list[str], values: list[list[str]]) -> list[dict[str, str]]:
    """One dict per row of keys -> values (written out for one or two keys: faster)."""
    if len(keys) == 1:
        (key,) = keys
        return [{key: v} for v in values[0]]
    if len(keys) == 2:
        first, second = keys
        return [{first: a, second: b} for a, b in zip(*values, strict=True)]
    return list(map(dict, map(zip, repeat(keys), zip(*values, strict=True))))


def _raw(chunk: RawChunk, rejected: np.ndarray) -> list[dict]:
    """Per rejected row, its original non-empty values by header name."""
    if not rejected.any():
        return []
    names = chunk.columns
    out = _records(names, [_cells(chunk.column(c), rejected) for c in names], int(rejected.sum()))
    extra = chunk.extra_fields
    if extra is not None:
        for raw, surplus in zip(out, extra[rejected], strict=True):
            for i, value in enumerate(surplus or (), start=1):
                raw[f"(valeur en trop {i})"] = value
    return out
