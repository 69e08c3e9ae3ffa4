"""How long the traces of who did what are kept: the audit log and the sessions.

The audit log (observatory/audit.py) holds personal data of its own (who read what, from which
address); the CNIL's recommendation on logging (« journalisation », 2021) advises keeping such
traces six months to a year. ``OBS_AUDIT_RETENTION_MONTHS`` (12 by default) is that duration:
``observatory purge`` deletes the entries older than it, in the same transaction as the facts
(observatory/retention.py). A session (``account_session``: the cookie's hash, the address and
the browser of a sign-in) is of no use once it has expired or was closed: it goes at the next
purge; its sign-in stays in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, text

COUNT_AUDIT = text("SELECT count(*) FROM audit_log WHERE at < :cutoff")
DELETE_AUDIT = text("DELETE FROM audit_log WHERE at < :cutoff")
DEAD_SESSIONS = "FROM account_session WHERE expires_at < :now OR revoked_at IS NOT NULL"
COUNT_SESSIONS = text("SELECT count(*) " + DEAD_SESSIONS)
DELETE_SESSIONS = text("DELETE " + DEAD_SESSIONS)


class TracesPurged(NamedTuple):
    """The audit entries and the sessions deleted (or, in a dry run, that would be)."""

    audit: int
    sessions: int


def purge_traces(
    conn: Connection, audit_cutoff: datetime, now: datetime, *, dry_run: bool
) -> TracesPurged:
    """Delete (or count) the audit entries before ``audit_cutoff`` and the dead sessions."""
    if dry_run:
        audit = conn.execute(COUNT_AUDIT, {"cutoff": audit_cutoff}).scalar_one()
        sessions = conn.execute(COUNT_SESSIONS, {"now": now}).scalar_one()
        return TracesPurged(int(audit), int(sessions))
    audit = conn.execute(DELETE_AUDIT, {"cutoff": audit_cutoff}).rowcount
    sessions = conn.execute(DELETE_SESSIONS, {"now": now}).rowcount
    return TracesPurged(int(audit), int(sessions))
