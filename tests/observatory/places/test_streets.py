"""Streets drawn through their address points: order, pieces, smoothing (pure functions)."""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry import LineString

from observatory.places.streets import MAX_GAP_M, street_lines

LON0, LAT0 = 1.44, 43.60
M_LON = 111_320.0 * math.cos(math.radians(LAT0))
M_LAT = 110_574.0


def at(east_m: float, north_m: float) -> tuple[float, float]:
    return LON0 + east_m / M_LON, LAT0 + north_m / M_LAT


def metres(point: tuple[float, float]) -> tuple[float, float]:
    return (point[0] - LON0) * M_LON, (point[1] - LAT0) * M_LAT


def test_shuffled_points_of_a_straight_street_give_one_line_in_order() -> None:
    rng = np.random.default_rng(3)
    # A street running north-east over 400 m, odd numbers 8 m on one side, even on the other.
    along = np.arange(0, 400, 20.0)
    side = np.where(np.arange(len(along)) % 2 == 0, 8.0, -8.0)
    bearing = math.radians(35)
    cos, sin = math.cos(bearing), math.sin(bearing)
    points = [at(a * cos - s * sin, a * sin + s * cos) for a, s in zip(along, side, strict=True)]
    order = rng.permutation(len(points))
    lines = street_lines([points[i] for i in order])
    assert len(lines) == 1
    xy = np.array([metres(p) for p in lines[0]])
    projected = xy @ np.array([math.cos(bearing), math.sin(bearing)])
    steps = np.diff(projected)
    assert (steps > 0).all() or (steps < 0).all(), "the line goes back and forth"
    assert abs(projected.max() - projected.min()) > 300
    # Smoothed: the line keeps near the middle of the street, not on one side then the other.
    across = xy @ np.array([-math.sin(bearing), math.cos(bearing)])
    assert np.abs(across[1:-1]).max() < 5.0


def test_points_far_apart_become_two_lines_and_none_crosses_the_gap() -> None:
    west = [at(x, 0.0) for x in range(0, 200, 25)]
    east = [at(x, 5.0) for x in range(1200, 1400, 25)]
    lines = street_lines(west + east)
    assert len(lines) == 2
    spans = sorted((min(x), max(x)) for x in ([metres(p)[0] for p in line] for line in lines))
    # Each line stays within its own group of points (a line across the gap would not).
    assert spans[0][1] < 200 + MAX_GAP_M / 10
    assert spans[1][0] > 1200 - MAX_GAP_M / 10
    assert LineString(lines[0]).distance(LineString(lines[1])) > 900 / M_LON


def test_a_lone_point_and_its_duplicates_draw_nothing() -> None:
    assert street_lines([at(0, 0)]) == []
    assert street_lines([at(0, 0), at(0, 0), at(0, 0)]) == []
    assert street_lines([]) == []


def test_a_lone_point_far_from_the_rest_is_left_out() -> None:
    street = [at(x, 0.0) for x in range(0, 300, 30)]
    lines = street_lines([*street, at(3000, 3000)])
    assert len(lines) == 1
    assert max(metres(p)[0] for p in lines[0]) < 300
