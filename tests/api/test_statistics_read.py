"""Statistics read right (issue 20): the trend holds the months of the chosen period, and the
QPV table borrows the 2015 populations of a 2024 QPV that has none, saying so.

Expected figures come from the facts written here and from the INSEE sample file itself.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.incidents import import_incidents
from observatory.figures.qpvpopulation import name_key
from observatory.settings import Settings
from tests.api.test_layers_and_stats import CAPITOLE, HEADER, Facts, fact, qpv_point
from tests.conftest import auth
from tests.samples import SAMPLES

# The 2024 QPV of the sample whose name is a 2015 QPV's of Toulouse, as read in both files
# (data/samples/README.md): they borrow its population; the others have none to borrow.
SAME_NAME_2015 = {
    "QN03106I": "QP031006",  # Pradettes
    "QN03107M": "QP031007",  # Grand Mirail
    "QN03108M": "QP031008",  # Arènes
    "QN03109M": "QP031010",  # Empalot
    "QN03111I": "QP031012",  # Cépière Beauregard
    "QN03113M": "QP031014",  # Soupetard
    "QN03115I": "QP031019",  # La Gloire
}


@pytest.fixture
def load(boundaries: Engine, settings: Settings, tmp_path: Path) -> Callable[[Facts], int]:
    """Import facts from a CSV file of their own, the boundaries loaded: none may be rejected."""
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


def insee_populations() -> dict[str, int]:
    with open(SAMPLES / "qpv2015_toulouse_insee.csv", encoding="utf-8-sig") as source:
        return {row["code_qp"]: int(row["pop_mun"]) for row in csv.DictReader(source)}


def test_the_trend_holds_the_months_of_the_period_and_no_other(
    client: TestClient, load: Callable[[Facts], int], reader: dict[str, str]
) -> None:
    days = {
        "05/03/2024": 4,  # before the period
        "15/03/2024": 3,
        "10/04/2024": 5,
        "20/05/2024": 2,
        "25/05/2024": 6,  # after it
        "10/04/2023": 2,  # a year before April, and the data's first day
        "10/06/2023": 7,
    }
    rows: Facts = []
    for day, n in days.items():
        rows += [fact(len(rows) + i, day, "12:00", "tapage", CAPITOLE) for i in range(n)]
    load(rows)

    body = client.get(
        "/api/v1/stats/trends",
        params={"from": "2024-03-10", "to": "2024-05-20", "step": "month", "by": "total"},
        headers=reader,
    ).json()

    assert [p["start"] for p in body["periods"]] == ["2024-03-01", "2024-04-01", "2024-05-01"]
    assert [p["complete"] for p in body["periods"]] == [False, True, False]
    assert body["series"][0]["counts"] == [3, 5, 2]
    assert body["series"][0]["mann_kendall"]["n"] == 1  # the complete month only
    # Each month against the same a year before, read beyond the period's first day: March
    # 2023 is before the data (unknown), April 2023 had 2 facts, May 2023 none.
    series = body["series"][0]
    assert series["yoy_percent"][0] is None and series["yoy_z"][0] is None
    assert series["yoy_percent"][1] == pytest.approx(100 * (5 - 2) / 2)
    assert series["yoy_z"][1] == pytest.approx(2 * (math.sqrt(5) - math.sqrt(2)), abs=1e-3)
    assert series["yoy_percent"][2] is None  # nothing a year before: no percentage
    assert series["yoy_z"][2] == pytest.approx(2 * math.sqrt(2), abs=1e-3)


def test_a_2024_qpv_without_population_borrows_the_2015_one_of_the_same_name(
    client: TestClient, load: Callable[[Facts], int], reader: dict[str, str]
) -> None:
    qpvs = gpd.read_file(SAMPLES / "qpv2024_toulouse.geojson")
    where = qpv_point("QN03106I", 2024)
    load([fact(i, "03/06/2024", "10:00", "tapage", where) for i in range(9)])
    populations = insee_populations()

    body = client.get(
        "/api/v1/stats/territories",
        params={"commune": "31555", "generation": 2024},
        headers=reader,
    ).json()

    toulouse = body["communes"][0]
    rows = {q["code"]: q for q in toulouse["qpvs"]}
    assert set(rows) == set(qpvs.code_qp)
    for code, row in rows.items():
        if code in SAME_NAME_2015:
            assert row["population"] == populations[SAME_NAME_2015[code]], code
            assert row["population_from"] == 2015, code
        else:
            assert (row["population"], row["population_from"]) == (None, None), code
            assert row["rate_per_1000"] is None
    pradettes = rows["QN03106I"]
    assert pradettes["count"] == 9
    assert pradettes["rate_per_1000"] == pytest.approx(1000 * 9 / populations["QP031006"], abs=0.01)
    # Five 2024 QPV still have no population: the rest of the commune has none either.
    assert toulouse["outside_qpv"]["population"] is None
    assert toulouse["whole"]["population_from"] is None


def test_the_2015_generation_keeps_its_own_populations(
    client: TestClient, load: Callable[[Facts], int], reader: dict[str, str]
) -> None:
    load([fact(0, "03/06/2024", "10:00", "tapage", CAPITOLE)])
    populations = insee_populations()

    body = client.get(
        "/api/v1/stats/territories",
        params={"commune": "31555", "generation": 2015},
        headers=reader,
    ).json()

    rows = body["communes"][0]["qpvs"]
    assert {q["code"]: q["population"] for q in rows} == populations
    assert {q["population_from"] for q in rows} == {None}
    assert body["communes"][0]["outside_qpv"]["population"] is not None


def test_names_compare_without_accents_case_or_punctuation() -> None:
    assert name_key("Cépière-Beauregard") == name_key("cepiere  BEAUREGARD")
    assert name_key("Arènes") == "arenes"
    assert name_key("Les Izards - La Vache") != name_key("Izards - 3 Cocus - La Vache")
