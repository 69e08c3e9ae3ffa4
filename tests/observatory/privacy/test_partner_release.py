"""Partners read the published release and nothing else, property-based over every aggregate
endpoint: whatever filter a partner may send, no value from 1 to 4 is shown, and every total for
that filter is the same number on the banner, the map, the exports, the tiles, the tables and
the trend; facts added later to a published month change the analyst's answers, never the
partner's; anything outside the partner's query space is a French 422 (or 403) saying what is
allowed.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from observatory.db import make_sessionmaker
from observatory.settings import Settings
from tests.conftest import _truncate_all, api_settings, auth, run_cli
from tests.samples import CAPITOLE, import_facts, load_samples

THRESHOLD = 5
FAMILIES = ["personnes", "vols", "vehicules", "degradations", "tranquillite", "stupefiants"]
QPV_2024 = ["in", "out", "QN03106I", "QN03108M"]
COUNT_KEYS = {"count", "counts", "value", "current", "previous", "observed", "total", "matrix"}


@dataclass
class Roles:
    client: TestClient
    partner: dict[str, str]
    analyst: dict[str, str]
    config: Settings

    def get(self, path: str, params: dict[str, str], who: str = "partner") -> Any:
        headers = self.partner if who == "partner" else self.analyst
        answer = self.client.get(f"/api/v1{path}", params=params, headers=headers)
        assert answer.status_code == 200, (path, params, answer.text)
        return answer.json()


@pytest.fixture(scope="module")
def roles(engine: Engine, database_url: str) -> Iterator[Roles]:
    from api.main import create_app
    from observatory.tokens import create_token

    config = api_settings(database_url, secrecy_threshold=THRESHOLD)
    _truncate_all(engine)
    load_samples(engine, config)
    with make_sessionmaker(engine).begin() as session:
        partner = create_token(session, "partenaire", "partner", config.secret_key)
        analyst = create_token(session, "analyste", "analyst", config.secret_key)
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        yield Roles(client, auth(partner), auth(analyst), config)
    _truncate_all(engine)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@st.composite
def partner_filters(draw: st.DrawFn) -> dict[str, str]:
    """A filter the release answers: whole months, whole families, a QPV or none."""
    first = draw(st.integers(0, 23))
    length = draw(st.sampled_from([1, 1, 3, 6, 12, 24]))
    last = min(23, first + length - 1)
    start = date(2024 + first // 12, first % 12 + 1, 1)
    params = {
        "from": start.isoformat(),
        "to": month_end(2024 + last // 12, last % 12 + 1).isoformat(),
        "commune": "31555",
    }
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=2, unique=True))
        params["categories"] = ",".join(chosen)
    if draw(st.booleans()):
        params["qpv"] = draw(st.sampled_from(QPV_2024))
    return params


def no_small_count(answer: Any, key: str | None = None) -> None:
    """No count-like number from 1 to threshold − 1, anywhere in the answer."""
    if isinstance(answer, dict):
        for k, v in answer.items():
            no_small_count(v, k if k in COUNT_KEYS else key if isinstance(v, list) else None)
    elif isinstance(answer, list):
        for v in answer:
            no_small_count(v, key)
    elif key in COUNT_KEYS and isinstance(answer, int | float) and not isinstance(answer, bool):
        assert not 0 < answer < THRESHOLD, (key, answer)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=partner_filters())
def test_one_total_on_every_page_and_no_small_count(roles: Roles, params: dict[str, str]) -> None:
    summary = roles.get("/stats/summary", params)
    total = summary["total"]
    totals = {"summary": total}
    for res in ("8", "6"):
        hexagons = roles.get("/layers/hexagons", {**params, "res": res})
        totals[f"hexagons r{res}"] = hexagons["metadata"]["total"]
        no_small_count(hexagons)
        shown = [f["properties"]["count"] for f in hexagons["features"]]
        assert all(c is None or c >= THRESHOLD for c in shown)
    exported = roles.get("/exports/hexagons.geojson", {**params, "res": "8"})
    totals["export"] = exported["metadata"]["total"]
    totals["tilejson"] = roles.get("/tiles/hexagons.json", {**params, "res": "7"})["total"]
    trend = roles.get("/stats/trends", {**params, "by": "family"})
    no_small_count(trend)
    by_family = roles.get("/stats/summary", params)["families"]
    if by_family and all(f["count"] is not None for f in by_family):
        totals["families"] = sum(f["count"] for f in by_family)
    if "qpv" not in params:
        territories = roles.get("/stats/territories", params)
        no_small_count(territories)
        totals["territories"] = territories["communes"][0]["whole"]["count"]
        if "categories" not in params:
            slots = roles.get("/stats/timeslots", params)
            no_small_count(slots)
            totals["timeslots"] = None if slots["total"] is None else round(slots["total"])
    compstat = roles.get("/stats/compstat", {**params, "by": "family"})
    no_small_count(compstat)
    # A Poisson z would read noisy counts as exact: a partner gets the change only.
    assert all(p["z"] is None for row in compstat["rows"] for p in row["periods"])
    no_small_count(summary)
    assert len(set(totals.values())) == 1, totals
    assert summary["privacy"]["epsilon_per_fact"] == roles.config.privacy_epsilon


def test_data_range_is_whole_published_months(roles: Roles) -> None:
    summary = roles.get("/stats/summary", {})
    assert summary["data_range"] == {"first": "2024-01-01", "last": "2025-12-31"}


def test_answers_come_from_the_release_not_the_incidents(
    roles: Roles, engine: Engine, tmp_path: Path
) -> None:
    """Facts imported late into a published month move the analyst's numbers, not the
    partner's: the release was drawn once, from the facts known then."""
    asked = [
        ("/stats/summary", {"from": "2024-03-01", "to": "2024-03-31"}),
        ("/layers/hexagons", {"from": "2024-03-01", "to": "2024-03-31", "res": "8"}),
        ("/stats/timeslots", {"from": "2024-01-01", "to": "2024-06-30", "commune": "31555"}),
        ("/stats/territories", {"from": "2024-03-01", "to": "2024-03-31", "commune": "31555"}),
        ("/stats/compstat", {"to": "2024-03-31", "by": "family"}),
    ]
    before = [roles.get(path, params) for path, params in asked]
    truth_before = roles.get("/stats/summary", asked[0][1], who="analyst")["total"]
    rows = [
        (f"LATE-{i}", "15/03/2024", "23:10", "", "", "Tapage nocturne", "Capitole", *CAPITOLE)
        for i in range(40)
    ]
    import_facts(engine, roles.config, tmp_path, rows)
    assert roles.get("/stats/summary", asked[0][1], who="analyst")["total"] == truth_before + 40
    after = [roles.get(path, params) for path, params in asked]
    for (path, _), old, new in zip(asked, before, after, strict=True):
        old.pop("data_version", None), new.pop("data_version", None)
        old.get("metadata", {}).pop("data_version", None)
        new.get("metadata", {}).pop("data_version", None)
        assert old == new, path
    with engine.connect() as conn:
        months = conn.execute(text("SELECT count(*) FROM partner_release")).scalar_one()
    assert months == 24


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/stats/summary", {"from": "2024-01-02", "to": "2024-01-31"}, "premier jour d'un mois"),
        ("/stats/summary", {"from": "2024-01-01", "to": "2024-01-30"}, "premier jour d'un mois"),
        ("/stats/summary", {"hours": "22-6"}, "pas de filtre hours"),
        ("/stats/summary", {"weekdays": "6,7"}, "pas de filtre hours"),
        ("/stats/summary", {"categories": "cambriolage_logement"}, "familles entières"),
        ("/stats/summary", {"generation": "2015", "qpv": "in"}, "2024"),
        ("/layers/hexagons", {"res": "9"}, "résolution 6 à 8"),
        ("/layers/hotspots", {"res": "10", "commune": "31555"}, "résolution 6 à 8"),
        ("/exports/hexagons.csv", {"res": "11"}, "résolution 6 à 8"),
        ("/stats/timeslots", {"categories": "vols"}, "ensemble des faits"),
        ("/stats/timeslots", {"qpv": "in"}, "ensemble des faits"),
        ("/stats/trends", {"step": "week"}, "mensuelles"),
        ("/stats/trends", {"by": "category", "qpv": "in"}, "by=family"),
    ],
)
def test_outside_the_query_space_is_a_french_422(
    roles: Roles, path: str, params: dict[str, str], says: str
) -> None:
    answer = roles.client.get(f"/api/v1{path}", params=params, headers=roles.partner)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "partenaire" in answer.json()["detail"]
    assert says in answer.json()["detail"]


