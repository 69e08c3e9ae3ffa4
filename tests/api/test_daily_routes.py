"""The daily questions through the API: « cette nuit » (night=), the list of the facts, and two
periods compared by cell with the Poisson z."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import h3
import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.testing import assert_allclose
from sqlalchemy import Engine, text

from ingest.boundaries import import_communes
from observatory.settings import Settings
from tests.conftest import audit_rows, auth
from tests.samples import CAPITOLE, MIRAIL, SAMPLES, import_facts

LIST = "/api/v1/incidents"
CHANGE = "/api/v1/layers/change"
SUMMARY = "/api/v1/stats/summary"


@pytest.fixture
def facts(db: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Facts around the night of Friday 5 January 2024 (18 h) to Saturday 6 (6 h), and later."""
    import_communes(db, SAMPLES / "communes_toulouse.geojson")
    rows = [
        ("MORNING-5", "05/01/2024", "03:00", "", "", "Tapage", "", *CAPITOLE),  # night before
        ("DAY-5", "05/01/2024", "17:59", "", "", "Vol simple", "3 rue d'Alsace", *CAPITOLE),
        ("N-1", "05/01/2024", "18:00", "", "", "Tapage", "1 place du Capitole", *CAPITOLE),
        ("N-2", "05/01/2024", "23:10", "", "", "Tapage", "1 place du Capitole", *CAPITOLE),
        ("N-3", "06/01/2024", "02:30", "", "", "Vol simple", "", *MIRAIL),
        ("N-4", "06/01/2024", "05:59", "", "", "Tapage", "", *MIRAIL),
        ("MORNING-6", "06/01/2024", "06:00", "", "", "Tapage", "", *MIRAIL),
        ("EVENING-6", "06/01/2024", "20:00", "", "", "Tapage", "", *MIRAIL),  # the next night
        ("B-1", "15/01/2024", "10:00", "", "", "Tapage", "", *MIRAIL),
        ("B-2", "16/01/2024", "11:00", "", "", "Tapage", "", *MIRAIL),
        ("B-3", "17/01/2024", "12:00", "", "", "Tapage", "", *MIRAIL),
        ("B-4", "18/01/2024", "13:00", "", "", "Tapage", "", *MIRAIL),
        ("B-5", "18/01/2024", "14:00", "", "", "Tapage", "", *CAPITOLE),
    ]
    import_facts(db, settings, tmp_path, rows)
    return db


def _refs_in_night(engine: Engine, evening: str) -> set[str]:
    """The night's facts by SQL alone: from the evening at 18:00 to the morning at 06:00, Paris."""
    sql = text(
        "SELECT source_ref FROM incident WHERE occurred_at >= "
        "(CAST(:d AS date) + time '18:00') AT TIME ZONE 'Europe/Paris' AND occurred_at < "
        "(CAST(:d AS date) + 1 + time '06:00') AT TIME ZONE 'Europe/Paris'"
    )
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sql, {"d": evening})}


