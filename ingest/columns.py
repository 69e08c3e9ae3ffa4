"""Column helpers of the parser: work once per distinct value, text as Arrow strings.

Incident files repeat their values: a date column of a million rows holds a few hundred dates,
a category column a few dozen labels. A function that maps each value on its own (the value
alone decides the result) is computed on the distinct values only and spread back to the rows;
missing values (None, NaN) are passed to it as None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

try:
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pandas' own path: the same results, slower
    pa = pc = None

SAMPLE = 4096
Result = TypeVar("Result", pd.Series, pd.DataFrame, np.ndarray)


def distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """(codes, distinct values) of a text column with few distinct values, else None.

    ``distinct_values.iloc[codes]`` is the column again, with None for its missing values.
    """
    found = distinct_many([values])
    return None if found is None else (found[0][0], found[1])


def distinct_many(columns: Sequence[pd.Series]) -> tuple[list[np.ndarray], pd.Series] | None:
    """distinct() of several text columns together: the codes of each, the values of all."""
    arrays = [c.to_numpy(dtype=object) for c in columns]
    if not all(_few(a) for a in arrays):
        return None
    codes, uniques = pd.factorize(np.concatenate(arrays))
    if infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        return None
    words = np.empty(len(uniques) + 1, dtype=object)
    words[:-1] = uniques
    words[-1] = None
    codes = np.where(codes < 0, len(uniques), codes)
    return np.split(codes, np.cumsum([len(a) for a in arrays])[:-1]), pd.Series(words, dtype=object)


def _few(array: np.ndarray) -> bool:
    """Whether a column seems to repeat its values enough to work on the distinct ones."""
    if len(array) <= SAMPLE:
        return False
    try:
        return len(set(array[:SAMPLE].tolist())) * 2 <= SAMPLE
    except TypeError:  # unhashable values
        return False


def per_value(function: Callable[[pd.Series], Result], values: pd.Series) -> Result:
    """function(values) for a function of each value alone, computed once per distinct value."""
    found = distinct(values)
    if found is None:
        return function(values)
    codes, words = found
    result = function(words)
    if isinstance(result, np.ndarray):
        return result[codes]
    spread = result.iloc[codes]
    spread.index = values.index
    return spread


def arrow_text(values: pd.Series, *, strip: bool = True) -> pa.Array | None:
    """The column as Arrow text ("" for missing), stripped like ``str.strip``; None if pyarrow
    is missing or a value is not a string (the callers' pandas path then applies)."""
    text = _arrow(values.to_numpy(dtype=object))
    if text is None:
        return None
    if text.null_count:
        text = pc.fill_null(text, "")
    return pc.utf8_trim_whitespace(text) if strip else text


def _arrow(array: np.ndarray) -> pa.Array | None:
    """Strings and missing values as Arrow text with nulls; None for anything else."""
    if pc is None or infer_dtype(array, skipna=True) not in ("string", "empty"):
        return None
    try:
        return pa.array(array, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def objects(text: pa.Array) -> np.ndarray:
    """Arrow text as an object array of str, None for "" (a str object per distinct value when
    the values repeat)."""
    sample = text.slice(0, SAMPLE)
    if len(text) > SAMPLE and pc.count_distinct(sample).as_py() * 4 < len(sample):
        encoded = pc.dictionary_encode(text)
        words = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        words[~filled(encoded.dictionary)] = None
        return words[encoded.indices.to_numpy(zero_copy_only=False)]
    blank = pc.equal(pc.binary_length(text), 0)
    return np.asarray(
        pc.if_else(blank, pa.scalar(None, pa.string()), text).to_numpy(zero_copy_only=False),
        dtype=object,
    )


def filled(text: pa.Array) -> np.ndarray:
    """Where Arrow text is not empty."""
    return np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False)) > 0


def stripped(values: pd.Series) -> pd.Series:
    """Stripped strings, None for empty or missing (non-strings through ``str``)."""
    return stripped_with_text(values)[0]


def stripped_with_text(values: pd.Series) -> tuple[pd.Series, pa.Array | None]:
    """stripped(values), and the same as Arrow text ("" for None) when pyarrow can have it."""
    array = values.to_numpy(dtype=object)
    raw = _arrow(array)
    if raw is None:
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        return text.astype(object).where(text != "", None), None
    trimmed = pc.utf8_trim_whitespace(raw)
    if pc.all(pc.equal(trimmed, raw)).as_py() is not False and (
        pc.min(pc.binary_length(raw)).as_py() != 0
    ):
        # Already stripped, nothing empty: the values themselves, None for the missing ones.
        array = array.copy()
        if raw.null_count:
            array[np.asarray(raw.is_null())] = None
        return pd.Series(array, index=values.index, dtype=object), pc.fill_null(trimmed, "")
    trimmed = pc.fill_null(trimmed, "")
    return pd.Series(objects(trimmed), index=values.index, dtype=object), trimmed
