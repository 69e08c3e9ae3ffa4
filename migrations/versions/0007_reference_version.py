"""reference version: the API's caches follow every change of categories, communes and QPV

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from observatory.changes import REFERENCE_TRIGGER_FUNCTION, REFERENCE_TRIGGERS

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reference_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_reference_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_version")),
    )
    op.execute(REFERENCE_TRIGGER_FUNCTION)
    for trigger in REFERENCE_TRIGGERS.values():
        op.execute(trigger)


def downgrade() -> None:
    for table in REFERENCE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS observatory_reference_changed()")
    op.drop_table("reference_version")
