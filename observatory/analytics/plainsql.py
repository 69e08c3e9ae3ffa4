"""The analyses of observatory/analytics/engine.py as plain PostgreSQL GROUP BY queries.

This is the baseline of the benchmark and the reference the fast path is tested against: every
query reads `incident` as it is, with no helper table, and lets PostgreSQL aggregate. The
semantics are the fast path's: dates are local calendar days of the start (both ends included),
hours and weekdays the local hour of the week of the start (``local_hour_of_week``), the bbox
includes its edges, and a fact known only within an interval is spread over the UTC hour blocks
it touches (observatory/analytics/localtime.py), each block at the local hour it begins in.

Values reach SQL as bind parameters only; the QPV column comes from an allow-list and the H3
parent expression from observatory.grid.parent_sql (an integer resolution, a fixed column).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from observatory.analytics.engine import Series
from observatory.analytics.filters import Filter
from observatory.analytics.localtime import HOURS_PER_WEEK
from observatory.grid import parent_sql

QPV_COLUMNS = {2015: "qpv_2015", 2024: "qpv_2024"}

# The local hour of the week (0 = Monday 0 h) of a timestamptz expression, in the zone :zone.
LOCAL_HOW = (
    "(extract(isodow FROM {t} AT TIME ZONE :zone)::int - 1) * 24"
    " + extract(hour FROM {t} AT TIME ZONE :zone)::int"
)

# Points count at their start's hour; an interval [at, until) gets 1/n on each of the n UTC hour
# blocks it touches (at least one). date_trunc works in the session's zone: truncate in UTC.
# An end equal to the start is a point in time, as in the importer and the fast path.
WEEK_HOURS = """
SELECT how, sum(weight) AS weight
FROM (
    SELECT local_hour_of_week AS how, 1.0::float8 AS weight
    FROM incident
    WHERE ({where}) AND (occurred_until IS NULL OR occurred_until <= occurred_at)
    UNION ALL
    SELECT {block_how} AS how,
           1.0::float8 / count(*) OVER (PARTITION BY incident.id) AS weight
    FROM incident
    CROSS JOIN LATERAL generate_series(
        date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
        occurred_until - interval '1 microsecond',
        interval '1 hour'
    ) AS block(starts_at)
    WHERE ({where}) AND occurred_until > occurred_at
) AS shares
GROUP BY how
"""

PERIOD_OF = {  # truncated as local wall time (timestamp without zone), then a date
    "month": "date_trunc('month', occurred_at AT TIME ZONE :zone)::date",
    "week": "date_trunc('week', occurred_at AT TIME ZONE :zone)::date",  # ISO: from Monday
}

DAY_RANGE = (
    "SELECT (min(occurred_at) AT TIME ZONE :zone)::date,"
    " (max(occurred_at) AT TIME ZONE :zone)::date FROM incident"
)


def where_clause(f: Filter, zone: str) -> tuple[str, dict[str, Any]]:
    """The SQL condition (no ``WHERE``; ``TRUE`` when nothing is filtered) and its parameters."""
    parts: list[str] = []
    params: dict[str, Any] = {"zone": zone}
    if f.date_from is not None:
        parts.append("occurred_at >= (CAST(:date_from AS timestamp) AT TIME ZONE :zone)")
        params["date_from"] = f.date_from
    if f.date_to is not None:
        parts.append("occurred_at < ((CAST(:date_to AS date) + 1)::timestamp AT TIME ZONE :zone)")
        params["date_to"] = f.date_to
    if f.categories is not None:
        parts.append("category_code = ANY(CAST(:categories AS text[]))")
        params["categories"] = sorted(f.categories)
    hours = f.hours_of_week()
    if hours is not None:
        parts.append("local_hour_of_week = ANY(CAST(:hows AS int2[]))")
        params["hows"] = hours
    if f.commune is not None:
        parts.append("commune_code = :commune")
        params["commune"] = f.commune
    if f.qpv is not None:
        column = QPV_COLUMNS[f.generation]
        if f.qpv == "in":
            parts.append(f"{column} IS NOT NULL")
        elif f.qpv == "out":
            parts.append(f"{column} IS NULL")
        else:
            parts.append(f"{column} = :qpv")
            params["qpv"] = f.qpv
    if f.bbox is not None:
        parts.append("ST_X(geom) BETWEEN :west AND :east AND ST_Y(geom) BETWEEN :south AND :north")
        params.update(zip(("west", "south", "east", "north"), f.bbox, strict=True))
    return (" AND ".join(parts) or "TRUE"), params


def hexagon_counts(conn: Connection, f: Filter, resolution: int, zone: str) -> dict[int, int]:
    """Parent cell (int64 id) at the resolution -> incidents, for every non-empty cell."""
    where, params = where_clause(f, zone)
    cell = parent_sql("h3", resolution)
    sql = f"SELECT {cell} AS cell, count(*) FROM incident WHERE {where} GROUP BY 1"  # noqa: S608 - allow-listed pieces
    return {int(c): int(n) for c, n in conn.execute(text(sql), params)}


def category_counts(conn: Connection, f: Filter, zone: str) -> dict[str, int]:
    """Incidents per category code (categories with none left out)."""
    where, params = where_clause(f, zone)
    sql = f"SELECT category_code, count(*) FROM incident WHERE {where} GROUP BY 1"  # noqa: S608
    return {str(c): int(n) for c, n in conn.execute(text(sql), params)}


def week_hours(conn: Connection, f: Filter, zone: str) -> np.ndarray:
    """The 168 local hours of the week (Monday 0 h first), interval facts spread (aoristic)."""
    where, params = where_clause(f, zone)
    sql = WEEK_HOURS.format(where=where, block_how=LOCAL_HOW.format(t="block.starts_at"))
    out = np.zeros(HOURS_PER_WEEK, dtype=np.float64)
    for how, weight in conn.execute(text(sql), params):
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
    if step not in PERIOD_OF:
        raise ValueError(f"pas de série « {step} » : month ou week")
    first, last = f.date_from, f.date_to
    if first is None or last is None:
        low, high = conn.execute(text(DAY_RANGE), {"zone": zone}).one()
        first, last = first or low, last or high
    if first is None or last is None:
        return Series(step, [], [], [], np.zeros((0, 0), dtype=np.int64))
    where, params = where_clause(f.but(date_from=first, date_to=last), zone)
    period = PERIOD_OF[step]
    if key_of_category is None:
        keys = ["total"]
        sql = f"SELECT {period}, 'total', count(*) FROM incident WHERE {where} GROUP BY 1"  # noqa: S608
    else:
        keys = sorted(set(key_of_category.values()))
        sql = (
            f"SELECT {period}, k.key, count(*) FROM incident "  # noqa: S608
            "JOIN unnest(CAST(:key_codes AS text[]), CAST(:key_names AS text[])) AS k(code, key)"
            f" ON k.code = category_code WHERE {where} GROUP BY 1, 2"
        )
        params["key_codes"] = list(key_of_category)
        params["key_names"] = list(key_of_category.values())
    starts = _period_starts(step, first, last)
    row_of = {s: i for i, s in enumerate(starts)}
    column_of = {k: i for i, k in enumerate(keys)}
    counts = np.zeros((len(starts), len(keys)), dtype=np.int64)
    for start, key, n in conn.execute(text(sql), params):
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
    where, params = where_clause(f.but(qpv=None, commune=None, generation=generation), zone)
    qpvs = conn.execute(
        text("SELECT code FROM qpv WHERE generation = :g ORDER BY code"), {"g": generation}
    ).scalars()
    by_qpv = conn.execute(
        text(
            f"SELECT {column}, category_code, count(*) FROM incident "  # noqa: S608
            f"WHERE ({where}) AND {column} IS NOT NULL GROUP BY 1, 2"
        ),
        params,
    ).all()
    params["communes"] = list(communes)
    by_commune = conn.execute(
        text(
            f"SELECT commune_code, category_code, count(*) FILTER (WHERE {column} IS NULL), "  # noqa: S608
            f"count(*) FROM incident WHERE ({where}) "
            "AND commune_code = ANY(CAST(:communes AS text[])) GROUP BY 1, 2"
        ),
        params,
    ).all()
    outside = [(c, k, n) for c, k, n, _ in by_commune if n]
    total = [(c, k, n) for c, k, _, n in by_commune]
    return (
        _by_category(by_qpv, list(qpvs)),
        _by_category(outside, communes),
        _by_category(total, communes),
    )
