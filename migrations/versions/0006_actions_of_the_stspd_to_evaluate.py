"""actions of the STSPD (fiches action) to evaluate: place, period, targeted categories

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:02:20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _geometry(kind: str | None, nullable: bool) -> Geometry:
    options = {"geometry_type": kind} if kind else {}
    return Geometry(
        srid=4326,
        dimension=2,
        spatial_index=False,
        from_text="ST_GeomFromEWKT",
        name="geometry",
        nullable=nullable,
        **options,
    )


def upgrade() -> None:
    op.create_geospatial_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True, comment="Référence de la fiche action"),
        sa.Column("kind", sa.String(length=30), nullable=False, comment="Nature de l'action"),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True, comment="Vide : action en cours"),
        sa.Column(
            "place_kind", sa.String(length=10), nullable=False, comment="point, line ou polygon"
        ),
        sa.Column("place", _geometry(None, nullable=False), nullable=False),
        sa.Column(
            "place_buffer_m",
            sa.Float(),
            nullable=True,
            comment="Rayon (point) ou demi-largeur (ligne), en mètres",
        ),
        sa.Column("geom", _geometry("MULTIPOLYGON", nullable=False), nullable=False),
        sa.Column("control_geom", _geometry("MULTIPOLYGON", nullable=True), nullable=True),
        sa.Column("categories", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "commune_code",
            sa.String(length=5),
            nullable=True,
            comment="Commune qui contient l'essentiel du lieu",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "place_kind IN ('point', 'line', 'polygon')", name=op.f("ck_action_place_kind")
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_action_period_order")
        ),
        sa.CheckConstraint(
            "place_buffer_m IS NULL OR place_buffer_m > 0", name=op.f("ck_action_buffer_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
    )
    op.create_index("ix_action_commune_code", "action", ["commune_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_commune_code", table_name="action")
    op.drop_geospatial_table("action")
