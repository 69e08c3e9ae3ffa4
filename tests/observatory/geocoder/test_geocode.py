"""Geocoding against the loaded extract: the true point, the score, the commune filter, --json."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
from typer.testing import Result

from observatory.geocoder import geocode, geocode_batch
from observatory.settings import Settings


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, (lat2 - lat1) * 110_574)


def clean(row: dict[str, str]) -> str:
    number = f"{row['numero']} {row['rep']}".strip()
    return f"{number} {row['nom_voie']} {row['code_postal']} {row['nom_commune']}"


def sample(rows: list[dict[str, str]], n: int, seed: int = 3) -> list[dict[str, str]]:
    picks = np.random.default_rng(seed).choice(len(rows), size=n, replace=False)
    return [rows[int(i)] for i in picks]


def test_a_clean_address_lands_on_its_point(
    reference: Settings, extract_rows: list[dict[str, str]]
) -> None:
    row = next(r for r in extract_rows if r["rep"] == "bis")
    result = geocode(reference, clean(row))
    assert result is not None
    assert metres(result.lon, result.lat, float(row["lon"]), float(row["lat"])) <= 20
    assert result.type == "housenumber"
    assert result.id == row["id"]
    assert result.citycode == row["code_insee"]
    assert result.score > 0.8
    assert result.label == clean(row)


def test_clean_addresses_within_20_m(
    reference: Settings, extract_rows: list[dict[str, str]]
) -> None:
    rows = sample(extract_rows, 200)
    results = geocode_batch([(clean(r), None) for r in rows], reference)
    placed = [
        r is not None and metres(r.lon, r.lat, float(t["lon"]), float(t["lat"])) <= 20
        for r, t in zip(results, rows, strict=True)
    ]
    assert sum(placed) / len(placed) >= 0.99
    assert min(r.score for r in results if r is not None) > 0.7


def test_the_commune_filter(reference: Settings, extract_rows: list[dict[str, str]]) -> None:
    row = next(r for r in extract_rows if r["code_insee"] == "31149")  # Colomiers
    text = f"{row['numero']} {row['nom_voie']}"
    [inside, elsewhere] = geocode_batch([(text, "31149"), (text, "31157")], reference)
    assert inside is not None and inside.id == row["id"]
    assert elsewhere is None or elsewhere.citycode == "31157"


def test_an_address_that_does_not_exist(
    reference: Settings, extract_rows: list[dict[str, str]]
) -> None:
    known = {r["nom_voie"] for r in extract_rows}
    assert "Rue des Songes Creux" not in known
    results = geocode_batch(
        [
            ("12 rue des Songes Creux 31000 Toulouse", "31555"),
            ("xyzzy plugh", None),
            ("", None),
        ],
        reference,
    )
    invented, nonsense, empty = results
    assert invented is None or invented.score < 0.6
    assert nonsense is None
    assert empty is None


def test_a_number_the_street_does_not_have(
    reference: Settings, extract_rows: list[dict[str, str]]
) -> None:
    row = extract_rows[0]
    numbers = {r["numero"] for r in extract_rows if r["id_fantoir"] == row["id_fantoir"]}
    assert "997" not in numbers
    result = geocode(reference, f"997 {row['nom_voie']} {row['nom_commune']}", row["code_insee"])
    assert result is not None
    assert result.type != "housenumber"  # the street, never a made-up number
    assert result.street == row["nom_voie"]


def test_batch_keeps_order_and_repeats(
    reference: Settings, extract_rows: list[dict[str, str]]
) -> None:
    rows = sample(extract_rows, 20, seed=11)
    queries = [(clean(r), None) for r in rows]
    doubled = queries + [(f"  {q.upper()}  ", c) for q, c in queries[:5]] + queries[:5]
    results = geocode_batch(doubled, reference)
    assert len(results) == len(doubled)
    for result, row in zip(results[:20], rows, strict=True):
        assert result is not None and result.id == row["id"]
    assert results[25:] == results[:5]


def test_cli_geocode_text_and_json(
    reference: Settings,
    extract_rows: list[dict[str, str]],
    cli_in_process: Callable[[Settings, list[str]], Result],
) -> None:
    row = extract_rows[len(extract_rows) // 2]
    text = cli_in_process(reference, ["geocode", clean(row)])
    assert text.exit_code == 0, text.output
    assert f"{float(row['lon']):.6f} {float(row['lat']):.6f}" in text.output
    assert clean(row) in text.output and "(housenumber)" in text.output

    as_json = cli_in_process(
        reference, ["geocode", clean(row), "--json", "--commune", row["code_insee"]]
    )
    assert as_json.exit_code == 0, as_json.output
    answer = json.loads(as_json.stdout)
    assert answer["lon"] == float(row["lon"]) and answer["lat"] == float(row["lat"])
    assert answer["type"] == "housenumber"
    assert answer["label"] == clean(row)
    assert 0.8 < answer["score"] <= 1

    missing = cli_in_process(reference, ["geocode", "xyzzy plugh", "--json"])
    assert missing.exit_code == 1
    assert json.loads(missing.stdout) is None


def test_a_large_batch_in_worker_processes_finds_what_threads_find(
    reference: Settings, extract_rows: list[dict[str, str]]
) -> None:
    from observatory.geocoder import workers

    rows = extract_rows[: workers.POOL_MIN + 20]
    queries = [(clean(r), None) for r in rows]
    try:
        pooled = geocode_batch(queries, reference)
        assert workers._pool is not None  # the batch went to the worker processes
    finally:
        workers.close_pool()
    here = geocode_batch(queries[:40], reference)  # a small batch: this process's threads
    assert pooled[:40] == here
    for result, row in zip(pooled, rows, strict=True):
        assert result is not None and result.id == row["id"]