def test_hot_spots_give_the_class_only_and_near_repeats_are_refused(roles: Roles) -> None:
    params = {"from": "2024-01-01", "to": "2024-12-31", "commune": "31555"}
    layer = roles.get("/layers/hotspots", params)
    assert layer["metadata"]["resolution"] <= 8
    assert all(f["properties"]["gi_z"] is None for f in layer["features"])
    assert all(f["properties"]["gi_p"] is None for f in layer["features"])
    assert any(f["properties"]["class"].startswith("hot") for f in layer["features"])
    analyst = roles.get("/layers/hotspots", params, who="analyst")
    assert any(f["properties"]["gi_z"] is not None for f in analyst["features"])
    refused = roles.client.get("/api/v1/stats/near-repeat", params=params, headers=roles.partner)
    assert refused.status_code == 403
    assert "partenaires" in refused.json()["detail"]


def test_the_same_question_gets_the_same_numbers_in_a_new_process(
    roles: Roles, database_url: str
) -> None:
    from api.main import create_app

    params = {"from": "2024-01-01", "to": "2024-12-31", "res": "8"}
    first = roles.get("/layers/hexagons", params)
    with TestClient(create_app(roles.config)) as other:
        again = other.get("/api/v1/layers/hexagons", params=params, headers=roles.partner)
    assert again.json()["features"] == first["features"]


