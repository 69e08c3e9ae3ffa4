"""Vector tiles of the hexagon layer against the GeoJSON layer, on facts imported for real.

What a tile should hold is worked out here: the GeoJSON layer's cells whose outline (h3-py)
meets the tile grown by 64/4096 of its width, the tile's bounds taken from Web Mercator metres
through pyproj — not from observatory/tiles.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import h3
import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import Engine

from api.deps import Caller, get_caller
from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from observatory.settings import Settings
from tests.conftest import auth
from tests.samples import SAMPLES

HEADER = "numero;date_faits;heure_faits;nature;code_insee;longitude;latitude"
MVT = "application/vnd.mapbox-vector-tile"
PROBLEM = "application/problem+json"

CAPITOLE = (1.4442, 43.6045)
# Busy places of Toulouse, and how far their facts spread (degrees).
CENTRES = [(1.4442, 43.6045, 0.004), (1.3993, 43.5748, 0.006), (1.4710, 43.6305, 0.010)]
HALF_WORLD = 20037508.342789244
TO_WGS84 = Transformer.from_crs(3857, 4326, always_xy=True)


def tile_box(z: int, x: int, y: int, buffer: float = 64 / 4096) -> tuple[float, ...]:
    """(west, south, east, north) of the tile grown by buffer widths, from Mercator metres."""
    size = 2 * HALF_WORLD / 2**z
    xmin = -HALF_WORLD + (x - buffer) * size
    xmax = -HALF_WORLD + (x + 1 + buffer) * size
    ymax = HALF_WORLD - (y - buffer) * size
    ymin = HALF_WORLD - (y + 1 + buffer) * size
    west, south = TO_WGS84.transform(xmin, ymin)
    east, north = TO_WGS84.transform(xmax, ymax)
    return west, south, east, north


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile holding a point, through pyproj's Mercator."""
    mx, my = Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    size = 2 * HALF_WORLD / 2**z
    return int((mx + HALF_WORLD) // size), int((HALF_WORLD - my) // size)


def outline(cell: str) -> shapely.Polygon:
    return shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])


def expected(layer: dict[str, Any], z: int, x: int, y: int) -> dict[str, tuple[Any, bool]]:
    """The GeoJSON layer's cells meeting the grown tile: {h3: (count, suppressed)}."""
    box = shapely.box(*tile_box(z, x, y))
    return {
        f["properties"]["h3"]: (f["properties"]["count"], f["properties"]["suppressed"])
        for f in layer["features"]
        if outline(f["properties"]["h3"]).intersects(box)
    }


def decode(body: bytes) -> list[dict[str, Any]]:
    tile = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    assert list(tile) == ["hexagons"]
    assert tile["hexagons"]["extent"] == 4096
    return list(tile["hexagons"]["features"])


def in_tile(body: bytes) -> dict[str, tuple[Any, bool]]:
    """{h3: (count, suppressed)} of a tile; a suppressed cell has no count at all."""
    got = {}
    for feature in decode(body):
        p = feature["properties"]
        assert set(p) <= {"h3", "count", "suppressed"}
        got[p["h3"]] = (p.get("count"), p["suppressed"])
    return got


