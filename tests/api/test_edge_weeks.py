"""An analyst's resolution-10 answers at the data's edges: whole weeks the data cover, or none.

At resolution 10 an analyst's period is widened to whole weeks (policy.py), so that the
difference of two answers is whole weeks. But the data start and stop on any day: a week the
data cover only in part holds fewer than seven days of facts. The attacks below each read fewer
than seven days at resolution 10 that way. The data here begin on a Sunday (31 December 2023,
a fact alone at LONE) and end on a Monday (3 June 2024, a fact alone at QUIET); the facts in
between are at CAPITOLE, far from both. Expected counts are the facts as written here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient

from tests.api.test_layers_and_stats import (  # noqa: F401
    CAPITOLE,
    MIRAIL,
    QUIET,
    Facts,
    fact,
    load,
)
from tests.api.test_zone_figures import LONE, square
from tests.conftest import auth

FIRST_SUNDAY = "31/12/2023"  # the data's first day, alone at LONE
LAST_MONDAY = "03/06/2024"  # the data's last day, alone at QUIET


@pytest.fixture
def analyst(load: Callable[[Facts], int], make_token: Callable[[str], str]) -> dict[str, str]:  # noqa: F811
    rows = [fact(1, FIRST_SUNDAY, "02:00", "cambriolage_logement", LONE)]
    # Every week in between, two facts at CAPITOLE (Tuesday and Saturday).
    rows += [
        fact(100 + i, day, "15:00", "vol_simple", CAPITOLE)
        for i, day in enumerate(
            f"{d:02d}/{m:02d}/2024"
            for m, days in ((1, (2, 6)), (3, (12, 16)), (5, (28,)), (6, (1,)))
            for d in days
        )
    ]
    rows += [fact(2, LAST_MONDAY, "23:00", "cambriolage_logement", QUIET)]
    assert load(rows) == len(rows)
    return auth(make_token("analyst"))


def hexagons(client: TestClient, who: dict[str, str], **params: str) -> tuple[int, dict[str, int]]:
    got = client.get("/api/v1/layers/hexagons", params={**params, "res": "10"}, headers=who)
    assert got.status_code == 200, got.text
    body = got.json()
    counts = {f["properties"]["h3"]: f["properties"]["count"] or 0 for f in body["features"]}
    return body["metadata"]["resolution"], counts


def at(counts: dict[str, int], where: tuple[float, float], res: int) -> int:
    """The count of the cells round the place (the fact's own cell and its neighbours: the
    stored point is the written one to a few metres), none of which holds another fact."""
    return sum(counts.get(c, 0) for c in h3.grid_disk(h3.latlng_to_cell(*where[::-1], res), 1))


def test_this_week_at_the_data_end_is_the_last_day_by_difference(
    client: TestClient, analyst: dict[str, str]
) -> None:
    """Data ending on a Monday: « 27 May – 9 June » minus « 27 May – 2 June » at resolution 10
    is the Monday's facts (asked again each day, each new day's); « 3 – 9 June » alone too."""
    res_a, a = hexagons(client, analyst, **{"from": "2024-05-27", "to": "2024-06-09"})
    res_b, b = hexagons(client, analyst, **{"from": "2024-05-27", "to": "2024-06-02"})
    assert not (res_a == res_b == 10 and at(a, QUIET, 10) - at(b, QUIET, 10) == 1), (
        "the data's last day (one fact) read at resolution 10 by difference of two periods"
    )
    res, week = hexagons(client, analyst, **{"from": "2024-06-03", "to": "2024-06-09"})
    assert not (res == 10 and at(week, QUIET, 10) == 1), "a one-day week read at resolution 10"


def test_asked_again_after_the_next_days_import_the_week_tells_nothing_new(
    client: TestClient,
    analyst: dict[str, str],
    load: Callable[[Facts], int],  # noqa: F811
) -> None:
    """The same week asked on Tuesday and on Wednesday, once Tuesday's facts are imported: the
    difference of the two answers is Tuesday's facts at resolution 10 (here one, at MIRAIL)."""
    week = {"from": "2024-05-27", "to": "2024-06-09"}
    res_before, before = hexagons(client, analyst, **week)
    assert load([fact(3, "04/06/2024", "21:00", "cambriolage_logement", MIRAIL)]) == 1
    res_after, after = hexagons(client, analyst, **week)
    assert not (res_before == res_after == 10 and at(after, MIRAIL, 10) - at(before, MIRAIL, 10)), (
        "a new day's fact read at resolution 10 by difference of the same question asked twice"
    )


