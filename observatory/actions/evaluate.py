"""Evaluate one action: its areas from PostGIS, its counts from the snapshot, the statistics.

The control area is, in this order: the ``control`` asked for (an INSEE commune code or a QPV
code), the control area recorded with the action, or the commune(s) the treated area lies in;
always minus the treated area and its buffer ring, so that the three areas share no fact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import Connection, text

from observatory.actions import reading as words
from observatory.actions.records import ActionRecord, category_labels, get_action
from observatory.analytics import evaluation as stats
from observatory.analytics.beforeafter import (
    MAX_MONTHS,
    Periods,
    ZoneCounts,
    Zones,
    choose_periods,
    history_windows,
    treated_window_counts,
    zone_counts,
)
from observatory.analytics.filters import COMMUNE_CODE, QPV_CODE
from observatory.errors import InvalidInput, NotAllowed
from observatory.french import fr, fr_percent
from observatory.store.snapshot import Snapshot

DEFAULT_MONTHS = 12
DEFAULT_BUFFER_M = 200.0
BUFFER_RANGE = (20.0, 2000.0)
DAY = "%d/%m/%Y"

# The control area's source, by choice (an allow-list: no SQL from input).
CONTROL_SQL = {
    "commune": "SELECT ST_Union(geom) FROM commune WHERE code = :code",
    "qpv": "SELECT ST_Union(geom) FROM qpv WHERE code = :code",
    "action": "SELECT control_geom FROM action WHERE id = :id",
    "default": (
        "SELECT ST_Union(c.geom) FROM commune AS c, action AS a "
        "WHERE a.id = :id AND ST_Intersects(c.geom, a.geom)"
    ),
}

AREAS = """
WITH a AS (SELECT geom FROM action WHERE id = :id),
     d AS (SELECT ST_Buffer(a.geom::geography, :buffer, 'quad_segs=16')::geometry AS g FROM a),
     k AS (SELECT ({control}) AS g)
SELECT ST_AsBinary(a.geom) AS treated, ST_AsBinary(d.g) AS disc, ST_AsBinary(k.g) AS control,
       ST_Area(a.geom::geography) AS treated_m2,
       ST_Area(ST_Difference(d.g, a.geom)::geography) AS ring_m2,
       ST_Area(ST_Difference(k.g, d.g)::geography) AS control_m2,
       ST_AsGeoJSON(ST_Difference(d.g, a.geom), 6) AS ring
