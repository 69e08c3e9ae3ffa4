import h3
import numpy as np
import pytest

from observatory.grid import cells_from_lonlat, parent_cells, to_hex


def random_cells(n: int, res: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-89, 89, n)
    lon = rng.uniform(-180, 180, n)
    return np.array(
        [h3.str_to_int(h3.latlng_to_cell(a, o, res)) for a, o in zip(lat, lon, strict=True)],
        dtype=np.uint64,
    ).view(np.int64)


def test_indexing_matches_h3_py() -> None:
    rng = np.random.default_rng(7)
    lat = rng.uniform(42.0, 51.0, 2000)
    lon = rng.uniform(-5.0, 8.0, 2000)
    got = cells_from_lonlat(lon, lat, 12)
    expected = [h3.str_to_int(h3.latlng_to_cell(a, o, 12)) for a, o in zip(lat, lon, strict=True)]
    assert got.dtype == np.int64
    assert got.view(np.uint64).tolist() == expected


def test_empty_input() -> None:
    assert cells_from_lonlat(np.array([]), np.array([]), 9).size == 0


@pytest.mark.parametrize("child_res", [12, 15])
def test_parents_match_h3_at_every_resolution(child_res: int) -> None:
    cells = random_cells(3000, child_res)
    for res in range(0, child_res + 1):
        expected = [
            h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), res))
            for c in cells.view(np.uint64)
        ]
        assert parent_cells(cells, res).view(np.uint64).tolist() == expected, res


def test_parents_of_pentagon_children() -> None:
    pentagons = [h3.str_to_int(p) for r in range(0, 4) for p in h3.get_pentagons(r)]
    children = []
    for p in pentagons:
        children.extend(
            h3.str_to_int(c)
            for c in h3.cell_to_children(h3.int_to_str(p), h3.get_resolution(h3.int_to_str(p)) + 2)
        )
    cells = np.array(children, dtype=np.uint64).view(np.int64)
    for res in range(0, 4):
        expected = [
            h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), res))
            if h3.get_resolution(h3.int_to_str(int(c))) >= res
            else int(c)
            for c in cells.view(np.uint64)
        ]
        mask = np.array(
            [h3.get_resolution(h3.int_to_str(int(c))) >= res for c in cells.view(np.uint64)]
        )
        got = parent_cells(cells[mask], res).view(np.uint64).tolist()
        assert got == [e for e, m in zip(expected, mask, strict=True) if m]


def test_hex_ids() -> None:
    cell = h3.latlng_to_cell(43.6045, 1.4442, 9)
    assert to_hex(np.array([h3.str_to_int(cell)], dtype=np.uint64).view(np.int64)) == [cell]


@pytest.mark.parametrize("res", [6, 9, 11])
def test_cell_geojson_is_the_h3_outline_in_lon_lat(res: int) -> None:
    import json

    import shapely

    from observatory.grid import cell_geojson

    cell = h3.latlng_to_cell(43.6045, 1.4440, res)  # Toulouse, Capitole
    geometry = json.loads(cell_geojson(h3.str_to_int(cell)))

    ring = geometry["coordinates"][0]
    assert geometry["type"] == "Polygon"
    assert ring[0] == ring[-1] and len(ring) == 7
    expected = [(round(lng, 6), round(lat, 6)) for lat, lng in h3.cell_to_boundary(cell)]
    assert [tuple(p) for p in ring[:-1]] == expected
    polygon = shapely.geometry.shape(geometry)
    assert polygon.is_valid
    assert polygon.contains(shapely.Point(1.4440, 43.6045))
