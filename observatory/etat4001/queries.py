"""The état 4001 dashboard data: filtered tidy rows and yearly series per family.

Filters: département(s), service(s), perimeter (PN / GN), index (``27,28,34-38``), family,
SSMSI indicator, period range (``from`` / ``to``: AAAA or AAAA-MM, inclusive: a year is within
the range when all its months are), and a commune (the services mapped to it, see
``services``).

Counting rules:

- Figures of different units are never added together. Rows are per index (one unit each);
  series are per family *and unit* (a family that mixes victims and vehicles gives one series
  per unit); a series of a hand-picked selection of index is refused when they mix units.
- A département total stored as such (service '', from a département extract) is the
  département's figure for its (period, perimeter, index); otherwise the département's figure
  is the sum of its services. The two are never added together.
- For one service and index, the annual figure of a year, when there is one, stands for that
  year; its monthly figures are used only when there is none (never both).
- The unused index (96, 97, 99, 100) are left out of the series unless asked for by number.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, case, func, literal, or_, select, tuple_

from observatory.errors import InvalidInput
from observatory.etat4001.nomenclature import FAMILIES, INDICATORS, UNITS, entry
from observatory.etat4001.series import yearly_points
from observatory.etat4001.services import INSEE_CODE
from observatory.etat4001.values import (
    PERIMETERS,
    checked_period,
    department_code,
    index_list,
    period_bounds,
)
from observatory.models import Etat4001, Etat4001Index, ServiceCommune

FIG = Etat4001.__table__
NOM = Etat4001Index.__table__
MAP = ServiceCommune.__table__
GROUPS = ("family", "indicator", "index", "selection")
MIXED_UNITS_NOTE = (
    "Une famille qui mêle plusieurs unités de compte (victimes, faits, véhicules, mis en "
    "cause…) donne une série par unité : l'état 4001 ne les additionne pas."
)


@dataclass(frozen=True)
class Filters:
    departments: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    perimeter: str | None = None
    indexes: tuple[int, ...] = ()
    families: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    commune: str | None = None
    # The reader's scope (observatory/scopes.py): the services covering one of its communes,
    # and the département totals (None: every service). Not echoed.
    scope: frozenset[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.__dict__.items()
            if k != "scope"
        }


# A département as a caller writes it: the code alone ("31", "2A", "974"), nothing after it.
STRICT_DEPARTMENT = re.compile(r"^(\d{1,3}|2[ABab])$")


def make_filters(
    *,
    department: str | None = None,
    service: list[str] | None = None,
    perimeter: str | None = None,
    index: str | None = None,
    family: str | None = None,
    indicator: str | None = None,
    start: str | None = None,
    end: str | None = None,
    commune: str | None = None,
) -> Filters:
    """Checked filters from the parameters a caller gives; French InvalidInput otherwise."""
    departments = []
    for raw in _split(department):
        code = department_code(raw) if STRICT_DEPARTMENT.match(raw) else None
        if code is None:
            raise InvalidInput(
                f"Paramètre « department » : « {raw} » n'est pas un code de département "
                "(01…95, 2A, 2B, 971…988)."
            )
        departments.append(code)
    if perimeter is not None and perimeter.upper() not in PERIMETERS:
        raise InvalidInput("Paramètre « perimeter » : PN (police) ou GN (gendarmerie).")
    families = _codes(family, FAMILIES, "family")
    indicators = _codes(indicator, INDICATORS, "indicator")
    first = checked_period(start, "from") if start else None
    last = checked_period(end, "to") if end else None
    if first and last and period_bounds(first)[0] > period_bounds(last)[1]:
        raise InvalidInput(f"Période vide : « from » ({first}) est après « to » ({last}).")
    if commune is not None and not INSEE_CODE.match(commune):
        raise InvalidInput(f"Paramètre « commune » : « {commune} » n'est pas un code INSEE.")
    return Filters(
        departments=tuple(departments),
        services=tuple(s.strip() for s in service or () if s.strip()),
        perimeter=perimeter.upper() if perimeter else None,
        indexes=tuple(index_list(index)) if index else (),
        families=families,
        indicators=indicators,
        start=first,
        end=last,
        commune=commune,
    )


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _codes(value: str | None, known: dict[str, str], name: str) -> tuple[str, ...]:
    codes = _split(value)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(
            f"Paramètre « {name} » : « {', '.join(unknown)} » inconnu ; valeurs possibles : "
            f"{', '.join(known)}."
        )
    return tuple(codes)


def _where(filters: Filters, conn: Connection) -> list[Any]:
    conditions: list[Any] = []
    if filters.departments:
        conditions.append(FIG.c.department.in_(filters.departments))
    if filters.services:
        conditions.append(FIG.c.service.in_(filters.services))
    if filters.perimeter:
        conditions.append(FIG.c.perimeter == filters.perimeter)
    if filters.indexes:
        conditions.append(FIG.c.index.in_(filters.indexes))
    if filters.families:
        conditions.append(NOM.c.family.in_(filters.families))
    if filters.indicators:
        conditions.append(NOM.c.indicator.in_(filters.indicators))
    short = func.length(FIG.c.period) == 4
    if filters.start:
        first = case((short, FIG.c.period + "-01"), else_=FIG.c.period)
        conditions.append(first >= period_bounds(filters.start)[0])
    if filters.end:
        last = case((short, FIG.c.period + "-12"), else_=FIG.c.period)
        conditions.append(last <= period_bounds(filters.end)[1])
    if filters.commune:
        mapped = select(MAP.c.perimeter, MAP.c.department, MAP.c.service).where(
            MAP.c.commune_code == filters.commune
        )
        if conn.execute(select(func.count()).select_from(mapped.subquery())).scalar_one() == 0:
            raise InvalidInput(
                f"Aucun service de police ou de gendarmerie n'est rattaché à la commune "
                f"{filters.commune} : rattachez-en un (observatory etat4001 services map … ou "
                "PUT /api/v1/etat4001/services)."
            )
        conditions.append(tuple_(FIG.c.perimeter, FIG.c.department, FIG.c.service).in_(mapped))
    if filters.scope is not None:
        # Département totals (service '') are public statistics; services, those of the scope.
        covering = select(MAP.c.perimeter, MAP.c.department, MAP.c.service).where(
            MAP.c.commune_code.in_(sorted(filters.scope))
        )
        service = tuple_(FIG.c.perimeter, FIG.c.department, FIG.c.service)
        conditions.append(or_(FIG.c.service == "", service.in_(covering)))
    return conditions


def _figures(filters: Filters, conn: Connection) -> Select[Any]:
    return select(FIG).join(NOM, NOM.c.index == FIG.c.index).where(*_where(filters, conn))


# -- tidy rows --------------------------------------------------------------------------------


def rows(
    conn: Connection, filters: Filters, *, by: str = "service", limit: int = 10_000, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """Total and one page of tidy rows {period, perimeter, department, service, index, label,
    count, unit, family}; ``by="department"`` gives département figures (service '')."""
    figures = _figures(filters, conn).subquery()
    if by == "department":
        total_given = func.bool_or(figures.c.service == "")
        count = case(
            (total_given, func.sum(figures.c.count).filter(figures.c.service == "")),
            else_=func.sum(figures.c.count),
        )
        base = select(
            figures.c.period,
            figures.c.perimeter,
            figures.c.department,
            literal("").label("service"),
            figures.c.index,
            count.label("count"),
        ).group_by(figures.c.period, figures.c.perimeter, figures.c.department, figures.c.index)
    elif by == "service":
        base = select(
            figures.c.period,
            figures.c.perimeter,
            figures.c.department,
            figures.c.service,
            figures.c.index,
            figures.c.count,
        )
    else:
        raise InvalidInput("Paramètre « by » : service ou department.")
    table = base.subquery()
    total = conn.execute(select(func.count()).select_from(table)).scalar_one()
    page = conn.execute(
        select(table, NOM.c.label, NOM.c.unit, NOM.c.family)
        .join(NOM, NOM.c.index == table.c.index)
        .order_by(
            table.c.department,
            table.c.perimeter,
            table.c.service,
            table.c.index,
            table.c.period,
        )
        .limit(limit)
        .offset(offset)
    )
    return int(total), [
        {
            "period": r.period,
            "perimeter": r.perimeter,
            "department": r.department,
            "service": r.service,
            "index": r.index,
            "label": r.label,
            "count": int(r._mapping["count"]),
            "unit": r.unit,
            "family": r.family,
        }
        for r in page
    ]


# -- series -----------------------------------------------------------------------------------


def series(conn: Connection, filters: Filters, *, group: str = "family") -> dict[str, Any]:
    """Yearly series with their year-over-year change and Poisson z, for a service, a
    département (or several) or the services of a commune."""
    if group not in GROUPS:
        raise InvalidInput(f"Paramètre « group » : {', '.join(GROUPS)}.")
    if not (filters.departments or filters.services or filters.commune):
        raise InvalidInput(
            "Précisez le périmètre de la série : un département (department), un service "
            "(service) ou une commune (commune)."
        )
    found = conn.execute(
        select(
            FIG.c.perimeter,
            FIG.c.department,
            FIG.c.service,
            FIG.c.index,
            FIG.c.period,
            FIG.c.count,
        )
        .join(NOM, NOM.c.index == FIG.c.index)
        .where(*_where(filters, conn))
    ).all()
    figures = _resolve([tuple(r) for r in found], keep_unused=bool(filters.indexes))
    indexes = sorted({f[3] for f in figures})
    if group == "selection":
        units = {entry(i).unit for i in indexes}
        if len(units) > 1:
            detail = " ; ".join(
                f"{UNITS[u]} : {', '.join(str(i) for i in indexes if entry(i).unit == u)}"
                for u in sorted(units)
            )
            raise InvalidInput(
                "Ces index n'ont pas la même unité de compte et ne s'additionnent pas "
                f"({detail}). Choisissez des index d'une même unité, ou group=family, qui "
                "donne une série par unité."
            )
    cells: dict[tuple[str, str], dict[int, dict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    members: dict[tuple[str, str], set[int]] = defaultdict(set)
    for _perimeter, _department, _service, index, year, month, count in figures:
        key = _group_key(group, index)
        if key is None:
            continue
        unit_key = (key, entry(index).unit)
        cells[unit_key][year][month] += count
        members[unit_key].add(index)
    out = [
        {
            "key": key,
            "label": _group_label(group, key),
            "unit": unit,
            "unit_label": UNITS[unit],
            "index": sorted(members[(key, unit)]),
            "points": yearly_points({y: dict(m) for y, m in cells[(key, unit)].items()}),
        }
        for key, unit in sorted(cells, key=lambda k: (_group_order(group, k[0]), k[1]))
    ]
    return {"filters": filters.as_dict(), "group": group, "note": MIXED_UNITS_NOTE, "series": out}


def _resolve(
    found: list[tuple[Any, ...]], *, keep_unused: bool
) -> list[tuple[str, str, str, int, int, int, int]]:
    """(perimeter, département, service, index, year, month, count) after the two precedence
    rules: annual figure over months, département total over the sum of its services."""
    rows_ = [
        (p, d, s, i, int(period[:4]), int(period[5:7]) if len(period) == 7 else 0, c)
        for p, d, s, i, period, c in found
        if keep_unused or not entry(i).unused
    ]
    annual = {(p, d, s, i, y) for p, d, s, i, y, m, _ in rows_ if m == 0}
    rows_ = [r for r in rows_ if r[5] == 0 or r[:5] not in annual]
    totals = {(p, d, i, y) for p, d, s, i, y, _, _ in rows_ if s == ""}
    return [r for r in rows_ if r[2] == "" or (r[0], r[1], r[3], r[4]) not in totals]


def _group_key(group: str, index: int) -> str | None:
    if group == "family":
        return entry(index).family
    if group == "indicator":
        return entry(index).indicator
    if group == "index":
        return str(index)
    return "selection"


def _group_label(group: str, key: str) -> str:
    if group == "family":
        return FAMILIES[key]
    if group == "indicator":
        return INDICATORS[key]
    if group == "index":
        return entry(int(key)).label
    return "Index choisis"


def _group_order(group: str, key: str) -> int:
    if group == "family":
        return list(FAMILIES).index(key)
    if group == "indicator":
        return list(INDICATORS).index(key)
    return int(key) if key.isdigit() else 0
