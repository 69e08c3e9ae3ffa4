"""POST /stats/zone: a drawn zone's figures, by role, and the attacks a free polygon invites.

Expected figures are counted here from the facts as written (shapely on their coordinates) or
by PostGIS, never read back from the engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import h3
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.api.test_layers_and_stats import (  # noqa: F401
    CAPITOLE,
    MIRAIL,
    QUIET,
    Facts,
    fact,
    load,
)
from tests.conftest import audit_rows, auth

ZONE = "/api/v1/stats/zone"
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[1.44, 43.6], [1.45, 43.61], [1.45, 43.6], [1.44, 43.61], [1.44, 43.6]]],
}
# A lone fact in a quiet street, far from the others: what an attacker wants to place.
LONE = (1.45731, 43.61912)


def square(lon: float, lat: float, half_m: float) -> dict[str, Any]:
    """A square of side 2 × half_m metres round (lon, lat), as GeoJSON."""
    dy = half_m / 111_320
    dx = half_m / (111_320 * math.cos(math.radians(lat)))
    return box(lon - dx, lat - dy, lon + dx, lat + dy)


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    return shapely.geometry.mapping(shapely.box(west, south, east, north))


@pytest.fixture
def facts(load: Callable[[Facts], int]) -> Facts:  # noqa: F811
    rows = [fact(i, "03/06/2024", "10:00", "tapage", CAPITOLE) for i in range(7)]
    rows += [fact(100 + i, "04/06/2024", "23:00", "vol_simple", CAPITOLE) for i in range(4)]
    rows += [fact(200 + i, "05/06/2024", "11:00", "vol_simple", MIRAIL) for i in range(5)]
    rows += [fact(300, "06/06/2024", "02:00", "cambriolage_logement", LONE)]
    rows += [fact(400, "05/06/2023", "11:00", "tapage", CAPITOLE)]  # outside the period
    load(rows)
    return rows


PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}


def post(client: TestClient, who: dict[str, str], zone: Any, **params: str) -> Any:
    return client.post(ZONE, json=zone, params={**PERIOD, **params}, headers=who)


def test_admin_counts_the_facts_inside_like_postgis(
    client: TestClient, facts: Facts, make_token: Callable[[str], str], boundaries: Engine
) -> None:
    zone = square(*CAPITOLE, 300)
    answer = post(client, auth(make_token("police")), zone)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    with boundaries.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM incident WHERE ST_Contains(ST_SetSRID("
                "ST_GeomFromGeoJSON(:zone), 4326), geom) AND occurred_at >= '2024-01-01'"
            ),
            {"zone": shapely.to_geojson(shapely.geometry.shape(zone))},
        ).scalar_one()
    assert body["total"] == expected == 11
    assert {c["code"]: c["count"] for c in body["categories"]} == {"tapage": 7, "vol_simple": 4}
    assert sum(m["count"] for m in body["months"]) == 11
    june = next(m for m in body["months"] if m["start"] == "2024-06-01")
    assert june["count"] == 11
    # 3 June 2024 was a Monday: seven facts at 10 h; 4 June a Tuesday at 23 h.
    assert body["timeslots"][0][10] == pytest.approx(7)
    assert body["timeslots"][1][23] == pytest.approx(4)
    assert body["zone"]["cells"] is None
    assert 340_000 < body["zone"]["area_m2"] < 380_000  # 600 m × 600 m
    # The filter still applies inside the zone.
    only = post(client, auth(make_token("admin")), zone, categories="vol_simple").json()
    assert only["total"] == 4


@pytest.mark.parametrize(
    ("zone", "words"),
    [
        ({"type": "Point", "coordinates": [1.44, 43.6]}, "polygone"),
        ({"type": "Polygon", "coordinates": [[[1.44, 43.6], [1.45, 43.61]]]}, "illisibles"),
        (BOWTIE, "invalide"),
        (box(600000, 6200000, 600100, 6200100), "WGS84"),
        (box(0.0, 43.0, 2.5, 44.5), "km²"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [
                            1.44 + 0.01 * math.cos(t / 2_500 * 2 * math.pi),
                            43.6 + 0.01 * math.sin(t / 2_500 * 2 * math.pi),
                        ]
                        for t in range(2_500)
                    ]
                    + [[1.45, 43.6]]
                ],
            },
            "sommets",
        ),
        ("pas un objet", "invalide"),
    ],
)
def test_bad_zones_are_422_in_french(
    client: TestClient, make_token: Callable[[str], str], zone: Any, words: str
) -> None:
    answer = post(client, auth(make_token("admin")), zone)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert words in answer.json()["detail"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_a_zone_with_nan_or_infinite_coordinates_is_a_422(
    client: TestClient, make_token: Callable[[str], str], value: str
) -> None:
    """Python's JSON reads NaN and Infinity, and the polygon's bounds skip a NaN (a 500)."""
    first = f"[[{value}, 43.6], [1.45, 43.61], [1.45, 43.6], [1.44, 43.6], [{value}, 43.6]]"
    middle = f"[[1.44, 43.6], [1.45, 43.61], [{value}, 43.6], [1.45, 43.6], [1.44, 43.6]]"
    for role, ring in (("admin", first), ("analyst", first), ("admin", middle)):
        answer = client.post(
            ZONE,
            content=f'{{"type": "Polygon", "coordinates": [{ring}]}}',
            params=PERIOD,
            headers={**auth(make_token(role)), "content-type": "application/json"},
        )
        assert answer.status_code == 422, answer.text
        assert "WGS84" in answer.json()["detail"] or "illisibles" in answer.json()["detail"]


def bisect_lone_fact(ask: Callable[[dict[str, Any]], int | None], steps: int = 24) -> float:
    """The attack: halve a box round the lone fact, keeping the half that still counts it; the
    area (m²) of the last box it narrowed the fact to."""
    west, south, east, north = LONE[0] - 0.01, LONE[1] - 0.01, LONE[0] + 0.01, LONE[1] + 0.01
    base = ask(box(west, south, east, north))
    if base is None:
        return math.inf
    for i in range(steps):
        if i % 2 == 0:
            middle = (west + east) / 2
            halves = [(west, south, middle, north), (middle, south, east, north)]
        else:
            middle = (south + north) / 2
            halves = [(west, south, east, middle), (west, middle, east, north)]
        first = ask(box(*halves[0]))
        if first is None:
            break
        west, south, east, north = halves[0] if first >= 1 else halves[1]
    metres = 111_320 * 111_320 * math.cos(math.radians(LONE[1]))
    return (east - west) * (north - south) * metres


def test_the_bisection_attack_places_a_fact_for_police_and_is_refused_to_partners(
    client: TestClient, facts: Facts, make_token: Callable[[str], str]
) -> None:
    police, partner = auth(make_token("police")), auth(make_token("partner"))
    answers: list[int] = []

    def ask_as(who: dict[str, str]) -> Callable[[dict[str, Any]], int | None]:
        def ask(zone: dict[str, Any]) -> int | None:
            answer = post(client, who, zone, categories="cambriolage_logement")
            answers.append(answer.status_code)
            return answer.json()["total"] if answer.status_code == 200 else None

        return ask

    # The attack works where points may be read: the fact is placed to a few metres …
    assert bisect_lone_fact(ask_as(police)) < 25
    # … and a partner gets no answer to start from, with a French reason.
    answers.clear()
    assert bisect_lone_fact(ask_as(partner)) == math.inf
    assert answers == [403]
    refused = post(client, partner, square(*LONE, 2000))
    assert refused.status_code == 403
    assert "partenaires" in refused.json()["detail"]


def test_an_analyst_counts_whole_cells_and_thin_zones_place_nothing(
    client: TestClient, facts: Facts, make_token: Callable[[str], str], boundaries: Engine
) -> None:
    analyst = auth(make_token("analyst"))
    cell = h3.latlng_to_cell(LONE[1], LONE[0], 10)
    outline = shapely.geometry.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(cell)])

    # A zone smaller than a resolution-10 cell round the fact: refused.
    small = post(client, analyst, square(*LONE, 40))
    assert small.status_code == 422
    assert "Zone trop petite" in small.json()["detail"]

    # Two large zones that differ by a thin sliver round the fact (but hold the same cell
    # centres): the same answer, so their difference gives nothing away.
    big = shapely.geometry.shape(square(*LONE, 600))
    sliver = shapely.geometry.Point(LONE).buffer(0.0004)  # about 35 m round the fact
    centre = shapely.geometry.Point(h3.cell_to_latlng(cell)[::-1])
    assert not sliver.contains(centre)
    holed = big.difference(sliver.difference(centre.buffer(0.00005)))
    with_fact = post(client, analyst, shapely.geometry.mapping(big)).json()
    without = post(client, analyst, shapely.geometry.mapping(holed)).json()
    assert with_fact["total"] == without["total"]
    assert with_fact["zone"]["resolution"] == 10
    # The answer is the analyst's own resolution-10 counts summed over the cells whose centre
    # is inside the zone (h3-py, independently).
    cells = h3.h3shape_to_cells(h3.geo_to_h3shape(shapely.geometry.mapping(big)), 10)
    layer = client.get(
        "/api/v1/layers/hexagons", params={**PERIOD, "res": 10}, headers=analyst
    ).json()
    counts = {f["properties"]["h3"]: f["properties"]["count"] for f in layer["features"]}
    assert with_fact["total"] == sum(counts.get(c, 0) for c in cells)
    assert outline.contains(shapely.geometry.Point(LONE))

    # The bisection attack, run by an analyst, stops at a refusal: never finer than a cell.
    area = bisect_lone_fact(
        lambda zone: (lambda a: a.json()["total"] if a.status_code == 200 else None)(
            post(client, analyst, zone, categories="cambriolage_logement")
        )
    )
    assert area >= 15_000
    # Each analyst zone is on record.
    assert any(row[2] == "chiffres d'une zone" for row in audit_rows(boundaries))


def test_an_analysts_zone_does_not_tell_the_day_or_hour_within_its_whole_weeks(
    client: TestClient,
    load: Callable[[Facts], int],  # noqa: F811
    make_token: Callable[[str], str],
) -> None:
    """At resolution 10 an analyst reads whole weeks (policy.py): a fact on the Monday and one on
    the Wednesday of the same week, each alone in its cell, must give the same answer. The
    attack: a week whose Monday is the last day of a month (30 September 2024), so the month
    series cuts a one-day « September » out of it; and the day × hour matrix of one week, which
    is each fact's day and hour."""
    load(
        [
            fact(1, "30/09/2024", "02:00", "cambriolage_logement", LONE),
            fact(2, "02/10/2024", "15:00", "cambriolage_logement", QUIET),
            # Far from both, on the Sunday: the data cover the week whole (at resolution 10 an
            # analyst reads only weeks the data cover whole; none left, resolution 9: policy.py).
            fact(3, "06/10/2024", "12:00", "vol_simple", MIRAIL),
        ]
    )
    analyst = auth(make_token("analyst"))
    week = {"from": "2024-09-30", "to": "2024-10-06"}

    def answer(where: tuple[float, float]) -> dict[str, Any]:
        got = client.post(ZONE, json=square(*where, 400), params=week, headers=analyst)
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        assert body["zone"]["resolution"] == 10
        assert body["total"] == 1
        return body

    monday, wednesday = answer(LONE), answer(QUIET)
    assert monday["months"] == wednesday["months"]
    assert sum(m["count"] for m in monday["months"]) == 1
    assert monday["timeslots"] == wednesday["timeslots"]
    # Police read the facts themselves: the day and the hour are theirs to see.
    police = client.post(
        ZONE, json=square(*LONE, 400), params=week, headers=auth(make_token("police"))
    )
    assert police.json()["timeslots"][0][2] == pytest.approx(1)
    assert [m["count"] for m in police.json()["months"]] == [1, 0]


