"""The communes compared (observatory/figures/communes.py) against a plain pandas computation on
the same hand-made facts."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from observatory.analytics.filters import Filter
from observatory.analytics.trendstats import poisson_z
from observatory.figures.communes import KnownCommune, compare_communes, period_of
from tests.observatory.figures.test_figures import COMMUNES, FULL, PARTNER, Fact, snapshot_of

KNOWN = [
    KnownCommune("31555", "Toulouse", 500_000, frozenset({2015, 2024})),
    KnownCommune("31069", "Blagnac", 25_000, frozenset({2024})),
    KnownCommune("31149", "Colomiers", 39_000),  # a population, no facts: still a row
    KnownCommune("31157", "Cugnaux", None),  # neither: no row
]
POPULATION = {c.code: c.population for c in KNOWN}


def facts(seed: int = 3) -> list[Fact]:
    """Facts over 2024 in Toulouse (1) and Blagnac (2), some in a QPV, a few in Blagnac only
    in the second half (a rise)."""
    rng = np.random.default_rng(seed)
    out: list[Fact] = []
    for _ in range(400):
        day = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 366)))
        commune = 1 if rng.random() < 0.8 else 2
        qpv = int(rng.integers(1, 3)) if commune == 1 and rng.random() < 0.3 else 0
        out.append((day, int(rng.integers(0, 24)), "tapage", commune, qpv))
    out += [(date(2024, 9, 2), 10, "vol", 2, 0)] * 3
    out += [(date(2024, 1, 1), 9, "vol", 1, 0)]  # the data begin on the 1st of January
    return sorted(out)


def frame(rows: list[Fact]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["day", "hour", "category", "commune", "qpv"])
    table["code"] = [COMMUNES[i - 1] for i in table.commune]
    return table


def reference(table: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Facts and facts in a QPV per commune, by pandas."""
    kept = table[(table.day >= start) & (table.day <= end)]
    return kept.groupby("code").agg(count=("qpv", "size"), qpv=("qpv", lambda q: (q > 0).sum()))


def test_each_commune_is_the_pandas_count_rate_change_and_qpv_share() -> None:
    rows = facts()
    snapshot, table = snapshot_of(rows), frame(rows)
    f = Filter(date_from=date(2024, 7, 1), date_to=date(2024, 12, 31))
    figure = compare_communes(snapshot, f, KNOWN, None, FULL)

    assert figure.period is not None and figure.period.comparable
    assert (figure.period.previous_start, figure.period.previous_end) == (
        date(2024, 1, 1),
        date(2024, 6, 30),
    )
    now = reference(table, date(2024, 7, 1), date(2024, 12, 31))
    before = reference(table, date(2024, 1, 1), date(2024, 6, 30))
    assert [r.code for r in figure.rows] == ["31069", "31149", "31555"]
    for row in figure.rows:
        count = int(now["count"].get(row.code, 0))
        previous = int(before["count"].get(row.code, 0))
        assert row.count == count
        assert row.change.previous == previous
        assert row.rate_per_1000 == pytest.approx(1000 * count / POPULATION[row.code])
        assert row.change.z == pytest.approx(float(poisson_z(count, previous)))
        if count:
            assert row.qpv_share == pytest.approx(int(now["qpv"].get(row.code, 0)) / count)
    assert figure.rows[1].count == 0 and figure.rows[1].qpv_share is None  # Colomiers
    total = figure.total
    assert total.count == int(now["count"].sum())
    assert total.change.previous == int(before["count"].sum())
    assert total.population == sum(p for p in POPULATION.values() if p)
    assert total.rate_per_1000 == pytest.approx(1000 * total.count / total.population)


