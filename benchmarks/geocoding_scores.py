"""Placements judged against their truth: distance to the true point, right or wrong street.

A placement is « kept » when its score is at or above the threshold (what the importer keeps).
The harmful error is the wrong street: a kept placement whose street is not a true street of
the address (a commune-level answer, with no street, counts as a wrong street too). An address
that does not exist must never be kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from benchmarks.synthetic.typed_addresses import FAMILIES, TypedAddress

# Thresholds scanned to choose the importer's (the curves of RESULTS.md).
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.30, 0.96, 0.05))


class Placement(Protocol):
    lon: float
    lat: float
    score: float
    type: str
    citycode: str | None
    street: str | None


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, (lat2 - lat1) * 110_574)


@dataclass(frozen=True)
class Judged:
    """One address, its best candidate's score (-1: none) and what that candidate was."""

    family: str
    truth: str
    score: float
    distance: float  # metres to the true point; inf without a point or a candidate
    right_street: bool
    housenumber: bool
    variants: tuple[str, ...]


def judge(addresses: Sequence[TypedAddress], found: Sequence[Placement | None]) -> list[Judged]:
    """Each address with its candidate measured against the truth."""
    judged = []
    for address, result in zip(addresses, found, strict=True):
        if result is None:
            judged.append(
                Judged(
                    address.family, address.truth, -1.0, math.inf, False, False, address.variants
                )
            )
            continue
        distance = math.inf
        if address.lon is not None and address.lat is not None:
            distance = metres(result.lon, result.lat, address.lon, address.lat)
        right = (
            result.street is not None
            and result.citycode == address.citycode
            and result.street in address.street_names
        )
        judged.append(
            Judged(
                address.family,
                address.truth,
                result.score,
                distance,
                right,
                result.type == "housenumber",
                address.variants,
            )
        )
    return judged


@dataclass(frozen=True)
class Figures:
    """What a set of addresses gives at one threshold (shares of ``n``, except wrong_street)."""

    n: int
    kept: float
    within_20m: float
    within_150m: float
    right_street: float
    wrong_street: float  # of the kept placements
    street_level: float  # kept on the right street without a made-up number (missing_number)


def figures(judged: Sequence[Judged], threshold: float) -> Figures:
    n = len(judged)
    if n == 0:
        return Figures(0, 0, 0, 0, 0, 0, 0)
    kept = [j for j in judged if j.score >= threshold]
    wrong = sum(1 for j in kept if j.truth != "none" and not j.right_street)
    with_truth = sum(1 for j in kept if j.truth != "none")
    return Figures(
        n=n,
        kept=len(kept) / n,
        within_20m=sum(1 for j in kept if j.distance <= 20) / n,
        within_150m=sum(1 for j in kept if j.distance <= 150) / n,
        right_street=sum(1 for j in kept if j.right_street) / n,
        wrong_street=wrong / with_truth if with_truth else 0.0,
        street_level=sum(1 for j in kept if j.right_street and not j.housenumber) / n,
    )


def by_family(judged: Sequence[Judged], threshold: float) -> dict[str, Figures]:
    """Figures per family, then « as typed » (typed and face), then every address with a truth."""
    table = {f: figures([j for j in judged if j.family == f], threshold) for f in FAMILIES}
    table["as typed (typed + face)"] = figures(
        [j for j in judged if j.family in ("typed", "face")], threshold
    )
    table["all that exist"] = figures([j for j in judged if j.truth != "none"], threshold)
    return table


def by_variant(judged: Sequence[Judged], threshold: float) -> dict[str, Figures]:
    """The typed family's figures per variant applied (an address counts in each of its)."""
    typed = [j for j in judged if j.family == "typed"]
    names = sorted({v for j in typed for v in j.variants})
    table = {"(none)": figures([j for j in typed if not j.variants], threshold)}
    table |= {v: figures([j for j in typed if v in j.variants], threshold) for v in names}
    return table


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    as_typed_20m: float
    clean_20m: float
    wrong_street: float
    missing_kept: float  # share of non-existent streets kept
    missing_number_on_housenumber: float  # a made-up number placed on some housenumber


def curve(judged: Sequence[Judged], thresholds: Sequence[float] = THRESHOLDS) -> list[CurvePoint]:
    points = []
    missing = [j for j in judged if j.truth == "none"]
    numbers = [j for j in judged if j.family == "missing_number"]
    for t in thresholds:
        table = by_family(judged, t)
        points.append(
            CurvePoint(
                threshold=t,
                as_typed_20m=table["as typed (typed + face)"].within_20m,
                clean_20m=table["clean"].within_20m,
                wrong_street=table["all that exist"].wrong_street,
                missing_kept=sum(1 for j in missing if j.score >= t) / max(len(missing), 1),
                missing_number_on_housenumber=sum(
                    1 for j in numbers if j.score >= t and j.housenumber
                )
                / max(len(numbers), 1),
            )
        )
    return points


def choose_threshold(points: Sequence[CurvePoint], max_wrong: float = 0.005) -> float | None:
    """The lowest threshold that keeps no non-existent street and at most ``max_wrong`` wrong
    streets: the one that keeps the most right placements under those two rules."""
    for point in points:
        if point.missing_kept == 0 and point.wrong_street <= max_wrong:
            return point.threshold
    return None


def score_quantiles(judged: Sequence[Judged]) -> dict[str, list[float]]:
    """Score quantiles (min, 5 %, 25 %, median, 75 %, 95 %, max) of right placements, wrong
    streets and non-existent addresses."""
    groups = {
        "right street": [j.score for j in judged if j.truth != "none" and j.right_street],
        "wrong street": [
            j.score for j in judged if j.truth != "none" and not j.right_street and j.score >= 0
        ],
        "does not exist": [j.score for j in judged if j.truth == "none" and j.score >= 0],
    }
    q = [0, 5, 25, 50, 75, 95, 100]
    return {
        name: [float(v) for v in np.percentile(scores, q)] if scores else []
        for name, scores in groups.items()
    }
