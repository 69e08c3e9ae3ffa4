"""saved mappings: the import assistant's choices by name

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 20:30:00

The rejects a later batch re-runs (``import_reject.rerun_batch_id``) came with 0009: the
assistant's re-runs mark them the same way as the regeocoding's.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mappings",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False, comment="Nom de la correspondance"),
        sa.Column(
            "document",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="Contenu du fichier TOML, en JSON",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=True, comment="Jeton (ou cli:utilisateur)"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappings")),
        sa.UniqueConstraint("name", name=op.f("uq_mappings_name")),
    )


def downgrade() -> None:
    op.drop_table("mappings")
