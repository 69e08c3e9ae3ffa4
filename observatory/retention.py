"""Retention: delete the incidents older than a duration, and the rejected rows of old imports.

A fact is older than the limit when it ended (``occurred_until``, else ``occurred_at``) before
the cut-off: local midnight of the day that lies DURATION before today (36m on 2025-06-15: facts
ended before 2022-06-15 00:00, Europe/Paris). Rejected rows (``import_reject``) hold the raw
values of a file line, personal data included, and often no usable date: they go with their
batch's start (``import_batch.started_at``) before the cut-off. The batch itself stays, with its
counts (no personal data).

One transaction does it all, and writes one ``audit_log`` row (action ``purge``, actor the
command's user, ``row_count`` the facts deleted, ``filters`` the duration, the cut-off and the
rejected rows deleted): the audit log is where who-did-what-with-personal-data is kept, and
``observatory audit`` shows it. The DELETE on ``incident`` fires the statement trigger of
observatory/changes.py, which raises the data version and logs a ``change``: the API's in-memory
copy then reloads, without the purged facts. When no fact is old enough, no DELETE runs, so a
daily purge with nothing to do does not make the API reload millions of rows.

The same transaction deletes the audit entries older than ``OBS_AUDIT_RETENTION_MONTHS`` and
the sessions that have expired or were closed (observatory/traces.py); the purge's own audit
row is written after, so it is never its own victim.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, TextClause, text

from observatory.audit import record
from observatory.errors import InvalidInput
from observatory.privacy.publication import withdraw_before
from observatory.traces import TracesPurged, purge_traces

UNITS = {"d": "d", "j": "d", "m": "m", "y": "y", "a": "y"}  # French j(ours) and a(ns) too
UNIT_WORDS = {"d": ("jour", "jours"), "m": ("mois", "mois"), "y": ("an", "ans")}
DURATION = re.compile(r"^\s*(\d{1,5})\s*([a-zA-Z])\s*$")

# Facts that ended before the cut-off. occurred_until >= occurred_at (a check constraint), so
# the first term is implied; it is there for the BRIN index on occurred_at.
# Whole statements, the limit as a bind parameter: nothing is assembled at run time. An incident
# is old when it ended (or, known at one moment, happened) before the limit.
COUNT_INCIDENTS = text(
    "SELECT count(*) FROM incident "
    "WHERE occurred_at < :cutoff AND (occurred_until IS NULL OR occurred_until < :cutoff)"
)
ANY_INCIDENT = text(
    "SELECT EXISTS (SELECT 1 FROM incident "
    "WHERE occurred_at < :cutoff AND (occurred_until IS NULL OR occurred_until < :cutoff))::int"
)
DELETE_INCIDENTS = text(
    "DELETE FROM incident "
    "WHERE occurred_at < :cutoff AND (occurred_until IS NULL OR occurred_until < :cutoff)"
)
# Rejected rows (raw personal data) go with the batches started before the limit.
COUNT_REJECTS = text(
    "SELECT count(*) FROM import_reject "
    "WHERE batch_id IN (SELECT id FROM import_batch WHERE started_at < :cutoff)"
)
DELETE_REJECTS = text(
    "DELETE FROM import_reject "
    "WHERE batch_id IN (SELECT id FROM import_batch WHERE started_at < :cutoff)"
)


@dataclass(frozen=True)
class Duration:
    """How long facts are kept: a number of days, months or years."""

    amount: int
    unit: str  # d, m or y

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def describe(self) -> str:
        """In French: « 36 mois », « 1 an », « 365 jours »."""
        one, many = UNIT_WORDS[self.unit]
        return f"{self.amount} {one if self.amount == 1 else many}"

    def before(self, day: date) -> date:
        """The day that lies this duration before ``day`` (31 March − 1m: 28 or 29 February)."""
        too_long = InvalidInput(f"Durée de conservation trop longue : {self.describe()}.")
        if self.unit == "d":
            try:
                return day - timedelta(days=self.amount)
            except OverflowError:
                raise too_long from None
        months = self.amount * (12 if self.unit == "y" else 1)
        year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
        if year < 1:
            raise too_long
        month += 1
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_duration(value: str) -> Duration:
    """``36m``, ``3y``, ``365d`` (also ``3a``, ``365j``) as a Duration; a French error else."""
    match = DURATION.match(value)
    unit = UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise InvalidInput(
            f"Durée illisible « {value} » : écrivez un nombre suivi de d (jours), m (mois) ou "
            "y (ans), par exemple 36m, 3y ou 365d."
        )
    amount = int(match.group(1))
    if amount < 1:
        raise InvalidInput(f"Durée nulle « {value} » : elle doit valoir au moins 1.")
    return Duration(amount, unit)


def cutoff(duration: Duration, now: datetime, zone: str) -> datetime:
    """Local midnight of the day that lies ``duration`` before ``now``'s local day."""
    tz = ZoneInfo(zone)
    return datetime.combine(duration.before(now.astimezone(tz).date()), time(0), tz)


