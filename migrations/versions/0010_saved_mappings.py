"""saved mappings: the import assistant's choices by name; rejects re-run by a later batch

Revision ID: 0010
Revises: 0008
Create Date: 2027-01-12 10:00:00

``import_reject.rerun_batch_id`` is also added by 0009 (geocoded incidents, on another
branch), which re-runs rejects the same way. Here it is added only when missing, and dropped
on the way down only while this revision follows 0008 directly: chained after 0009, this
revision leaves that column to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNS_RERUN_COLUMN = down_revision == "0008"


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
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("import_reject")}
    if "rerun_batch_id" not in columns:
        op.add_column(
            "import_reject",
            sa.Column(
                "rerun_batch_id",
                sa.BigInteger(),
                nullable=True,
                comment="Lot qui a relancé ce rejet (regéocodage)",
            ),
        )


def downgrade() -> None:
    if OWNS_RERUN_COLUMN:
        op.drop_column("import_reject", "rerun_batch_id")
    op.drop_table("mappings")
