"""The layers and statistics endpoints, on facts written by hand and imported for real.

Expected figures are worked out here from the facts themselves (h3-py for cells, shapely for
QPV membership, the calendar for local hours), never read back from the engine.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import h3
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.incidents import import_incidents
from observatory.settings import Settings
from tests.conftest import auth
from tests.samples import SAMPLES

HEADER = "numero;date_faits;heure_faits;date_fin;heure_fin;nature;code_insee;longitude;latitude"

# Two busy places, and one quiet one, in Toulouse.
CAPITOLE = (1.44395, 43.60447)
MIRAIL = (1.39932, 43.57480)
QUIET = (1.47100, 43.63050)


def qpv_point(code: str, generation: int) -> tuple[float, float]:
    """A point surely inside the QPV (shapely's representative point of its outline)."""
    frame = gpd.read_file(SAMPLES / f"qpv{generation}_toulouse.geojson")
    column = "code_qp" if "code_qp" in frame else frame.columns[0]
    shape = frame.loc[frame[column] == code].geometry.iloc[0]
    point = shape.representative_point()
    return (round(point.x, 6), round(point.y, 6))


def fact(
    n: int,
    day: str,
    hour: str,
    category: str,
    where: tuple[float, float],
    end: str = "",
    end_hour: str = "",
    prefix: str = "T",
) -> tuple[str, ...]:
    return (
        f"{prefix}-{n:05d}",
        day,
        hour,
        end,
        end_hour,
        category,
        "31555",
        f"{where[0]:.6f}",
        f"{where[1]:.6f}",
    )


Facts = list[tuple[str, ...]]


@pytest.fixture
def load(boundaries: Engine, settings: Settings, tmp_path: Path) -> Callable[[Facts], int]:
    """Import facts from a CSV file of their own (source « pm »), the boundaries loaded: none may
    be rejected; how many were imported."""
    paths = (tmp_path / f"faits-{n}.csv" for n in itertools.count())

    def load(rows: Facts) -> int:
        path = next(paths)
        path.write_text("\n".join([HEADER, *(";".join(r) for r in rows)]) + "\n", encoding="utf-8")
        summary = import_incidents(boundaries, path, settings=settings, source="pm")
        assert summary.rows_rejected == 0, summary
        return summary.rows_imported

    return load


@pytest.fixture
def reader(make_token: Callable[[str], str]) -> dict[str, str]:
    return auth(make_token("analyst"))


def test_hexagons_are_the_cells_of_the_points(
    client: TestClient,
    load: Callable[[Facts], int],
    reader: dict[str, str],
) -> None:
    rows = [fact(i, "03/06/2024", "10:00", "tapage", CAPITOLE) for i in range(7)]
    rows += [fact(100 + i, "04/06/2024", "11:00", "vol_simple", MIRAIL) for i in range(3)]
    rows += [fact(200, "05/06/2023", "11:00", "vol_simple", QUIET)]  # outside the period
    load(rows)

    answer = client.get(
        "/api/v1/layers/hexagons",
        params={"res": 9, "from": "2024-01-01", "to": "2024-12-31"},
        headers=reader,
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    got = {f["properties"]["h3"]: f["properties"]["count"] for f in body["features"]}
    expected = {
        h3.cell_to_parent(h3.latlng_to_cell(CAPITOLE[1], CAPITOLE[0], 12), 9): 7,
        h3.cell_to_parent(h3.latlng_to_cell(MIRAIL[1], MIRAIL[0], 12), 9): 3,
    }
    assert got == expected
    assert body["metadata"]["total"] == 10
    for feature in body["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]
        polygon = shapely.geometry.shape(feature["geometry"])
        assert polygon.is_valid and 1.3 < polygon.centroid.x < 1.6  # lon first (RFC 7946)


def test_partners_see_small_counts_suppressed(
    client: TestClient, load: Callable[[Facts], int], make_token: Callable[[str], str]
) -> None:
    rows = [fact(i, "03/06/2024", "10:00", "tapage", CAPITOLE) for i in range(6)]
    rows += [fact(100 + i, "04/06/2024", "11:00", "vol_simple", MIRAIL) for i in range(2)]
    load(rows)
    partner = auth(make_token("partner"))

    # A partner reads the published release (noisy, whole months, res ≤ 8), never the facts.
    fine = client.get("/api/v1/layers/hexagons?res=10", headers=partner)
    assert fine.status_code == 422
    cells = client.get("/api/v1/layers/hexagons?res=8", headers=partner).json()
    summary = client.get("/api/v1/stats/summary", headers=partner).json()
    for feature in cells["features"]:
        count, hidden = feature["properties"]["count"], feature["properties"]["suppressed"]
        assert hidden == (count is None)
        assert count is None or count >= 5
    for category in summary["categories"]:
        assert category["count"] is None or category["count"] >= 5
    assert cells["metadata"]["total"] == summary["total"]  # one total everywhere
    assert summary["data_range"] == {"first": "2024-06-01", "last": "2024-06-30"}
    analyst = client.get("/api/v1/stats/summary", headers=auth(make_token("analyst"))).json()
    assert analyst["total"] == 8


def test_time_slots_in_local_time_across_the_clock_changes(
    client: TestClient,
    load: Callable[[Facts], int],
    reader: dict[str, str],
) -> None:
    rows = [
        fact(1, "03/06/2024", "08:15", "tapage", CAPITOLE),  # Monday, summer time
        fact(2, "09/01/2024", "23:30", "tapage", CAPITOLE),  # Tuesday, winter time
        fact(3, "31/03/2024", "03:30", "tapage", CAPITOLE),  # Sunday, just after the change
        # A burglary between Saturday 22:00 and Sunday 07:00 on the spring night: 8 real hours.
        fact(4, "30/03/2024", "22:00", "cambriolage_logement", MIRAIL, "31/03/2024", "07:00"),
    ]
    load(rows)

    body = client.get("/api/v1/stats/timeslots", headers=reader).json()

    matrix = body["matrix"]
    assert len(matrix) == 7 and all(len(row) == 24 for row in matrix)
    assert body["weekdays"][0] == "lundi"
    assert matrix[0][8] == 1
    assert matrix[1][23] == 1
    # Sunday 3 h: the 03:30 fact plus one eighth of the burglary; no 2 h that night.
    assert matrix[6][3] == pytest.approx(1 + 1 / 8, abs=1e-4)
    assert matrix[6][2] == 0
    assert matrix[5][22] == pytest.approx(1 / 8, abs=1e-4)
    assert matrix[6][7] == 0  # found at 07:00: no share on 7 h
    assert body["total"] == pytest.approx(4)
    slots = {s["name"]: s["value"] for s in body["slots"]}
    night = 1 + 1 + 1 / 8 * 8 - 1 / 8  # 23:30, 03:30, the burglary's 22 h … 5 h (7 of 8 hours)
    assert slots["nuit"] == pytest.approx(night, abs=1e-4)
    assert body["night_share"] == pytest.approx(night / 4, abs=1e-4)


def test_trends_and_compstat(
    client: TestClient,
    load: Callable[[Facts], int],
    reader: dict[str, str],
) -> None:
    # 16 facts in the last 7 days to 2024-06-30, 9 in the same days of 2023.
    rows = [fact(i, f"{24 + i % 7}/06/2024", "12:00", "tapage", CAPITOLE) for i in range(16)]
    rows += [fact(100 + i, f"{24 + i % 7}/06/2023", "12:00", "tapage", CAPITOLE) for i in range(9)]
    rows += [fact(200 + i, "15/02/2024", "12:00", "vol_simple", MIRAIL) for i in range(4)]
    load(rows)

    compstat = client.get(
        "/api/v1/stats/compstat", params={"at": "2024-06-30", "by": "family"}, headers=reader
    ).json()
    trends = client.get(
        "/api/v1/stats/trends",
        params={"from": "2023-06-01", "to": "2024-06-30", "by": "category"},
        headers=reader,
    ).json()

    week = compstat["rows"][0]["periods"][0]
    assert compstat["rows"][0]["key"] == "total"
    assert compstat["periods"][0]["previous_start"] == "2023-06-24"
    assert (week["current"], week["previous"]) == (16, 9)
    assert week["z"] == pytest.approx(2 * (math.sqrt(16) - math.sqrt(9)))
    assert week["change_percent"] == pytest.approx(100 * 7 / 9, abs=0.05)
    year = compstat["rows"][0]["periods"][2]
    assert (year["current"], year["previous"]) == (20, 9)
    months = [p["start"] for p in trends["periods"]]
    assert months[0] == "2023-06-01" and months[-1] == "2024-06-01" and len(months) == 13
    series = {s["key"]: s["counts"] for s in trends["series"]}
    assert series["tapage"][0] == 9 and series["tapage"][-1] == 16 and sum(series["tapage"]) == 25
    assert series["vol_simple"][months.index("2024-02-01")] == 4
    tapage = next(s for s in trends["series"] if s["key"] == "tapage")
    assert tapage["yoy_percent"][-1] == pytest.approx(100 * 7 / 9, abs=0.01)


def test_territories_compare_each_qpv_with_the_rest(
    client: TestClient,
    load: Callable[[Facts], int],
    reader: dict[str, str],
) -> None:
    qpvs = gpd.read_file(SAMPLES / "qpv2024_toulouse.geojson")
    code = qpvs.code_qp.iloc[0]
    inside = qpv_point(code, 2024)
    rows = [fact(i, "03/06/2024", "10:00", "tapage", inside) for i in range(12)]
    rows += [fact(100 + i, "03/06/2024", "10:00", "tapage", QUIET) for i in range(8)]
    load(rows)
    in_any = [qpvs.geometry.contains(shapely.Point(p)).any() for p in (inside, QUIET)]
    assert in_any == [True, False]  # the test's own premise

    body = client.get(
        "/api/v1/stats/territories", params={"commune": "31555"}, headers=reader
    ).json()

    toulouse = body["communes"][0]
    assert toulouse["whole"]["count"] == 20
    assert toulouse["outside_qpv"]["count"] == 8
    qpv = next(q for q in toulouse["qpvs"] if q["code"] == code)
    assert qpv["count"] == 12
    assert qpv["share"] == pytest.approx(12 / 20)
    population = toulouse["whole"]["population"]
    assert population and toulouse["whole"]["rate_per_1000"] == pytest.approx(
        1000 * 20 / population, abs=0.01
    )
    assert {q["code"] for q in toulouse["qpvs"]} == set(qpvs.code_qp)


def test_a_committed_import_shows_without_restart(
    client: TestClient,
    load: Callable[[Facts], int],
    reader: dict[str, str],
) -> None:
    load([fact(i, "03/06/2024", "10:00", "tapage", CAPITOLE) for i in range(5)])
    before = client.get("/api/v1/stats/summary", headers=reader).json()["total"]
    load([fact(i, "04/06/2024", "10:00", "tapage", MIRAIL, prefix="U") for i in range(3)])
    committed = time.monotonic()

    after = client.get("/api/v1/stats/summary", headers=reader).json()["total"]

    assert (before, after) == (5, 8)
    assert time.monotonic() - committed < 2.0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/layers/hexagons?res=5",
        "/api/v1/layers/hexagons?res=neuf",
        "/api/v1/stats/summary?from=2024-13-01",
        "/api/v1/stats/timeslots?weekdays=8",
        "/api/v1/stats/trends?step=day",
        "/api/v1/stats/compstat?at=hier",
        "/api/v1/stats/territories?commune=99999",
        "/api/v1/stats/summary?categories=licorne",
    ],
)
def test_bad_parameters_get_a_french_422(
    client: TestClient, boundaries: Engine, reader: dict[str, str], url: str
) -> None:
    answer = client.get(url, headers=reader)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    detail = answer.json()["detail"]
    assert detail and "Traceback" not in detail
    assert any(word in detail for word in ("Paramètre", "attend", "inconnue", "doit", "vaut"))


def test_statistics_need_a_token(client: TestClient) -> None:
    for url in ("/api/v1/layers/hexagons", "/api/v1/stats/summary", "/api/v1/stats/timeslots"):
        assert client.get(url).status_code == 401


def test_counts_by_category_match_the_file(
    client: TestClient,
    load: Callable[[Facts], int],
    reader: dict[str, str],
) -> None:
    categories = [
        "tapage",
        "vol_simple",
        "cambriolage_logement",
        "tapage",
        "degradation_bien_prive",
    ]
    rows = [
        fact(i, "03/06/2024", f"{i % 24:02d}:00", categories[i % 5], CAPITOLE) for i in range(40)
    ]
    load(rows)

    body = client.get("/api/v1/stats/summary", params={"hours": "22-6"}, headers=reader).json()

    expected = Counter(categories[i % 5] for i in range(40) if i % 24 >= 22 or i % 24 < 6)
    assert {c["code"]: c["count"] for c in body["categories"]} == dict(expected)
    assert body["total"] == sum(expected.values())
    assert body["data_range"] == {"first": "2024-06-03", "last": "2024-06-03"}


def test_boundary_layers(client: TestClient, boundaries: Engine, reader: dict[str, str]) -> None:
    expected = gpd.read_file(SAMPLES / "qpv2015_toulouse.geojson")

    qpv = client.get("/api/v1/layers/qpv", params={"generation": 2015}, headers=reader)
    communes = client.get("/api/v1/layers/communes", headers=reader).json()
    wrong = client.get("/api/v1/layers/qpv", params={"generation": 2020}, headers=reader)

    assert qpv.headers["content-type"].startswith("application/geo+json")
    features = qpv.json()["features"]
    assert {f["properties"]["code"] for f in features} == set(expected.code_qp)
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in features)
    shapes = gpd.GeoDataFrame.from_features(features)
    assert shapes.geometry.is_valid.all() and shapes.total_bounds[0] > 1.3  # lon first
    assert [f["properties"]["code"] for f in communes["features"]] == ["31555"]
    assert wrong.status_code == 422
