"""The reading of an evaluation (issue 20): the WDQ only after a significant direct effect.

The reference figures are worked out here by hand from the counts (Bowers & Johnson's measures,
the log odds ratio's z), not taken from the code under test.
"""

from __future__ import annotations

import math

import pytest

from observatory.actions import reading
from observatory.analytics import evaluation as ev

NOT_READ = "Déplacement non interprétable : pas d'effet direct mesuré"


def read(tb: int, ta: int, bb: int, ba: int, cb: int, ca: int) -> reading.DisplacementReading:
    treated = ev.relative_effect(tb, ta, cb, ca)
    ring = ev.relative_effect(bb, ba, cb, ca)
    return reading.read_displacement(ev.displacement(tb, ta, bb, ba, cb, ca), treated, ring)


def z_of(tb: int, ta: int, cb: int, ca: int) -> float:
    return math.log(tb * ca / (ta * cb)) / math.sqrt(1 / tb + 1 / ta + 1 / cb + 1 / ca)


def wdq_of(tb: int, ta: int, bb: int, ba: int, cb: int, ca: int) -> float:
    return (ba / ca - bb / cb) / (ta / ca - tb / cb)


def test_significant_reduction_with_diffusion_is_read() -> None:
    counts = (200, 100, 200, 150, 2000, 2000)
    assert abs(z_of(200, 100, 2000, 2000)) > 1.96  # the direct effect is beyond chance
    assert wdq_of(*counts) == pytest.approx(0.5)  # (−0.025) / (−0.05)
    r = read(*counts)
    assert r.readable and r.code == "diffusion"
    assert r.wdq == pytest.approx(0.5)
    assert r.wdq_text == "0,50"
    # TNE = (200·1 − 100) + (200·1 − 150) = 150 facts avoided.
    assert r.total_net_effect == pytest.approx(150)
    assert r.net_effect_text == "150 faits en moins"
    assert r.sentence.startswith("WDQ = 0,50. Diffusion des bénéfices :")
    assert "environ 150 faits en moins" in r.sentence


def test_significant_reduction_with_displacement_is_read() -> None:
    counts = (200, 100, 200, 260, 2000, 2000)
    assert wdq_of(*counts) == pytest.approx(-0.6)  # (+0.03) / (−0.05)
    r = read(*counts)
    assert r.readable and r.code == "displacement"
    assert r.wdq_text == "−0,60"
    # TNE = (200 − 100) + (200 − 260) = 40.
    assert r.net_effect_text == "40 faits en moins"
    assert "Déplacement partiel" in r.sentence


def test_arnaud_bernard_counts_give_no_reading() -> None:
    # The demo's « Médiation de nuit, Arnaud-Bernard »: treated 132 → 137, ring 60 → 50,
    # control 1 679 → 1 745. The raw quotient is absurd (about 65); the treated change is noise.
    counts = (132, 137, 60, 50, 1679, 1745)
    assert abs(z_of(132, 137, 1679, 1745)) < 0.05
    assert wdq_of(*counts) > 60
    r = read(*counts)
    assert not r.readable and r.code == reading.NO_DIRECT_EFFECT
    assert r.wdq is None and r.total_net_effect is None
    assert r.sentence.startswith(NOT_READ)
    assert "en moins" not in r.sentence and "WDQ =" not in r.sentence
    assert r.wdq_text == "non interprétable" and r.net_effect_text == "non interprétable"


@pytest.mark.parametrize(
    "counts",
    [
        (100, 200, 80, 40, 2000, 2000),  # a significant rise: no direct effect
        (10_000, 9_990, 100, 50, 100_000, 100_000),  # a denominator near zero
        (20, 4, 30, 10, 2000, 2000),  # a fall, but a cell under 5: not measurable
    ],
)
def test_no_wdq_without_a_measured_fall(counts: tuple[int, int, int, int, int, int]) -> None:
    r = read(*counts)
    assert not r.readable and r.wdq is None
    assert r.sentence.startswith(NOT_READ)
    # The raw quotient would have said something: the gate is what keeps it out.
    raw = ev.displacement(*counts)
    assert raw.interpretation != "no_control"


def test_no_control_facts() -> None:
    r = read(100, 60, 80, 70, 0, 1000)
    assert r.code == "no_control" and r.wdq_text == "—"


@pytest.mark.parametrize(
    ("before", "after", "text"),
    [
        (132, 137, "+4\u00a0%"),
        (1000, 999, "0\u00a0%"),
        (1000, 996, "0\u00a0%"),
        (100, 75, "−25\u00a0%"),
        (0, 5, "—"),
    ],
)
def test_change_text_is_never_minus_zero(before: int, after: int, text: str) -> None:
    assert reading.change_text(before, after) == text
