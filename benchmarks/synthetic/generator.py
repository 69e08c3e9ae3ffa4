"""The generator: a seeded, vectorised frame of synthetic incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from benchmarks.synthetic.components import COMPONENTS
from benchmarks.synthetic.defaults import (
    DEFAULT_COMMUNE,
    DEFAULT_MONTHS,
    DEFAULT_QPV,
    DEFAULT_START,
)
from benchmarks.synthetic.geography import (
    anchor_hotspot,
    load_area,
    place_sources,
    sample_points,
    street_addresses,
)
from benchmarks.synthetic.places import Hotspot
from benchmarks.synthetic.spellings import nature_spellings
from benchmarks.synthetic.timing import (
    add_months,
    day_weights,
    hour_of_week,
    intervals,
    skip_dst_gap,
)
from observatory.categories import CATEGORIES


def generate_incidents(
    n_rows: int,
    seed: int,
    start: date = DEFAULT_START,
    months: int = DEFAULT_MONTHS,
    commune_geojson: Path = DEFAULT_COMMUNE,
    qpv_geojson: Sequence[Path] = DEFAULT_QPV,
) -> pd.DataFrame:
    """Exactly `n_rows` synthetic incidents, the same for the same arguments.

    Returns one row per fact, in chronological order, with the columns: numero (str, unique),
    occurred_at (datetime64[s], local wall-clock time), occurred_until (datetime64[s], NaT for
    a point fact), category (nomenclature code), nature (str, as written), adresse (str),
    code_insee (str), longitude, latitude (float, rounded to 6 decimals).
    """
    if n_rows < 0 or months < 1:
        raise ValueError("n_rows must be >= 0 and months >= 1")
    known = {c.code for c in CATEGORIES}
    unknown = {c.code for c in COMPONENTS} - known
    if unknown:  # pragma: no cover - a programming error
        raise ValueError(f"unknown category codes {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    area = load_area(commune_geojson, qpv_geojson)
    first = np.datetime64(start.replace(day=1), "D")
    days = np.arange(first, np.datetime64(add_months(start.replace(day=1), months), "D"))
    weekday = (days.astype("int64") + 3) % 7

    shares = np.array([c.share for c in COMPONENTS])
    counts = rng.multinomial(n_rows, shares / shares.sum())
    parts: list[dict[str, np.ndarray]] = []
    for index, (component, count) in enumerate(zip(COMPONENTS, counts, strict=True)):
        if count == 0:
            continue
        # when
        cell = day_weights(component, days)[:, None] * hour_of_week(component)[weekday]
        drawn = rng.choice(cell.size, size=count, p=(cell / cell.sum()).ravel())
        day = days[drawn // 24]
        minute = rng.integers(0, 60, count)
        rounded = rng.random(count)
        minute = np.where(rounded < 0.25, minute // 5 * 5, minute)
        minute = np.where(rounded < 0.10, minute // 15 * 15, minute)
        occurred_at = (
            day.astype("datetime64[s]")
            + (drawn % 24) * np.timedelta64(1, "h")
            + minute * np.timedelta64(1, "m")
        )
        occurred_until = np.full(count, np.datetime64("NaT"), dtype="datetime64[s]")
        if component.interval:
            is_interval = rng.random(count) < component.interval_share
            begin, end = intervals(rng, component.interval, day[is_interval])
            occurred_at[is_interval] = begin
            occurred_until[is_interval] = end
        # where
        within: BaseGeometry | None = None
        if component.anchor:
            hotspot = anchor_hotspot(area, component.anchor, fallback=index % 2)
            sources: list[Hotspot | None] = [hotspot]
            probabilities = np.ones(1)
            within = hotspot.polygon
        else:
            sources, probabilities = place_sources(component, area)
        lon, lat = sample_points(rng, count, sources, probabilities, area.polygon, within)
        # how the software spells it
        spellings, spelling_p = nature_spellings(component.code)
        nature = np.array(spellings, dtype=object)[
            rng.choice(len(spellings), size=count, p=spelling_p)
        ]
        parts.append(
            {
                "occurred_at": skip_dst_gap(occurred_at),
                "occurred_until": skip_dst_gap(occurred_until),
                "category": np.full(count, component.code, dtype=object),
                "nature": nature,
                "longitude": lon,
                "latitude": lat,
            }
        )
    columns = ("occurred_at", "occurred_until", "category", "nature", "longitude", "latitude")
    if parts:
        data = {k: np.concatenate([p[k] for p in parts]) for k in columns}
    else:
        data = {
            "occurred_at": np.array([], dtype="datetime64[s]"),
            "occurred_until": np.array([], dtype="datetime64[s]"),
            "category": np.array([], dtype=object),
            "nature": np.array([], dtype=object),
            "longitude": np.array([], dtype=float),
            "latitude": np.array([], dtype=float),
        }
    order = np.argsort(data["occurred_at"], kind="stable")
    data = {k: v[order] for k, v in data.items()}
    addresses = street_addresses(rng, data["longitude"], data["latitude"])
    numero = _references(data["occurred_at"], area.code_insee[:2])
    frame = pd.DataFrame(
        {
            "numero": pd.array(numero, dtype="str"),
            "occurred_at": data["occurred_at"],
            "occurred_until": data["occurred_until"],
            "category": pd.array(data["category"], dtype="str"),
            "nature": pd.array(data["nature"], dtype="str"),
            "adresse": pd.array(addresses, dtype="str"),
            "code_insee": pd.array(np.full(len(order), area.code_insee), dtype="str"),
            "longitude": data["longitude"],
            "latitude": data["latitude"],
        }
    )
    return frame


def _references(occurred_at: np.ndarray, department: str) -> np.ndarray:
    """PM<dep>-<year>-<sequence in the year>, occurred_at being sorted."""
    years = occurred_at.astype("datetime64[Y]").astype("int64") + 1970
    first_of_year = np.searchsorted(years, years, side="left")
    sequence = np.arange(years.size) - first_of_year + 1
    seq_text = pd.Series(sequence.astype(str), dtype=object).str.zfill(6)
    text = f"PM{department}-" + pd.Series(years.astype(str), dtype=object) + "-" + seq_text
    return text.to_numpy(dtype=object)
