"""The answer cache: the same bytes as a computation, never stale, never across roles.

Every cached route is asked of two APIs on the same database, one with the cache and one
without (OBS_ANSWER_CACHE_MB=0): the answers must be byte for byte the same, on the first call
(computed) and the second (served from the cache). Then each thing an answer depends on is
changed for real (an import, a category's label, a commune's population, the caller's role)
and the cached answer must follow.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from observatory.db import make_sessionmaker
from observatory.settings import Settings
from tests.conftest import TEST_SECRET, _truncate_all, api_settings, auth, role_tokens
from tests.samples import load_samples

SUMMARY = "/api/v1/stats/summary?from=2024-01-01&to=2025-12-31"

# Every cached route, with filters that leave small counts; True: a partner may ask it too.
CACHED = [
    ("/api/v1/layers/hexagons?res=9", False),
    ("/api/v1/layers/hexagons?res=10&from=2025-06-01&to=2025-06-30", False),
    ("/api/v1/layers/hexagons?res=8&from=2025-06-01&to=2025-06-30", True),
    (SUMMARY, True),
    ("/api/v1/stats/summary?categories=vols&hours=22-6", False),
    ("/api/v1/stats/timeslots?from=2025-01-01&to=2025-03-31&qpv=in", False),
    ("/api/v1/stats/timeslots?from=2025-01-01&to=2025-03-31&commune=31555", True),
    ("/api/v1/stats/trends?step=month", True),
    ("/api/v1/stats/compstat?at=2025-12-31&by=family", True),
    ("/api/v1/stats/territories?commune=31555&from=2025-01-01&to=2025-12-31", True),
    ("/api/v1/layers/hotspots?commune=31555&res=8&from=2025-01-01&to=2025-12-31", True),
    ("/api/v1/layers/emerging-hotspots?commune=31555&res=7&from=2024-01-01&to=2025-12-31", True),
    ("/api/v1/stats/near-repeat?from=2025-11-01&to=2025-12-31&permutations=19", False),
]


@dataclass
class Apis:
    engine: Engine
    settings: Settings
    cached: TestClient
    plain: TestClient
    analyst: dict[str, str]
    partner: dict[str, str]
    police: dict[str, str]


@pytest.fixture(scope="module")
def apis(engine: Engine, database_url: str) -> Iterator[Apis]:
    from api.main import create_app

    def settings(megabytes: int) -> Settings:
        return api_settings(
            database_url,
            answer_cache_mb=megabytes,
        )

    _truncate_all(engine)
    load_samples(engine, settings(0))
    roles = ("analyst", "partner", "police")
    tokens = {r: auth(t) for r, t in role_tokens(engine, roles, "cache-").items()}
    with (
        TestClient(create_app(settings(64)), raise_server_exceptions=False) as cached,
        TestClient(create_app(settings(0)), raise_server_exceptions=False) as plain,
    ):
        yield Apis(engine, settings(64), cached, plain, **tokens)
    _truncate_all(engine)


def hits(client: TestClient) -> tuple[int, int, int]:
    """Answers served from the cache, of which before FastAPI's routing, and computed."""
    answers = client.app.state.answers  # type: ignore[attr-defined]
    return answers.hits, answers.before_routing, answers.computed


@pytest.mark.parametrize(("url", "for_partners"), CACHED)
def test_cached_answer_is_the_computed_answer(apis: Apis, url: str, for_partners: bool) -> None:
    callers = [apis.police, apis.analyst] + ([apis.partner] if for_partners else [])
    for who in callers:
        computed = apis.plain.get(url, headers=who)
        assert computed.status_code == 200, computed.text
        before = hits(apis.cached)
        first = apis.cached.get(url, headers=who)
        second = apis.cached.get(url, headers=who)
        # One computed, one served from the cache: by the middleware in front of the routing,
        # except an analyst's, which goes through the audit decision first.
        front = 0 if who is apis.analyst else 1
        assert hits(apis.cached) == (before[0] + 1, before[1] + front, before[2] + 1)
        assert first.content == computed.content
        assert second.content == computed.content
        assert second.headers["content-type"] == computed.headers["content-type"]
        assert second.headers["etag"] == first.headers["etag"] == computed.headers["etag"]
        assert second.headers["cache-control"] == "private, no-cache"
        assert second.headers["vary"] == "Authorization"


def test_a_partner_never_gets_the_analysts_answer(apis: Apis) -> None:
    url = "/api/v1/layers/hexagons?res=8&from=2025-03-01&to=2025-03-31"
    analyst = apis.cached.get(url, headers=apis.analyst).json()
    partner = apis.cached.get(url, headers=apis.partner).json()
    counts = [f["properties"]["count"] for f in analyst["features"]]
    assert any(0 < c < 5 for c in counts)  # the test means something: small counts exist
    assert all(
        f["properties"]["count"] is None or f["properties"]["count"] >= 5
        for f in partner["features"]
    )
    assert partner["metadata"]["privacy"]["epsilon_per_fact"] == 2.0
    assert "privacy" not in analyst["metadata"]
    assert partner["features"] != analyst["features"]  # the release, not the facts
    again = apis.cached.get(url, headers=apis.analyst).json()
    assert again == analyst