def test_the_qpv_share_is_unknown_where_no_qpv_of_the_generation_was_imported() -> None:
    """Blagnac has facts but no QPV of the 2015 geography imported: with that geography its
    share is unknown, not 0 %; Toulouse has one (and no fact in it): 0 %; the total's share is
    known when a commune of the rows has a QPV, unknown when none has."""
    snapshot = snapshot_of(facts())
    f = Filter(date_from=date(2024, 7, 1), date_to=date(2024, 12, 31), generation=2015)
    older = compare_communes(snapshot, f, KNOWN, None, FULL)
    by = {r.code: r for r in older.rows}
    assert by["31069"].count and by["31069"].qpv_share is None and by["31069"].qpv_count is None
    assert by["31555"].qpv_share == 0 and by["31555"].qpv_count == 0
    assert older.total.qpv_share == 0
    alone = compare_communes(snapshot, f, KNOWN, frozenset({"31069"}), FULL)
    assert alone.total.count and alone.total.qpv_share is None
    recent = compare_communes(snapshot, f.but(generation=2024), KNOWN, None, FULL)
    assert all(r.qpv_share is not None for r in recent.rows if r.count)


def test_a_scope_lists_only_its_communes_and_the_filter_commune_only_its_own() -> None:
    snapshot = snapshot_of(facts())
    f = Filter(date_from=date(2024, 7, 1), date_to=date(2024, 12, 31))
    scoped = compare_communes(snapshot, f, KNOWN, frozenset({"31069", "31149"}), FULL)
    assert [r.code for r in scoped.rows] == ["31069", "31149"]
    assert scoped.total.count == scoped.rows[0].count  # Colomiers has none
    one = compare_communes(snapshot, f.but(commune="31555"), KNOWN, None, FULL)
    assert [r.code for r in one.rows] == ["31555"]
    assert one.total.count == one.rows[0].count


def test_a_partner_sees_small_counts_hidden_and_no_z() -> None:
    rows = [(date(2024, 3, 1), 10, "tapage", 1, 1)] * 20 + [(date(2024, 3, 5), 10, "vol", 2, 0)]
    rows += [(date(2024, 2, 1), 10, "tapage", 1, 0)] * 3
    snapshot = snapshot_of(sorted(rows))
    f = Filter(date_from=date(2024, 3, 1), date_to=date(2024, 3, 31))
    figure = compare_communes(snapshot, f, KNOWN, None, PARTNER)
    by = {r.code: r for r in figure.rows}
    blagnac, toulouse = by["31069"], by["31555"]
    assert blagnac.count is None and blagnac.suppressed and blagnac.rate_per_1000 is None
    assert toulouse.count == 20 and toulouse.qpv_count == 20 and toulouse.qpv_share == 1
    # February's 3 are « < 5 »: no previous count, no change; and no z for a partner at all.
    assert toulouse.change.previous is None and toulouse.change.previous_hidden
    assert toulouse.change.percent is None and toulouse.previous_rate_per_1000 is None
    assert all(r.change.z is None for r in [*figure.rows, figure.total])
    assert figure.total.count == 21  # the total adds every count, the hidden one too


def test_the_previous_period_is_as_long_and_compared_only_when_the_data_cover_it() -> None:
    assert period_of(Filter(date_from=date(2024, 3, 1)), None, None) is None  # no end at all
    alone = period_of(Filter(date_from=date(2024, 3, 1), date_to=date(2024, 5, 31)), None, None)
    assert alone is not None and not alone.comparable  # no data: nothing to compare with
    p = period_of(
        Filter(date_from=date(2024, 3, 1), date_to=date(2024, 5, 31)),
        date(2024, 1, 1),
        date(2024, 12, 31),
    )
    assert p is not None and (p.previous_start, p.previous_end) == (
        date(2023, 12, 1),
        date(2024, 2, 29),
    )
    assert not p.comparable  # the data begin in January
    days = period_of(Filter(date_from=date(2024, 3, 10), date_to=date(2024, 3, 16)), None, None)
    assert days is not None and (days.previous_start, days.previous_end) == (
        date(2024, 3, 3),
        date(2024, 3, 9),
    )
    whole = period_of(Filter(), date(2024, 1, 3), date(2024, 12, 30))
    assert whole is not None and (whole.start, whole.end) == (date(2024, 1, 3), date(2024, 12, 30))
    assert not whole.comparable
