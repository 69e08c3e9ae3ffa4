"""The study area and the choice of resolution and k against shapely, h3-py and esda."""

import h3.api.basic_int as h3i
import numpy as np
import pytest
import shapely
from esda.moran import Moran
from libpysal.weights import W
from numpy.testing import assert_allclose, assert_array_equal

from observatory.analytics.studyarea import (
    choose_resolution_and_k,
    grown_cells,
    incremental_moran_z,
    study_area_cells,
)
from tests.observatory.analytics.test_hotspots import (
    LAT,
    LON,
    disk,
    holed_area,
    neighbours,
    planted,
)

# --- study area --------------------------------------------------------------------------


def toulouse_polygon() -> shapely.Polygon:
    outer = shapely.Point(LON, LAT).buffer(0.05, quad_segs=6)
    hole = shapely.Point(LON + 0.01, LAT).buffer(0.012)
    return shapely.Polygon(outer.exterior.coords, [hole.exterior.coords])


@pytest.mark.parametrize("resolution", [8, 9, 10])
def test_study_area_cells_are_those_whose_centre_is_inside(resolution: int) -> None:
    polygon = toulouse_polygon()
    other = shapely.box(LON + 0.1, LAT + 0.1, LON + 0.13, LAT + 0.12)
    cells = study_area_cells([polygon, shapely.MultiPolygon([other])], resolution)
    both = shapely.union(polygon, other)

    def centres_inside(c: np.ndarray) -> np.ndarray:
        lat, lon = np.array([h3i.cell_to_latlng(int(x)) for x in c]).T
        return shapely.contains_xy(both, lon, lat)

    assert cells.size > 0 and np.all(centres_inside(cells))
    rim = np.setdiff1d(grown_cells(cells, 2), cells)
    assert not np.any(centres_inside(rim))
    expected = set(h3i.geo_to_cells(polygon, resolution)) | set(h3i.geo_to_cells(other, resolution))
    assert cells.tolist() == sorted(expected)


def test_study_area_of_one_polygon_and_of_nothing() -> None:
    polygon = toulouse_polygon()
    assert_array_equal(study_area_cells(polygon, 9), study_area_cells([polygon], 9))
    assert study_area_cells([], 9).size == 0
    with pytest.raises(ValueError, match="polygones"):
        study_area_cells([shapely.Point(LON, LAT)], 9)


def test_grown_cells_equal_h3_py_disks() -> None:
    cells = holed_area(10, 6, seed=1)
    expected = sorted({c for cell in cells for c in h3i.grid_disk(int(cell), 2)})
    assert grown_cells(cells, 2).tolist() == expected
    assert grown_cells(cells, 0).tolist() == sorted(cells.tolist())


# --- resolution and k ----------------------------------------------------------------------


def test_incremental_moran_z_equals_esda() -> None:
    cells = holed_area(9, 15, seed=4)
    y = planted(cells, seed=4)
    expected = []
    for k in (1, 2, 3, 4):
        nb = {i: [j for j in js if j != i] for i, js in neighbours(cells, k).items()}
        ref = Moran(y, W(nb, silence_warnings=True), transformation="B", permutations=0)
        expected.append(ref.z_rand)
    assert_allclose(incremental_moran_z(cells, y), expected, rtol=1e-9)
    assert_allclose(incremental_moran_z(cells, y, ks=(3, 1)), [expected[0], expected[2]], rtol=1e-9)
    assert_array_equal(incremental_moran_z(cells, np.ones(cells.size)), 0.0)


def incidents(n: int, seed: int, spread: float = 0.03) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat = LAT + rng.normal(0, spread, n)
    lon = LON + rng.normal(0, spread * 1.4, n)
    return np.array([h3i.latlng_to_cell(a, o, 11) for a, o in zip(lat, lon, strict=True)])


def test_choose_resolution_and_k() -> None:
    dense, sparse_ = incidents(30_000, seed=1), incidents(400, seed=2)
    res_dense, k_dense, why_dense = choose_resolution_and_k(dense)
    res_sparse, k_sparse, _ = choose_resolution_and_k(sparse_)
    assert 7 <= res_sparse < res_dense <= 10
    assert 1 <= k_dense <= 4 and 1 <= k_sparse <= 4
    assert why_dense.startswith(f"résolution {res_dense}")
    assert f"k = {k_dense}" in why_dense
    assert choose_resolution_and_k(dense) == (res_dense, k_dense, why_dense)
    assert choose_resolution_and_k(dense[::-1]) == (res_dense, k_dense, why_dense)


@pytest.mark.parametrize(("n", "spread"), [(5_000, 0.03), (600, 0.05), (60, 0.2)])
def test_choose_resolution_follows_the_rule(n: int, spread: float) -> None:
    cells = incidents(n, seed=n, spread=spread)
    tallies = {
        r: np.unique([h3i.cell_to_parent(int(c), r) for c in cells], return_counts=True)[1]
        for r in (10, 9, 8, 7)
    }
    qualified = [r for r, t in tallies.items() if t.size >= 30 and np.median(t) >= 3]
    wide = [r for r, t in tallies.items() if t.size >= 30]
    expected = qualified[0] if qualified else (wide[-1] if wide else 7)
    res, _, why = choose_resolution_and_k(cells)
    assert res == expected
    assert ("résultat fragile" in why) == (not qualified)


def test_choose_k_takes_the_first_significant_peak() -> None:
    # Incidents piled on fifteen discs two rings wide (res 9) over a light background: Moran's
    # z rises with k, then falls. The reference z comes from esda on h3-py rings.
    rng = np.random.default_rng(8)
    base = disk(9, 20)
    blobs = rng.choice(base, 15, replace=False)
    hot = [
        c for b in blobs for c9 in h3i.grid_disk(int(b), 2) for c in h3i.cell_to_children(c9, 11)
    ]
    everywhere = [c for b in base for c in h3i.cell_to_children(int(b), 11)]
    cells = np.concatenate([rng.choice(hot, 8000), rng.choice(everywhere, 1500)])
    area = np.array([h3i.cell_to_center_child(int(b), 11) for b in base])

    res, k, why = choose_resolution_and_k(cells, area_cells=area, resolutions=(9,))

    assert res == 9
    parents, counts = np.unique([h3i.cell_to_parent(int(c), 9) for c in cells], return_counts=True)
    y = np.zeros(base.size)
    y[np.searchsorted(base, parents)] = counts
    zs = []
    for ring in (1, 2, 3, 4):
        nb = {i: [j for j in js if j != i] for i, js in neighbours(base, ring).items()}
        zs.append(Moran(y, W(nb, silence_warnings=True), transformation="B", permutations=0).z_rand)
    peaks = [
        ring
        for ring in (1, 2, 3)
        if zs[ring - 1] >= 1.96
        and zs[ring - 1] >= zs[ring]
        and (ring == 1 or zs[ring - 1] > zs[ring - 2])
    ]
    assert peaks and peaks[0] > 1, zs  # a real peak, not the fallback nor the first ring
    assert k == peaks[0], why
    assert "premier pic significatif" in why