def write_facts(path: Path, seed: int = 9) -> Path:
    """Facts around three centres: some cells with many, many cells with a few."""
    rng = np.random.default_rng(seed)
    lines = [HEADER]
    n = 0
    for lon, lat, spread in CENTRES:
        for _ in range(250):
            n += 1
            category = "tapage" if n % 3 else "vol_simple"
            day = f"{1 + n % 28:02d}/0{1 + n % 6}/2024"
            lines.append(
                f"T-{n:05d};{day};{n % 24:02d}:10;{category};31555;"
                f"{lon + rng.normal(0, spread):.6f};{lat + rng.normal(0, spread * 0.7):.6f}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def facts(db: Engine, settings: Settings, tmp_path: Path) -> Engine:
    import_communes(db, SAMPLES / "communes_toulouse.geojson")
    summary = import_incidents(db, write_facts(tmp_path / "f.csv"), settings=settings)
    assert summary.rows_rejected == 0, summary
    return db


@pytest.fixture
def analyst(make_token: Callable[[str], str]) -> dict[str, str]:
    return auth(make_token("analyst"))


@pytest.fixture
def police(make_token: Callable[[str], str]) -> dict[str, str]:
    return auth(make_token("police"))


def tiles_around(z: int) -> list[tuple[int, int]]:
    """The tile of the Capitole and its eight neighbours: cells on every kind of edge."""
    x, y = tile_at(*CAPITOLE, z)
    return [(x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


@pytest.mark.parametrize(("z", "res"), [(9, 6), (11, 8), (12, 9), (13, 10), (14, 11)])
def test_a_tile_holds_the_layer_cells_that_meet_it(
    client: TestClient, facts: Engine, police: dict[str, str], z: int, res: int
) -> None:
    layer = client.get("/api/v1/layers/hexagons", params={"res": res}, headers=police).json()
    seen: set[str] = set()
    for x, y in tiles_around(z):
        answer = client.get(f"/api/v1/tiles/hexagons/{z}/{x}/{y}.pbf", headers=police)
        want = expected(layer, z, x, y)
        if not want:
            assert answer.status_code == 204 and answer.content == b""
            continue
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == MVT
        assert answer.headers["x-h3-resolution"] == str(res)
        assert in_tile(answer.content) == want
        seen |= set(want)
    # The nine tiles between them hold most of the facts: the comparison is not empty.
    assert len(seen) > 3
    assert all(h3.get_resolution(cell) == res for cell in seen)


def test_filters_and_a_coarser_resolution_are_those_of_the_layer(
    client: TestClient, facts: Engine, analyst: dict[str, str]
) -> None:
    z = 13
    params = {
        "res": 8,
        "categories": "tapage",
        "from": "2024-02-01",
        "to": "2024-05-31",
        "hours": "8-20",
        "bbox": "1.43,43.59,1.46,43.62",  # cuts through the tiles
    }
    layer = client.get("/api/v1/layers/hexagons", params=params, headers=analyst).json()
    total = 0
    for x, y in tiles_around(z):
        answer = client.get(
            f"/api/v1/tiles/hexagons/{z}/{x}/{y}.pbf", params=params, headers=analyst
        )
        want = expected(layer, z, x, y)
        assert answer.headers["x-h3-resolution"] == "8"
        assert (in_tile(answer.content) if answer.status_code == 200 else {}) == want
        total += len(want)
    assert total > 0


def test_outlines_are_placed_where_the_cells_are(
    client: TestClient, facts: Engine, analyst: dict[str, str]
) -> None:
    z = 14
    x, y = tile_at(*CAPITOLE, z)
    body = client.get(f"/api/v1/tiles/hexagons/{z}/{x}/{y}.pbf", headers=analyst).content
    west, south, east, north = tile_box(z, x, y, buffer=0)
    size = 2 * HALF_WORLD / 2**z
    checked = 0
    for feature in decode(body):
        cell = feature["properties"]["h3"]
        if not shapely.box(west, south, east, north).contains(outline(cell)):
            continue  # clipped at the edge: its centroid moved
        ring = np.asarray(feature["geometry"]["coordinates"][0], dtype=float)
        mx = -HALF_WORLD + x * size + ring[:, 0] / 4096 * size
        my = HALF_WORLD - y * size - ring[:, 1] / 4096 * size
        lon, lat = TO_WGS84.transform(mx, my)
        centre = shapely.Polygon(np.column_stack([lon, lat])).centroid
        lat0, lon0 = h3.cell_to_latlng(cell)
        pixel = (east - west) / 4096
        assert abs(centre.x - lon0) < 3 * pixel and abs(centre.y - lat0) < 3 * pixel
        checked += 1
    assert checked > 5


def test_partners_get_small_counts_suppressed_in_tiles(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    partner = auth(make_token("partner"))
    z, res = 11, 8  # the release's cells; a closer zoom keeps them (capped at 8)
    layer = client.get("/api/v1/layers/hexagons", params={"res": res}, headers=partner).json()
    closer = client.get(
        f"/api/v1/tiles/hexagons/13/{tile_at(*CAPITOLE, 13)[0]}/{tile_at(*CAPITOLE, 13)[1]}.pbf",
        headers=partner,
    )
    assert closer.headers["x-h3-resolution"] == "8"
    flags: set[bool] = set()
    for x, y in tiles_around(z):
        answer = client.get(f"/api/v1/tiles/hexagons/{z}/{x}/{y}.pbf", headers=partner)
        want = expected(layer, z, x, y)
        got = in_tile(answer.content) if answer.status_code == 200 else {}
        assert got == want
        for count, suppressed in got.values():
            flags.add(suppressed)
            assert (count is None) == suppressed
            assert count is None or count >= 5
    assert flags == {True, False}  # both kinds are in the data


def test_the_tile_answer_is_privately_cached_and_empty_tiles_are_204(
    client: TestClient, facts: Engine, analyst: dict[str, str]
) -> None:
    x, y = tile_at(*CAPITOLE, 12)
    full = client.get(f"/api/v1/tiles/hexagons/12/{x}/{y}.pbf", headers=analyst)
    x, y = tile_at(2.3522, 48.8566, 12)  # Paris: no fact there
    empty = client.get(f"/api/v1/tiles/hexagons/12/{x}/{y}.pbf", headers=analyst)
    nothing = client.get(
        "/api/v1/tiles/hexagons/12/2064/1495.pbf", params={"categories": "rixe"}, headers=analyst
    )
    assert full.status_code == 200
    for answer in (full, empty, nothing):
        assert answer.headers["cache-control"] == "private, max-age=60"
        assert answer.headers["vary"] == "Authorization"
    assert empty.status_code == nothing.status_code == 204
    assert empty.content == nothing.content == b""


def test_tiles_need_a_token_and_an_aggregate_role(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    path = "/api/v1/tiles/hexagons/12/2064/1495.pbf"
    missing = client.get(path)
    wrong = client.get(path, headers=auth("obs_pas-un-jeton"))
    for answer in (missing, wrong):
        assert answer.status_code == 401
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["cache-control"] == "no-store"
    for role in ("admin", "police", "analyst", "partner"):
        assert client.get(path, headers=auth(make_token(role))).status_code == 200
    # Every role reads aggregates today: a role outside them is refused.
    client.app.dependency_overrides[get_caller] = lambda: Caller(0, "visiteur", "visitor")
    try:
        refused = client.get(path, headers=auth("n'importe"))
    finally:
        client.app.dependency_overrides.clear()
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert "visitor" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("path", "word"),
    [
        ("23/0/0.pbf", "zoom"),
        ("-1/0/0.pbf", "zoom"),
        ("12/4096/1495.pbf", "« x »"),
        ("12/2064/-3.pbf", "« y »"),
        ("3/0/8.pbf", "de 0 à 7"),
        ("12/2064/abc.pbf", "nombre entier"),
        ("12/2064/1495.pbf?res=12", "res"),
        ("12/2064/1495.pbf?from=2024-13-01", "from"),
    ],
)
def test_bad_tiles_are_422_in_french(
    client: TestClient, analyst: dict[str, str], path: str, word: str
) -> None:
    answer = client.get(f"/api/v1/tiles/hexagons/{path}", headers=analyst)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert word in answer.json()["detail"]


def test_tilejson_summarises_the_layer_for_the_map(
    client: TestClient,
    facts: Engine,
    analyst: dict[str, str],
    make_token: Callable[[str], str],
    tmp_path: Path,
) -> None:
    params = {"res": 10, "categories": "tapage"}
    layer = client.get("/api/v1/layers/hexagons", params=params, headers=analyst).json()
    info = client.get("/api/v1/tiles/hexagons.json", params=params, headers=analyst).json()
    counts = [f["properties"]["count"] for f in layer["features"]]
    # An analyst's resolution 10 counts the whole weeks the data cover (policy.py): the facts
    # run from Monday 1 January to Friday 28 June 2024, so to Sunday 23 June.
    rows = [r.split(";") for r in (tmp_path / "f.csv").read_text().splitlines()[1:]]
    days = [date(*map(int, reversed(r[1].split("/")))) for r in rows]
    assert (min(days), max(days)) == (date(2024, 1, 1), date(2024, 6, 28))
    in_weeks = sum(
        1 for r, d in zip(rows, days, strict=True) if r[3] == "tapage" and d <= date(2024, 6, 23)
    )
    assert info["cells"] == len(counts) and info["total"] == sum(counts) == in_weeks
    assert layer["metadata"]["filter"]["to"] == "2024-06-23"
    assert info["histogram"] == [[v, counts.count(v)] for v in sorted(set(counts))]
    assert info["resolution"] == 10 and info["suppressed"] == 0
    # An analyst's tiles stop at resolution 9 (finer: /layers/hexagons, asked for and audited).
    assert info["resolution_by_zoom"]["9"] == 6 and info["resolution_by_zoom"]["16"] == 9
    assert info["vector_layers"][0]["id"] == "hexagons"
    template = info["tiles"][0]
    assert "/api/v1/tiles/hexagons/{z}/{x}/{y}.pbf?" in template and "res=10" in template

    partner = auth(make_token("partner"))
    wanted = {"res": 8, "categories": "tranquillite"}  # partners: whole families, res ≤ 8
    released = client.get("/api/v1/layers/hexagons", params=wanted, headers=partner).json()
    hidden = client.get("/api/v1/tiles/hexagons.json", params=wanted, headers=partner).json()
    values = [f["properties"]["count"] for f in released["features"]]
    shown = [c for c in values if c is not None]
    assert hidden["suppressed"] == len(values) - len(shown)
    assert hidden["total"] == released["metadata"]["total"]
    assert hidden["histogram"] == [[v, shown.count(v)] for v in sorted(set(shown))]
    assert hidden["suppression_threshold"] == 5
