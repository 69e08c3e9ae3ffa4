"""The fair queue of costly work (api/heavy.py), through a real uvicorn server on the samples.

A real server, in a thread of the test process: its clients really connect and really leave
(a socket closed), and the test reads the queue's state on ``app.state.heavy``. One slot
(OBS_HEAVY_ANALYSES=1); near-repeat tests held at a gate stand for long computations where the
order of service is what is checked; a Gi* with 9,999 permutations and a year's Knox test are
real long ones, to be stopped; the issue's measure (cheap requests under load) is taken last.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import h3
import httpx
import numpy as np
import pytest
from sqlalchemy import Engine

from api.heavy import FIRST_GUESS_S, HeavyQueue, ordinal
from observatory.analytics.emerging import emerging_hotspots
from observatory.analytics.hotspots import gi_star_permutations, hotspots, ring_weights
from observatory.db import make_sessionmaker
from observatory.errors import Busy, Cancelled
from tests.conftest import TEST_SECRET, _truncate_all, api_settings, auth
from tests.samples import load_samples
from tests.servers import serving

KNOX = "/api/v1/stats/near-repeat?from=2025-11-01&to=2025-12-31&permutations=19&seed="
PACK = "/api/v1/reports/pack?commune=31555&from=2025-01&to=2025-12&format=html"
# About ten seconds of CPU each when computed to the end: a Gi* over 58,138 cells with rings
# of 127 and 9,999 permutations; a Knox test of a year's facts with 999 permutations.
LONG_GI = "/api/v1/layers/hotspots?commune=31555&res=11&k=6&permutations=9999&seed=31"
LONG_KNOX = "/api/v1/stats/near-repeat?from=2025-01-01&to=2025-12-31&permutations=999&seed=31"


@dataclass
class Server:
    url: str
    port: int
    app: Any
    a: str  # two users' tokens
    b: str

    @property
    def queue(self) -> HeavyQueue:
        queue: HeavyQueue = self.app.state.heavy
        return queue

    def get(self, path: str, token: str, timeout: float = 60) -> httpx.Response:
        return httpx.get(self.url + path, headers=auth(token), timeout=timeout)


@pytest.fixture(scope="module")
def server(engine: Engine, database_url: str) -> Iterator[Server]:
    from api.main import create_app
    from observatory.tokens import create_token

    settings = api_settings(
        database_url,
        heavy_analyses=1,
        heavy_queue_per_token=3,
        heavy_queue_size=32,
        heavy_wait_seconds=20,
    )
    _truncate_all(engine)
    load_samples(engine, settings)
    with make_sessionmaker(engine).begin() as session:
        a = create_token(session, "queue-a", "police", TEST_SECRET)
        b = create_token(session, "queue-b", "police", TEST_SECRET)
    app = create_app(settings)
    # log_config=None: uvicorn's records reach the root logger, where caplog sees them.
    try:
        with serving(app, log_config=None, access_log=False) as port:
            yield Server(f"http://127.0.0.1:{port}", port, app, a, b)
    finally:
        _truncate_all(engine)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[int]]]:
    """Near-repeat tests that wait at a gate (or stop there if their client leaves), then note
    their seed in the order they ran."""
    from api.routers import hotspots as routes

    opened, order = threading.Event(), []
    knox_test = routes.knox_test

    def gated(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + 30
        while not opened.wait(0.01):
            if kwargs["cancelled"]():
                raise Cancelled("abandonné à la barrière")
            assert time.monotonic() < deadline
        order.append(kwargs["seed"])
        return knox_test(*args, **kwargs)

    monkeypatch.setattr(routes, "knox_test", gated)
    yield opened, order
    opened.set()  # nothing left hanging if an assertion failed


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> float:
    """Seconds until the condition holds (the queue is read from another thread: retried)."""
    start = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - start
        except RuntimeError:  # a dict changed size while read
            pass
        assert time.monotonic() - start < timeout, "condition not reached in time"
        time.sleep(0.01)


def send(pool: ThreadPoolExecutor, server: Server, path: str, token: str) -> Future[httpx.Response]:
    return pool.submit(server.get, path, token)


def open_request(server: Server, path: str, token: str) -> socket.socket:
    """A request sent on a raw connection, whose client will leave by closing it."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    return sock


