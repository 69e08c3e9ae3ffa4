"""The load scenario: analysts on the map, changing filters (run by benchmarks.load).

Each simulated user sends one request after the other (no think time by default: N users are
N connections always busy, as wrk measures) to the hexagon layer and the statistics that the
front end fetches when a filter changes, with the weights below; the filter of each request is
drawn from presets relative to the data's last day. Every request's latency and start time
are kept, raw, and written to LOAD_SAMPLES when locust quits, so that percentiles are exact
(locust's own are rounded to two significant digits) and the ramp-up can be left out.

Read from the environment: LOAD_TOKEN (an analyst's token), LOAD_LAST_DAY (YYYY-MM-DD),
LOAD_CATEGORIES (three codes, comma-separated), LOAD_SAMPLES (output path), LOAD_THINK
(mean seconds between two requests of a user, drawn from ±50 %; default 0), LOAD_SEED,
LOAD_FILTERS: ``presets`` (default: the 8 filters below, what dashboards repeat) or ``varied``
(each preset's period shifted back by 0–729 days at random: analysts exploring, nearly every
request a new question, so that the API's answer cache seldom has it).
"""

from __future__ import annotations

import json
import os
import random
from datetime import date, timedelta
from itertools import count
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, constant, events, task

TOKEN = os.environ.get("LOAD_TOKEN", "")
LAST_DAY = date.fromisoformat(os.environ.get("LOAD_LAST_DAY", "2025-12-31"))
CATEGORIES = os.environ.get("LOAD_CATEGORIES", "tapage,cambriolage_logement,vol_dans_vehicule")
SAMPLES_PATH = os.environ.get("LOAD_SAMPLES", "")
THINK = float(os.environ.get("LOAD_THINK", "0"))
SEED = int(os.environ.get("LOAD_SEED", "2024"))
VARIED = os.environ.get("LOAD_FILTERS", "presets") == "varied"

GEOJSON = "application/geo+json"
JSON = "application/json"


def _day(days_before: int) -> str:
    return (LAST_DAY - timedelta(days=days_before)).isoformat()


# What analysts look at: everything, the last year, a season of three categories, the last 28
# days, nights, weekends, the QPV, the city centre.
FILTERS: list[dict[str, str]] = [
    {},
    {"from": _day(364), "to": _day(0)},
    {"from": _day(89), "to": _day(0), "categories": CATEGORIES},
    {"from": _day(27), "to": _day(0)},
    {"from": _day(364), "to": _day(0), "hours": "22-6"},
    {"from": _day(364), "to": _day(0), "weekdays": "6,7"},
    {"from": _day(364), "to": _day(0), "qpv": "in"},
    {"from": _day(364), "to": _day(0), "bbox": "1.41,43.58,1.47,43.625"},
]

SAMPLES: list[tuple[str, float, int, int, str, float]] = []
USER_NUMBERS = count()


@events.request.add_listener
def _keep(
    name: str,
    response_time: float,
    response_length: int,
    exception: BaseException | None = None,
    response: Any = None,
    start_time: float = 0.0,
    **_: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    error = "" if exception is None else f"{type(exception).__name__}: {exception}"[:200]
    SAMPLES.append((name, response_time, response_length or 0, int(status), error, start_time))


@events.quitting.add_listener
def _write(**_: Any) -> None:
    if SAMPLES_PATH:
        with open(SAMPLES_PATH, "w", encoding="utf-8") as out:
            json.dump(SAMPLES, out)


class Analyst(FastHttpUser):
    """One analyst's browser: the map and the panels of the statistics."""

    # With think time, drawn around its mean: users that all wait exactly as long stay in
    # step and send their requests in bursts.
    wait_time = between(THINK / 2, THINK * 3 / 2) if THINK else constant(0)

    def on_start(self) -> None:
        self.rng = random.Random(SEED + next(USER_NUMBERS))
        self.headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Accept-Encoding": "gzip, deflate",
        }

    def _filter(self) -> dict[str, str]:
        chosen = self.rng.choice(FILTERS)
        if not VARIED or "to" not in chosen:
            return chosen
        back = timedelta(days=self.rng.randrange(730))
        shifted = {k: (date.fromisoformat(chosen[k]) - back).isoformat() for k in ("from", "to")}
        return {**chosen, **shifted}

    def _get(self, path: str, name: str, media: str, **extra: str) -> None:
        params = {**self._filter(), **extra}
        url = f"{path}?{urlencode(params)}" if params else path
        with self.client.get(url, name=name, headers=self.headers, catch_response=True) as answer:
            kind = answer.headers.get("content-type", "") if answer.headers else ""
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}: {answer.text[:200]!r}")
            elif not kind.startswith(media):
                answer.failure(f"content-type {kind!r}")
            elif not answer.content:
                answer.failure("empty body")
            else:
                answer.success()

    @task(18)
    def hexagons_res9(self) -> None:
        self._get("/api/v1/layers/hexagons", "hexagons res=9", GEOJSON, res="9")

    @task(7)
    def hexagons_res8(self) -> None:
        self._get("/api/v1/layers/hexagons", "hexagons res=8", GEOJSON, res="8")

    @task(7)
    def hexagons_res10(self) -> None:
        self._get("/api/v1/layers/hexagons", "hexagons res=10", GEOJSON, res="10")

    @task(20)
    def summary(self) -> None:
        self._get("/api/v1/stats/summary", "stats/summary", JSON)

    @task(14)
    def timeslots(self) -> None:
        self._get("/api/v1/stats/timeslots", "stats/timeslots", JSON)

    @task(14)
    def trends(self) -> None:
        self._get("/api/v1/stats/trends", "stats/trends", JSON, step="month")

    @task(10)
    def compstat(self) -> None:
        self._get("/api/v1/stats/compstat", "stats/compstat", JSON)

    @task(10)
    def territories(self) -> None:
        self._get("/api/v1/stats/territories", "stats/territories", JSON)
