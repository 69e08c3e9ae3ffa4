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
    coded = []
    for column in columns:
        found = _coded(column)
        if found is None:
            return None
        coded.append(found)
    # Each column's values in the order they first appear, then the values of all in that order:
    # the order in which they first appear in the columns one after the other.
    value_codes, uniques = pd.factorize(np.concatenate([values for _, values in coded]))
    if infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        return None
    words = np.empty(len(uniques) + 1, dtype=object)
    words[:-1] = uniques
    words[-1] = None
    starts = np.cumsum([0] + [len(values) for _, values in coded])
    out = []
    for (codes, _), start, stop in zip(coded, starts[:-1], starts[1:], strict=True):
        merged = np.append(value_codes[start:stop], len(uniques))  # code -1: missing
        out.append(merged[codes])
    return out, pd.Series(words, dtype=object)


def _coded(column: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, values) of a text column that repeats its values (-1: missing), else None."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), column.cat.categories.to_numpy(dtype=object)
    text = _arrow_backed(column)
    if text is not None:
        if not _few_arrow(text):
            return None
        encoded = pc.dictionary_encode(text)
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        return np.asarray(codes, dtype=np.int64), encoded.dictionary.to_numpy(zero_copy_only=False)
    array = column.to_numpy(dtype=object)
    if not _few(array):
        return None
    return pd.factorize(array)


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
    text = _arrow_backed(values)
    if text is None:
        text = _arrow(values.to_numpy(dtype=object))
    if text is None:
        return None
    if text.null_count:
        text = pc.fill_null(text, "")
    return pc.utf8_trim_whitespace(text) if strip else text


def _arrow_backed(values: pd.Series) -> pa.Array | None:
    """The Arrow text (nulls for missing values) of a column stored as Arrow text, else None."""
    dtype = values.dtype
    if pc is None or not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow":
        return None
    text = pa.array(values.array)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text.cast(pa.string())


def _few_arrow(text: pa.Array) -> bool:
    """_few() for Arrow text."""
    if len(text) <= SAMPLE:
        return False
    return pc.count_distinct(text.slice(0, SAMPLE), mode="all").as_py() * 2 <= SAMPLE


def text_series(text: pa.Array) -> pd.Series:
    """Arrow text ("" for empty) as a Series, missing where empty: categorical when the values
    repeat (as objects() tells), else stored as Arrow text. Both read like the object Series of
    objects(text) in the helpers of this module, without a Python string per row."""
    if pc is None:
        return pd.Series(objects(text), dtype=object)
    if _repeats(text):
        encoded = pc.dictionary_encode(text)
        words = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        kept = filled(encoded.dictionary)
        renumber = np.full(len(words), -1, dtype=np.int64)
        renumber[kept] = np.arange(int(kept.sum()))
        codes = renumber[encoded.indices.to_numpy(zero_copy_only=False)]
        categories = pd.Index(words[kept], dtype=object)
        return pd.Series(pd.Categorical.from_codes(codes, categories=categories, validate=False))
    blank = pc.equal(pc.binary_length(text), 0)
    nulled = pc.if_else(blank, pa.scalar(None, pa.string()), text)
    return pd.Series(pd.array(nulled, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


def _repeats(text: pa.Array) -> bool:
    sample = text.slice(0, SAMPLE)
    return len(text) > SAMPLE and pc.count_distinct(sample).as_py() * 4 < len(sample)


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
    if _repeats(text):
        encoded = pc.dictionary_encode(text)
        words = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        words[~filled(encoded.dictionary)] = None
        return words[encoded.indices.to_numpy(zero_copy_only=False)]
    blank = pc.equal(pc.binary_length(text), 0)
    return np.asarray(
        pc.if_else(blank, pa.scalar(None, pa.string()), text).to_numpy(zero_copy_only=False),
        dtype=object,
    )


def text_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The n + 1 offsets and the data bytes of Arrow text (or binary), without a copy."""
    kind = text.type
    large = pa.types.is_large_string(kind) or pa.types.is_large_binary(kind)
    _, offsets, data = text.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64 if large else np.int32)
    bounds = bounds[text.offset : text.offset + len(text) + 1]
    return bounds, np.empty(0, np.uint8) if data is None else np.frombuffer(data, np.uint8)


def filled(text: pa.Array) -> np.ndarray:
    """Where Arrow text is not empty."""
    return np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False)) > 0


def stripped(values: pd.Series) -> pd.Series:
    """Stripped strings, None for empty or missing (non-strings through ``str``)."""
    return stripped_with_text(values)[0]


def stripped_with_text(values: pd.Series) -> tuple[pd.Series, pa.Array | None]:
    """stripped(values), and the same as Arrow text ("" for None) when pyarrow can have it."""
    raw = _arrow_backed(values)
    if raw is None:
        raw = _arrow(values.to_numpy(dtype=object))
    if raw is None:
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        return text.astype(object).where(text != "", None), None
    trimmed = pc.utf8_trim_whitespace(raw)
    if pc.all(pc.equal(trimmed, raw)).as_py() is not False and (
        pc.min(pc.binary_length(raw)).as_py() != 0
    ):
        # Already stripped, nothing empty: the values themselves, None for the missing ones.
        array = values.to_numpy(dtype=object, copy=True)
        if raw.null_count:
            array[np.asarray(raw.is_null())] = None
        return pd.Series(array, index=values.index, dtype=object), pc.fill_null(trimmed, "")
    trimmed = pc.fill_null(trimmed, "")
    return pd.Series(objects(trimmed), index=values.index, dtype=object), trimmed