def test_the_night_is_exactly_18_h_to_6_h(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    police = auth(make_token("police"))
    expected = _refs_in_night(facts, "2024-01-05")
    assert expected == {"N-1", "N-2", "N-3", "N-4"}

    listed = client.get(LIST, params={"night": "2024-01-05", "size": 50}, headers=police)
    summary = client.get(SUMMARY, params={"night": "2024-01-05"}, headers=police)
    # The hours filter over the two days takes four more facts: the point of « night ».
    hours = client.get(
        SUMMARY, params={"from": "2024-01-05", "to": "2024-01-06", "hours": "18-6"}, headers=police
    )

    assert listed.status_code == 200, listed.text
    assert {r["source_ref"] for r in listed.json()["items"]} == expected
    assert summary.json()["total"] == len(expected)
    assert summary.json()["filter"]["night"] == "2024-01-05"
    assert hours.json()["total"] == len(expected) + 2


@pytest.mark.parametrize(
    "params",
    [
        {"night": "2024-01-05", "from": "2024-01-01"},
        {"night": "2024-01-05", "to": "2024-01-05"},
        {"night": "5 janvier"},
    ],
)
def test_a_night_with_other_days_is_refused(
    client: TestClient, facts: Engine, make_token: Callable[[str], str], params: dict[str, str]
) -> None:
    answer = client.get(SUMMARY, params=params, headers=auth(make_token("police")))

    assert answer.status_code == 422
    assert "night" in answer.json()["detail"]


def test_a_partner_gets_no_night(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    answer = client.get(
        SUMMARY, params={"night": "2024-01-05"}, headers=auth(make_token("partner"))
    )

    assert answer.status_code == 422
    assert "partenaire" in answer.json()["detail"]


# -- the list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "partner"])
def test_the_list_is_for_police_and_admin(
    client: TestClient, facts: Engine, make_token: Callable[[str], str], role: str
) -> None:
    answer = client.get(LIST, headers=auth(make_token(role)))

    assert answer.status_code == 403
    assert "n'a pas accès" in answer.json()["detail"]
    assert audit_rows(facts) == []


def test_the_list_pages_and_sorts_and_each_read_is_audited(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    admin = auth(make_token("admin"))
    pages = [
        client.get(LIST, params={"sort": "occurred_at", "size": 5, "page": p}, headers=admin)
        for p in (1, 2, 3)
    ]
    newest = client.get(LIST, params={"size": 3}, headers=admin).json()
    by_ref = client.get(LIST, params={"sort": "-source_ref", "size": 50}, headers=admin).json()

    bodies = [p.json() for p in pages]
    assert [len(b["items"]) for b in bodies] == [5, 5, 3]
    assert {b["total"] for b in bodies} == {13}
    times = [r["occurred_at"] for b in bodies for r in b["items"]]
    assert len({r["id"] for b in bodies for r in b["items"]}) == 13
    assert times == sorted(times)
    assert times[0] == "2024-01-05T03:00:00+01:00"
    assert [r["source_ref"] for r in newest["items"]] == ["B-5", "B-4", "B-3"]
    refs = [r["source_ref"] for r in by_ref["items"]]
    assert refs == sorted(refs, reverse=True)
    first = next(r for r in by_ref["items"] if r["source_ref"] == "DAY-5")
    assert first["address"] == "3 rue d'Alsace"
    assert first["category_label"]
    assert first["commune_name"]
    assert first["source"] == "pm"
    assert_allclose([first["lon"], first["lat"]], [float(v) for v in CAPITOLE], atol=1e-6)
    rows = audit_rows(facts)
    assert len(rows) == 5
    assert {r[2] for r in rows} == {"incidents"}
    assert [r[3] for r in rows] == [5, 5, 3, 3, 13]
    assert rows[1][4]["page"] == 2
    assert rows[4][4]["sort"] == "-source_ref"


@pytest.mark.parametrize(
    "params", [{"sort": "lon"}, {"sort": "occurred_at;drop"}, {"size": "201"}, {"page": "0"}]
)
def test_the_list_refuses_bad_pages_and_sorts(
    client: TestClient, facts: Engine, make_token: Callable[[str], str], params: dict[str, str]
) -> None:
    answer = client.get(LIST, params=params, headers=auth(make_token("police")))

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert audit_rows(facts) == []


# -- two periods compared ----------------------------------------------------------------------

PERIODS = {
    "from_a": "2024-01-05",
    "to_a": "2024-01-06",
    "from_b": "2024-01-15",
    "to_b": "2024-01-18",
}


def _cells(engine: Engine, first: str, last: str, res: int) -> dict[str, int]:
    """Counts per cell of the period, by SQL and h3 alone (the parent of each stored cell)."""
    sql = text(
        "SELECT h3 FROM incident WHERE occurred_at >= "
        "CAST(:a AS date) AT TIME ZONE 'Europe/Paris' AND occurred_at < "
        "(CAST(:b AS date) + 1) AT TIME ZONE 'Europe/Paris'"
    )
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for (stored,) in conn.execute(sql, {"a": first, "b": last}):
            cell = h3.cell_to_parent(h3.int_to_str(stored), res)
            counts[cell] = counts.get(cell, 0) + 1
    return counts


def _two_sided(a: int, b: int, share: float) -> float:
    """Twice the smaller binomial tail of b among a + b facts, summed term by term."""
    n = a + b
    term = [math.comb(n, k) * share**k * (1 - share) ** (n - k) for k in range(n + 1)]
    return min(1.0, 2 * min(sum(term[: b + 1]), sum(term[b:])))


def test_the_change_map_gives_counts_and_the_poisson_z(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    answer = client.get(CHANGE, params={**PERIODS, "res": 8}, headers=auth(make_token("analyst")))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    a = _cells(facts, "2024-01-05", "2024-01-06", 8)
    b = _cells(facts, "2024-01-15", "2024-01-18", 8)
    got = {f["properties"]["h3"]: f["properties"] for f in body["features"]}
    assert set(got) == set(a) | set(b)
    for cell, p in got.items():
        assert (p["count_a"], p["count_b"]) == (a.get(cell, 0), b.get(cell, 0))
        expected = a.get(cell, 0) * 4 / 2  # A has 2 days, B 4: A at B's length
        z = 2 * (np.sqrt(b.get(cell, 0)) - np.sqrt(expected))
        assert_allclose(p["z"], z, atol=0.006)
        pval = _two_sided(a.get(cell, 0), b.get(cell, 0), share=4 / 6)
        assert_allclose(p["p"], pval, rtol=2e-3)
        word = "stable" if pval >= 0.05 else ("hausse" if z > 0 else "baisse")
        assert p["level"] == word + ("_forte" if pval < 0.001 else "")
    meta = body["metadata"]
    assert meta["period_a"] == {"from": "2024-01-05", "to": "2024-01-06", "days": 2, "total": 8}
    assert meta["period_b"]["total"] == 5
    assert_allclose(meta["z_total"], 2 * (np.sqrt(5) - np.sqrt(16)), atol=0.006)
    assert "z" in meta["reading"]


@pytest.mark.parametrize(
    "params",
    [
        {**PERIODS, "from_a": "2024-01-07"},  # A ends before it starts
        {**PERIODS, "from": "2024-01-01"},
        {k: v for k, v in PERIODS.items() if k != "to_b"},
        {**PERIODS, "to_b": " "},
        {**PERIODS, "res": "12"},
    ],
)
def test_the_change_map_refuses_bad_periods(
    client: TestClient, facts: Engine, make_token: Callable[[str], str], params: dict[str, str]
) -> None:
    answer = client.get(CHANGE, params=params, headers=auth(make_token("police")))

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_partner_cannot_difference_two_comparisons(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    """Two comparisons sharing period A, B one month apart, would give the partner the cells of
    the month between them from counts the release hides (« < 5 »): each is refused, in French,
    and nothing of either answer carries a count."""
    partner = auth(make_token("partner"))
    months = [
        {"from_a": "2023-12-01", "to_a": "2023-12-31", "from_b": "2024-01-01", "to_b": last}
        for last in ("2024-01-31", "2024-02-29")
    ]
    answers = [client.get(CHANGE, params={**m, "res": 8}, headers=partner) for m in months]

    for answer in answers:
        assert answer.status_code == 403
        assert "partenaires" in answer.json()["detail"]
        assert "count" not in answer.text


def test_an_analysts_narrow_comparison_is_coarsened_and_audited(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    """Periods of 2 and 4 days are narrow (under 7): resolution 9 at most, and the read is
    written to the audit log as the analyst's fine reads are; police reads are not."""
    police = client.get(CHANGE, params={**PERIODS, "res": 10}, headers=auth(make_token("police")))
    assert police.json()["metadata"]["resolution"] == 10
    assert audit_rows(facts) == []

    answer = client.get(CHANGE, params={**PERIODS, "res": 10}, headers=auth(make_token("analyst")))

    assert answer.status_code == 200, answer.text
    meta = answer.json()["metadata"]
    assert meta["resolution"] == 9
    assert "résolution 9" in meta["resolution_note"]
    cells = [f["properties"]["h3"] for f in answer.json()["features"]]
    assert cells
    assert {h3.get_resolution(c) for c in cells} == {9}
    rows = audit_rows(facts)
    assert [(r[1], r[2]) for r in rows] == [("analyst", "lecture fine layers/change")]
    assert rows[0][4]["a"] == ["2024-01-05", "2024-01-06"]


def test_an_analyst_gets_no_comparison_of_sensitive_categories(
    client: TestClient, facts: Engine, make_token: Callable[[str], str]
) -> None:
    answer = client.get(
        CHANGE,
        params={**PERIODS, "categories": "violences_intrafamiliales"},
        headers=auth(make_token("analyst")),
    )

    assert answer.status_code == 403
    assert "sensibles" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("role", "url", "params"),
    [
        ("police", SUMMARY, {"night": "9999-12-31"}),
        ("analyst", "/api/v1/layers/hexagons", {"to": "9999-12-31", "res": "10"}),
        ("analyst", "/api/v1/layers/hexagons", {"from": "0001-01-01", "to": "0001-01-03"}),
        (
            "analyst",
            CHANGE,
            {
                "from_a": "2024-01-01",
                "to_a": "2024-01-31",
                "from_b": "9999-12-01",
                "to_b": "9999-12-31",
                "res": "10",
            },
        ),
    ],
)
def test_days_at_the_edge_of_the_calendar_are_a_french_422_not_a_500(
    client: TestClient,
    facts: Engine,
    make_token: Callable[[str], str],
    role: str,
    url: str,
    params: dict[str, str],
) -> None:
    """The night of 31 December 9999 has no morning, and its week no Sunday: no 500."""
    answer = client.get(url, params=params, headers=auth(make_token(role)))
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 422:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "date" in answer.json()["detail"] or "jour" in answer.json()["detail"]
