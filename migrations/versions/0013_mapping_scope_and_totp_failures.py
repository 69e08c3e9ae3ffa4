"""a saved mapping's scope; consecutive wrong second-factor codes of an account

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:00:00

A saved mapping (the import assistant's) belongs to the scope of who saved it: others read or
change it only when their scope covers it. An account counts its wrong TOTP codes in a row, in
the database so that every API process shares the count, and refuses codes for a while past a
limit (the password is then known to whoever tries).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "mappings",
        sa.Column(
            "communes",
            sa.ARRAY(sa.String(length=5)),
            nullable=True,
            comment="Périmètre de son auteur (vide : toutes les communes)",
        ),
    )
    op.add_column(
        "account",
        sa.Column(
            "totp_failures",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="Codes refusés à la suite",
        ),
    )
    op.add_column(
        "account",
        sa.Column(
            "totp_locked_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Codes refusés jusqu'à (trop d'essais)",
        ),
    )


def downgrade() -> None:
    op.drop_column("account", "totp_locked_until")
    op.drop_column("account", "totp_failures")
    op.drop_column("mappings", "communes")
