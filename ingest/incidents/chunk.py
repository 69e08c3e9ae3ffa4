"""What the readers of incident files give: chunks of text cells (RawChunk), with their row
numbers and, for vector files, their points (ingest/incidents/reading.py, vectorread.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.incidents.columns import objects, text_series


class RawChunk:
    """Rows of a file as text, their row numbers and, for vector files, their WGS84 points.

    ``frame`` holds the cells as objects. A chunk read from CSV keeps them as Arrow text
    (stripped, "" when empty) and builds ``frame`` only if asked: the parser takes its columns
    one by one (``column``), as Series that need no Python string per row.
    """

    def __init__(
        self,
        frame: pd.DataFrame | None,
        row_numbers: np.ndarray,
        geometry_lonlat: np.ndarray | None,
        extra_fields: np.ndarray | None = None,  # per row: None or the surplus CSV values
        *,
        text: dict[str, pa.Array] | None = None,
    ) -> None:
        if frame is None and text is None:
            raise ValueError("a chunk needs its frame or its text")
        self._frame = frame
        self._text = text
        self._columns: dict[str, pd.Series] = {}
        self.row_numbers = row_numbers
        self.geometry_lonlat = geometry_lonlat
        self.extra_fields = extra_fields

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            assert self._text is not None
            self._frame = pd.DataFrame(
                {name: objects(field) for name, field in self._text.items()},
                columns=list(self._text),
                dtype=object,
                copy=False,
            )
        return self._frame

    @property
    def columns(self) -> list[str]:
        return list(self._text) if self._frame is None and self._text else list(self.frame.columns)

    def __len__(self) -> int:
        return len(self.row_numbers)

    def column(self, name: str) -> pd.Series:
        """One column, indexed 0..n-1: objects (None or NaN when empty), or for CSV chunks
        categorical or Arrow text, which ingest.incidents.columns reads alike."""
        if name not in self._columns:
            if self._frame is None and self._text is not None:
                self._columns[name] = text_series(self._text[name])
            else:
                self._columns[name] = self.frame[name].reset_index(drop=True).astype(object)
        return self._columns[name]

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """Some rows (by position) as an object frame."""
        if self._frame is None and self._text is not None:
            chosen = pa.array(positions, type=pa.int64())
            return pd.DataFrame(
                {name: objects(field.take(chosen)) for name, field in self._text.items()},
                columns=list(self._text),
                dtype=object,
            )
        return self.frame.iloc[positions]


def to_object_frame(cells: pd.DataFrame) -> pd.DataFrame:
    """Text cells as an object frame: stripped str, None for empty or missing."""
    return none_for_blank(
        cells.apply(lambda c: c.astype(object).where(c.notna(), "").astype(str).str.strip())
    )


def none_for_blank(text: pd.DataFrame) -> pd.DataFrame:
    """Stripped text cells as an object frame with None for the empty ones."""
    out = {}
    for name in text.columns:
        array = text[name].to_numpy(dtype=object, copy=True)
        array[(text[name] == "").to_numpy()] = None
        out[name] = array
    return pd.DataFrame(out, columns=list(text.columns), dtype=object)
