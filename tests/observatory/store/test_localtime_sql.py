"""The SQL transcription of the local-time rule (observatory/store/plainsql.py) against
observatory/localtime.py, instant by instant, across changes of clock and in half-hour zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import ARRAY, Date, Engine, cast, func, literal, select
from sqlalchemy.dialects.postgresql import TIMESTAMP

from observatory.localtime import Clock, hour_of_week_and_month, hour_of_week_of_local_hours
from observatory.store.plainsql import local_hour_of_week
from observatory.store.sqlfilter import at_zone

# The nights of the changes of clock of 2024, in Europe and in Newfoundland (UTC-03:30).
CHANGES = ("2024-03-30 18:00Z", "2024-10-26 18:00Z", "2024-03-10 00:00Z", "2024-11-03 00:00Z")


def _seconds() -> np.ndarray:
    """Random instants of 2000–2030, and every quarter of an hour (and the second before it)
    over the nights of the changes of clock."""
    rng = np.random.default_rng(5)
    random = rng.integers(946_684_800, 1_900_000_000, 2000)
    starts = pd.to_datetime(list(CHANGES), utc=True).as_unit("s").asi8
    quarters = np.concatenate([np.arange(s, s + 36 * 3600, 900) for s in starts])
    return np.concatenate([random, quarters, quarters - 1])


@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "Europe/London", "America/St_Johns", "Asia/Kolkata"]
)
def test_sql_hours_of_week_and_months_match_the_module(engine: Engine, zone: str) -> None:
    seconds = _seconds()
    instants = pd.Series(pd.to_datetime(seconds, unit="s", utc=True))
    given = (
        func.unnest(literal(instants.dt.to_pydatetime().tolist(), ARRAY(TIMESTAMP(timezone=True))))
        .table_valued("at", with_ordinality="n")
        .render_derived()
    )
    month = cast(func.date_trunc("month", at_zone(given.c.at, zone)), Date)
    query = select(local_hour_of_week(given.c.at, zone), month).order_by(given.c.n)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    sql_hours = np.array([r[0] for r in rows])
    sql_months = np.array([r[1] for r in rows], dtype="datetime64[D]")

    hours, months = hour_of_week_and_month(instants, zone)

    np.testing.assert_array_equal(sql_hours, hours)  # the importer's, read by the store
    np.testing.assert_array_equal(sql_months, months)
    # The hour blocks of interval facts: whole UTC hours, through the store's Clock.
    whole = seconds % 3600 == 0
    clock = Clock.covering(zone, seconds)
    blocks = hour_of_week_of_local_hours(clock.local_hours(seconds[whole] // 3600))
    np.testing.assert_array_equal(sql_hours[whole], blocks)
