"""version counters: the API's caches follow every change of categories, communes, QPV, tokens

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from observatory.changes import COUNTER_FUNCTION, COUNTER_TRIGGERS

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "version_counter",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_version_counter")),
    )
    op.execute(COUNTER_FUNCTION)
    for trigger in COUNTER_TRIGGERS.values():
        op.execute(trigger)


def downgrade() -> None:
    for table in COUNTER_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_counted ON {table}")
    op.execute("DROP FUNCTION IF EXISTS observatory_count_change()")
    op.drop_table("version_counter")
