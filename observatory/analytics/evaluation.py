"""Before/after statistics of a place-based action: relative effect, displacement, warnings.

Letters: T the treated area, B the buffer ring around it, C the control area; b before, a after.

Relative effect size (Welsh & Farrington's CCTV and street-lighting meta-analyses). Their table
has the experimental area's counts a (before) and b (after), the control's c and d:

    RES = OR = (a·d) / (b·c) = (Tb·Ca) / (Ta·Cb) = (Ca/Cb) / (Ta/Tb)

RES > 1 means crime fell in the treated area relative to the control (the desirable
direction); the plain reading is the relative change 1/OR − 1 = (Ta/Tb)/(Ca/Cb) − 1, negative
when the treated area did better. Under Poisson counts var(ln OR) = 1/a + 1/b + 1/c + 1/d, the
95 % interval is exp(ln OR ± 1.96·√var) and p comes from z = ln OR / √var. A zero count makes
ln OR infinite: 0.5 is then added to the four cells (Haldane–Anscombe) and the effect is in any
case « non mesurable ».

Honesty rule: the effect is measurable only when every one of the four counts is at least
MIN_COUNT (5) and the interval spans at most a factor MAX_CI_RATIO (4) from its low to its high
end; otherwise the reading says « effet non mesurable avec ces effectifs ».

Weighted Displacement Quotient (Bowers & Johnson 2003):

    success measure  S = Ta/Ca − Tb/Cb          (< 0: the treated area improved)
    buffer measure   D = Ba/Ca − Bb/Cb          (> 0: possible displacement, < 0: diffusion)
    WDQ = D / S, read only when the treated area fell significantly (observatory/actions/
    reading.py: otherwise S is noise around zero):
        WDQ > 1        diffusion of benefits greater than the direct effect
        0 < WDQ ≤ 1    diffusion of benefits
        WDQ = 0        neither displacement nor diffusion
        −1 ≤ WDQ < 0   displacement smaller than the direct effect (net benefit)
        WDQ < −1       displacement greater than the direct effect (net loss)

Total net effect (Guerette 2009): TNE = [Tb·Ca/Cb − Ta] + [Bb·Ca/Cb − Ba], the facts avoided
(> 0) or added (< 0) in the treated area and the ring together, against the control's trend.

Regression to the mean: when the N months just before the start are above 90 % of the
N-month windows (month by month) of the three years before them, the place may have been
chosen for a peak that would have faded anyway; the output warns (six windows at least).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from observatory.french import NBSP, fr, fr_percent

Z95 = 1.959963984540054
MIN_COUNT = 5
MAX_CI_RATIO = 4.0
ALPHA = 0.05
RTM_SHARE = 0.9
RTM_MIN_WINDOWS = 6


def _p_value(z: float) -> float:
    """Two-sided p of a standard normal z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


@dataclass(frozen=True)
class RelativeEffect:
    """The odds ratio of an area against the control, and what can be said of it."""

    before: int
    after: int
    control_before: int
    control_after: int
    odds_ratio: float
    log_odds_ratio: float
    standard_error: float
    ci_low: float
    ci_high: float
    z: float
    p: float
    relative_change: float  # 1/OR − 1: the area's evolution over and above the control's
    relative_change_low: float
    relative_change_high: float
    corrected: bool  # 0.5 added to every cell because one of them was 0
    measurable: bool
    significant: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in asdict(self).items()}


def relative_effect(
    before: int, after: int, control_before: int, control_after: int
) -> RelativeEffect:
    """RES = (Tb·Ca)/(Ta·Cb) with its 95 % interval and p (> 1: the area did better)."""
    counts = (before, after, control_before, control_after)
    if any(n < 0 for n in counts):
        raise ValueError("les comptes doivent être positifs ou nuls")
    corrected = any(n == 0 for n in counts)
    tb, ta, cb, ca = (n + 0.5 if corrected else float(n) for n in counts)
    log_or = math.log(tb) + math.log(ca) - math.log(ta) - math.log(cb)
    se = math.sqrt(1 / tb + 1 / ta + 1 / cb + 1 / ca)
    low, high = math.exp(log_or - Z95 * se), math.exp(log_or + Z95 * se)
    z = log_or / se
    p = _p_value(z)
    measurable = min(counts) >= MIN_COUNT and high / low <= MAX_CI_RATIO
    return RelativeEffect(
        before=before,
        after=after,
        control_before=control_before,
        control_after=control_after,
        odds_ratio=math.exp(log_or),
        log_odds_ratio=log_or,
        standard_error=se,
        ci_low=low,
        ci_high=high,
        z=z,
        p=p,
        relative_change=math.exp(-log_or) - 1,
        # A higher OR is a lower relative change: the bounds swap.
        relative_change_low=1 / high - 1,
        relative_change_high=1 / low - 1,
        corrected=corrected,
        measurable=measurable,
        significant=p < ALPHA,
    )


@dataclass(frozen=True)
class Displacement:
    """Bowers & Johnson's measures for the buffer ring, and the total net effect."""

    success_measure: float | None
    buffer_measure: float | None
    wdq: float | None
    total_net_effect: float | None
    interpretation: str  # a code of WDQ_READINGS

    def as_dict(self) -> dict[str, Any]:
        out = {k: _plain(v) for k, v in asdict(self).items()}
        out["interpretation_label"] = WDQ_READINGS[self.interpretation]
        return out


