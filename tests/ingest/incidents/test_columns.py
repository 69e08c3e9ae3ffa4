"""Column helpers: work on distinct values, text through Arrow, both as pandas would do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ingest.incidents.columns
from ingest.incidents.columns import SAMPLE, distinct, distinct_many, objects, per_value, stripped

STRANGE = ["a", " a ", "\u00a0b\u3000", "", "  ", None, np.nan, "é", "\u200bc", "x\ny"]


def test_distinct_values_and_codes_give_the_column_back() -> None:
    values = pd.Series(["b", None, "a", np.nan, "b"] * SAMPLE, dtype=object)
    found = distinct(values)
    assert found is not None
    codes, words = found
    assert words.tolist() == ["b", "a", None]
    assert words.iloc[codes].tolist() == ["b", None, "a", None, "b"] * SAMPLE


def test_distinct_only_when_worth_it() -> None:
    assert distinct(pd.Series(["a", "b"] * 10, dtype=object)) is None  # small
    unique = pd.Series([str(i) for i in range(2 * SAMPLE)], dtype=object)
    assert distinct(unique) is None
    mixed = pd.Series(["1", 1] * SAMPLE, dtype=object)  # not all text: left alone
    assert distinct(mixed) is None
    found = distinct_many([pd.Series(["a"] * 5000), pd.Series([None, "b"] * 2500)])
    assert found is not None
    codes, words = found
    assert words.tolist() == ["a", "b", None]
    assert codes[1][:2].tolist() == [2, 1]


def test_per_value_is_the_function_of_each_value() -> None:
    values = pd.Series(STRANGE * SAMPLE, dtype=object, index=range(5, 5 + len(STRANGE) * SAMPLE))
    once = per_value(stripped, values)
    pd.testing.assert_series_equal(once, stripped(values))
    assert once.index.equals(values.index)
    numbers = per_value(lambda v: np.arange(len(v)) * 2.0, pd.Series(["x", "y"] * SAMPLE))
    assert numbers[:4].tolist() == [0.0, 2.0, 0.0, 2.0]


@pytest.mark.parametrize("text", [STRANGE, ["ab", "cd", None], ["a", 1, None], [b"a", "b"]])
def test_stripped_as_pandas_strips(text: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    values = pd.Series(text, dtype=object)
    fast = stripped(values)
    monkeypatch.setattr(ingest.incidents.columns, "pc", None)
    slow = stripped(values)
    assert fast.tolist() == slow.tolist()
    assert [type(v) for v in fast] == [type(v) for v in slow]


def test_objects_one_per_distinct_value_when_they_repeat() -> None:
    text = pa.array(["x", "", "y"] * SAMPLE)
    out = objects(text)
    assert out.tolist() == ["x", None, "y"] * SAMPLE
    assert out[0] is out[3]
    assert objects(pa.array(["a", ""])).tolist() == ["a", None]