FROM a, d, k
"""

NAMES = {
    "commune": "SELECT name FROM commune WHERE code = :code",
    "qpv": "SELECT name FROM qpv WHERE code = :code",
}


@dataclass(frozen=True)
class Control:
    """The control area as chosen, and how to say it."""

    kind: str  # commune, qpv, action, default
    code: str | None
    label: str


@dataclass(frozen=True)
class Evaluation:
    """Everything an evaluation says: figures, statistics, readings, warnings."""

    action: ActionRecord
    periods: Periods
    buffer_m: float
    control: Control
    areas_m2: dict[str, float]
    ring_geometry: dict[str, Any] | None
    before: ZoneCounts
    after: ZoneCounts
    treated: stats.RelativeEffect
    ring: stats.RelativeEffect
    moved: stats.Displacement
    regression: stats.RegressionCheck
    recent: tuple[str, str]
    category_labels: dict[str, str]
    data_version: int

    @property
    def measurable(self) -> bool:
        return self.treated.measurable

    @property
    def displacement(self) -> words.DisplacementReading:
        """The WDQ as it may be read (observatory/actions/reading.py)."""
        return words.read_displacement(self.moved, self.treated, self.ring)

    def changes(self) -> dict[str, str]:
        """Each area's own change, in French (« +4 % », never « −0 % »)."""
        return {
            "treated": words.change_text(self.before.treated, self.after.treated),
            "buffer": words.change_text(self.before.ring, self.after.ring),
            "control": words.change_text(self.before.control, self.after.control),
        }

    def warnings(self) -> list[dict[str, str]]:
        out = []
        if not self.treated.measurable:
            out.append(
                {
                    "code": "small_counts",
                    "message": (
                        "Effet non mesurable avec ces effectifs : il faut au moins "
                        f"{stats.MIN_COUNT} faits dans chaque case (zone traitée et zone témoin, "
                        "avant et après) et un intervalle de confiance qui ne s'étende pas sur "
                        f"plus d'un facteur {stats.MAX_CI_RATIO:g}. Allongez les périodes "
                        "(months) ou élargissez les catégories."
                    ),
                }
            )
        if self.regression.warning:
            out.append({"code": "regression_to_mean", "message": self.regression_text()})
        if not self.periods.seasonal:
            out.append(
                {
                    "code": "not_seasonal",
                    "message": (
                        "Saisonnalité non respectée : les données ne remontent pas assez loin "
                        "pour comparer les mêmes mois d'une année à l'autre ; la période avant "
                        "est celle qui précède immédiatement l'action."
                    ),
                }
            )
        if self.periods.truncated:
            out.append(
                {
                    "code": "truncated",
                    "message": (
                        f"Période après tronquée au {self.periods.after.last:{DAY}} : les "
                        "données s'arrêtent là ; la période avant est raccourcie d'autant."
                    ),
                }
            )
        return out

    def regression_text(self) -> str:
        r = self.regression
        first, last = self.recent
        months = self.periods.months
        if not r.judged:
            return (
                "Régression vers la moyenne non évaluée : l'historique avant l'action est trop "
                f"court (moins de {stats.RTM_MIN_WINDOWS} périodes de {months} mois)."
            )
        share = fr_percent(100 * (r.share_below or 0.0), 0, signed=False)
        mean = fr(r.mean or 0.0, 1)
        if r.warning:
            return (
                f"Attention, régression vers la moyenne : les {months} mois précédant l'action "
                f"(du {first} au {last}) comptent {stats.plural(r.recent, 'fait')} dans la zone "
                f"traitée, plus que {share} des {r.windows} périodes de même durée des trois "
                f"années d'avant (moyenne {mean}). Si le lieu a été choisi pour ce pic, une "
                "partie de la baisse qui suit se serait produite sans l'action."
            )
        return (
            f"Pas de pic avant l'action : les {months} mois précédant le début comptent "
            f"{stats.plural(r.recent, 'fait')} dans la zone traitée, plus que {share} seulement "
            f"des {r.windows} périodes de même durée des trois années d'avant (moyenne {mean})."
        )

    def period_text(self) -> str:
        p = self.periods
        before, after = p.before, p.after
        text = (
            f"Période avant : du {before.first:{DAY}} au {before.last:{DAY}} ; période après : "
            f"du {after.first:{DAY}} au {after.last:{DAY}} "
        )
        if before.days == after.days:
            text += f"({after.days} jours chacune"
        else:  # a 29 February on one side only
            text += f"({before.days} et {after.days} jours"
        if p.seasonal:
            years = p.years_apart or 1
            text += f", mêmes jours de l'année, {years} an{'s' if years > 1 else ''} d'écart)"
        else:
            text += ")"
        start = "début" if p.after_from == "start" else "lendemain de la fin"
        return text + f" ; la période après part du {start} de l'action."

    def categories_text(self) -> str:
        codes = self.action.categories
        if not codes:
            return "toutes catégories"
        return ", ".join(self.category_labels.get(c, c).lower() for c in codes)

    def verdict(self) -> str:
        """« En bref » : the evaluation in one sentence (observatory/actions/reading.py)."""
        return words.verdict(self.treated, self.displacement, self.buffer_m)

    def reading(self) -> list[str]:
        """The plain-French reading, a sentence or two per point."""
        ring = stats.effect_reading(self.ring, "l'anneau")
        return [
            f"Faits comptés : {self.categories_text()}. {self.period_text()}",
            f"Zone témoin : {self.control.label}. Anneau : {fr(self.buffer_m)} m autour "
            "de la zone traitée.",
            stats.effect_reading(self.treated),
            f"Anneau autour de la zone : {ring[0].lower()}{ring[1:]}",
            self.displacement.sentence,
            self.regression_text(),
        ]

    def as_dict(self) -> dict[str, Any]:
        first, last = self.recent

        def area(name: str, before: int, after: int) -> dict[str, Any]:
            change = (after - before) / before if before else None
            return {
                "before": before,
                "after": after,
                "change": None if change is None else round(change, 6),
                "area_m2": round(self.areas_m2[name], 1),
            }

        return {
            "action": self.action.properties(self.category_labels),
            "parameters": {
                "months": self.periods.months,
                "buffer_m": self.buffer_m,
                "after_from": self.periods.after_from,
                "control": {
                    "kind": self.control.kind,
                    "code": self.control.code,
                    "label": self.control.label,
                },
            },
            "periods": self.periods.as_dict(),
            "areas": {
                "treated": area("treated", self.before.treated, self.after.treated),
                "buffer": area("buffer", self.before.ring, self.after.ring),
                "control": area("control", self.before.control, self.after.control),
            },
            "relative_effect": self.treated.as_dict(),
            "buffer_effect": self.ring.as_dict(),
            "displacement": self.displacement.as_dict(self.moved),
            "regression_to_mean": {
                **self.regression.as_dict(),
                "recent_from": first,
                "recent_to": last,
            },
            "measurable": self.measurable,
            "direction": stats.direction_text(),
            "warnings": self.warnings(),
            "reading": self.reading(),
            "display": words.display(
                self.treated, self.ring, self.displacement, self.changes(), self.buffer_m
            ),
            "buffer_geometry": self.ring_geometry,
            "data_version": self.data_version,
            "rules": {
                "min_count": stats.MIN_COUNT,
                "max_ci_ratio": stats.MAX_CI_RATIO,
                "alpha": stats.ALPHA,
                "regression_share": stats.RTM_SHARE,
                "regression_min_windows": stats.RTM_MIN_WINDOWS,
            },
        }