WDQ_READINGS = {
    "no_control": "Zone témoin sans fait sur une des périodes : le quotient ne se calcule pas.",
    "no_success": (
        "La zone traitée n'a pas baissé par rapport à la zone témoin : le quotient de "
        "déplacement (WDQ) ne s'interprète pas."
    ),
    "diffusion_greater": (
        "Diffusion des bénéfices plus forte que l'effet direct : l'anneau autour de la zone "
        "a baissé davantage encore que la zone traitée."
    ),
    "diffusion": (
        "Diffusion des bénéfices : l'anneau autour de la zone a lui aussi baissé, moins que "
        "la zone traitée."
    ),
    "none": "Ni déplacement ni diffusion dans l'anneau autour de la zone.",
    "displacement": (
        "Déplacement partiel : une partie des faits semble s'être reportée dans l'anneau, "
        "moins que ce que la zone traitée a gagné (bilan net favorable)."
    ),
    "displacement_greater": (
        "Déplacement supérieur à l'effet direct : le report dans l'anneau dépasse la baisse "
        "de la zone traitée (bilan net défavorable)."
    ),
}


def displacement(
    before: int,
    after: int,
    buffer_before: int,
    buffer_after: int,
    control_before: int,
    control_after: int,
) -> Displacement:
    """WDQ = (Ba/Ca − Bb/Cb) / (Ta/Ca − Tb/Cb), read only when the treated area improved."""
    if control_before <= 0 or control_after <= 0:
        return Displacement(None, None, None, None, "no_control")
    ca, cb = float(control_after), float(control_before)
    success = after / ca - before / cb
    buffer = buffer_after / ca - buffer_before / cb
    tne = (before * ca / cb - after) + (buffer_before * ca / cb - buffer_after)
    if success >= 0:
        return Displacement(success, buffer, None, tne, "no_success")
    wdq = buffer / success
    if wdq > 1:
        code = "diffusion_greater"
    elif wdq > 0:
        code = "diffusion"
    elif wdq == 0:
        code = "none"
    elif wdq >= -1:
        code = "displacement"
    else:
        code = "displacement_greater"
    return Displacement(success, buffer, wdq, tne, code)


@dataclass(frozen=True)
class RegressionCheck:
    """Was the treated area at a peak just before the action? (regression to the mean)."""

    recent: int
    windows: int
    mean: float | None
    share_below: float | None
    judged: bool
    warning: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in asdict(self).items()}


def regression_check(recent: int, history: np.ndarray) -> RegressionCheck:
    """Warn when ``recent`` is above RTM_SHARE of the earlier windows' counts (six at least)."""
    history = np.asarray(history, dtype=np.float64)
    if history.size < RTM_MIN_WINDOWS:
        return RegressionCheck(recent, int(history.size), None, None, False, False)
    mean = float(history.mean())
    share = float(np.count_nonzero(history < recent) / history.size)
    return RegressionCheck(
        recent, int(history.size), mean, share, True, share >= RTM_SHARE and recent > mean
    )


# -- French readings ---------------------------------------------------------------------------


def fr_p(p: float) -> str:
    return "p < 0,001" if p < 0.001 else f"p = {fr(p, 3)}"


def plural(n: int, word: str) -> str:
    return f"{fr(n)} {word}{'s' if abs(n) > 1 else ''}"


def effect_reading(effect: RelativeEffect, area: str = "la zone traitée") -> str:
    """What the relative effect says, in plain French, with its honesty rule applied."""
    interval = (
        f"intervalle de confiance à 95{NBSP}% de {fr_percent(100 * effect.relative_change_low, 0)} "
        f"à {fr_percent(100 * effect.relative_change_high, 0)}"
    )
    counts = (
        f"{plural(effect.before, 'fait')} avant et {fr(effect.after)} après dans {area}, "
        f"{fr(effect.control_before)} et {fr(effect.control_after)} dans la zone témoin"
    )
    change = fr_percent(100 * effect.relative_change, 0)
    if not effect.measurable:
        return (
            f"Effet non mesurable avec ces effectifs ({counts}) : l'évolution relative "
            f"estimée ({change}) a un {interval}, trop large pour conclure."
        )
    if effect.significant:
        word = "Baisse" if effect.relative_change < 0 else "Hausse"
        size = fr_percent(100 * abs(effect.relative_change), 0, signed=False)
        return (
            f"{word} relative de {size} dans {area} par rapport à la zone témoin "
            f"({interval}, {fr_p(effect.p)}) : {counts}."
        )
    return (
        f"Pas d'effet distinguable du hasard dans {area} : évolution relative de {change} par "
        f"rapport à la zone témoin ({interval}, {fr_p(effect.p)}) ; {counts}."
    )


def direction_text() -> str:
    """How to read the odds ratio, said once in every output."""
    return (
        "Rapport des cotes (RES) = (Tavant × Témoin après) / (Taprès × Témoin avant) : "
        "au-dessus de 1, les faits ont baissé dans la zone traitée par rapport à la zone "
        "témoin ; au-dessous de 1, ils y ont augmenté. Évolution relative = 1/RES − 1."
    )


def _plain(value: object) -> object:
    """Floats rounded for JSON, NaN and infinities as None."""
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value
