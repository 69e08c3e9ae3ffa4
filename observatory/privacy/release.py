"""One month of the partner release: four noisy tabulations made into one consistent set.

For a closed month, the facts are counted in four tabulations over the fixed domain
(observatory/privacy/domain.py), zeros included:

===========  ==========================================  =====================================
tabulation   cells                                       answers
===========  ==========================================  =====================================
communes     commune × category                          totals, categories, trends, CompStat
territories  (commune, QPV or rest) × family             QPV against the rest, QPV filters
cells        (commune, QPV or rest, res-8 cell) × family  maps, hot spots, exports, tiles
slots        commune × weekday × named time slot         time slots (all the facts)
===========  ==========================================  =====================================

Each gets discrete Laplace noise (observatory/privacy/noise.py). Then, top down, each table is
fitted to the one above it (observatory/privacy/consistency.py): territories and slots to the
communes' family totals, cells to the territories. Last, the month's numbers are laid out as
pseudo-facts — one per released count, with a commune, a QPV or none, a res-8 cell, a category
and an hour — whose margins are exactly the fitted tables; every partner answer is computed from
those (observatory/privacy/partner.py), so a partner sees one set of numbers. What the tables
do not measure together (a category within a QPV, the time of a QPV or of a cell) is laid out
at random within the measured margins: the partner's query space does not offer it
(observatory/privacy/policy.py). Within a named slot (nuit, 22-6 h), the pseudo-facts are spread
evenly over its hours: an hour-by-hour count of a month (a few facts) would be mostly noise,
and the fit to non-negative values would inflate every quiet hour.

A fact known only within an interval counts at the hour in the middle of it (the aoristic
spreading of the exact answers would give fractional counts, which integer noise cannot
protect).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import h3
import numpy as np

from observatory.analytics.filters import parse_hours
from observatory.localtime import HOURS_PER_WEEK
from observatory.privacy.consistency import fit_groups
from observatory.privacy.domain import QPV_GENERATION, RELEASE_RESOLUTION, REST, Domain
from observatory.privacy.noise import epsilon_of, noisy_counts
from observatory.store.snapshot import Snapshot, date_to_day

TABULATIONS = ("communes", "territories", "cells", "slots")


# Shares of the budget: the finest tabulation (cells) has the fewest facts per count and
# get more of it; the coarse ones are accurate with less (benchmarks/RESULTS.md, utility).
SHARES = {"communes": 0.25, "territories": 0.25, "cells": 0.3, "slots": 0.2}


@dataclass(frozen=True)
class Budget:
    """The privacy loss per fact of one month's release, shared by its tabulations."""

    epsilon: float

    def scale(self, tabulation: str) -> float:
        return 1.0 / (self.epsilon * SHARES[tabulation])

    def spent(self) -> float:
        """ε per fact as OpenDP's privacy maps give it, summed over the tabulations."""
        return sum(epsilon_of(self.scale(name)) for name in TABULATIONS)


@dataclass(frozen=True)
class MonthRelease:
    """The pseudo-facts of one month, grouped: each row stands for ``count`` of them."""

    month: date
    communes: tuple[str, ...]
    qpvs: tuple[str, ...]  # "" for the rest of the commune
    categories: tuple[str, ...]
    commune: np.ndarray  # position in communes
    qpv: np.ndarray  # position in qpvs
    cell: np.ndarray  # resolution-8 cell (int64)
    category: np.ndarray  # position in categories
    how: np.ndarray  # local hour of the week, 0 = Monday 0 h
    count: np.ndarray

    @property
    def total(self) -> int:
        return int(self.count.sum())

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        names = {"communes": self.communes, "qpvs": self.qpvs, "categories": self.categories}
        np.savez_compressed(
            buffer,
            codes=np.frombuffer(json.dumps(names).encode(), dtype=np.uint8),
            commune=self.commune,
            qpv=self.qpv,
            cell=self.cell,
            category=self.category,
            how=self.how,
            count=self.count,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, month: date, data: bytes) -> MonthRelease:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            names = json.loads(arrays["codes"].tobytes().decode())
            return cls(
                month=month,
                communes=tuple(names["communes"]),
                qpvs=tuple(names["qpvs"]),
                categories=tuple(names["categories"]),
                **{k: arrays[k] for k in ("commune", "qpv", "cell", "category", "how", "count")},
            )


