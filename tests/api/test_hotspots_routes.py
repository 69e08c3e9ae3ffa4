"""Hot spots, emerging hot spots and near repeats through the API, on imported generated facts.

References are independent of the code under test: esda for Gi*, h3-py for cells and rings,
the generator's own plan for what was planted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import esda
import geopandas as gpd
import h3
import numpy as np
import pytest
from fastapi.testclient import TestClient
from libpysal.weights import W
from sqlalchemy import Engine

from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from observatory.settings import Settings
from tests.conftest import auth
from tests.samples import SAMPLES

HEADER = "numero;date_faits;heure_faits;nature;code_insee;longitude;latitude"
HOT = (1.44395, 43.60447)  # Capitole
BURST = (1.47200, 43.62000)
WEST, SOUTH, EAST, NORTH = 1.38, 43.57, 1.50, 43.64


def _rows(
    rng: np.random.Generator,
    n: int,
    days: list[date],
    where: tuple[float, float] | None,
    start: int,
    category: str = "tapage",
    spread: float = 0.0,
) -> list[str]:
    out = []
    for i in range(n):
        if where is None:
            lon, lat = rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)
        else:
            lon = where[0] + rng.normal(0, spread)
            lat = where[1] + rng.normal(0, spread)
        day = days[int(rng.integers(len(days)))]
        out.append(
            f"G-{start + i:06d};{day:%d/%m/%Y};{int(rng.integers(24)):02d}:00;"
            f"{category};31555;{lon:.6f};{lat:.6f}"
        )
    return out


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def planted(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """A year of uniform noise over Toulouse, a persistent cluster at the Capitole, and a
    burst in the last month only at a second place; imported for real."""
    from tests.conftest import _truncate_all

    _truncate_all(engine)
    rng = np.random.default_rng(2024)
    year = _days(date(2023, 1, 1), date(2023, 12, 31))
    december = _days(date(2023, 12, 1), date(2023, 12, 31))
    rows = _rows(rng, 3000, year, None, 0)
    rows += _rows(rng, 400, year, HOT, 10_000, spread=0.0004)
    rows += _rows(rng, 60, december, BURST, 20_000, spread=0.0002)
    path = tmp_path_factory.mktemp("hot") / "planted.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    import_communes(engine, SAMPLES / "communes_toulouse.geojson")
    settings = Settings(environment="test")
    summary = import_incidents(engine, path, settings=settings, source="plan")
    assert summary.rows_imported == len(rows)
    yield rows
    _truncate_all(engine)


@pytest.fixture
def reader(planted: list[str], settings: Settings, engine: Engine) -> dict[str, str]:
    from observatory.db import make_sessionmaker
    from observatory.tokens import create_token

    with make_sessionmaker(engine).begin() as session:
        name = f"hot-{np.random.default_rng().integers(1 << 40)}"
        return auth(create_token(session, name, "analyst", settings.secret_key))


@pytest.fixture
def hot_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def cell_at(lon: float, lat: float, res: int) -> str:
    """A fact's cell at a resolution: the parent of its storage cell (res 12), as DESIGN.md
    defines coarser cells — not always the cell the point falls in at that resolution."""
    return h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 12), res)


def _cells_of(rows: list[str], res: int) -> Counter[str]:
    cells: Counter[str] = Counter()
    for row in rows:
        parts = row.split(";")
        cells[cell_at(float(parts[5]), float(parts[6]), res)] += 1
    return cells


def test_gi_star_equals_esda_over_every_cell_of_the_area(
    hot_client: TestClient, reader: dict[str, str], planted: list[str]
) -> None:
    answer = hot_client.get("/api/v1/layers/hotspots", params={"res": 9, "k": 1}, headers=reader)

    assert answer.status_code == 200
    body = answer.json()
    counts = _cells_of(planted, 9)
    area = sorted(set().union(*(h3.grid_disk(c, 1) for c in counts)))
    got = {f["properties"]["h3"]: f["properties"] for f in body["features"]}
    assert set(got) == set(area)  # every cell of the area, zeros included
    assert all(got[c]["count"] == counts.get(c, 0) for c in area)
    neighbours = {
        i: [area.index(n) for n in h3.grid_disk(c, 1) if n in got] for i, c in enumerate(area)
    }
    y = np.array([counts.get(c, 0) for c in area], dtype=float)
    reference = esda.G_Local(y, W(neighbours), star=True, transform="B", permutations=0)
    z = np.array([got[c]["gi_z"] for c in area])
    np.testing.assert_allclose(z, reference.Zs, rtol=1e-5)  # the API rounds to 6 digits
    hot = cell_at(*HOT, 9)
    assert got[hot]["class"] == "hot_99" and got[hot]["label"] == "chaud 99 %"
    meta = body["metadata"]
    assert (meta["resolution"], meta["k"], meta["fdr"]) == (9, 1, True)
    assert meta["cells"] == len(area)


def test_uniform_noise_gives_few_false_hot_spots(
    hot_client: TestClient, reader: dict[str, str], planted: list[str]
) -> None:
    # Far from both plants, the noise alone: FDR keeps false discoveries rare.
    bbox = "1.38,43.57,1.42,43.59"
    body = hot_client.get(
        "/api/v1/layers/hotspots",
        params={"res": 9, "k": 1, "bbox": bbox, "alpha": 0.05},
        headers=reader,
    ).json()
    classes = Counter(f["properties"]["class"] for f in body["features"])
    significant = sum(n for c, n in classes.items() if c != "not_significant")
    assert significant <= 0.05 * sum(classes.values())


def test_the_classes_counted_are_those_the_features_show(
    hot_client: TestClient, reader: dict[str, str]
) -> None:
    # Without FDR and over two rings, some cells are hot at 90 % only: alpha = 0.02 asks for
    # 95 %, so they are shown not significant, and the count in the metadata must say so too.
    params = {"res": 9, "k": 2, "fdr": "false"}
    lax = hot_client.get("/api/v1/layers/hotspots", params=params, headers=reader).json()
    strict = hot_client.get(
        "/api/v1/layers/hotspots", params={**params, "alpha": 0.02}, headers=reader
    ).json()

    lax_classes = Counter(f["properties"]["class"] for f in lax["features"])
    assert lax_classes["hot_90"] + lax_classes["cold_90"] > 0
    shown = Counter(f["properties"]["class"] for f in strict["features"])
    assert shown["hot_90"] == shown["cold_90"] == 0
    assert strict["metadata"]["classes"] == dict(shown)
    assert lax["metadata"]["classes"] == dict(lax_classes)


def test_parameters_chosen_from_the_data_are_stated(
    hot_client: TestClient, reader: dict[str, str]
) -> None:
    meta = hot_client.get("/api/v1/layers/hotspots", headers=reader).json()["metadata"]
    assert 7 <= meta["resolution"] <= 10 and 1 <= meta["k"] <= 4
    assert "résolution" in meta["chosen_because"] and "Moran" in meta["chosen_because"]


def test_a_commune_is_filled_with_cells(hot_client: TestClient, reader: dict[str, str]) -> None:
    outline = gpd.read_file(SAMPLES / "communes_toulouse.geojson").geometry.iloc[0]
    expected = set()
    for part in getattr(outline, "geoms", [outline]):
        shape = h3.LatLngPoly(
            [(y, x) for x, y in part.exterior.coords],
            *[[(y, x) for x, y in r.coords] for r in part.interiors],
        )
        expected |= set(h3.polygon_to_cells(shape, 8))

    body = hot_client.get(
        "/api/v1/layers/hotspots", params={"res": 8, "k": 1, "commune": "31555"}, headers=reader
    ).json()

    assert {f["properties"]["h3"] for f in body["features"]} == expected
    assert body["metadata"]["study_area"] == "commune 31555"


def test_emerging_hot_spots_find_the_new_burst(
    hot_client: TestClient, reader: dict[str, str]
) -> None:
    answer = hot_client.get(
        "/api/v1/layers/emerging-hotspots",
        params={"res": 9, "k": 1, "from": "2023-01-01", "to": "2023-12-31"},
        headers=reader,
    )

    assert answer.status_code == 200
    got = {f["properties"]["h3"]: f["properties"] for f in answer.json()["features"]}
    burst = got[cell_at(*BURST, 9)]
    steady = got[cell_at(*HOT, 9)]
    assert burst["pattern"] == "new_hot"
    assert steady["pattern"] in {"persistent_hot", "intensifying_hot", "diminishing_hot"}
    assert len(answer.json()["metadata"]["periods"]) == 12


def test_emerging_needs_enough_periods(hot_client: TestClient, reader: dict[str, str]) -> None:
    answer = hot_client.get(
        "/api/v1/layers/emerging-hotspots",
        params={"res": 8, "from": "2023-10-01", "to": "2023-12-31"},
        headers=reader,
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        "Les points chauds émergents suivent chaque hexagone sur au moins 6 mois complets ; "
        "la période choisie en compte 3 : étendez-la à 6 mois complets ou plus (par exemple "
        "les 12 derniers mois)."
    )


def test_near_repeat_counts_pairs_like_a_brute_force(
    hot_client: TestClient, reader: dict[str, str], planted: list[str]
) -> None:
    answer = hot_client.get(
        "/api/v1/stats/near-repeat",
        params={
            "from": "2023-12-01",
            "to": "2023-12-31",
            "distances": "0,100,200",
            "days": "0,7,14",
            "permutations": 99,
        },
        headers=reader,
    )

    assert answer.status_code == 200
    body = answer.json()
    events = [r.split(";") for r in planted if r.split(";")[1].endswith("12/2023")]
    assert body["events"] == len(events)
    from pyproj import Transformer

    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    xy = [to_l93.transform(float(e[5]), float(e[6])) for e in events]
    day = [int(e[1][:2]) for e in events]
    near = 0
    for i in range(len(events)):
        for j in range(i + 1, len(events)):
            d = ((xy[i][0] - xy[j][0]) ** 2 + (xy[i][1] - xy[j][1]) ** 2) ** 0.5
            near += d < 100 and abs(day[i] - day[j]) < 7
    first = body["cells"][0]
    assert (first["distance"], first["days"]) == ([0, 100], [0, 7])
    assert first["observed"] == near


@pytest.mark.parametrize(
    "params",
    [{"distances": "0,a"}, {"distances": "100,50"}, {"days": "7"}, {"permutations": 5}],
)
def test_near_repeat_refuses_bad_bands(
    hot_client: TestClient, reader: dict[str, str], params: dict[str, object]
) -> None:
    answer = hot_client.get("/api/v1/stats/near-repeat", params=params, headers=reader)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_partners_get_hot_spots_without_small_counts(
    hot_client: TestClient, planted: list[str], settings: Settings, engine: Engine
) -> None:
    from observatory.db import make_sessionmaker
    from observatory.tokens import create_token

    with make_sessionmaker(engine).begin() as session:
        partner = auth(create_token(session, "hot-partner", "partner", settings.secret_key))
    # Resolution 9 is below the release's cells: refused; at 8, classes from the release.
    finer = hot_client.get("/api/v1/layers/hotspots", params={"res": 9, "k": 1}, headers=partner)
    assert finer.status_code == 422
    body = hot_client.get(
        "/api/v1/layers/hotspots", params={"res": 8, "k": 1}, headers=partner
    ).json()
    assert body["metadata"]["privacy"]["epsilon_per_fact"] == settings.privacy_epsilon
    for feature in body["features"]:
        props = feature["properties"]
        assert props["suppressed"] == (props["count"] is None)
        assert props["count"] in (None, 0) or props["count"] >= 5  # 0: an empty cell of the area
        assert props["gi_z"] is None and props["gi_p"] is None
    # The planted cluster of December stands out in the release too.
    assert any(f["properties"]["class"].startswith("hot") for f in body["features"])
