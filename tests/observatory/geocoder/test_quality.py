"""Quality on the committed sample extract, addresses as people type them (real Redis, addok).

A small-scale check of what benchmarks/bench_geocoding_quality.py measures on a département:
the figures and the threshold are in benchmarks/RESULTS.md (issue 19).
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.synthetic.typed_addresses import TypedAddress, generate_typed
from observatory.geocoder import Result, geocode_batch
from observatory.geocoder.load import load_ban
from observatory.geocoder.server import LocalRedis
from observatory.settings import Settings

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "samples" / "adresses-31-extrait.csv.gz"
# The threshold recommended from the département's curves (benchmarks/RESULTS.md).
THRESHOLD = 0.6


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, (lat2 - lat1) * 110_574)


@pytest.fixture(scope="module")
def sample_rows() -> list[dict[str, str]]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text, delimiter=";"))


@pytest.fixture(scope="module")
def sample_reference(redis_server: LocalRedis) -> Iterator[Settings]:
    """The sample extract loaded in databases of its own (8 and 9)."""
    settings = Settings(redis_dir=redis_server.directory, redis_port=redis_server.port, redis_db=8)
    for db in (8, 9):
        redis_server.client(db).flushdb()
    load_ban(settings, [SAMPLE])
    yield settings
    for db in (8, 9):
        redis_server.client(db).flushdb()


@pytest.fixture(scope="module")
def placed(
    sample_rows: list[dict[str, str]], sample_reference: Settings
) -> list[tuple[TypedAddress, Result | None]]:
    typed = generate_typed(sample_rows, 700, seed=23)
    found = geocode_batch([(a.text, a.citycode) for a in typed], sample_reference)
    return list(zip(typed, found, strict=True))


def kept(result: Result | None) -> bool:
    return result is not None and result.score >= THRESHOLD


def test_typed_addresses_land_within_20_m(
    placed: list[tuple[TypedAddress, Result | None]],
) -> None:
    typed = [(a, r) for a, r in placed if a.family in ("typed", "face")]
    assert len(typed) >= 300
    near = [
        kept(r) and r is not None and metres(r.lon, r.lat, a.lon or 0, a.lat or 0) <= 20
        for a, r in typed
    ]
    assert sum(near) / len(near) >= 0.95
    clean = [(a, r) for a, r in placed if a.family == "clean"]
    assert all(
        kept(r) and r is not None and metres(r.lon, r.lat, a.lon or 0, a.lat or 0) <= 20
        for a, r in clean
    )


def test_streets_that_do_not_exist_stay_under_the_threshold(
    placed: list[tuple[TypedAddress, Result | None]],
) -> None:
    missing = [(a, r) for a, r in placed if a.family == "missing_street"]
    assert len(missing) >= 40
    assert [(a.text, r) for a, r in missing if kept(r)] == []


def test_a_number_that_does_not_exist_is_placed_on_its_street(
    placed: list[tuple[TypedAddress, Result | None]],
) -> None:
    numbers = [(a, r) for a, r in placed if a.family == "missing_number"]
    assert len(numbers) >= 40
    assert all(r is None or r.type != "housenumber" for _, r in numbers)
    on_street = [kept(r) and r is not None and r.street in a.street_names for a, r in numbers]
    assert sum(on_street) / len(on_street) >= 0.9


def test_kept_placements_are_on_the_right_street(
    placed: list[tuple[TypedAddress, Result | None]],
) -> None:
    existing = [(a, r) for a, r in placed if a.truth != "none" and kept(r)]
    wrong = [a.text for a, r in existing if r is None or r.street not in a.street_names]
    assert len(wrong) <= 0.005 * len(existing) + 1
