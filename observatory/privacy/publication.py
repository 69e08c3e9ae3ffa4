"""Publishing the partner release: each closed month drawn once, stored, and never drawn again.

A month is closed ``release_delay_days`` after its end (late imports of the month have arrived).
It is published the first time a partner answer is asked after that, or by ``observatory
release publish`` (a cron job): its noisy, consistent counts are stored in ``partner_release``.
Two processes that publish the same month at once store one of their draws; the other is thrown
away unseen. A published month does not change when facts of that month arrive later or are
deleted: republishing it would give a second noisy look at nearly the same facts (and, with the
same noise, their exact difference). Months older than the retention period go with the facts
(``observatory purge``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from observatory.privacy.domain import read_domain
from observatory.privacy.release import Budget, MonthRelease, build_month, month_end
from observatory.store.snapshot import Snapshot

log = logging.getLogger(__name__)

INSERT = """
INSERT INTO partner_release (month, data_version, epsilon, facts, body)
VALUES (:month, :version, :epsilon, :facts, :body)
ON CONFLICT (month) DO NOTHING
"""


@dataclass(frozen=True)
class Publication:
    """The published months, as stored."""

    months: tuple[MonthRelease, ...]
    epsilon: dict[date, float]

    @property
    def last_month(self) -> date | None:
        return self.months[-1].month if self.months else None


def closed_months(
    first_day: date | None, last_day: date | None, today: date, delay_days: int
) -> list[date]:
    """The months from the first fact's to the last one closed on ``today``, and no later than
    the last fact's month (months after the last import are not empty, only not known yet)."""
    if first_day is None or last_day is None:
        return []
    month = first_day.replace(day=1)
    out = []
    while month <= last_day and month_end(month) + timedelta(days=delay_days) <= today:
        out.append(month)
        month = month_end(month)
    return out


def published_stamps(conn: Connection) -> tuple[tuple[date, datetime], ...]:
    """Each published month and when: what the partner snapshot of a process is made of."""
    rows = conn.execute(text("SELECT month, published_at FROM partner_release ORDER BY month"))
    return tuple((r.month, r.published_at) for r in rows)


def published_months(conn: Connection) -> set[date]:
    return set(conn.execute(text("SELECT month FROM partner_release")).scalars())


def publish(
    engine: Engine,
    snapshot: Snapshot,
    today: date,
    *,
    epsilon: float,
    delay_days: int,
    time_slots: Mapping[str, str],
) -> list[date]:
    """Publish every closed month not yet published; the months published now."""
    wanted = closed_months(snapshot.first_day(), snapshot.last_day(), today, delay_days)
    with engine.connect() as conn:
        missing = [m for m in wanted if m not in published_months(conn)]
        if not missing:
            return []
        domain = read_domain(conn)
        family_of: dict[str, str] = {
            r.code: r.family for r in conn.execute(text("SELECT code, family FROM category"))
        }
        conn.rollback()
    budget = Budget(epsilon)
    spent = budget.spent()
    done = []
    with engine.begin() as conn:
        for month in missing:
            release = build_month(snapshot, month, domain, family_of, budget, time_slots)
            inserted = conn.execute(
                text(INSERT),
                {
                    "month": month,
                    "version": snapshot.version,
                    "epsilon": spent,
                    "facts": release.total,
                    "body": release.to_bytes(),
                },
            ).rowcount
            if inserted:
                done.append(month)
    if done:
        log.info("Diffusion partenaires : %s mois publiés (ε = %.3g par fait)", len(done), spent)
    return done


def read_publication(conn: Connection) -> Publication:
    rows = conn.execute(
        text("SELECT month, epsilon, body FROM partner_release ORDER BY month")
    ).all()
    return Publication(
        tuple(MonthRelease.from_bytes(r.month, bytes(r.body)) for r in rows),
        {r.month: float(r.epsilon) for r in rows},
    )


def withdraw_before(conn: Connection, month: date) -> int:
    """Delete the published months before ``month`` (retention); how many went."""
    return conn.execute(
        text("DELETE FROM partner_release WHERE month < :month"), {"month": month}
    ).rowcount


def publish_closed(engine: Engine, snapshot: Snapshot, today: date, settings: Any) -> list[date]:
    """``publish`` with the deployment's settings (ε, delay, named time slots)."""
    return publish(
        engine,
        snapshot,
        today,
        epsilon=settings.privacy_epsilon,
        delay_days=settings.release_delay_days,
        time_slots=settings.time_slots,
    )


def current_publication(
    engine: Engine, snapshot: Snapshot, today: date, settings: Any
) -> Publication:
    """Publish what has closed, then read every published month (what partners are answered
    from)."""
    publish_closed(engine, snapshot, today, settings)
    with engine.connect() as conn:
        return read_publication(conn)
