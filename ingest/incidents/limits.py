"""The limits an incident file is read within (settings OBS_MAX_*): rows, cell length,
columns. Each refusal says which limit, where, and how to get under it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow.compute as pc

from ingest.filetypes import FileLimits, fr_count
from ingest.incidents.chunk import RawChunk
from observatory.errors import InvalidInput, TooLarge


def within_limits(chunks: Iterator[RawChunk], name: str, limits: FileLimits) -> Iterator[RawChunk]:
    """The chunks, as long as the file stays within the limits of rows and cell length."""
    rows = 0
    for chunk in chunks:
        rows += len(chunk)
        if rows > limits.rows:
            raise TooLarge(
                f"« {name} » a plus de {fr_count(limits.rows)} lignes (OBS_MAX_ROWS) : découpez-le "
                "(par année, par exemple) et importez chaque partie ; rien n'a été enregistré."
            )
        _check_cells(chunk, name, limits.cell_chars)
        yield chunk


def _check_cells(chunk: RawChunk, name: str, limit: int) -> None:
    for column in chunk.columns:
        lengths = _lengths(chunk, column)
        if len(lengths) and np.nanmax(lengths, initial=0) > limit:
            at = int(np.flatnonzero(np.nan_to_num(lengths) > limit)[0])
            _too_long(name, int(chunk.row_numbers[at]), f"« {column} »", lengths[at], limit)
    if chunk.extra_fields is not None:
        for at, extra in enumerate(chunk.extra_fields):
            if extra is not None and max(len(str(v)) for v in extra) > limit:
                longest = max(len(str(v)) for v in extra)
                _too_long(name, int(chunk.row_numbers[at]), "au-delà de l'en-tête", longest, limit)


def _lengths(chunk: RawChunk, column: str) -> np.ndarray:
    if chunk._frame is None and chunk._text is not None:
        lengths = pc.utf8_length(chunk._text[column])
        return np.asarray(lengths.to_numpy(zero_copy_only=False), dtype="float64")
    values = chunk.frame[column]
    return values.map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy(dtype="float64")


def _too_long(name: str, row: int, column: str, length: float, limit: int) -> None:
    raise InvalidInput(
        f"« {name} », ligne {row}, colonne {column} : une cellule de {fr_count(length)} "
        f"caractères, {fr_count(limit)} au plus (OBS_MAX_CELL_CHARS, la limite d'Excel). "
        "Vérifiez l'export (un guillemet jamais refermé colle souvent des lignes entières) ; "
        "rien n'a été enregistré."
    )


def too_many_columns(name: str, found: int, limit: int) -> InvalidInput:
    return InvalidInput(
        f"« {name} » a {fr_count(found)} colonnes : {fr_count(limit)} au plus "
        "(OBS_MAX_COLUMNS). Vérifiez le séparateur et retirez les colonnes inutiles ; "
        "rien n'a été enregistré."
    )