@dataclass(frozen=True)
class Tables:
    """The four tabulations of a month, flat, in the domain's order."""

    communes: np.ndarray  # C × K: commune, category
    territories: np.ndarray  # P × F: part (commune, QPV or rest), family
    cells: np.ndarray  # U × F: unit (part, res-8 cell), family
    slots: np.ndarray  # C × 7 × S: commune, weekday, named time slot


@dataclass(frozen=True)
class Shape:
    """The sizes and the code lists a month's tabulations are laid out with."""

    domain: Domain
    categories: tuple[str, ...]
    families: tuple[str, ...]
    cat_family: np.ndarray  # family position of each category
    slot_of_hour: np.ndarray  # 24 named-slot positions (the first slot holding the hour)
    slot_names: tuple[str, ...]

    @classmethod
    def of(
        cls, domain: Domain, family_of: Mapping[str, str], time_slots: Mapping[str, str]
    ) -> Shape:
        categories = tuple(sorted(family_of))
        families = tuple(sorted(set(family_of.values())))
        position = {f: i for i, f in enumerate(families)}
        names = list(time_slots)
        slot_of_hour = np.full(24, -1, np.int64)
        for i, spec in enumerate(time_slots.values()):
            for hour in sorted(parse_hours(spec) or ()):
                if slot_of_hour[hour] < 0:
                    slot_of_hour[hour] = i
        if (slot_of_hour < 0).any():  # hours in no named slot make one of their own
            slot_of_hour[slot_of_hour < 0] = len(names)
            names.append("autres heures")
        return cls(
            domain,
            categories,
            families,
            np.array([position[family_of[c]] for c in categories]),
            slot_of_hour,
            tuple(names),
        )

    @property
    def weekday_slots(self) -> int:
        return 7 * len(self.slot_names)

    def slot_index(self, how: np.ndarray) -> np.ndarray:
        """Weekday × named slot (0 … 7S − 1) of local hours of the week."""
        weekday, hour = np.divmod(np.asarray(how, np.int64), 24)
        return weekday * len(self.slot_names) + self.slot_of_hour[hour]

    def hours_of_slots(self, index: np.ndarray) -> np.ndarray:
        """Hours of the week for pseudo-facts of weekday × slot ``index`` (sorted): each run of
        one index spread in turn over the slot's hours."""
        S = len(self.slot_names)
        weekday, slot = np.divmod(np.asarray(index, np.int64), S)
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]]) if index.size else index
        rank = np.arange(index.size) - np.repeat(starts, np.diff(np.r_[starts, index.size]))
        hours = [np.flatnonzero(self.slot_of_hour == s) for s in range(S)]
        width = np.array([h.size for h in hours])
        table = np.full((S, 24), -1, np.int64)
        for s, h in enumerate(hours):
            table[s, : h.size] = h
        return weekday * 24 + table[slot, rank % width[slot]]

    @property
    def sizes(self) -> tuple[int, int, int, int, int]:
        d = self.domain
        return len(d.communes), len(d.parts), d.size, len(self.categories), len(self.families)

    @property
    def part_commune(self) -> np.ndarray:
        d = self.domain
        return np.array([d.communes.index(c) for c, _ in d.parts], np.int64)


def month_end(month: date) -> date:
    """The first day of the next month."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _midpoint_hours(snapshot: Snapshot, start: int, stop: int) -> np.ndarray:
    """Each fact's hour of the week; for a fact known within an interval, its middle hour."""
    how = snapshot.how[start:stop].astype(np.int64)
    interval = snapshot.interval[start:stop]
    ids = interval[interval >= 0]
    if ids.size == 0:
        return how
    seg = snapshot.segments
    keep = np.isin(seg.fact, ids)
    fact, first, hours = seg.fact[keep], seg.start_how[keep].astype(np.int64), seg.hours[keep]
    order = np.argsort(fact, kind="stable")
    fact, first, hours = fact[order], first[order], hours[order]
    ends = np.cumsum(hours)
    starts_of_fact = np.flatnonzero(np.r_[True, fact[1:] != fact[:-1]])
    sizes = np.diff(np.r_[starts_of_fact, fact.size])
    base = np.repeat(np.r_[0, ends[starts_of_fact[1:] - 1]], sizes)
    offset = ends - hours - base  # hours of the fact before this run
    total = np.repeat(np.add.reduceat(hours, starts_of_fact), sizes)
    middle = total // 2
    inside = (middle >= offset) & (middle < offset + hours)
    mid_how = (first[inside] + middle[inside] - offset[inside]) % HOURS_PER_WEEK
    by_id = dict(zip(fact[inside].tolist(), mid_how.tolist(), strict=True))
    positions = np.flatnonzero(interval >= 0)
    how[positions] = [by_id.get(int(i), h) for i, h in zip(ids, how[positions], strict=True)]
    return how


