"""The audit log: who read individual incidents, when, with what filter and how many rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from observatory.models import AuditLog


def record(
    session: Session | Connection,
    *,
    token_id: int | None,
    actor: str,
    role: str,
    action: str,
    filters: dict[str, Any],
    row_count: int,
) -> None:
    """One read of individual incidents (write it in the same transaction as the read)."""
    session.execute(
        insert(AuditLog).values(
            token_id=token_id,
            actor=actor,
            role=role,
            action=action,
            filters=filters,
            row_count=row_count,
        )
    )


def entries(
    session: Session | Connection,
    *,
    since: datetime | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The most recent entries first."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit).offset(offset)
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
        }
        for row in session.execute(query).scalars()
    ]
