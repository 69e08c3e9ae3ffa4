"""streets of the BAN: a line through each street's address points, for the map's names

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 23:10:00

Written by ``observatory geocoder load`` beside addok's index, commune by commune (a reloaded
commune replaces its streets); read by ``/api/v1/layers/streets``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "street",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False, comment="Code INSEE"),
        sa.Column("name", sa.Text(), nullable=False, comment="Nom de la voie (BAN)"),
        sa.Column("points", sa.Integer(), nullable=False, comment="Points d'adresse de la voie"),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTILINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street")),
    )
    op.create_geospatial_index(
        "ix_street_geom", "street", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index("ix_street_commune_code", "street", ["commune_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_street_commune_code", table_name="street")
    op.drop_geospatial_index("ix_street_geom", table_name="street", column_name="geom")
    op.drop_geospatial_table("street")
