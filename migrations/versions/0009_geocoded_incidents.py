"""geocoded incidents: how sure the geocoder was (score, label, type); rejects re-run later

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-10 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "incident",
        sa.Column("geocode_score", sa.REAL(), nullable=True, comment="Score du géocodeur (0 à 1)"),
    )
    op.add_column(
        "incident",
        sa.Column("geocode_label", sa.Text(), nullable=True, comment="Adresse trouvée"),
    )
    op.add_column(
        "incident",
        sa.Column(
            "geocode_type",
            sa.String(length=12),
            nullable=True,
            comment="housenumber, street ou locality ; vide : coordonnées du fichier",
        ),
    )
    op.create_check_constraint(
        op.f("ck_incident_geocode_type"),
        "incident",
        "geocode_type IN ('housenumber', 'street', 'locality')",
    )
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
    op.drop_column("import_reject", "rerun_batch_id")
    op.drop_constraint(op.f("ck_incident_geocode_type"), "incident", type_="check")
    op.drop_column("incident", "geocode_type")
    op.drop_column("incident", "geocode_label")
    op.drop_column("incident", "geocode_score")
