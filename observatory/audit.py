"""The audit log: who read individual incidents, signed in, failed to, or changed an account or
a scope; when, from where, with what filter and how many rows. Each row keeps the actor's scope
at the time (``communes``, None: every commune): a reader with a scope sees only the rows of
actors whose scope lay within theirs (``entries``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Connection, String, func, insert, literal, select
from sqlalchemy.orm import Session

from observatory.models import AuditLog
from observatory.scopes import Scope, as_list


def record(
    session: Session | Connection,
    *,
    token_id: int | None,
    actor: str,
    role: str,
    action: str,
    filters: dict[str, Any],
    row_count: int,
    account_id: int | None = None,
    communes: Scope = None,
    address: str | None = None,
) -> None:
    """One entry (a read of individual incidents: write it in the same transaction as the
    read)."""
    session.execute(
        insert(AuditLog).values(
            token_id=token_id,
            actor=actor,
            role=role,
            action=action,
            filters=filters,
            row_count=row_count,
            account_id=account_id,
            communes=as_list(communes),
            address=address,
        )
    )


def entries(
    session: Session | Connection,
    *,
    since: datetime | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
    scope: Scope = None,
) -> list[dict[str, Any]]:
    """The most recent entries first; for a reader with a scope, only the entries of actors
    whose scope lay within it (and not those of no commune at all: only a reader of every
    commune sees them, as only an administrator of every commune manages such accounts)."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit).offset(offset)
    if scope is not None:
        query = query.where(
            AuditLog.communes.is_not(None),
            func.cardinality(AuditLog.communes) > 0,
            AuditLog.communes.op("<@")(literal(sorted(scope), ARRAY(String(5)))),
        )
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if actor is not None:
        query = query.where(AuditLog.actor == actor)
    return [
        {
            "id": row.id,
            "at": row.at.isoformat(),
            "actor": row.actor,
            "role": row.role,
            "action": row.action,
            "filters": row.filters,
            "row_count": row.row_count,
            "communes": row.communes,
            "address": row.address,
        }
        for row in session.execute(query).scalars()
    ]