def test_an_analysts_weekday_over_seven_weeks_does_not_tell_the_day_at_res_10(
    client: TestClient,
    load: Callable[[Facts], int],  # noqa: F811
    make_token: Callable[[str], str],
) -> None:
    """Seven Mondays are seven days, not a short period; but when the data begins on the last of
    them, weekdays=1 at resolution 10 is that one Monday. The attack: a fact on Monday 3 June
    2024 (the data's first day) and one on Tuesday 4 June, each alone in its cell, told apart
    by the zone, the hexagon layer and the comparison of two periods. At resolution 9 a day may
    be read (policy.py): the answer may be coarsened, not told at 10."""
    load(
        [
            fact(1, "03/06/2024", "02:00", "cambriolage_logement", LONE),
            fact(2, "04/06/2024", "15:00", "cambriolage_logement", QUIET),
        ]
    )
    analyst = auth(make_token("analyst"))
    mondays = {"from": "2024-04-22", "to": "2024-06-09", "weekdays": "1"}

    def zone_total(where: tuple[float, float]) -> tuple[int, int]:
        got = client.post(ZONE, json=square(*where, 400), params=mondays, headers=analyst)
        assert got.status_code == 200, got.text
        return got.json()["zone"]["resolution"], got.json()["total"]

    (res_monday, monday), (res_tuesday, tuesday) = zone_total(LONE), zone_total(QUIET)
    assert res_monday == res_tuesday
    assert res_monday < 10 or monday == tuesday

    layer = client.get(
        "/api/v1/layers/hexagons", params={**mondays, "res": "10"}, headers=analyst
    ).json()
    res = layer["metadata"]["resolution"]
    counts = {f["properties"]["h3"]: f["properties"]["count"] for f in layer["features"]}

    def count_at(where: tuple[float, float]) -> int:
        return int(counts.get(h3.latlng_to_cell(where[1], where[0], res)) or 0)

    assert res < 10 or count_at(LONE) == count_at(QUIET)

    change = client.get(
        "/api/v1/layers/change",
        params={
            "from_a": "2024-03-04",
            "to_a": "2024-04-21",
            "from_b": "2024-04-22",
            "to_b": "2024-06-09",
            "weekdays": "1",
            "res": "10",
        },
        headers=analyst,
    )
    assert change.status_code == 200, change.text
    res = change.json()["metadata"]["resolution"]
    b = {f["properties"]["h3"]: f["properties"]["count_b"] for f in change.json()["features"]}
    assert res < 10 or b.get(h3.latlng_to_cell(LONE[1], LONE[0], res), 0) == b.get(
        h3.latlng_to_cell(QUIET[1], QUIET[0], res), 0
    )
