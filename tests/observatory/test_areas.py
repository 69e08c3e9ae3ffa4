import numpy as np
import shapely

from observatory.areas import Area, tag


def area(code: str, polygon: shapely.Geometry) -> Area:
    shapely.prepare(polygon)
    west, south, east, north = (float(v) for v in shapely.bounds(polygon))
    return Area(code, polygon, (west, south, east, north))


def test_points_get_the_code_of_their_polygon() -> None:
    left = area("A", shapely.box(0, 0, 1, 1))
    right = area("B", shapely.box(2, 0, 3, 1))
    lon = np.array([0.5, 2.5, 1.5, 5.0])
    lat = np.array([0.5, 0.5, 0.5, 5.0])
    assert tag([left, right], lon, lat).tolist() == ["A", "B", None, None]


def test_boundary_counts_as_inside_like_st_intersects() -> None:
    square = area("A", shapely.box(0, 0, 1, 1))
    assert tag([square], np.array([1.0, 0.0]), np.array([0.5, 0.0])).tolist() == ["A", "A"]


def test_overlaps_go_to_the_smallest_code_whatever_the_order() -> None:
    big = area("B", shapely.box(0, 0, 2, 2))
    small = area("A", shapely.box(0, 0, 1, 1))
    lon, lat = np.array([0.5, 1.5]), np.array([0.5, 1.5])
    # Territories sorts areas by code before tagging; tag itself keeps the first match.
    assert tag([small, big], lon, lat).tolist() == ["A", "B"]


def test_holes_are_outside() -> None:
    ring = area(
        "A", shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    )
    assert tag([ring], np.array([2.0, 0.5]), np.array([2.0, 0.5])).tolist() == [None, "A"]
