"""When facts happen: hourly shapes, weekday multipliers and special days of the year."""

from __future__ import annotations

import numpy as np

_HOUR_OF_DAY = np.arange(24, dtype=float)


def _bumps(*bumps: tuple[float, float, float], base: float = 0.05) -> tuple[float, ...]:
    """24 hourly weights: a baseline plus circular Gaussian bumps (centre h, width h, height)."""
    weights = np.full(24, base)
    for centre, width, height in bumps:
        distance = np.abs(_HOUR_OF_DAY - centre)
        distance = np.minimum(distance, 24 - distance)
        weights += height * np.exp(-0.5 * (distance / width) ** 2)
    return tuple(float(w) for w in weights)


def _window(start: int, end: int, peak: float, width: float) -> tuple[float, ...]:
    """Weights inside opening hours [start, end) with a bump at `peak`, almost none outside."""
    hour = _HOUR_OF_DAY
    inside = (hour >= start) & (hour < end)
    bump = np.exp(-0.5 * ((hour - peak) / width) ** 2)
    return tuple(float(w) for w in np.where(inside, 0.5 + bump, 0.01))


NIGHT = _bumps((0.5, 2.3, 1.0), (22.0, 1.5, 0.3), base=0.03)
LATE_EVENING = _bumps((22.0, 2.5, 1.0), base=0.06)
EVENING = _bumps((19.0, 3.0, 1.0), base=0.06)
SHOP = _window(9, 20, 17.0, 2.5)
DAY = _bumps((14.5, 3.0, 1.0), (10.5, 1.5, 0.4), base=0.02)
OFFICE = _window(8, 19, 11.0, 3.0)
RUSH = _bumps((8.2, 1.0, 1.0), (17.8, 1.3, 1.2), (12.7, 1.3, 0.4), base=0.05)
DAYTIME = _bumps((15.0, 4.0, 1.0), base=0.05)
WEEKEND_DAY = _bumps((16.0, 4.5, 1.0), (1.0, 2.0, 0.3), base=0.05)
SPREAD = _bumps((16.0, 6.0, 1.0), base=0.25)
DOMESTIC = _bumps((21.0, 3.0, 1.0), (1.5, 2.0, 0.5), base=0.1)
NIGHT_VEHICLE = _bumps((2.0, 3.0, 1.0), (23.0, 1.5, 0.4), base=0.05)
PARKING = _window(8, 20, 10.5, 2.5)

ALL_DAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
NIGHTLIFE_DAYS = (0.8, 0.8, 0.9, 1.2, 1.3, 1.4, 1.0)
SHOP_DAYS = (1.0, 1.0, 1.05, 1.0, 1.1, 1.45, 0.12)
WORKDAYS = (1.1, 1.05, 1.05, 1.05, 1.1, 0.55, 0.35)
WEEKEND_DAYS = (0.85, 0.85, 0.9, 0.95, 1.05, 1.3, 1.35)

FETE_MUSIQUE = (6, 21)
QUATORZE_JUILLET = (7, 14)
SAINT_SYLVESTRE = (12, 31)
NOUVEL_AN = (1, 1)

PARTY = ((FETE_MUSIQUE, 4.0), (QUATORZE_JUILLET, 2.0), (SAINT_SYLVESTRE, 3.0), (NOUVEL_AN, 3.0))
FIRES = ((SAINT_SYLVESTRE, 6.0), (NOUVEL_AN, 6.0), (QUATORZE_JUILLET, 3.0))
