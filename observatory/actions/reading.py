"""What an evaluation may be read to say: the one place the API, the page and the pack take it from.

The weighted displacement quotient (Bowers & Johnson 2003) divides the ring's change by the
treated area's: it means something only when the treated area did fall, beyond chance, against
the control. Otherwise its denominator is noise around zero (a « −0 % » change gave a WDQ of 65)
and neither it nor the total net effect is read: « déplacement non interprétable : pas d'effet
direct mesuré ». When the treated effect is significant, the denominator
S = Ta/Ca − Tb/Cb = (Tb/Cb)·(relative change) is at least 1.96 standard errors from zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from observatory.analytics.evaluation import (
    WDQ_READINGS,
    Displacement,
    RelativeEffect,
    fr_p,
    plural,
)
from observatory.french import DASH, NBSP, fr, fr_percent

NO_DIRECT_EFFECT = "no_direct_effect"
NOT_READ = "non interprétable"
LABELS = {
    **WDQ_READINGS,
    NO_DIRECT_EFFECT: (
        "Déplacement non interprétable : pas d'effet direct mesuré. Le quotient de déplacement "
        "(WDQ) et l'effet net total ne se lisent que si la zone traitée a baissé, au-delà du "
        "hasard, par rapport à la zone témoin."
    ),
}


def direct_effect(treated: RelativeEffect) -> bool:
    """The treated area fell against the control, measurably and beyond chance."""
    return treated.measurable and treated.significant and treated.relative_change < 0


def change_text(before: int, after: int) -> str:
    """An area's own change, « +4 % », « −25 % » or « 0 % » (never « −0 % »); a dash from 0."""
    if before <= 0:
        return DASH
    return fr_percent(100 * (after - before) / before, 0)


def effect_value(effect: RelativeEffect) -> str:
    """« −20 % (IC 95 % −45 % à +17 %) »: the relative change and its interval."""
    return (
        f"{fr_percent(100 * effect.relative_change, 0)} (IC 95{NBSP}% "
        f"{fr_percent(100 * effect.relative_change_low, 0)} à "
        f"{fr_percent(100 * effect.relative_change_high, 0)})"
    )


def effect_verdict(effect: RelativeEffect) -> str:
    """« p = 0,991 », « p < 0,001 » or « non mesurable »."""
    return fr_p(effect.p) if effect.measurable else "non mesurable"


@dataclass(frozen=True)
class DisplacementReading:
    """The WDQ and the total net effect as they may be read, or why they may not."""

    code: str  # a key of LABELS
    wdq: float | None  # None unless read
    total_net_effect: float | None  # None unless read
    sentence: str

    @property
    def readable(self) -> bool:
        return self.wdq is not None

    @property
    def wdq_text(self) -> str:
        if self.code == "no_control":
            return DASH
        return NOT_READ if self.wdq is None else fr(self.wdq, 2)

    @property
    def net_effect_text(self) -> str:
        if self.total_net_effect is None:
            return DASH if self.code == "no_control" else NOT_READ
        tne = round(self.total_net_effect)
        if tne == 0:
            return "aucun fait évité ni ajouté"
        return f"{plural(abs(tne), 'fait')} {'en moins' if tne > 0 else 'en plus'}"

    def as_dict(self, moved: Displacement) -> dict[str, Any]:
        out = moved.as_dict()
        out.update(
            wdq=None if self.wdq is None else round(self.wdq, 6),
            total_net_effect=None
            if self.total_net_effect is None
            else round(self.total_net_effect, 6),
            interpretation=self.code,
            interpretation_label=LABELS[self.code],
            readable=self.readable,
            wdq_text=self.wdq_text,
            net_effect_text=self.net_effect_text,
        )
        return out


def read_displacement(
    moved: Displacement, treated: RelativeEffect, ring: RelativeEffect
) -> DisplacementReading:
    """The WDQ's reading: only after a direct effect; indicative when the ring's counts are
    small, and said so when the ring's own change is within chance."""
    if moved.interpretation == "no_control":
        return DisplacementReading("no_control", None, None, LABELS["no_control"])
    if moved.wdq is None or not direct_effect(treated):
        return DisplacementReading(NO_DIRECT_EFFECT, None, None, LABELS[NO_DIRECT_EFFECT])
    text = f"WDQ = {fr(moved.wdq, 2)}. {LABELS[moved.interpretation]}"
    tne = round(moved.total_net_effect or 0.0)
    if tne:
        more = "en moins" if tne > 0 else "en plus"
        text += (
            f" Effet net total : environ {plural(abs(tne), 'fait')} {more} dans la zone et "
            "l'anneau, par rapport à la tendance de la zone témoin."
        )
    if not ring.measurable:
        text += " Indicatif seulement : les effectifs de l'anneau sont trop petits pour s'y fier."
    elif not ring.significant:
        text += (
            f" L'évolution de l'anneau elle-même ne se distingue pas du hasard ({fr_p(ring.p)})."
        )
    return DisplacementReading(moved.interpretation, moved.wdq, moved.total_net_effect, text)


def verdict(treated: RelativeEffect, moved: DisplacementReading, buffer_m: float) -> str:
    """« En bref » : what a coordinator takes away, in one sentence."""
    change = fr_percent(100 * abs(treated.relative_change), 0, signed=False)
    if not treated.measurable:
        return (
            "En bref : trop peu de faits pour mesurer l'effet de l'action ; allongez les périodes "
            "ou élargissez les catégories."
        )
    if not treated.significant:
        return (
            "En bref : pas d'effet mesuré. L'évolution de la zone traitée par rapport à la zone "
            f"témoin ({fr_percent(100 * treated.relative_change, 0)}) reste dans les variations "
            "dues au hasard."
        )
    if treated.relative_change > 0:
        return (
            f"En bref : les faits ont augmenté de {change} dans la zone traitée par rapport à la "
            "zone témoin, au-delà du hasard."
        )
    text = (
        f"En bref : les faits ont baissé de {change} dans la zone traitée par rapport à la zone "
        "témoin, au-delà du hasard."
    )
    ring = f"les abords (anneau de {fr(buffer_m)}{NBSP}m)"
    if moved.code in ("diffusion", "diffusion_greater"):
        text += f" {ring[0].upper()}{ring[1:]} en ont aussi bénéficié."
    elif moved.code == "displacement":
        text += f" Une partie des faits semble s'être reportée vers {ring}, moins que le gain."
    elif moved.code == "displacement_greater":
        text += f" Le report vers {ring} dépasse le gain : bilan net défavorable."
    return text


def display(
    treated: RelativeEffect,
    ring: RelativeEffect,
    moved: DisplacementReading,
    changes: dict[str, str],
    buffer_m: float,
) -> dict[str, Any]:
    """The figures as the page shows them, written here so that it rebuilds none."""
    return {
        "verdict": verdict(treated, moved, buffer_m),
        "changes": changes,
        "treated_effect": effect_value(treated),
        "treated_verdict": f"RES = {fr(treated.odds_ratio, 2)} ; {effect_verdict(treated)}",
        "buffer_effect": effect_value(ring),
        "buffer_verdict": f"RES = {fr(ring.odds_ratio, 2)} ; {effect_verdict(ring)}",
        "wdq": moved.wdq_text,
        "net_effect": moved.net_effect_text,
        "direct_effect": direct_effect(treated),
    }
