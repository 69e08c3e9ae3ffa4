"""The French municipal CSV export (the format is described in the package docstring)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MUNICIPAL_COLUMNS = (
    "numero",
    "date_faits",
    "heure_faits",
    "date_fin",
    "heure_fin",
    "nature",
    "adresse",
    "code_insee",
    "longitude",
    "latitude",
)


def _format_dates(moments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dd/mm/yyyy and hh:mm strings ('' for NaT), via small lookup tables."""
    n = moments.size
    dates = np.full(n, "", dtype=object)
    times = np.full(n, "", dtype=object)
    valid = ~np.isnat(moments)
    if not valid.any():
        return dates, times
    day = moments[valid].astype("datetime64[D]")
    unique_days, day_index = np.unique(day, return_inverse=True)
    day_text = np.array([d.item().strftime("%d/%m/%Y") for d in unique_days], dtype=object)
    minutes = ((moments[valid] - day.astype("datetime64[s]")).astype("int64") // 60).astype(int)
    minute_text = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)], dtype=object)
    dates[valid] = day_text[day_index]
    times[valid] = minute_text[minutes]
    return dates, times


def _decimal_comma(values: np.ndarray) -> np.ndarray:
    """Fixed 6-decimal text with a decimal comma: 1.443712 -> '1,443712' (vectorised)."""
    micro = np.round(np.asarray(values, dtype=float) * 1_000_000).astype("int64")
    sign = np.where(micro < 0, "-", "").astype(object)
    micro = np.abs(micro)
    whole = (micro // 1_000_000).astype(str).astype(object)
    # 1xxxxxx -> drop the leading 1: the six decimals with their leading zeros
    padded = (micro % 1_000_000 + 1_000_000).astype("U7")
    fraction = np.ascontiguousarray(padded.view("U1").reshape(-1, 7)[:, 1:]).view("U6")
    result: np.ndarray = sign + whole + "," + fraction.reshape(-1).astype(object)
    return result


def municipal_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame of `generate_incidents` as a French municipal export (see the package doc)."""
    start_date, start_time = _format_dates(frame["occurred_at"].to_numpy("datetime64[s]"))
    end_date, end_time = _format_dates(frame["occurred_until"].to_numpy("datetime64[s]"))
    fields = [
        frame["numero"].to_numpy(dtype=object),
        start_date,
        start_time,
        end_date,
        end_time,
        frame["nature"].to_numpy(dtype=object),
        frame["adresse"].to_numpy(dtype=object),
        frame["code_insee"].to_numpy(dtype=object),
        _decimal_comma(frame["longitude"].to_numpy()),
        _decimal_comma(frame["latitude"].to_numpy()),
    ]
    n = len(frame)
    body = "".join(f"{line}\n" for line in map(";".join, zip(*fields, strict=True)))
    if body.count(";") != 9 * n or body.count("\n") != n:
        raise ValueError("a value contains the separator or a line break")
    return (";".join(MUNICIPAL_COLUMNS) + "\n" + body).encode("utf-8")


def write_municipal_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the frame of `generate_incidents` as a French municipal CSV export."""
    Path(path).write_bytes(municipal_csv_bytes(frame))
