"""incident without foreign keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:54:35.322083
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The per-row foreign-key triggers doubled the cost of a bulk load (benchmarks/RESULTS.md);
    # the importer, the only writer, resolves categories against `category` itself.
    op.alter_column(
        "incident",
        "batch_id",
        existing_type=sa.BIGINT(),
        comment="Lot d'import d'origine",
        existing_nullable=True,
    )
    op.drop_constraint(op.f("fk_incident_batch_id_import_batch"), "incident", type_="foreignkey")
    op.drop_constraint(op.f("fk_incident_category_code_category"), "incident", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(
        op.f("fk_incident_category_code_category"),
        "incident",
        "category",
        ["category_code"],
        ["code"],
    )
    op.create_foreign_key(
        op.f("fk_incident_batch_id_import_batch"),
        "incident",
        "import_batch",
        ["batch_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.alter_column(
        "incident",
        "batch_id",
        existing_type=sa.BIGINT(),
        comment=None,
        existing_comment="Lot d'import d'origine",
        existing_nullable=True,
    )
