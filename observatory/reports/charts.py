"""Charts of the pack (PNG, matplotlib without pyplot: safe in the API's threads)."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from observatory.figures.timeslots import WEEKDAYS
from observatory.reports.drawing import DPI, png_bytes
from observatory.reports.model import PackFigures
from observatory.reports.request import MONTHS_SHORT
from observatory.reports.style import HIDDEN_COLOUR, fr_int, fr_number

# Axis labels in French: a decimal comma, a space between thousands, never « 17.5 ».
FRENCH_TICKS = FuncFormatter(
    lambda v, _pos: fr_int(v) if float(v).is_integer() else fr_number(v, 1)
)

HEAT = LinearSegmentedColormap.from_list("creneaux", ["#ffffcc", "#fd8d3c", "#bd0026"])


def month_short(month: int, year: int) -> str:
    return f"{MONTHS_SHORT[month - 1]}\n{year}"


def timeslot_chart(figures: PackFigures) -> bytes:
    """PNG: the weekday × hour matrix as a heat map, hidden cells in grey."""
    matrix = np.array(
        [[np.nan if v is None else v for v in row] for row in figures.timeslots.matrix],
        dtype=np.float64,
    )
    fig = Figure(figsize=(7.0, 3.0), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.11, 0.2, 0.8, 0.72))
    cmap = HEAT.with_extremes(bad=HIDDEN_COLOUR)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, aspect="auto")
    ax.set_yticks(range(7), [d.capitalize() for d in WEEKDAYS], fontsize=7)
    ax.set_xticks(range(24), [f"{h}h" for h in range(24)], fontsize=6)
    ax.set_xlabel("Heure locale de début du fait", fontsize=7)
    bar = fig.colorbar(image, cax=fig.add_axes((0.925, 0.2, 0.018, 0.72)))
    bar.ax.tick_params(labelsize=6)
    bar.ax.yaxis.set_major_formatter(FRENCH_TICKS)
    bar.set_label("faits (répartition aoristique)", fontsize=6)
    return png_bytes(fig)


def trend_chart(figures: PackFigures) -> bytes:
    """PNG: the months of the period and the same months a year earlier."""
    months = figures.trend.months
    now = [np.nan if p.change.current is None else p.change.current for p in months]
    before = [np.nan if p.change.previous is None else p.change.previous for p in months]
    fig = Figure(figsize=(7.0, 3.0), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.09, 0.22, 0.89, 0.7))
    x = np.arange(len(months))
    ax.plot(x, now, marker="o", ms=3, lw=1.8, color="#bd0026", label="Période")
    if not np.all(np.isnan(before)):
        ax.plot(
            x, before, marker="o", ms=2.5, lw=1.2, ls="--", color="#777777", label="Un an plus tôt"
        )
    step = max(1, len(months) // 12)
    ax.set_xticks(
        x[::step], [month_short(p.start.month, p.start.year) for p in months][::step], fontsize=6
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))  # whole counts
    ax.yaxis.set_major_formatter(FRENCH_TICKS)
    ax.set_ylabel("faits par mois", fontsize=7)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return png_bytes(fig)
