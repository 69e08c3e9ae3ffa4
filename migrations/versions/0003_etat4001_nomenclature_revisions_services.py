"""etat4001 nomenclature, revisions and service communes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:16:07.908691
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The nomenclature's rows are seeded after the migrations (observatory.db.upgrade), from
    # observatory/etat4001/nomenclature.csv, as the incident categories are.
    op.create_table(
        "etat4001_index",
        sa.Column("index", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("published_label", sa.Text(), nullable=False, comment="Libellé tel que publié"),
        sa.Column("label", sa.Text(), nullable=False, comment="Libellé corrigé, pour l'affichage"),
        sa.Column("unit", sa.String(length=20), nullable=False, comment="Unité de compte"),
        sa.Column("indicator", sa.String(length=40), nullable=True, comment="Indicateur SSMSI"),
        sa.Column("family", sa.String(length=40), nullable=False, comment="Famille d'index"),
        sa.Column("unused", sa.Boolean(), nullable=False, comment="Index non utilisé"),
        sa.CheckConstraint("index BETWEEN 1 AND 107", name=op.f("ck_etat4001_index_index_range")),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_etat4001_index")),
    )
    op.create_table(
        "service_commune",
        sa.Column("perimeter", sa.String(length=2), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False, comment="Code INSEE"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("perimeter IN ('PN', 'GN')", name=op.f("ck_service_commune_perimeter")),
        sa.PrimaryKeyConstraint(
            "perimeter", "department", "service", "commune_code", name=op.f("pk_service_commune")
        ),
    )
    op.create_index("ix_service_commune_commune", "service_commune", ["commune_code"], unique=False)
    op.create_table(
        "etat4001_revision",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("perimeter", sa.String(length=2), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("index", sa.SmallInteger(), nullable=False),
        sa.Column("old_count", sa.Integer(), nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column(
            "old_batch_id", sa.BigInteger(), nullable=True, comment="Lot du chiffre remplacé"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_etat4001_revision_batch_id_import_batch"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_etat4001_revision")),
    )
    op.create_index("ix_etat4001_revision_batch", "etat4001_revision", ["batch_id"], unique=False)
    op.add_column(
        "etat4001",
        sa.Column(
            "direction",
            sa.Text(),
            nullable=True,
            comment="Direction du service (ligne « Périmètres » PN : DCSP, DSPAP, DCPAF…)",
        ),
    )


def downgrade() -> None:
    op.drop_column("etat4001", "direction")
    op.drop_index("ix_etat4001_revision_batch", table_name="etat4001_revision")
    op.drop_table("etat4001_revision")
    op.drop_index("ix_service_commune_commune", table_name="service_commune")
    op.drop_table("service_commune")
    op.drop_table("etat4001_index")
