"""lean incident indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:50:07.918924
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Aggregations run on a columnar copy in the API process: keep the indexes that lookups by
    # reference, period and place need, and make loading cheap (benchmarks/RESULTS.md).
    op.drop_index(op.f("ix_incident_batch"), table_name="incident")
    op.drop_index(op.f("ix_incident_category_occurred_at"), table_name="incident")
    op.drop_index(op.f("ix_incident_commune_occurred_at"), table_name="incident")
    op.drop_index(op.f("ix_incident_h3"), table_name="incident")
    op.drop_index(op.f("ix_incident_occurred_at"), table_name="incident")
    op.create_index("ix_incident_occurred_at", "incident", ["occurred_at"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_incident_occurred_at", table_name="incident")
    op.create_index("ix_incident_occurred_at", "incident", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_incident_h3"), "incident", ["h3"], unique=False)
    op.create_index(
        op.f("ix_incident_commune_occurred_at"),
        "incident",
        ["commune_code", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_incident_category_occurred_at"),
        "incident",
        ["category_code", "occurred_at"],
        unique=False,
    )
    op.create_index(op.f("ix_incident_batch"), "incident", ["batch_id"], unique=False)
