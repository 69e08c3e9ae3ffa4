"""The pack's first page: key messages for the mayor, written from the pack's figures.

Three messages, each a sentence or two of plain French built from observatory/figures/:

- the three largest changes of the CompStat table (families, the middle period: 28 days, or
  3 months in a partner pack), ranked by the Poisson z = 2(√C − √P), |z| > 2 being « net »;
- the main hot spot: the contiguous group of hexagons hot at 95 % or more (Gi*) holding the
  most facts, where it lies (the QPV it touches, else the commune) and how many facts it holds;
- the week's worst time slot: the three consecutive local hours (across midnight too) with the
  most facts in the 7 × 24 matrix, and their share of the week's facts.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import shapely
from sqlalchemy import Connection
from sqlalchemy import text as sql

from observatory.figures.breakdown import TOTAL
from observatory.figures.change import Change
from observatory.figures.timeslots import WEEKDAYS
from observatory.french import fr_percent
from observatory.reports.model import HotspotLayer, PackFigures
from observatory.reports.style import NBSP, fr_int, fr_number, fr_share, fr_signed

TITLE = "Messages clés pour le maire"
Z_NET = 2.0
SLOT_HOURS = 3
HOT = ("hot_99", "hot_95")
CHANGE_WINDOW = 1  # the middle CompStat period: 28 days (3 months for a partner)
MIN_STREET_FACTS = 10

# The street most facts of the hot spot's busiest hexagon were recorded at (house number off).
STREET = """
SELECT mode() WITHIN GROUP (ORDER BY street) AS street, count(*) AS n
FROM (
  SELECT btrim(regexp_replace(address, '^\\s*[0-9]+\\s*(bis|ter)?[\\s,]*', '', 'i')) AS street
  FROM incident
WHERE commune_code = :commune
  AND ST_Intersects(geom, ST_GeomFromText(:wkt, 4326))
  AND (occurred_at AT TIME ZONE :zone)::date BETWEEN :first AND :last
  AND address IS NOT NULL AND address ~ '[[:alpha:]]'
) AS facts
GROUP BY lower(street) ORDER BY n DESC, lower(street) LIMIT 1
"""


@dataclass(frozen=True)
class RankedChange:
    label: str
    change: Change


def largest_changes(figures: PackFigures, n: int = 3) -> list[RankedChange]:
    """The ``n`` families whose count moved most against a year before, by |z| (partner pack:
    by the size of the difference, the release giving no z)."""
    cs = figures.compstat
    if cs.at is None or not cs.windows:
        return []
    window = min(CHANGE_WINDOW, len(cs.windows) - 1)
    found = [
        RankedChange(row.label, row.changes[window])
        for row in cs.rows
        if row.key != TOTAL
        and row.changes[window].current is not None
        and row.changes[window].previous is not None
    ]

    def strength(item: RankedChange) -> float:
        c = item.change
        if c.z is not None:
            return abs(c.z)
        return abs((c.current or 0) - (c.previous or 0))

    moved = [item for item in found if item.change.current != item.change.previous]
    return sorted(moved, key=strength, reverse=True)[:n]


def change_sentence(item: RankedChange) -> str:
    """« Vols et cambriolages : hausse nette, +38 %, 52 faits contre 38 ; écart significatif
    (z = 2,4). »"""
    c = item.change
    now, before = c.current or 0, c.previous or 0
    direction = "hausse" if now > before else "baisse"
    percent = fr_percent(c.percent, 0) if c.percent is not None else "nouveau"
    counts = f"{percent}, {fr_int(now)} fait{'s' if now > 1 else ''} contre {fr_int(before)}"
    if c.z is None:
        return (
            f"{item.label} : {direction}, {counts} (comptes bruités de la diffusion partenaires : "
            "écart non testé)."
        )
    z = f"z = {fr_signed(c.z, 1)}"
    if abs(c.z) > Z_NET:
        return f"{item.label} : {direction} nette, {counts} ; écart significatif ({z})."
    return f"{item.label} : {direction}, {counts} ; dans les variations habituelles ({z})."


def changes_intro(figures: PackFigures) -> str:
    cs = figures.compstat
    if cs.at is None or not cs.windows:
        return "Pas de comparaison possible : aucun fait avant la fin de la période."
    name, start, end, p_start, p_end = cs.windows[min(CHANGE_WINDOW, len(cs.windows) - 1)]
    span = {"28 jours": "les 28 derniers jours", "3 mois": "les 3 derniers mois"}.get(name, name)
    return (
        f"Les trois plus fortes évolutions par famille de faits sur {span} (du "
        f"{start:%d/%m/%Y} au {end:%d/%m/%Y}, contre du {p_start:%d/%m/%Y} au "
        f"{p_end:%d/%m/%Y}) :"
    )


def hexagon(cell: int) -> shapely.Polygon:
    return shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(h3.int_to_str(cell))])


def busiest_street(conn: Connection, figures: PackFigures) -> str | None:
    """The street most facts of the main hot spot's busiest hexagon were recorded at, if it holds
    MIN_STREET_FACTS of them. Read from the facts themselves, of every category: for the full
    pack only (gather.py), never an analyst's nor a partner's."""
    if figures.partner or figures.hotspots is None:
        return None
    area, _groups = main_hot_area(figures)
    if area is None:
        return None
    count = dict(zip(figures.hotspots.cells.tolist(), figures.hotspots.counts, strict=True))
    peak = max(area.cells, key=lambda c: (count.get(c) or 0, -c))
    row = conn.execute(
        sql(STREET),
        {
            "commune": figures.commune.code,
            "wkt": hexagon(peak).wkt,
            "zone": figures.timezone,
            "first": figures.request.first,
            "last": figures.request.last,
        },
    ).one_or_none()
    if row is None or row.n < MIN_STREET_FACTS:
        return None
    return str(row.street)


@dataclass(frozen=True)
class HotArea:
    """A contiguous group of hot hexagons: cells, facts (None: hidden), where it lies."""

    cells: list[int]
    facts: int | None
    share: float | None
    hectares: float
    places: list[str]


def hot_groups(layer: HotspotLayer) -> list[list[int]]:
    """The hexagons hot at 95 % or more, grouped by adjacency (a shared edge)."""
    hot = {int(c) for c, code in zip(layer.cells.tolist(), layer.codes, strict=True) if code in HOT}
    groups: list[list[int]] = []
    seen: set[int] = set()
    for start in sorted(hot):
        if start in seen:
            continue
        group, todo = [], [start]
        seen.add(start)
        while todo:
            cell = todo.pop()
            group.append(cell)
            for n in h3.grid_disk(h3.int_to_str(cell), 1):
                value = h3.str_to_int(n)
                if value in hot and value not in seen:
                    seen.add(value)
                    todo.append(value)
        groups.append(sorted(group))
    return groups


def main_hot_area(figures: PackFigures) -> tuple[HotArea | None, int]:
    """The hot group holding the most facts, and how many hot groups there are."""
    layer = figures.hotspots
    if layer is None:
        return None, 0
    groups = hot_groups(layer)
    if not groups:
        return None, 0
    count = dict(zip(layer.cells.tolist(), layer.counts, strict=True))
    shown = [n for n in layer.counts if n is not None]
    total = sum(shown)

    def facts(group: list[int]) -> int:
        return sum(count.get(c) or 0 for c in group)

    best = max(groups, key=lambda g: (facts(g), len(g), -g[0]))
    hidden = any(count.get(c) is None for c in best)
    n = None if hidden else facts(best)
    outline = shapely.union_all([hexagon(c) for c in best])
    places = [f"QPV {q.name}" for q in figures.qpvs if shapely.intersects(q.geometry, outline)]
    hectares = len(best) * h3.average_hexagon_area(layer.resolution, unit="km^2") * 100
    share = n / total if n is not None and total else None
    return HotArea(best, n, share, hectares, places), len(groups)


def hotspot_sentence(figures: PackFigures) -> str:
    area, groups = main_hot_area(figures)
    if area is None:
        return (
            "Pas de point chaud au seuil de 95 % : les faits ne se concentrent nettement "
            "nulle part dans la commune sur la période."
        )
    where = (
        f"touchant le {', le '.join(area.places)}"
        if area.places
        else f"hors des QPV, sur le territoire de {figures.commune.name}"
        if figures.request.group
        else f"hors des QPV, dans la commune de {figures.commune.name}"
    )
    surface = (
        f"{fr_number(area.hectares / 100, 1)}{NBSP}km²"
        if area.hectares >= 100
        else f"{fr_int(area.hectares)}{NBSP}ha"
    )
    size = f"{len(area.cells)} hexagone{'s' if len(area.cells) > 1 else ''} (environ {surface})"

    if area.facts is None:
        facts = "des comptes en partie masqués (secret statistique)"
    else:
        facts = f"{fr_int(area.facts)} faits, {fr_share(area.share)} des faits de la commune"
    other = (
        f" ({groups} zones chaudes en tout au seuil de 95{NBSP}%)"
        if groups > 1
        else f" (seule zone chaude au seuil de 95{NBSP}%)"
    )
    text = f"Principal point chaud : {size} {where}, avec {facts}{other}."
    if figures.hot_street:
        text += f" Adresse la plus citée en son cœur : {figures.hot_street}."
    return text


def hotspot_detail(figures: PackFigures) -> str:
    """For the hot-spot page: the main hot spot when there are several, else only its street."""
    area, groups = main_hot_area(figures)
    if area is None:
        return ""
    if groups > 1:
        return hotspot_sentence(figures)
    if figures.hot_street:
        return f"Adresse la plus citée au cœur de la zone chaude : {figures.hot_street}."
    return ""


@dataclass(frozen=True)
class WorstSlot:
    day: int  # 0 = Monday
    start: int  # local hour
    value: float
    share: float | None


def worst_slot(figures: PackFigures, hours: int = SLOT_HOURS) -> WorstSlot | None:
    """The ``hours`` consecutive hours of the week (Sunday night runs into Monday) with the most
    facts; hidden cells count as 0."""
    flat = [v or 0.0 for row in figures.timeslots.matrix for v in row]
    total = sum(flat)
    if not total:
        return None
    size = len(flat)
    sums = [sum(flat[(i + j) % size] for j in range(hours)) for i in range(size)]
    best = max(range(size), key=lambda i: (sums[i], -i))
    return WorstSlot(best // 24, best % 24, sums[best], sums[best] / total)


def slot_sentence(figures: PackFigures) -> str:
    slot = worst_slot(figures)
    if slot is None:
        return "Pas de créneau horaire à signaler : aucun fait sur la période."
    end = (slot.start + SLOT_HOURS) % 24
    day = WEEKDAYS[slot.day]
    when = f"le {day}"
    if slot.start + SLOT_HOURS > 24:  # across midnight: the night from one day to the next
        when = f"la nuit du {day} au {WEEKDAYS[(slot.day + 1) % 7]}"
    return (
        f"Créneau le plus chargé de la semaine : {when}, de {slot.start}{NBSP}h "
        f"à {end}{NBSP}h, avec {fr_share(slot.share)} des faits de la semaine "
        f"(environ {fr_int(slot.value)} faits sur la période)."
    )


def total_sentence(figures: PackFigures) -> str:
    """The period's total against the same months a year before."""
    t = figures.total
    if t.current is None:
        return "Total de la période masqué (secret statistique)."
    text = f"Sur la période : {fr_int(t.current)} faits"
    if t.previous is None:
        return text + " (pas de comparaison possible avec l'année précédente)."
    text += f" contre {fr_int(t.previous)} un an plus tôt ({fr_percent(t.percent, 1)})"
    if t.z is None:
        return text + "."
    z = f"z = {fr_signed(t.z, 1)}"
    if abs(t.z) > Z_NET:
        word = "hausse" if (t.current or 0) > (t.previous or 0) else "baisse"
        return text + f" : {word} nette, écart significatif ({z})."
    return text + f" : dans les variations habituelles ({z})."


def key_messages(figures: PackFigures) -> list[tuple[str, list[str]]]:
    """(heading, sentences) of each message."""
    changes = [change_sentence(item) for item in largest_changes(figures)]
    return [
        ("Ce qui a changé", [total_sentence(figures), changes_intro(figures), *changes]),
        ("Où", [hotspot_sentence(figures)]),
        ("Quand", [slot_sentence(figures)]),
    ]