NO_TRACES = TracesPurged(0, 0)


@dataclass(frozen=True)
class PurgeSummary:
    """What a purge deleted (or, in a dry run, would delete)."""

    duration: Duration
    cutoff: datetime
    incidents: int
    rejects: int
    dry_run: bool
    traces: TracesPurged = NO_TRACES
    audit_months: int = 12

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "older_than": str(self.duration),
            "cutoff": self.cutoff.isoformat(),
            "incidents_deleted": self.incidents,
            "rejects_deleted": self.rejects,
            "audit_retention_months": self.audit_months,
            "audit_deleted": self.traces.audit,
            "sessions_deleted": self.traces.sessions,
        }

    def describe(self) -> str:
        """One French line."""
        scope = (
            f"conservation {self.duration.describe()}, "
            f"faits terminés avant le {self.cutoff.strftime('%d/%m/%Y')}"
        )
        facts = _count_words(self.incidents, "fait", "faits")
        rejects = _count_words(self.rejects, "ligne rejetée", "lignes rejetées")
        traces = (
            f" ; journal d'audit gardé {self.audit_months} mois : "
            f"{_count_words(self.traces.audit, 'entrée', 'entrées')}, "
            f"{_count_words(self.traces.sessions, 'session close', 'sessions closes')}"
        )
        if self.dry_run:
            return (
                f"Simulation ({scope}) : {facts} et {rejects} d'imports antérieurs seraient "
                f"supprimés{traces} à supprimer ; rien n'a été supprimé."
            )
        return f"Purge ({scope}) : {facts} et {rejects} d'imports antérieurs supprimés{traces}."


def _count_words(n: int, one: str, many: str) -> str:
    return f"{n:,}".replace(",", "\u202f") + " " + (one if n <= 1 else many)


def purge(
    engine: Engine,
    duration: Duration,
    *,
    zone: str,
    run_by: str,
    dry_run: bool = False,
    now: datetime | None = None,
    audit_months: int = 12,
) -> PurgeSummary:
    """Delete the facts and rejected rows older than the duration, the audit entries older than
    ``audit_months`` and the dead sessions, in one transaction."""
    moment = now or datetime.now(ZoneInfo(zone))
    limit = cutoff(duration, moment, zone)
    audit_limit = cutoff(Duration(audit_months, "m"), moment, zone)
    with engine.connect() as conn:
        if dry_run:
            incidents = _scalar(conn, COUNT_INCIDENTS, limit)
            rejects = _scalar(conn, COUNT_REJECTS, limit)
            traces = purge_traces(conn, audit_limit, moment, dry_run=True)
            conn.rollback()
            return PurgeSummary(
                duration, limit, incidents, rejects, True, traces, audit_months=audit_months
            )
        incidents = 0
        if _scalar(conn, ANY_INCIDENT, limit):
            incidents = _delete(conn, DELETE_INCIDENTS, limit)
        rejects = _delete(conn, DELETE_REJECTS, limit)
        # The partner release's months wholly before the cut-off go with their facts.
        months = withdraw_before(conn, limit.date().replace(day=1))
        traces = purge_traces(conn, audit_limit, moment, dry_run=False)
        record(
            conn,
            token_id=None,
            actor=run_by,
            role="admin",
            action="purge",
            filters={
                "older_than": str(duration),
                "cutoff": limit.isoformat(),
                "rejects_deleted": rejects,
                "release_months_withdrawn": months,
                "audit_cutoff": audit_limit.isoformat(),
                "audit_deleted": traces.audit,
                "sessions_deleted": traces.sessions,
            },
            row_count=incidents,
        )
        conn.commit()
    return PurgeSummary(duration, limit, incidents, rejects, False, traces, audit_months)


def _scalar(conn: Connection, statement: TextClause, limit: datetime) -> int:
    return int(conn.execute(statement, {"cutoff": limit}).scalar_one())


def _delete(conn: Connection, statement: TextClause, limit: datetime) -> int:
    return int(conn.execute(statement, {"cutoff": limit}).rowcount)