def parse_control(control: str | None) -> tuple[str, str] | None:
    """(« commune » or « qpv », the code) of a control asked for; None for the default."""
    if control is None or not control.strip():
        return None
    code = control.strip().upper()
    if COMMUNE_CODE.match(code):
        return "commune", code
    if QPV_CODE.match(code):
        return "qpv", code
    raise InvalidInput(
        "« control » attend un code INSEE de commune (31555) ou un code de QPV (QN03107M) "
        f"(reçu « {control} »)."
    )


def _control_choice(
    conn: Connection, action: ActionRecord, asked: tuple[str, str] | None
) -> Control:
    if asked is None:
        if action.has_control:
            return Control("action", None, "la zone témoin enregistrée avec l'action")
        names = action.commune_name or "la commune"
        return Control(
            "default",
            action.commune_code,
            f"le reste de {names} (commune du lieu), hors zone traitée et anneau",
        )
    kind, code = asked
    name = conn.execute(text(NAMES[kind]), {"code": code}).scalar_one_or_none()
    if name is None:
        what = "Commune" if kind == "commune" else "QPV"
        raise InvalidInput(f"{what} {code} inconnu(e) : importez son contour d'abord.")
    word = "la commune de" if kind == "commune" else "le QPV"
    return Control(kind, code, f"{word} {name} ({code}), hors zone traitée et anneau")


def _zones(
    conn: Connection, action: ActionRecord, control: Control, buffer_m: float
) -> tuple[Zones, dict[str, float], dict[str, Any] | None]:
    statement = AREAS.format(control=CONTROL_SQL[control.kind])
    row = conn.execute(
        text(statement), {"id": action.id, "buffer": buffer_m, "code": control.code}
    ).one()
    if row.control is None:
        raise InvalidInput(
            "Pas de zone témoin : le lieu de l'action n'est dans aucune commune importée. "
            "Importez les communes (observatory import communes) ou donnez une zone témoin "
            "(control=code INSEE ou code de QPV)."
        )
    if not row.control_m2 or row.control_m2 < 1.0:
        raise InvalidInput(
            "La zone témoin est vide une fois retirés la zone traitée et son anneau : "
            "choisissez une zone témoin plus grande ou un anneau plus étroit (buffer)."
        )
    zones = Zones(
        shapely.from_wkb(bytes(row.treated)),
        shapely.from_wkb(bytes(row.disc)),
        shapely.from_wkb(bytes(row.control)),
    )
    areas = {
        "treated": float(row.treated_m2),
        "buffer": float(row.ring_m2),
        "control": float(row.control_m2),
    }
    return zones, areas, json.loads(row.ring) if row.ring else None