def test_etag_revalidation_gives_an_empty_304(apis: Apis) -> None:
    first = apis.cached.get(SUMMARY, headers=apis.analyst)
    etag = first.headers["etag"]
    same = apis.cached.get(SUMMARY, headers={**apis.analyst, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    weak = apis.cached.get(SUMMARY, headers={**apis.analyst, "If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = apis.cached.get(SUMMARY, headers={**apis.analyst, "If-None-Match": '"autre"'})
    assert other.status_code == 200
    assert other.content == first.content
    # The ETag does not open the door: without a token, still 401.
    anonymous = apis.cached.get(SUMMARY, headers={"If-None-Match": etag})
    assert anonymous.status_code == 401


def test_errors_are_not_kept(apis: Apis) -> None:
    before = len(apis.cached.app.state.answers)  # type: ignore[attr-defined]
    for _ in range(2):
        answer = apis.cached.get("/api/v1/stats/summary?from=2025-13-01", headers=apis.analyst)
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert len(apis.cached.app.state.answers) == before  # type: ignore[attr-defined]


def import_facts(apis: Apis, folder: Path, prefix: str, number: int) -> None:
    """Import this many brawls on 31 December 2025 at the Capitole."""
    rows = [
        f"{prefix}-{n};31/12/2025;12:{n:02d};;;Bagarre;place du Capitole;31555;1,44395;43,60447"
        for n in range(number)
    ]
    header = "numero;date_faits;heure_faits;date_fin;heure_fin;nature;adresse;code_insee;"
    path = folder / f"{prefix}.csv"
    path.write_text(header + "longitude;latitude\n" + "\n".join(rows) + "\n", encoding="utf-8")
    summary = import_incidents(apis.engine, path, settings=apis.settings)
    assert summary.rows_imported == number


def test_an_import_changes_the_answer_at_once(apis: Apis, tmp_path: Path) -> None:
    url = "/api/v1/stats/summary?from=2025-12-31&to=2025-12-31"
    before = apis.cached.get(url, headers=apis.analyst)
    again = apis.cached.get(url, headers=apis.analyst)
    assert again.content == before.content
    import_facts(apis, tmp_path, "CACHE", 3)
    after = apis.cached.get(url, headers={**apis.analyst, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["total"] == before.json()["total"] + 3
    assert after.headers["etag"] != before.headers["etag"]
    assert after.content == apis.plain.get(url, headers=apis.analyst).content


def test_reference_data_changes_the_answer_at_once(apis: Apis) -> None:
    summary = apis.cached.get(SUMMARY, headers=apis.analyst).json()
    code = summary["categories"][0]["code"]
    label = summary["categories"][0]["label"]
    territories_url = "/api/v1/stats/territories?commune=31555&from=2025-01-01&to=2025-12-31"
    territories = apis.cached.get(territories_url, headers=apis.analyst).json()
    with apis.engine.begin() as conn:
        population = conn.execute(
            text("SELECT population FROM commune WHERE code = '31555'")
        ).scalar_one()
        conn.execute(
            text("UPDATE category SET label = 'Libellé changé' WHERE code = :code"), {"code": code}
        )
        conn.execute(text("UPDATE commune SET population = population * 2 WHERE code = '31555'"))
    try:
        changed = apis.cached.get(SUMMARY, headers=apis.analyst).json()
        assert changed["categories"][0]["label"] == "Libellé changé"
        after = apis.cached.get(territories_url, headers=apis.analyst).json()
        assert after != territories
        assert (
            apis.cached.get(territories_url, headers=apis.analyst).content
            == apis.plain.get(territories_url, headers=apis.analyst).content
        )
    finally:
        with apis.engine.begin() as conn:
            conn.execute(
                text("UPDATE category SET label = :label WHERE code = :code"),
                {"label": label, "code": code},
            )
            conn.execute(
                text("UPDATE commune SET population = :p WHERE code = '31555'"),
                {"p": population},
            )
    restored = apis.cached.get(SUMMARY, headers=apis.analyst).json()
    assert restored["categories"][0]["label"] == label


def test_a_kept_answer_still_needs_a_live_token_and_an_address_not_paused(apis: Apis) -> None:
    """The middleware that serves kept answers checks as the endpoint does: a revoked token
    gets 401 and a paused address 429, even for an answer the cache has."""
    from observatory.tokens import create_token, revoke_token

    with make_sessionmaker(apis.engine).begin() as session:
        raw = create_token(session, "cache-revoked", "analyst", TEST_SECRET)
    assert apis.cached.get(SUMMARY, headers=auth(raw)).status_code == 200
    assert apis.cached.get(SUMMARY, headers=auth(raw)).status_code == 200  # kept, served
    with make_sessionmaker(apis.engine).begin() as session:
        revoke_token(session, "cache-revoked")
    refused = apis.cached.get(SUMMARY, headers=auth(raw))
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")

    # Wrong tokens from the same address never pause a valid one (issue 17: a town hall behind
    # one proxy), whether its answer is kept or computed.
    for i in range(apis.settings.auth_failures_per_minute + 2):
        apis.cached.get(SUMMARY, headers=auth(f"obs_guess{i:06d}"))
    assert apis.cached.get(SUMMARY, headers=auth("obs_guess-last")).status_code == 429
    assert apis.cached.get(SUMMARY, headers=apis.analyst).status_code == 200


def test_the_same_question_asked_at_once_is_computed_once(
    apis: Apis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight dashboards opening together on new data: one computation, eight equal answers."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from observatory.analytics import engine

    calls = []
    lock = threading.Lock()
    category_counts = engine.category_counts

    def slow_counts(*args: object, **kwargs: object) -> dict[str, int]:
        with lock:
            calls.append(1)
        time.sleep(0.5)  # long enough for the seven others to arrive meanwhile
        return category_counts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "category_counts", slow_counts)
    url = "/api/v1/stats/summary?from=2025-02-01&to=2025-02-28&weekdays=1-5"
    computed = hits(apis.cached)[2]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: apis.cached.get(url, headers=apis.analyst), range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.content for a in answers}) == 1
    assert len(calls) == 1
    assert hits(apis.cached)[2] == computed + 1
    assert answers[0].content == apis.plain.get(url, headers=apis.analyst).content


def test_costly_analyses_wait_for_a_slot_and_the_map_keeps_answering(
    apis: Apis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One near-repeat test at a time per process (OBS_HEAVY_ANALYSES=1): a second one waits in
    the queue, then gets a French 503 to retry (OBS_HEAVY_WAIT_SECONDS, here half a second);
    the map's cheap answers, and Gi* without permutations, do not wait behind it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from api.routers import hotspots

    started, finished = threading.Event(), []
    knox_test = hotspots.knox_test

    def slow_knox(*args: object, **kwargs: object) -> object:
        started.set()
        time.sleep(2)
        finished.append("knox")
        return knox_test(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hotspots, "knox_test", slow_knox)
    monkeypatch.setattr(apis.cached.app.state.heavy, "wait_seconds", 0.5)  # type: ignore[attr-defined]
    knox = "/api/v1/stats/near-repeat?from=2025-11-01&to=2025-12-31&permutations=19&seed="
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(apis.cached.get, knox + "101", headers=apis.analyst)
        assert started.wait(30)
        second = apis.cached.get(knox + "102", headers=apis.analyst)
        cheap = apis.cached.get(
            "/api/v1/stats/summary?from=2025-11-02&to=2025-12-30", headers=apis.analyst
        )
        gi = apis.cached.get(
            "/api/v1/layers/hotspots?commune=31555&res=8&from=2025-10-01&to=2025-12-31",
            headers=apis.analyst,
        )
        assert finished == []  # all three answered while the first test was computing
        assert first.result().status_code == 200
    assert (cheap.status_code, gi.status_code) == (200, 200)
    assert second.status_code == 503
    assert second.headers["content-type"].startswith("application/problem+json")
    assert int(second.headers["retry-after"]) >= 1
    assert "1ʳᵉ dans la file d'attente des analyses lourdes" in second.json()["detail"]
    assert apis.cached.get(knox + "102", headers=apis.analyst).status_code == 200  # slot free


def test_a_version_log_started_again_does_not_bring_back_old_answers(
    apis: Apis, tmp_path: Path
) -> None:
    """A database restored or emptied hands versions out again from 1: an answer kept for the
    old version 1 must not come back for the new one. (Last: it replaces the module's data.)"""
    url = "/api/v1/stats/summary?from=2025-12-31&to=2025-12-31"

    def total_once_reloaded(before: int) -> int:
        """The total, once the copy that was serving ``before`` has been replaced (the old
        copy serves while the new one loads in the background)."""
        deadline = time.monotonic() + 30
        while (total := apis.cached.get(url, headers=apis.analyst).json()["total"]) == before:
            assert time.monotonic() < deadline, "la copie en mémoire n'a pas été rechargée"
            time.sleep(0.05)
        return total

    served = apis.cached.get(url, headers=apis.analyst).json()["total"]
    with apis.engine.begin() as conn:
        conn.execute(text("TRUNCATE incident, data_change, data_version"))
    import_facts(apis, tmp_path, "AVANT", 3)  # version 1
    assert total_once_reloaded(served) == 3
    assert apis.cached.get(url, headers=apis.analyst).json()["total"] == 3  # kept
    import_facts(apis, tmp_path, "PUIS", 2)  # version 2: appended at once
    assert apis.cached.get(url, headers=apis.analyst).json()["total"] == 5
    with apis.engine.begin() as conn:  # as a restore of an older backup would leave it
        conn.execute(text("TRUNCATE incident, data_change, data_version"))
    import_facts(apis, tmp_path, "APRES", 4)  # version 1 again
    assert total_once_reloaded(5) == 4
