"""Partner secrecy, property-based: over every aggregated endpoint and many generated filters,
a partner never sees a count from 1 to threshold − 1, and nothing shown beside a hidden count
gives it back by subtraction (every total, slot, share and change adds up shown counts only).

Each answer to the partner is checked against the analyst's answer to the same request (the
truth, unsuppressed): what is shown equals the truth, what is hidden is small in truth, and
the sums are recomputed here from the partner's own numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from observatory.db import make_sessionmaker
from tests.conftest import _truncate_all, api_settings, auth
from tests.samples import load_samples

THRESHOLD = 5
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)
CATEGORIES = [
    "accident_circulation",
    "cambriolage_logement",
    "degradation_vehicule",
    "depot_sauvage",
    "ivresse_publique",
    "tapage",
    "vol_dans_vehicule",
    "violences_physiques",
]
QPV_2024 = ["in", "out", "QN03106I", "QN03108M"]
# Keys whose numbers are counts of facts (or sums of them) wherever they appear.
COUNT_KEYS = {"count", "counts", "value", "current", "previous", "observed", "total", "matrix"}


@dataclass
class Roles:
    client: TestClient
    partner: dict[str, str]
    analyst: dict[str, str]

    def both(self, path: str, params: dict[str, str]) -> tuple[Any, Any] | None:
        """The partner's and the analyst's answers (JSON), or None when both refuse the filter."""
        seen = self.client.get(f"/api/v1{path}", params=params, headers=self.partner)
        truth = self.client.get(f"/api/v1{path}", params=params, headers=self.analyst)
        assert seen.status_code == truth.status_code, (path, params, seen.text)
        if seen.status_code == 422:
            return None
        assert seen.status_code == 200, (path, params, seen.text)
        return seen.json(), truth.json()


@pytest.fixture(scope="module")
def roles(engine: Engine, database_url: str) -> Iterator[Roles]:
    from api.main import create_app
    from observatory.tokens import create_token

    config = api_settings(
        database_url,
        secrecy_threshold=THRESHOLD,
    )
    _truncate_all(engine)
    load_samples(engine, config)
    with make_sessionmaker(engine).begin() as session:
        partner = create_token(session, "partenaire", "partner", config.secret_key)
        analyst = create_token(session, "analyste", "analyst", config.secret_key)
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        yield Roles(client, auth(partner), auth(analyst))
    _truncate_all(engine)


@st.composite
def filters(draw: st.DrawFn) -> dict[str, str]:
    """A filter as a user would send it: often narrow, so that small counts abound."""
    start = FIRST_DAY + timedelta(days=draw(st.integers(0, 700)))
    length = draw(st.sampled_from([7, 30, 90, 365, 730]))
    params = {"from": start.isoformat(), "to": min(LAST_DAY, start + timedelta(length)).isoformat()}
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True))
        params["categories"] = ",".join(chosen)
    if draw(st.booleans()):
        first, last = draw(st.integers(0, 23)), draw(st.integers(0, 23))
        params["hours"] = f"{first}-{last}"
    if draw(st.booleans()):
        params["weekdays"] = ",".join(
            str(d) for d in draw(st.lists(st.integers(1, 7), min_size=1, max_size=3, unique=True))
        )
    if draw(st.booleans()):
        params["qpv"] = draw(st.sampled_from(QPV_2024))
    if draw(st.booleans()):
        params["commune"] = "31555"
    return params


def small(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < THRESHOLD


def no_small_count(answer: Any, key: str | None = None) -> None:
    """No count-like number from 1 to threshold − 1, anywhere in the answer."""
    if isinstance(answer, dict):
        for k, v in answer.items():
            no_small_count(v, k if k in COUNT_KEYS else key if isinstance(v, list) else None)
    elif isinstance(answer, list):
        for v in answer:
            no_small_count(v, key)
    elif key in COUNT_KEYS:
        assert not small(answer), (key, answer)


def shown_equals_truth(seen: Any, truth: Any, hidden_flag: bool | None = None) -> None:
    """A shown count is the true count; a hidden one (null) is small in truth."""
    if seen is None:
        if isinstance(truth, int):
            assert small(truth), truth
        else:  # aoristic shares, rounded to 4 decimals in the analyst's answer
            assert 0 <= truth < THRESHOLD + 1e-3, truth
    else:
        assert seen == truth or math.isclose(seen, truth, rel_tol=1e-9, abs_tol=1e-9)
    if hidden_flag is not None:
        assert hidden_flag == (seen is None)


def add(values: list[Any]) -> float:
    return sum(v for v in values if v is not None)


# One check per endpoint: (partner answer, analyst answer, the request's filter).


def check_hexagons(seen: Any, truth: Any) -> None:
    truth_by_cell = {f["properties"]["h3"]: f["properties"]["count"] for f in truth["features"]}
    counts = []
    for feature in seen["features"]:
        p = feature["properties"]
        shown_equals_truth(p["count"], truth_by_cell[p["h3"]], p["suppressed"])
        counts.append(p["count"])
    if "total" in seen["metadata"]:
        assert seen["metadata"]["total"] == add(counts)


def check_summary(seen: Any, truth: Any) -> None:
    truth_by_code = {c["code"]: c["count"] for c in truth["categories"]}
    for c in seen["categories"]:
        shown_equals_truth(c["count"], truth_by_code[c["code"]], c["suppressed"])
    assert seen["total"] == add([c["count"] for c in seen["categories"]])
    by_family: dict[str, int] = {}
    for c in seen["categories"]:
        if c["count"] is not None:
            by_family[c["family"]] = by_family.get(c["family"], 0) + c["count"]
    assert {f["code"]: f["count"] for f in seen["families"]} == by_family


def check_timeslots(seen: Any, truth: Any) -> None:
    cells = []
    for row, true_row in zip(seen["matrix"], truth["matrix"], strict=True):
        for v, t in zip(row, true_row, strict=True):
            shown_equals_truth(v, t)
            cells.append(v)
    assert seen["suppressed_cells"] == sum(v is None for v in cells)
    assert math.isclose(seen["total"], add(cells), abs_tol=0.01)  # values rounded to 4 decimals
    by_hour = [add([row[h] for row in seen["matrix"]]) for h in range(24)]
    for slot in seen["slots"]:
        first, last = (int(x) for x in slot["hours"].split("-"))
        hours = range(first, last) if first < last else [*range(first, 24), *range(last)]
        assert math.isclose(
            slot["value"], sum(by_hour[h] for h in hours), abs_tol=0.01
        )  # values rounded to 4 decimals


def check_trends(seen: Any, truth: Any) -> None:
    true_series = {s["key"]: s for s in truth["series"]}
    for s in seen["series"]:
        t = true_series[s["key"]]
        for v, tv in zip(s["counts"], t["counts"], strict=True):
            shown_equals_truth(v, tv)
        per_year = 12 if seen["step"] == "month" else 52
        for i, change in enumerate(s["yoy_percent"]):
            if s["counts"][i] is None or (i >= per_year and s["counts"][i - per_year] is None):
                assert change is None and s["yoy_z"][i] is None
        complete = [p["complete"] for p in seen["periods"]]
        if any(v is None for v, c in zip(s["counts"], complete, strict=True) if c):
            assert s["mann_kendall"] is None and s["withheld"]


def check_compstat(seen: Any, truth: Any) -> None:
    true_rows = {r["key"]: r for r in truth["rows"]}
    for row in seen["rows"]:
        for p, tp in zip(row["periods"], true_rows[row["key"]]["periods"], strict=True):
            if row["key"] != "total" or len(seen["rows"]) == 1:
                shown_equals_truth(p["current"], tp["current"])
                shown_equals_truth(p["previous"], tp["previous"])
            if p["current"] is None or p["previous"] is None:
                assert p["change_percent"] is None and p["z"] is None
    if len(seen["rows"]) > 1:
        parts = [r for r in seen["rows"] if r["key"] != "total"]
        total = next(r for r in seen["rows"] if r["key"] == "total")
        for i, p in enumerate(total["periods"]):
            assert p["current"] == add([r["periods"][i]["current"] for r in parts])
            assert p["previous"] == add([r["periods"][i]["previous"] for r in parts])


def protected(seen: list[Any], truth: list[Any], total_hidden: bool) -> None:
    """Parts beside a total: the small ones hidden, and what is hidden does not follow from the
    total (two parts at least, adding up to the threshold at least), or the total is hidden."""
    hidden = [t for v, t in zip(seen, truth, strict=True) if v is None]
    for v, t in zip(seen, truth, strict=True):
        if v is not None:
            assert v == t
        else:
            assert t != 0 or total_hidden  # zeros are hidden only beside a hidden total
        if small(t):
            assert v is None
    if hidden and not total_hidden:
        assert len(hidden) >= 2 and sum(hidden) >= THRESHOLD, (seen, truth)


def check_territories(seen: Any, truth: Any) -> None:
    true_communes = {c["code"]: c for c in truth["communes"]}
    for commune in seen["communes"]:
        t = true_communes[commune["code"]]
        whole, true_whole = commune["whole"], t["whole"]
        parts = [commune["outside_qpv"], *commune["qpvs"]]
        true_parts = [t["outside_qpv"], *t["qpvs"]]
        total_hidden = whole["count"] is None
        if not total_hidden:
            assert whole["count"] == true_whole["count"]
        # The commune = the rest + its QPV: one table with its total.
        protected([p["count"] for p in parts], [p["count"] for p in true_parts], total_hidden)
        # The commune = the sum of its categories: another.
        codes = sorted(true_whole["by_category"])
        protected(
            [whole["by_category"][c] for c in codes],
            [true_whole["by_category"][c] for c in codes],
            total_hidden,
        )
        # No third, crossed table: the rest and the QPV have no categories for a partner.
        assert all(p["by_category"] is None for p in parts)
        for row in [whole, *parts]:
            if row["count"] is None:
                assert row["share"] is None and row["rate_per_1000"] is None


def check_near_repeat(seen: Any, truth: Any) -> None:
    for cell, true_cell in zip(seen["cells"], truth["cells"], strict=True):
        shown_equals_truth(cell["observed"], true_cell["observed"])
        if cell["observed"] is None:
            assert cell["ratio"] is None
    if any(c["observed"] is None for c in seen["cells"]):
        assert seen["pairs"] is None


def check_tilejson(seen: Any, truth: Any) -> None:
    assert seen["cells"] == truth["cells"]
    for value, _cells in seen["histogram"]:
        assert not small(value)
    assert seen["total"] == sum(value * cells for value, cells in seen["histogram"])
    shown = {value: cells for value, cells in seen["histogram"]}
    assert shown == {v: n for v, n in truth["histogram"] if not small(v)}


ENDPOINTS = {
    "/layers/hexagons": (check_hexagons, [{"res": "8"}, {"res": "9"}, {"res": "10"}]),
    "/exports/hexagons.geojson": (check_hexagons, [{"res": "9"}, {"res": "10"}]),
    "/tiles/hexagons.json": (check_tilejson, [{"res": "9"}, {"res": "10"}]),
    "/layers/hotspots": (check_hexagons, [{"res": "8", "k": "1"}]),
    "/stats/summary": (check_summary, [{}]),
    "/stats/timeslots": (check_timeslots, [{}]),
    "/stats/trends": (check_trends, [{"by": "total"}, {"by": "category"}, {"by": "family"}]),
    "/stats/compstat": (check_compstat, [{"by": "category"}, {"by": "family"}, {"by": "total"}]),
    "/stats/territories": (check_territories, [{}, {"generation": "2015"}]),
    "/stats/near-repeat": (check_near_repeat, [{"permutations": "19"}]),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_partners_never_see_a_small_count_nor_its_complement(roles: Roles, endpoint: str) -> None:
    checker, variants = ENDPOINTS[endpoint]
    answered = 0

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(f=filters(), variant=st.sampled_from(variants))
    def check(f: dict[str, str], variant: dict[str, str]) -> None:
        nonlocal answered
        params = {**f, **variant}
        if params.get("generation") == "2015" and params.get("qpv", "").startswith("QN"):
            params.pop("qpv")
        answers = roles.both(endpoint, params)
        if answers is None:
            return
        seen, truth = answers
        assert seen.get("metadata", seen)["suppression_threshold"] == THRESHOLD
        no_small_count(seen)
        checker(seen, truth)
        answered += 1

    check()
    # The property held on real answers, not only on refusals of the filter.
    assert answered >= 5


def test_small_counts_do_occur_in_the_truth(roles: Roles) -> None:
    # Without small counts the property above would hold vacuously.
    answers = roles.both(
        "/layers/hexagons", {"res": "10", "from": "2024-03-01", "to": "2024-03-31"}
    )
    assert answers is not None
    seen, truth = answers
    assert any(small(f["properties"]["count"]) for f in truth["features"])
    assert any(f["properties"]["suppressed"] for f in seen["features"])


def test_etat4001_figures_are_secret_for_partners(roles: Roles) -> None:
    answers = roles.both("/stats/etat4001", {"department": "31"})
    assert answers is not None
    seen, truth = answers
    assert len(seen) == len(truth) > 0
    assert any(small(r["count"]) for r in truth)
    for row, true_row in zip(seen, truth, strict=True):
        shown_equals_truth(row["count"], true_row["count"], row["suppressed"])
    series = roles.both("/stats/etat4001/series", {"department": "31", "group": "index"})
    assert series is not None
    seen_series, true_series = series
    hidden_points = 0
    for s, t in zip(seen_series["series"], true_series["series"], strict=True):
        for p, tp in zip(s["points"], t["points"], strict=True):
            shown_equals_truth(p["count"], tp["count"], p["suppressed"])
            if p["count"] is None or (tp["previous"] is not None and p["previous"] is None):
                hidden_points += 1
                assert p["change"] is None and p["change_pct"] is None and p["z"] is None
    assert hidden_points > 0