def test_a_user_with_one_request_passes_before_another_users_queue(
    server: Server, gate: tuple[threading.Event, list[int]]
) -> None:
    """A queues four near-repeat tests (one runs, three wait), then B one: B's is served
    second, before A's three others, which keep their order."""
    opened, order = gate
    with ThreadPoolExecutor(5) as pool:
        answers = [send(pool, server, KNOX + "1", server.a)]
        wait_until(lambda: server.queue.running == 1)
        for waiting, seed in enumerate((2, 3, 4), start=1):
            answers.append(send(pool, server, KNOX + str(seed), server.a))
            wait_until(lambda: server.queue.waiting == waiting)  # noqa: B023 (called at once)
        answers.append(send(pool, server, KNOX + "100", server.b))
        wait_until(lambda: server.queue.waiting == 4)
        opened.set()
        assert [a.result().status_code for a in answers] == [200] * 5
    assert order == [1, 100, 2, 3, 4]
    assert (server.queue.running, server.queue.waiting) == (0, 0)


def test_too_many_waiting_is_an_immediate_503_with_the_place_in_the_queue(
    server: Server, gate: tuple[threading.Event, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three waiting for A (OBS_HEAVY_QUEUE_PER_TOKEN=3): A's fifth is refused at once, B's
    first still queues; a full queue refuses B's next. Each 503 in French says where the
    request would stand and when to retry, in its detail and in Retry-After."""
    opened, _ = gate
    monkeypatch.setattr(server.queue, "size", 4)
    with ThreadPoolExecutor(5) as pool:
        answers = [send(pool, server, KNOX + "11", server.a)]
        wait_until(lambda: server.queue.running == 1)
        for seed in (12, 13, 14):
            answers.append(send(pool, server, KNOX + str(seed), server.a))
        wait_until(lambda: server.queue.waiting == 3)
        started = time.monotonic()
        refused = server.get(KNOX + "15", server.a)
        assert time.monotonic() - started < 2  # at once, not after OBS_HEAVY_WAIT_SECONDS
        answers.append(send(pool, server, KNOX + "111", server.b))
        wait_until(lambda: server.queue.waiting == 4)
        full = server.get(KNOX + "112", server.b)
        opened.set()
        assert [a.result().status_code for a in answers] == [200] * 5

    # B, served less recently than A, would come first, then A's next, then this one: third.
    for answer, place in ((refused, 4), (full, 3)):
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        detail = answer.json()["detail"]
        assert f"{ordinal(place)} dans la file d'attente des analyses lourdes" in detail
        retry = int(answer.headers["retry-after"])
        assert retry >= 1
        assert f"Réessayez dans {retry} s" in detail
    assert "Ce jeton a déjà 3 analyses lourdes en attente (au plus 3)" in refused.json()["detail"]
    assert full.json()["detail"].startswith("File pleine")


def test_a_client_that_leaves_while_waiting_leaves_the_queue(
    server: Server, gate: tuple[threading.Event, list[int]]
) -> None:
    """B's request waits behind A's, then B closes the connection: out of the queue at once,
    never computed."""
    opened, order = gate
    with ThreadPoolExecutor(2) as pool:
        first = send(pool, server, KNOX + "21", server.a)
        wait_until(lambda: server.queue.running == 1)
        left = server.queue.abandoned
        sock = open_request(server, KNOX + "22", server.b)
        wait_until(lambda: server.queue.waiting == 1)
        sock.close()
        wait_until(lambda: server.queue.waiting == 0, 5)
        assert server.queue.abandoned == left + 1
        opened.set()
        assert first.result().status_code == 200
    assert order == [21]  # the one that left never ran
    assert server.queue.running == 0


def test_the_same_question_asked_meanwhile_is_answered_when_the_first_client_leaves(
    server: Server, gate: tuple[threading.Event, list[int]]
) -> None:
    """B asks twice what A's computation is answering, and waits for it (not in the queue); A
    leaves: one of B's requests computes the answer, the other waits for that one."""
    opened, order = gate
    answers = server.app.state.answers
    computed = answers.computed
    sock = open_request(server, KNOX + "51", server.a)
    wait_until(lambda: server.queue.running == 1)
    with ThreadPoolExecutor(2) as pool:
        same = [send(pool, server, KNOX + "51", server.b) for _ in range(2)]
        time.sleep(0.3)  # both wait for A's answer
        assert (answers.computed, server.queue.waiting) == (computed + 1, 0)
        sock.close()
        wait_until(lambda: answers.computed == computed + 2)  # one computation of B's
        time.sleep(0.2)
        opened.set()
        assert [s.result().status_code for s in same] == [200, 200]
    assert same[0].result().content == same[1].result().content
    assert order == [51]  # A's stopped at the gate, one of B's computed
    assert server.get(KNOX + "51", server.a).status_code == 200
    assert answers.computed == computed + 2  # kept: the last one came from the cache


def test_packs_take_their_turn_in_the_queue(
    server: Server, gate: tuple[threading.Event, list[int]]
) -> None:
    """A CLSPD pack waits while a near-repeat test holds the slot, then is made."""
    opened, _ = gate
    with ThreadPoolExecutor(2) as pool:
        first = send(pool, server, KNOX + "41", server.a)
        wait_until(lambda: server.queue.running == 1)
        pack = send(pool, server, PACK, server.b)
        wait_until(lambda: server.queue.waiting == 1)
        time.sleep(0.2)
        assert not pack.done()
        opened.set()
        assert first.result().status_code == 200
        assert pack.result().status_code == 200
    assert pack.result().headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("analysis", "path"), [("hotspots", LONG_GI), ("knox_test", LONG_KNOX)])
def test_a_client_that_leaves_while_computing_frees_the_slot(
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    analysis: str,
    path: str,
) -> None:
    """A long analysis (seconds of CPU) stops within a batch once its client has gone: the
    slot is free again long before the computation would have ended, the next request
    computes, nothing is kept, and no error is logged."""
    from api.routers import hotspots as routes

    permuting, outcome = threading.Event(), []
    computation = getattr(routes, analysis)

    def watched(*args: Any, **kwargs: Any) -> Any:
        permuting.set()  # the facts or the study area are ready: the long part starts
        try:
            result = computation(*args, **kwargs)
        except Cancelled:
            outcome.append("cancelled")
            raise
        outcome.append("finished")
        return result

    monkeypatch.setattr(routes, analysis, watched)
    caplog.set_level(logging.INFO)
    kept = len(server.app.state.answers)
    sock = open_request(server, path, server.a)
    assert permuting.wait(30)
    time.sleep(0.3)  # well inside the long part
    sock.close()
    freed = wait_until(lambda: server.queue.running == 0, 10)
    # The proof that it stopped is « cancelled » (the computation did not finish); the time
    # bound is loose, for a loaded 2-core machine (3.7 s once under a load of 5).
    assert freed < 8, freed
    assert outcome == ["cancelled"]
    assert len(server.app.state.answers) == kept
    after = server.get(KNOX + "32", server.b)
    assert after.status_code == 200
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("le client est parti" in r.getMessage() for r in caplog.records)


def test_cheap_requests_stay_fast_while_a_user_fires_costly_ones(server: Server) -> None:
    """The issue's measure: A runs four loops of costly requests (near-repeat tests over a
    year, and CLSPD packs) as fast as the queue lets them; meanwhile B's statistics, each a
    new question (not in the answer cache), answer with a 95th percentile under a second."""
    stop = threading.Event()
    served: list[int] = []
    heavy = [
        "/api/v1/stats/near-repeat?from=2025-01-01&to=2025-12-31&permutations=99&seed=",
        "/api/v1/stats/near-repeat?from=2025-01-01&to=2025-12-31&permutations=99&seed=",
        "/api/v1/stats/near-repeat?from=2025-01-01&to=2025-12-31&permutations=99&seed=",
        PACK + "&generation=",
    ]

    def costly(loop: int) -> None:
        with httpx.Client(headers=auth(server.a), timeout=60) as client:
            for n in range(1000):
                if stop.is_set():
                    return
                # Packs are never cached; the seeds make every near-repeat test a new one.
                suffix = str(2024 if n % 2 else 2015) if loop == 3 else f"{1000 * loop + n}"
                answer = client.get(server.url + heavy[loop] + suffix)
                served.append(answer.status_code)
                if answer.status_code == 503:
                    time.sleep(0.1)

    latencies = []
    with ThreadPoolExecutor(4) as pool:
        loops = [pool.submit(costly, loop) for loop in range(4)]
        wait_until(lambda: server.queue.running == 1 and server.queue.waiting >= 2, 30)
        with httpx.Client(headers=auth(server.b), timeout=60) as client:
            for day in range(60):
                to = date(2025, 10, 1) + timedelta(days=day)
                started = time.monotonic()
                answer = client.get(f"{server.url}/api/v1/stats/summary?from=2024-06-01&to={to}")
                latencies.append(time.monotonic() - started)
                assert answer.status_code == 200
                time.sleep(0.05)
        under_load = server.queue.running == 1
        stop.set()
        for loop in loops:
            loop.result()
    p95 = statistics.quantiles(latencies, n=20)[-1]
    assert p95 < 1.0, (p95, max(latencies))
    assert under_load
    assert served.count(200) >= 3  # the costly ones did run meanwhile


# The queue by itself, in an event loop of the test (no server).


def test_the_queue_serves_the_tokens_in_turn_least_recently_served_first() -> None:
    async def scenario() -> list[str]:
        queue = HeavyQueue(slots=1, per_token=5, size=32, wait_seconds=5)
        order: list[str] = []

        async def job(token: int, name: str) -> None:
            await queue.acquire(token)
            order.append(name)
            await asyncio.sleep(0.01)
            queue.release(token)

        tasks = [asyncio.create_task(job(1, f"a{i}")) for i in range(4)]
        await asyncio.sleep(0.005)
        tasks += [asyncio.create_task(job(2, f"b{i}")) for i in range(2)]
        tasks.append(asyncio.create_task(job(3, "c0")))
        await asyncio.sleep(0)
        assert queue.waiting == 6  # a0 runs
        await asyncio.gather(*tasks)
        assert (queue.running, queue.waiting) == (0, 0)
        return order

    assert asyncio.run(scenario()) == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]


