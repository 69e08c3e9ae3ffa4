"""The common filter as a SQL condition on `incident`, shared by the plain SQL reference of
the store (observatory/store/plainsql.py) and the incident exports (observatory/exports.py).

The semantics are the in-memory store's: dates are local calendar days of the start (both ends
included), hours and weekdays the local hour of the week of the start (the column
``local_hour_of_week`` the importer stored), the bbox includes its edges. Values reach SQL as
bind parameters only; the QPV column comes from an allow-list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    SmallInteger,
    Text,
    and_,
    any_,
    cast,
    func,
    literal,
    or_,
    true,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP

from observatory.analytics.filters import Filter
from observatory.models import Incident

INCIDENT = Incident.__table__
QPV_COLUMNS = {2015: INCIDENT.c.qpv_2015, 2024: INCIDENT.c.qpv_2024}


def at_zone(moment: ColumnElement[Any], zone: str) -> ColumnElement[datetime]:
    """``moment AT TIME ZONE zone``: a timestamptz as local wall time, or wall time as a moment."""
    return moment.op("AT TIME ZONE", return_type=DateTime())(literal(zone, Text))


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
    if f.scope is not None:
        scope = literal(sorted(f.scope), ARRAY(Text))
        parts.append(INCIDENT.c.commune_code == any_(scope))
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
