"""partner release: each closed month's noisy, consistent counts, published once

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_release",
        sa.Column("month", sa.Date(), nullable=False, comment="Premier jour du mois"),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column(
            "epsilon", sa.Float(), nullable=False, comment="Perte de confidentialité par fait"
        ),
        sa.Column("facts", sa.Integer(), nullable=False, comment="Total publié (bruité)"),
        sa.Column("body", sa.LargeBinary(), nullable=False, comment="Pseudo-faits groupés (npz)"),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_partner_release")),
    )


def downgrade() -> None:
    op.drop_table("partner_release")
