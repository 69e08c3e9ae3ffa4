"""The analyses of observatory/analytics/engine.py as plain PostgreSQL GROUP BY queries.

This is the baseline of the benchmark and the reference the fast path is tested against: every
query reads `incident` as it is, with no helper table, and lets PostgreSQL aggregate. The
semantics are the fast path's: dates are local calendar days of the start (both ends included),
hours and weekdays the local hour of the week of the start (the column ``local_hour_of_week``
the importer stored), the bbox includes its edges, and a fact known only within an interval is
spread over the UTC hour blocks it touches, each block at the local hour it begins in. The local
time rule is observatory/localtime.py's; ``local_hour_of_week`` below is its SQL transcription.

Statements are SQLAlchemy Core: values reach SQL as bind parameters only, the QPV column comes
from an allow-list and the H3 parent expression from observatory.grid.parent_expression.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    SmallInteger,
    Text,
    and_,
    any_,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP

from observatory.analytics.engine import Series
from observatory.analytics.filters import Filter
from observatory.grid import parent_expression
from observatory.localtime import HOURS_PER_WEEK
from observatory.models import Incident

INCIDENT = Incident.__table__
QPV_COLUMNS = {2015: INCIDENT.c.qpv_2015, 2024: INCIDENT.c.qpv_2024}
PERIODS = ("month", "week")  # date_trunc fields; a week starts on Monday (ISO)
QPVS = text("SELECT code FROM qpv WHERE generation = :g ORDER BY code")


def at_zone(moment: ColumnElement[Any], zone: str) -> ColumnElement[datetime]:
    """``moment AT TIME ZONE zone``: a timestamptz as local wall time, or wall time as a moment."""
    return moment.op("AT TIME ZONE", return_type=DateTime())(literal(zone, Text))


def local_hour_of_week(moment: ColumnElement[datetime], zone: str) -> ColumnElement[int]:
    """The local hour of the week (0 = Monday 0 h … 167) of a timestamptz, in the zone.

    The SQL transcription of observatory/localtime.py's rule, (ISO weekday - 1) × 24 + the
    hour of the wall time; tests/observatory/store/test_localtime_sql.py holds the two equal, across
    changes of clock and in half-hour zones.
    """
    local = at_zone(moment, zone)
    return (cast(extract("isodow", local), Integer) - 1) * 24 + cast(
        extract("hour", local), Integer
    )


def filter_condition(f: Filter, zone: str) -> ColumnElement[bool]:
    """The filter as a condition on `incident` (``true()`` when nothing is filtered)."""
    parts: list[ColumnElement[bool]] = []
    if f.date_from is not None:
        start = at_zone(cast(literal(f.date_from, Date), TIMESTAMP), zone)
        parts.append(INCIDENT.c.occurred_at >= start)
    if f.date_to is not None:
        end = at_zone(cast(literal(f.date_to, Date) + 1, TIMESTAMP), zone)
        parts.append(INCIDENT.c.occurred_at < end)
    if f.categories is not None:
        codes = literal(sorted(f.categories), ARRAY(Text))
        parts.append(INCIDENT.c.category_code == any_(codes))
    hours = f.hours_of_week()
    if hours is not None:
        parts.append(INCIDENT.c.local_hour_of_week == any_(literal(hours, ARRAY(SmallInteger))))
    if f.commune is not None:
        parts.append(INCIDENT.c.commune_code == f.commune)
    if f.qpv is not None:
        column = QPV_COLUMNS[f.generation]
        if f.qpv == "in":
            parts.append(column.is_not(None))
        elif f.qpv == "out":
            parts.append(column.is_(None))
        else:
            parts.append(column == f.qpv)
    if f.bbox is not None:
        west, south, east, north = f.bbox
        parts.append(func.ST_X(INCIDENT.c.geom).between(west, east))
        parts.append(func.ST_Y(INCIDENT.c.geom).between(south, north))
    if f.precision == "housenumber":
        kind = INCIDENT.c.geocode_type
        parts.append(or_(kind.is_(None), kind == "housenumber"))
    return and_(true(), *parts)


def hexagon_counts(conn: Connection, f: Filter, resolution: int, zone: str) -> dict[int, int]:
    """Parent cell (int64 id) at the resolution -> incidents, for every non-empty cell."""
    cell = parent_expression(INCIDENT.c.h3, resolution).label("cell")
    sql = select(cell, func.count()).where(filter_condition(f, zone)).group_by(cell)
    return {int(c): int(n) for c, n in conn.execute(sql)}


def category_counts(conn: Connection, f: Filter, zone: str) -> dict[str, int]:
    """Incidents per category code (categories with none left out)."""
    code = INCIDENT.c.category_code
    sql = select(code, func.count()).where(filter_condition(f, zone)).group_by(code)
    return {str(c): int(n) for c, n in conn.execute(sql)}


def week_hours(conn: Connection, f: Filter, zone: str) -> np.ndarray:
    """The 168 local hours of the week (Monday 0 h first), interval facts spread (aoristic)."""
    where = filter_condition(f, zone)
    at, until = INCIDENT.c.occurred_at, INCIDENT.c.occurred_until
    # Points count at their start's hour; an interval [at, until) gets 1/n on each of the n UTC
    # hour blocks it touches (at least one). date_trunc works in the session's zone: truncate in
    # UTC. An end equal to the start is a point in time, as in the importer and the fast path.
    points = select(
        INCIDENT.c.local_hour_of_week.label("how"), literal(1.0, Float).label("weight")
    ).where(where, or_(until.is_(None), until <= at))
    block = (
        func.generate_series(
            at_zone(func.date_trunc("hour", at_zone(at, "UTC")), "UTC"),
            until - timedelta(microseconds=1),
            timedelta(hours=1),
        )
        .table_valued("starts_at")
        .render_derived()
        .lateral("block")
    )
    share = literal(1.0, Float).op("/")(func.count().over(partition_by=INCIDENT.c.id))
    spread = (
        select(local_hour_of_week(block.c.starts_at, zone).label("how"), share.label("weight"))
        .select_from(INCIDENT.join(block, true()))
        .where(where, until > at)
    )
    shares = union_all(points, spread).subquery("shares")
    sql = select(shares.c.how, func.sum(shares.c.weight)).group_by(shares.c.how)
    out = np.zeros(HOURS_PER_WEEK, dtype=np.float64)
    for how, weight in conn.execute(sql):
        out[int(how)] = float(weight)
    return out


def _period_starts(step: str, first: date, last: date) -> list[date]:
    if step == "month":
        starts, month = [], date(first.year, first.month, 1)
        while month <= last:
            starts.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return starts
    monday = first - timedelta(days=first.weekday())
    return [monday + timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]


def _period_end(step: str, start: date) -> date:
    if step == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start + timedelta(days=6)


def series(
    conn: Connection,
    f: Filter,
    step: str,
    key_of_category: Mapping[str, str] | None,
    zone: str,
) -> Series:
    """Counts per local month or ISO week (rows) and key (columns), as engine.series.

    Keys are "total", or the values of ``key_of_category`` (category code -> key); categories
    the mapping leaves out are not counted. The periods run from the filter's first day (else
    the first incident's local day) to its last (else the last incident's).
    """
    if step not in PERIODS:
        raise ValueError(f"pas de série « {step} » : month ou week")
    at = INCIDENT.c.occurred_at
    first, last = f.date_from, f.date_to
    if first is None or last is None:
        days = select(
            cast(at_zone(func.min(at), zone), Date), cast(at_zone(func.max(at), zone), Date)
        )
        low, high = conn.execute(days).one()
        first, last = first or low, last or high
    if first is None or last is None:
        return Series(step, [], [], [], np.zeros((0, 0), dtype=np.int64))
    where = filter_condition(f.but(date_from=first, date_to=last), zone)
    # Truncated as local wall time (timestamp without zone), then a date.
    period = cast(func.date_trunc(step, at_zone(at, zone)), Date).label("period")
    if key_of_category is None:
        keys = ["total"]
        sql = select(period, literal("total"), func.count()).where(where).group_by(period)
    else:
        keys = sorted(set(key_of_category.values()))
        key_of = (
            func.unnest(
                literal(list(key_of_category), ARRAY(Text)),
                literal(list(key_of_category.values()), ARRAY(Text)),
            )
            .table_valued("code", "key")
            .render_derived("k")
        )
        sql = (
            select(period, key_of.c.key, func.count())
            .select_from(INCIDENT.join(key_of, key_of.c.code == INCIDENT.c.category_code))
            .where(where)
            .group_by(period, key_of.c.key)
        )
    starts = _period_starts(step, first, last)
    row_of = {s: i for i, s in enumerate(starts)}
    column_of = {k: i for i, k in enumerate(keys)}
    counts = np.zeros((len(starts), len(keys)), dtype=np.int64)
    for start, key, n in conn.execute(sql):
        counts[row_of[start], column_of[key]] = n
    complete = [s >= first and _period_end(step, s) <= last for s in starts]
    return Series(step, starts, complete, keys, counts)


def _by_category(rows: Sequence[Any], codes: Sequence[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {code: {} for code in codes}
    for code, category, n in rows:
        out.setdefault(code, {})[category] = int(n)
    return out


def territory_counts(
    conn: Connection, f: Filter, generation: int, communes: Sequence[str], zone: str
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Per QPV of the generation, per commune outside every QPV, per commune: by category.

    Keys: every QPV of the generation in `qpv` (and any code found on incidents), every commune
    asked for; a territory without incidents maps to an empty dict. The filter's own ``qpv``
    and ``commune`` are set aside, as in engine.territory_counts.
    """
    column = QPV_COLUMNS[generation]
    where = filter_condition(f.but(qpv=None, commune=None, generation=generation), zone)
    commune, category = INCIDENT.c.commune_code, INCIDENT.c.category_code
    qpvs = conn.execute(QPVS, {"g": generation}).scalars()
    by_qpv = conn.execute(
        select(column, category, func.count())
        .where(where, column.is_not(None))
        .group_by(column, category)
    ).all()
    by_commune = conn.execute(
        select(commune, category, func.count().filter(column.is_(None)), func.count())
        .where(where, commune == any_(literal(list(communes), ARRAY(Text))))
        .group_by(commune, category)
    ).all()
    outside = [(c, k, n) for c, k, n, _ in by_commune if n]
    total = [(c, k, n) for c, k, _, n in by_commune]
    return (
        _by_category(by_qpv, list(qpvs)),
        _by_category(outside, communes),
        _by_category(total, communes),
    )
