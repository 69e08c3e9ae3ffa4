"""The CLSPD pack prepared in the background (api/routers/packjobs.py, api/jobs.py).

A real uvicorn server on the samples, one slot of costly work: jobs really wait in the fair
queue while the test reads their state. Packs held at a gate (the real pack made once the gate
opens) stand for long ones where the order and the bounds are what is checked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.jobs import JobBoard
from observatory.db import make_sessionmaker
from observatory.tokens import create_token
from tests.conftest import TEST_SECRET, _truncate_all, api_settings, auth, role_tokens
from tests.samples import load_samples
from tests.servers import serving

JOBS = "/api/v1/reports/pack/jobs"
# One month: the quickest real pack.
DECEMBER = {"commune": "31555", "from": "2025-12", "to": "2025-12", "format": "html"}


@dataclass
class Server:
    url: str
    app: Any
    tokens: dict[str, str]

    def post(self, role: str, **params: str) -> httpx.Response:
        return httpx.post(
            self.url + JOBS, params=params, headers=auth(self.tokens[role]), timeout=30
        )

    def get(self, role: str, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=auth(self.tokens[role]), timeout=30)

    def delete(self, role: str, path: str) -> httpx.Response:
        return httpx.delete(self.url + path, headers=auth(self.tokens[role]), timeout=30)

    def wait(self, role: str, job_id: str, states: tuple[str, ...], timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            answer = self.get(role, f"{JOBS}/{job_id}")
            assert answer.status_code == 200, answer.text
            body = answer.json()
            if body["state"] in states:
                return body
            assert time.monotonic() < deadline, f"still {body['state']}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def server(engine: Engine, database_url: str) -> Iterator[Server]:
    from api.main import create_app

    settings = api_settings(
        database_url,
        heavy_analyses=1,
        heavy_queue_per_token=3,
        heavy_queue_size=3,
        heavy_wait_seconds=60,
    )
    _truncate_all(engine)
    load_samples(engine, settings)
    roles = ("admin", "police", "analyst", "partner")
    tokens = role_tokens(engine, roles, "jobs-")
    with make_sessionmaker(engine).begin() as session:  # other police officers: b, c, d
        for name in ("b", "c", "d"):
            tokens[name] = create_token(session, f"jobs-police-{name}", "police", TEST_SECRET)
    app = create_app(settings)
    try:
        with serving(app, access_log=False) as port:
            yield Server(f"http://127.0.0.1:{port}", app, tokens)
    finally:
        _truncate_all(engine)


@pytest.fixture
def board(server: Server) -> Iterator[JobBoard]:
    """A fresh job board for each test (the bounds each test sets)."""
    server.app.state.jobs = JobBoard(per_token=3, total=24, keep_seconds=900)
    yield server.app.state.jobs


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Packs that wait until the gate opens, then are made for real."""
    from api.routers import packjobs

    opened = threading.Event()
    build = packjobs.build_pack

    def gated(*args: Any, **kwargs: Any) -> bytes:
        assert opened.wait(60)
        return build(*args, **kwargs)

    monkeypatch.setattr(packjobs, "build_pack", gated)
    yield opened
    opened.set()


def test_a_job_gives_the_pack_of_the_get_endpoint(server: Server, board: JobBoard) -> None:
    started = server.post("police", **{**DECEMBER, "format": "pdf"})
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] in ("en_attente", "en_cours", "pret")
    assert job["filename"] == "pack-clspd-31555-2025-12-2025-12.pdf"
    done = server.wait("police", job["id"], ("pret", "echec"))
    assert done["state"] == "pret", done
    assert done["label"].startswith("Prêt")
    assert 0 < done["expires_in"] <= 900
    got = server.get("police", done["file"])
    assert got.status_code == 200
    assert got.content.startswith(b"%PDF-")
    assert got.headers["content-type"] == "application/pdf"
    assert (
        got.headers["content-disposition"]
        == 'attachment; filename="pack-clspd-31555-2025-12-2025-12.pdf"'
    )
    # The same pack as the direct endpoint: same number of pages.
    direct = httpx.get(
        server.url + "/api/v1/reports/pack",
        params={**DECEMBER, "format": "pdf"},
        headers=auth(server.tokens["police"]),
        timeout=120,
    )
    assert direct.status_code == 200
    assert got.content.count(b"/Type /Page\n") == direct.content.count(b"/Type /Page\n")


def test_only_the_owner_sees_a_job(server: Server, board: JobBoard) -> None:
    job = server.post("police", **DECEMBER).json()
    done = server.wait("police", job["id"], ("pret",))
    own = server.get("police", done["file"])
    assert own.status_code == 200 and b"<html" in own.content[:2000].lower()
    made_up = f"{JOBS}/{'A' * 22}"
    unknown = server.get("b", made_up)
    assert unknown.status_code == 404
    # Another token, even knowing the id, learns nothing more than from a made-up id.
    for path in (f"{JOBS}/{job['id']}", f"{JOBS}/{job['id']}/file"):
        foreign = server.get("b", path)
        assert foreign.status_code == 404
        assert foreign.json()["detail"] == unknown.json()["detail"]
        assert "inconnue" in foreign.json()["detail"]
    assert server.delete("b", f"{JOBS}/{job['id']}").status_code == 404
    assert server.get("police", f"{JOBS}/{job['id']}").status_code == 200
    # Its owner may forget it; then it is gone for them too.
    assert server.delete("police", f"{JOBS}/{job['id']}").status_code == 204
    assert server.get("police", f"{JOBS}/{job['id']}").status_code == 404