def tabulate(snapshot: Snapshot, month: date, shape: Shape) -> Tables:
    """The exact counts of the month's facts in the four tabulations (zeros included)."""
    C, P, U, K, F = shape.sizes
    domain = shape.domain
    start = int(np.searchsorted(snapshot.day, np.int16(date_to_day(month)), "left"))
    stop = int(np.searchsorted(snapshot.day, np.int16(date_to_day(month_end(month))), "left"))
    if stop <= start or U == 0:
        return Tables(
            np.zeros(C * K, np.int64),
            np.zeros(P * F, np.int64),
            np.zeros(U * F, np.int64),
            np.zeros(C * shape.weekday_slots, np.int64),
        )
    part_of = domain.part_index()
    # Codes of the snapshot → the domain's parts (a QPV missing from the domain: the rest).
    commune_codes = ("", *snapshot.communes)
    qpv_codes = (REST, *snapshot.qpvs)
    fact_commune = snapshot.commune[start:stop].astype(np.int64)
    fact_qpv = snapshot.qpv[QPV_GENERATION][start:stop].astype(np.int64)
    pairs, inverse = np.unique(np.stack([fact_commune, fact_qpv]), axis=1, return_inverse=True)
    part_lookup = np.full(pairs.shape[1], -1, dtype=np.int64)
    for j, (c, q) in enumerate(pairs.T.tolist()):
        commune = commune_codes[c]
        part_lookup[j] = part_of.get((commune, qpv_codes[q]), part_of.get((commune, REST), -1))
    part = part_lookup[inverse.ravel()]
    parents, parent = snapshot.parent_index(RELEASE_RESOLUTION)
    cell8 = parents[parent[snapshot.cell[start:stop]]]
    unit = _units_of(domain, part, cell8)
    position = {code: i for i, code in enumerate(shape.categories)}
    snap_cat = np.array([position.get(c, -1) for c in snapshot.categories] or [-1], np.int64)
    category = snap_cat[snapshot.category[start:stop]]
    kept = (part >= 0) & (unit >= 0) & (category >= 0)
    part, unit, category = part[kept], unit[kept], category[kept]
    family = shape.cat_family[category]
    commune = shape.part_commune[part]
    how = _midpoint_hours(snapshot, start, stop)[kept]
    return Tables(
        communes=np.bincount(commune * K + category, minlength=C * K),
        territories=np.bincount(part * F + family, minlength=P * F),
        cells=np.bincount(unit * F + family, minlength=U * F),
        slots=np.bincount(
            commune * shape.weekday_slots + shape.slot_index(how), minlength=C * shape.weekday_slots
        ),
    )


def _units_of(domain: Domain, part: np.ndarray, cell8: np.ndarray) -> np.ndarray:
    """The domain unit of each fact: its (part, cell), or the part's nearest cell."""
    units: dict[tuple[int, int], int] = {
        (int(p), int(c)): i
        for i, (p, c) in enumerate(zip(domain.unit_part, domain.unit_cell, strict=True))
    }
    pairs, inverse = np.unique(np.stack([part, cell8]), axis=1, return_inverse=True)
    found = np.full(pairs.shape[1], -1, dtype=np.int64)
    for j, (p, c) in enumerate(pairs.T.tolist()):
        if p < 0:
            continue
        hit = units.get((p, c))
        if hit is None:  # a fact just outside its part's cells (a point on the border)
            mine = np.flatnonzero(domain.unit_part == p)
            if mine.size == 0:
                continue
            lat, lon = h3.cell_to_latlng(h3.int_to_str(c))
            centres = np.array(
                [h3.cell_to_latlng(h3.int_to_str(int(x))) for x in domain.unit_cell[mine]]
            )
            hit = int(mine[np.argmin((centres[:, 0] - lat) ** 2 + (centres[:, 1] - lon) ** 2)])
        found[j] = hit
    return found[inverse.ravel()]


def noisy(tables: Tables, budget: Budget) -> Tables:
    """Each tabulation with discrete Laplace noise."""
    return Tables(
        *(noisy_counts(getattr(tables, name), budget.scale(name)) for name in TABULATIONS)
    )


