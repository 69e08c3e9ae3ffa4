"""Cleaning of single values read from files: text, integers, INSEE codes, column names."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from observatory.categories import normalise_label

INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def text_value(value: Any) -> str | None:
    """A property as stripped text (lists joined with ", "), or None when missing."""
    if value is None:
        return None
    if isinstance(value, list | tuple | np.ndarray):
        parts = [t for t in (text_value(v) for v in value) if t]
        return ", ".join(parts) or None
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value).strip() or None


def integer_value(value: Any) -> int | None:
    """A population figure ("1 234", 1234.0, "1234") as an int, or None when not a number."""
    raw = text_value(value)
    if raw is None:
        return None
    raw = re.sub(r"[\s\u00a0\u202f]", "", raw).replace(",", ".")
    try:
        number = float(raw)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        return None
    return int(number)


def insee_code(value: Any) -> str | None:
    """An INSEE code, its leading zero restored when a numeric field dropped it."""
    code = (text_value(value) or "").upper()
    if code.isdigit() and len(code) == 4:
        code = "0" + code
    return code or None


def normalise_name(name: str) -> str:
    """Lower case, accents removed, anything but letters and digits as "_"."""
    return normalise_label(name).replace(" ", "_")