@dataclass(frozen=True)
class AreaLimits:
    """An evaluation for a reader who may not place a fact: no category of ``excluded``, and
    areas (treated zone, ring) no smaller than ``min_m2`` — or a box halved again and again
    around one fact would count it alone."""

    excluded: frozenset[str]
    known: frozenset[str]
    min_m2: float

    def allowed(self, categories: frozenset[str] | None, areas: dict[str, float]) -> frozenset[str]:
        small = [k for k in ("treated", "buffer") if areas.get(k, 0.0) < self.min_m2]
        if small:
            raise NotAllowed(
                f"Zone trop petite pour une évaluation lue par un analyste (moins de "
                f"{self.min_m2 / 10_000:.0f} ha) : un administrateur peut l'évaluer, ou "
                "agrandissez la zone de l'action."
            )
        kept = (categories if categories is not None else self.known) - self.excluded
        if not kept:
            raise NotAllowed(
                "Les catégories sensibles ne se lisent qu'à l'échelle de la commune ou du QPV : "
                "cette action ne vise qu'elles."
            )
        return frozenset(kept)


def evaluate_action(
    conn: Connection,
    snapshot: Snapshot,
    action_id: int,
    months: int = DEFAULT_MONTHS,
    buffer: float = DEFAULT_BUFFER_M,
    control: str | None = None,
    after: str | None = None,
    limits: AreaLimits | None = None,
) -> Evaluation:
    """The before/after evaluation of an action (module docstring); InvalidInput if it cannot.

    The options are named as the API's query and the CLI name them: ``buffer`` in metres,
    ``after`` when the after period starts (start or end of the action). ``limits``: what a
    reader who may not place a fact may be told (observatory/privacy/).
    """
    # The parameters first: a wrong one is a 422 whether or not the action exists.
    low, high = BUFFER_RANGE
    if not low <= buffer <= high:
        raise InvalidInput(f"« buffer » va de {low:g} à {high:g} mètres (reçu {buffer:g}).")
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"« months » va de 1 à {MAX_MONTHS} (reçu {months}).")
    if after not in (None, "start", "end"):
        raise InvalidInput(f"« after » vaut start ou end (reçu « {after} »).")
    asked = parse_control(control)
    action = get_action(conn, action_id)
    first, last = snapshot.first_day(), snapshot.last_day()
    if first is None or last is None:
        raise InvalidInput("Aucun fait dans la base : rien à évaluer.")
    periods = choose_periods(action.start, action.end, months, after, first, last)
    chosen = _control_choice(conn, action, asked)
    zones, areas, ring = _zones(conn, action, chosen, buffer)
    categories = frozenset(action.categories) or None
    if limits is not None:
        categories = limits.allowed(categories, areas)
    pre = zone_counts(snapshot, zones, categories, periods.before)
    post = zone_counts(snapshot, zones, categories, periods.after)
    recent, history = history_windows(action.start, months, first)
    counts = treated_window_counts(snapshot, zones.treated, categories, [recent, *history])
    if recent.first < first:  # the data begin inside the recent window: nothing to judge
        counts = counts[:1]
    regression = stats.regression_check(int(counts[0]), counts[1:])
    return Evaluation(
        action=action,
        periods=periods,
        buffer_m=buffer,
        control=chosen,
        areas_m2=areas,
        ring_geometry=ring,
        before=pre,
        after=post,
        treated=stats.relative_effect(pre.treated, post.treated, pre.control, post.control),
        ring=stats.relative_effect(pre.ring, post.ring, pre.control, post.control),
        moved=stats.displacement(
            pre.treated, post.treated, pre.ring, post.ring, pre.control, post.control
        ),
        regression=regression,
        recent=(f"{recent.first:{DAY}}", f"{recent.last:{DAY}}"),
        category_labels=category_labels(conn),
        data_version=snapshot.version,
    )