def consistent(measured: Tables, shape: Shape) -> Tables:
    """The noisy tabulations fitted top down into non-negative integers that add up."""
    C, P, U, K, F = shape.sizes
    communes = np.maximum(measured.communes, 0)
    c_idx, k_idx = np.divmod(np.arange(C * K), K)
    commune_family = np.bincount(
        c_idx * F + shape.cat_family[k_idx], weights=communes, minlength=C * F
    ).astype(np.int64)
    p_idx, f_idx = np.divmod(np.arange(P * F), F)
    territories = fit_groups(
        measured.territories, shape.part_commune[p_idx] * F + f_idx, commune_family
    )
    u_idx, uf_idx = np.divmod(np.arange(U * F), F)
    cells = fit_groups(measured.cells, shape.domain.unit_part[u_idx] * F + uf_idx, territories)
    commune_total = commune_family.reshape(C, F).sum(axis=1)
    s_commune = np.arange(C * shape.weekday_slots) // shape.weekday_slots
    slots = fit_groups(measured.slots, s_commune, commune_total)
    return Tables(communes, territories, cells, slots)


def _handed_to_parts(
    values: np.ndarray,
    group: np.ndarray,
    part_family_total: np.ndarray,
    shape: Shape,
    by_family: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Values measured per commune (and family), shuffled and handed to the commune's parts in
    turn, as many to each (part, family) as its total: (the (part, family) of each, value)."""
    F = len(shape.families)
    rng = np.random.default_rng(values.size)  # layout only: no privacy rests on it
    values = values[np.lexsort((rng.random(values.size), group))]
    pf = np.arange(part_family_total.size)
    slots = np.repeat(pf, part_family_total)
    part, family = np.divmod(slots, F)
    slot_group = shape.part_commune[part] * F + family if by_family else shape.part_commune[part]
    order = np.lexsort((slots, slot_group))
    out = np.empty(slots.size, np.int64)
    out[order] = values
    return slots, out


def pseudo_facts(month: date, fitted: Tables, shape: Shape) -> MonthRelease:
    """The month's counts as grouped pseudo-facts whose margins are the fitted tables."""
    C, _, U, K, F = shape.sizes
    domain = shape.domain
    rng = np.random.default_rng(month.toordinal())  # layout only: no privacy rests on it
    # One list per (part, family) group, of equal lengths: cells, categories, hours.
    u_idx, uf_idx = np.divmod(np.arange(U * F), F)
    cell_rows = np.repeat(np.arange(U * F), fitted.cells)
    cell_group = domain.unit_part[u_idx[cell_rows]] * F + uf_idx[cell_rows]
    cells = u_idx[cell_rows[np.lexsort((rng.random(cell_rows.size), cell_group))]]
    c_idx, k_idx = np.divmod(np.repeat(np.arange(C * K), fitted.communes), K)
    slots, category = _handed_to_parts(
        k_idx, c_idx * F + shape.cat_family[k_idx], fitted.territories, shape, by_family=True
    )
    category = category[np.lexsort((rng.random(slots.size), slots))]
    s_commune, s_index = np.divmod(
        np.repeat(np.arange(C * shape.weekday_slots), fitted.slots), shape.weekday_slots
    )
    h_how = shape.hours_of_slots(s_index)  # sorted by commune, then index: runs stay whole
    slots, how = _handed_to_parts(h_how, s_commune, fitted.territories, shape, by_family=False)
    how = how[np.lexsort((rng.random(slots.size), slots))]
    part = domain.unit_part[cells]
    qpvs = tuple(sorted({q for _, q in domain.parts}))
    qpv_pos = np.array([qpvs.index(q) for _, q in domain.parts], np.int64)
    keys = np.stack([shape.part_commune[part], qpv_pos[part], cells, category, how])
    rows, counts = np.unique(keys, axis=1, return_counts=True)
    return MonthRelease(
        month=month,
        communes=domain.communes,
        qpvs=qpvs,
        categories=shape.categories,
        commune=rows[0].astype(np.int32),
        qpv=rows[1].astype(np.int32),
        cell=domain.unit_cell[rows[2]],
        category=rows[3].astype(np.int32),
        how=rows[4].astype(np.int16),
        count=counts.astype(np.int32),
    )


def build_month(
    snapshot: Snapshot,
    month: date,
    domain: Domain,
    family_of: Mapping[str, str],
    budget: Budget,
    time_slots: Mapping[str, str],
) -> MonthRelease:
    """Count, add noise, fit, lay out: one closed month of the partner release."""
    shape = Shape.of(domain, family_of, time_slots)
    fitted = consistent(noisy(tabulate(snapshot, month, shape), budget), shape)
    return pseudo_facts(month, fitted, shape)