def test_unknown_and_malformed_ids(server: Server, board: JobBoard) -> None:
    assert server.get("police", f"{JOBS}/nimportequoi").status_code == 404
    assert server.get("police", f"{JOBS}/nimportequoi/file").status_code == 404
    long = server.get("police", f"{JOBS}/{'x' * 65}")
    assert long.status_code == 422
    assert long.headers["content-type"].startswith("application/problem+json")


def test_roles_and_levels_as_the_pack_endpoint(server: Server, board: JobBoard) -> None:
    refused = server.post("partner", **DECEMBER, level="full")
    assert refused.status_code == 403
    assert "partenaires" in refused.json()["detail"]
    partner = server.post("partner", **DECEMBER).json()
    assert partner["filename"].endswith("-partenaires.html")
    analyst = server.post("analyst", **DECEMBER).json()
    assert not analyst["filename"].endswith("-partenaires.html")
    bad = server.post("police", **{**DECEMBER, "format": "docx"})
    assert bad.status_code == 422 and "html ou pdf" in bad.json()["detail"]
    no_token = httpx.post(server.url + JOBS, params=DECEMBER, timeout=30)
    assert no_token.status_code == 401
    for role, job in (("partner", partner), ("analyst", analyst)):
        assert server.wait(role, job["id"], ("pret",))["state"] == "pret"


def test_jobs_wait_their_turn_and_a_full_queue_is_a_503(
    server: Server, board: JobBoard, gate: threading.Event
) -> None:
    first = server.post("police", **DECEMBER).json()  # takes the only slot, held at the gate
    server.wait("police", first["id"], ("en_cours",))
    second = server.post("b", **DECEMBER).json()
    third = server.post("c", **DECEMBER).json()
    fourth = server.post("c", **DECEMBER).json()
    assert [
        server.get(t, f"{JOBS}/{j['id']}").json()["place"]
        for t, j in (("b", second), ("c", third), ("c", fourth))
    ] == [1, 2, 3]
    waiting = server.get("c", f"{JOBS}/{third['id']}").json()
    assert waiting["state"] == "en_attente"
    assert waiting["label"] == "En attente : 2ᵉ dans la file des analyses lourdes."
    # Three waiting: the queue (OBS_HEAVY_QUEUE_SIZE=3) is full, for anyone.
    full = server.post("d", **DECEMBER)
    assert full.status_code == 503
    assert int(full.headers["retry-after"]) >= 1
    assert "File pleine" in full.json()["detail"]
    gate.set()
    for token, job in (("police", first), ("b", second), ("c", third), ("c", fourth)):
        assert server.wait(token, job["id"], ("pret", "echec"))["state"] == "pret"
    assert server.post("d", **DECEMBER).status_code == 202


def test_jobs_are_bounded_per_token(server: Server, board: JobBoard, gate: threading.Event) -> None:
    server.app.state.jobs = JobBoard(per_token=2, total=24, keep_seconds=900)
    first = server.post("police", **DECEMBER).json()
    second = server.post("police", **DECEMBER).json()
    refused = server.post("police", **DECEMBER)
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) >= 1
    assert "Vous avez déjà 2 préparations en cours" in refused.json()["detail"]
    # Another token is not held back by this one's jobs.
    other = server.post("b", **DECEMBER)
    assert other.status_code == 202
    gate.set()
    for job in (first, second):
        server.wait("police", job["id"], ("pret",))
    # Finished jobs make room: the oldest is forgotten for the new one.
    third = server.post("police", **DECEMBER)
    assert third.status_code == 202
    assert server.get("police", f"{JOBS}/{first['id']}").status_code == 404
    assert server.get("police", f"{JOBS}/{second['id']}").status_code == 200
    assert len(server.app.state.jobs) == 3  # two of police's, one of b's


def test_jobs_bounded_in_total_and_never_dropping_anothers(
    server: Server, board: JobBoard, gate: threading.Event
) -> None:
    server.app.state.jobs = JobBoard(per_token=3, total=2, keep_seconds=900)
    mine = server.post("police", **DECEMBER).json()
    theirs = server.post("b", **DECEMBER).json()
    gate.set()
    server.wait("police", mine["id"], ("pret",))
    server.wait("b", theirs["id"], ("pret",))
    # The process is full: a third token's job would have to drop someone else's file.
    refused = server.post("c", **DECEMBER)
    assert refused.status_code == 503
    assert "2 préparations" in refused.json()["detail"]
    assert server.get("b", f"{JOBS}/{theirs['id']}").status_code == 200
    # The owner of a finished job makes room with their own.
    assert server.post("police", **DECEMBER).status_code == 202
    assert server.get("police", f"{JOBS}/{mine['id']}").status_code == 404


def test_finished_jobs_expire(server: Server, board: JobBoard) -> None:
    server.app.state.jobs = JobBoard(per_token=3, total=24, keep_seconds=0.5)
    job = server.post("police", **DECEMBER).json()
    server.wait("police", job["id"], ("pret",))
    time.sleep(0.8)
    assert server.get("police", f"{JOBS}/{job['id']}").status_code == 404
    assert len(server.app.state.jobs) == 0