def test_a_wait_too_long_is_a_503_and_the_slot_is_not_lost() -> None:
    async def scenario() -> None:
        queue = HeavyQueue(slots=1, per_token=2, size=32, wait_seconds=0.05)
        await queue.acquire(1)
        with pytest.raises(Busy, match=r"0,05 s d'attente.*1ʳᵉ dans la file") as refused:
            await queue.acquire(2)
        assert refused.value.retry_after == FIRST_GUESS_S  # 1st, no duration known yet
        gone = asyncio.Event()
        waiting = asyncio.create_task(queue.acquire(2, gone))
        await asyncio.sleep(0.01)
        gone.set()
        with pytest.raises(Cancelled):
            await waiting
        queue.release(1)
        assert (queue.running, queue.waiting) == (0, 0)

    asyncio.run(scenario())


def test_french_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 10)] == ["1ʳᵉ", "2ᵉ", "3ᵉ", "10ᵉ"]


def test_analyses_stop_when_asked_and_give_the_same_results_otherwise() -> None:
    rng = np.random.default_rng(7)
    area = np.array(sorted(int(c, 16) for c in h3.grid_disk("8939601a5cbffff", 4)))
    counts = rng.poisson(2, area.size).astype(float)
    w = ring_weights(area, 1)
    np.testing.assert_array_equal(
        gi_star_permutations(counts, w, 99, seed=3, cancelled=lambda: False),
        gi_star_permutations(counts, w, 99, seed=3),
    )
    with pytest.raises(Cancelled):
        hotspots(area, counts, 1, permutations=99, cancelled=lambda: True)
    cube = rng.poisson(2, (area.size, 8)).astype(float)
    same = emerging_hotspots(area, cube, cancelled=lambda: False)
    np.testing.assert_array_equal(same.code, emerging_hotspots(area, cube).code)
    with pytest.raises(Cancelled):
        emerging_hotspots(area, cube, cancelled=lambda: True)