def test_a_closed_period_past_the_data_end_is_one_day_at_res_10(
    client: TestClient, analyst: dict[str, str]
) -> None:
    """From the data's last day to 30 days later: 30 days asked, not coarsened, one day of
    data: the hexagon layer, the comparison of two periods and a drawn zone each tell it."""
    past = {"from": "2024-06-03", "to": "2024-07-02"}
    res, counts = hexagons(client, analyst, **past)
    assert not (res == 10 and at(counts, QUIET, 10) == 1), "one day read at resolution 10"

    change = client.get(
        "/api/v1/layers/change",
        params={
            "from_a": "2024-06-03",
            "to_a": "2024-07-02",
            "from_b": "2024-05-04",
            "to_b": "2024-06-02",
            "res": "10",
        },
        headers=analyst,
    )
    assert change.status_code == 200, change.text
    res = change.json()["metadata"]["resolution"]
    a = {f["properties"]["h3"]: f["properties"]["count_a"] for f in change.json()["features"]}
    assert not (res == 10 and at(a, QUIET, 10) == 1), "one day compared at resolution 10"

    zone = client.post("/api/v1/stats/zone", json=square(*QUIET, 400), params=past, headers=analyst)
    assert zone.status_code == 200, zone.text
    body: dict[str, Any] = zone.json()
    assert not (body["zone"]["resolution"] == 10 and body["total"] == 1), (
        "one day's fact counted in a resolution-10 zone"
    )


def test_the_first_week_begun_on_a_sunday_is_that_sunday(
    client: TestClient, analyst: dict[str, str]
) -> None:
    """Data beginning on a Sunday: periods starting 25 December and 1 January differ by that
    Sunday; and December alone (31 days asked) is that Sunday."""
    res_a, a = hexagons(client, analyst, **{"from": "2023-12-25", "to": "2024-01-07"})
    res_b, b = hexagons(client, analyst, **{"from": "2024-01-01", "to": "2024-01-07"})
    assert not (res_a == res_b == 10 and at(a, LONE, 10) - at(b, LONE, 10) == 1), (
        "the data's first day (one fact) read at resolution 10 by difference of two periods"
    )
    res, december = hexagons(client, analyst, **{"from": "2023-12-01", "to": "2023-12-31"})
    assert not (res == 10 and at(december, LONE, 10) == 1), "one Sunday read at resolution 10"


def test_whole_weeks_inside_the_data_stay_at_res_10_and_say_which(
    client: TestClient, analyst: dict[str, str]
) -> None:
    """The rule keeps resolution 10 where the data cover whole weeks: a period reaching past
    both edges is brought back to them (Monday 1 January – Sunday 2 June 2024), and says so."""
    got = client.get(
        "/api/v1/layers/hexagons",
        params={"from": "2023-12-20", "to": "2024-06-30", "res": "10"},
        headers=analyst,
    )
    assert got.status_code == 200, got.text
    meta = got.json()["metadata"]
    assert meta["resolution"] == 10
    assert (meta["filter"]["from"], meta["filter"]["to"]) == ("2024-01-01", "2024-06-02")
    assert "01/01/2024" in meta["period_widened"] and "02/06/2024" in meta["period_widened"]
    counts = {f["properties"]["h3"]: f["properties"]["count"] for f in got.json()["features"]}
    assert at(counts, CAPITOLE, 10) == 6
    assert at(counts, LONE, 10) == at(counts, QUIET, 10) == 0
    # The same with no period at all: the whole weeks of the data.
    res, whole = hexagons(client, analyst)
    assert res == 10 and whole == {k: v for k, v in counts.items() if v}
    # A drawn zone counts the same weeks, and its note says which.
    zone = client.post(
        "/api/v1/stats/zone",
        json=square(*CAPITOLE, 400),
        params={"from": "2023-12-20", "to": "2024-06-30"},
        headers=analyst,
    )
    assert zone.status_code == 200, zone.text
    assert zone.json()["zone"]["resolution"] == 10 and zone.json()["total"] == 6
    assert "du 01/01/2024 au 02/06/2024" in zone.json()["zone"]["note"]
