"""What both formats share: French number formats, count classes and the colours of the map."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from observatory.french import DASH, MINUS, NBSP

# ColorBrewer YlOrRd, as the map of the front end (api/static/js/classes.js).
YLORRD = {
    3: ["#ffeda0", "#feb24c", "#f03b20"],
    4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
    5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
}
HIDDEN_COLOUR = "#bdbdbd"
COMMUNE_COLOUR = "#555555"
QPV_COLOUR = "#1a1a1a"

# Getis–Ord Gi* classes with Esri's colours, as the front end draws them.
GI_CLASSES: tuple[tuple[str, str, str], ...] = (
    ("hot_99", "Point chaud, confiance 99 %", "#d62f27"),
    ("hot_95", "Point chaud, confiance 95 %", "#ed7551"),
    ("hot_90", "Point chaud, confiance 90 %", "#fab984"),
    ("not_significant", "Non significatif", "#ffffbf"),
    ("cold_90", "Point froid, confiance 90 %", "#c0ccbe"),
    ("cold_95", "Point froid, confiance 95 %", "#849eba"),
    ("cold_99", "Point froid, confiance 99 %", "#4575b5"),
)
GI_COLOUR = {code: colour for code, _label, colour in GI_CLASSES}


@dataclass(frozen=True)
class CountClass:
    low: int
    high: int
    colour: str

    def label(self) -> str:
        if self.low == self.high:
            return f"{fr_int(self.low)} fait{'s' if self.low > 1 else ''}"
        return f"{fr_int(self.low)} à {fr_int(self.high)} faits"


def palette(n: int) -> list[str]:
    if n <= 1:
        return ["#fd8d3c"]
    if n == 2:
        return ["#fecc5c", "#e31a1c"]
    return YLORRD[min(n, 5)]


CLASS_METHOD = "seuils naturels (Jenks)"  # as METHODES.jenks of api/static/js/classes.js


def natural_breaks(values: Sequence[int], wanted: int = 5) -> list[int]:
    """The upper bounds of Fisher–Jenks natural breaks (mapclassify), as the page draws them."""
    distinct = sorted(set(values))
    if len(distinct) <= wanted:
        return distinct
    with warnings.catch_warnings():
        # Without numba, mapclassify warns that it runs its pure Python version: it is exact.
        warnings.simplefilter("ignore", UserWarning)
        from mapclassify import FisherJenks

        bins = FisherJenks(np.asarray(values, dtype=float), k=wanted).bins
    return [round(float(b)) for b in bins]


def count_classes(values: Sequence[int | None], wanted: int = 5) -> list[CountClass]:
    """Natural-breaks classes of the non-zero counts, the page's default: none is empty."""
    ordered = sorted(v for v in values if v is not None and v > 0)
    if not ordered:
        return []
    highs = natural_breaks(ordered, wanted)
    colours = palette(len(highs))
    out, low = [], ordered[0]
    for high, colour in zip(highs, colours, strict=True):
        out.append(CountClass(low, high, colour))
        low = high + 1
    return out


def colour_of(classes: Sequence[CountClass], value: int | None) -> str:
    if value is None:
        return HIDDEN_COLOUR
    for item in classes:
        if value <= item.high:
            return item.colour
    return classes[-1].colour if classes else HIDDEN_COLOUR


def fr_int(value: float | None) -> str:
    """12 345 (non-breaking space between thousands); a dash for nothing."""
    if value is None:
        return DASH
    return f"{round(value):,}".replace(",", NBSP).replace("-", MINUS)


def fr_number(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    if round(value, digits) == 0:
        value = 0.0  # never « −0,0 »: what rounds to zero reads zero
    text = f"{value:,.{digits}f}".replace(",", NBSP).replace(".", ",")
    return text.replace("-", MINUS)


def fr_signed(value: float | None, digits: int = 1) -> str:
    """+1,4 or −2,0: a sign always, the true minus."""
    if value is None or not math.isfinite(value):
        return DASH
    sign = "+" if round(value, digits) > 0 else ""
    return f"{sign}{fr_number(value, digits)}"


def fr_share(value: float | None) -> str:
    """A share 0..1 as a percentage."""
    return DASH if value is None else f"{fr_number(100 * value, 1)}{NBSP}%"


def hidden_text(threshold: int | None) -> str:
    """How a hidden count reads: under the threshold."""
    return f"<{NBSP}{threshold}" if threshold else "masqué"


def count_text(value: int | None, threshold: int | None, hidden: bool | None = None) -> str:
    """A count, or « < 5 » when secrecy hid it (None is hidden unless told otherwise)."""
    if value is not None:
        return fr_int(value)
    is_hidden = threshold is not None if hidden is None else hidden
    return hidden_text(threshold) if is_hidden else DASH


# Background and text colour of a Poisson z cell, by level (as the front end's tables).
Z_COLOURS: dict[int, tuple[str, str]] = {
    3: ("#b2182b", "#ffffff"),
    2: ("#e58268", "#1b1b1b"),
    1: ("#fbd5c5", "#1b1b1b"),
    -1: ("#d1e5f0", "#1b1b1b"),
    -2: ("#7fb2d5", "#1b1b1b"),
    -3: ("#2166ac", "#ffffff"),
}
