"""data versions: the API's columnar copy follows every committed change of incidents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from observatory.changes import TRIGGER, TRIGGER_FUNCTION

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.create_table(
        "data_change",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "kind", sa.String(length=16), nullable=False, comment="insert (un lot) ou change (tout)"
        ),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_data_change")),
    )
    op.create_index(
        "ix_incident_batch_id", "incident", ["batch_id"], unique=False, postgresql_using="brin"
    )
    op.execute(TRIGGER_FUNCTION)
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS incident_changed ON incident")
    op.execute("DROP FUNCTION IF EXISTS observatory_incident_changed()")
    op.drop_index("ix_incident_batch_id", table_name="incident", postgresql_using="brin")
    op.drop_table("data_change")
    op.drop_table("data_version")