def test_partner_pack_shows_the_release_total(roles: Roles, engine: Engine) -> None:
    from observatory.privacy.partner import partner_snapshot
    from observatory.privacy.policy import Rules
    from observatory.privacy.publication import read_publication
    from observatory.reports.gather import gather
    from observatory.reports.request import make_request

    params = {"from": "2024-01-01", "to": "2024-12-31", "commune": "31555"}
    total = roles.get("/stats/summary", params)["total"]
    with engine.connect() as conn:
        publication = read_publication(conn)
    store = roles.client.app.state.store  # type: ignore[attr-defined]
    view = partner_snapshot(publication, store.snapshot())
    request = make_request("31555", "2024-01", "2024-12", format="html", partner=True)
    figures = gather(
        engine,
        view,
        request,
        timezone=roles.config.timezone,
        rules=Rules.of(roles.config),
        time_slots=roles.config.time_slots,
    )
    assert figures.total.current == total
    assert figures.hexagons.counts and sum(c or 0 for c in figures.hexagons.counts) <= total


def test_the_dpo_reads_the_release_from_the_command_line(roles: Roles, database_url: str) -> None:
    """`observatory release show` lists every published month with its ε; `publish` (the cron
    job) has nothing left to do once they are out."""
    import json

    env = {
        "DATABASE_URL": database_url,
        "OBS_SECRET_KEY": roles.config.secret_key,
        "OBS_LOG_LEVEL": "INFO",
    }
    roles.get("/stats/summary", {})  # published by the first partner answer
    shown = run_cli(["release", "show", "--json"], **env)
    assert shown.returncode == 0, shown.stderr
    months = json.loads(shown.stdout)
    assert [m["month"] for m in months][:2] == ["2024-01-01", "2024-02-01"]
    assert len(months) == 24
    assert all(m["epsilon"] == pytest.approx(roles.config.privacy_epsilon) for m in months)
    published = run_cli(["release", "publish"], **env)
    assert published.returncode == 0, published.stderr
    assert "Aucun mois à publier" in published.stdout
