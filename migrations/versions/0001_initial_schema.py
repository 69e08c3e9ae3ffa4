"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:15:26.184897
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The extension outlives a downgrade: another schema of the database may use it.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "prefix",
            sa.String(length=12),
            nullable=False,
            comment="Début du jeton, pour le reconnaître",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'police', 'analyst', 'partner')", name=op.f("ck_api_token_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("name", name=op.f("uq_api_token_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False, comment="Libellé affiché (français)"),
        sa.Column("family", sa.String(length=40), nullable=False, comment="Famille d'indicateurs"),
        sa.Column("etat4001_index", sa.SmallInteger(), nullable=True),
        sa.Column("aliases", sa.ARRAY(sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
    )
    op.create_geospatial_table(
        "commune",
        sa.Column("code", sa.String(length=5), nullable=False, comment="Code INSEE"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_commune")),
    )
    op.create_geospatial_index(
        "ix_commune_geom",
        "commune",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("run_by", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_import_batch_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_index("ix_import_batch_kind_sha256", "import_batch", ["kind", "sha256"], unique=False)
    op.create_geospatial_table(
        "qpv",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("generation", sa.SmallInteger(), nullable=False),
        sa.Column("commune_codes", sa.ARRAY(sa.String(length=5)), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("generation IN (2015, 2024)", name=op.f("ck_qpv_generation")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_qpv")),
    )
    op.create_index("ix_qpv_generation", "qpv", ["generation"], unique=False)
    op.create_geospatial_index(
        "ix_qpv_geom", "qpv", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False, comment="Nom du jeton ou de l'utilisateur"),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_token.id"],
            name=op.f("fk_audit_log_token_id_api_token"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_table(
        "etat4001",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False, comment="YYYY ou YYYY-MM"),
        sa.Column(
            "perimeter",
            sa.String(length=2),
            nullable=False,
            comment="PN (police) ou GN (gendarmerie)",
        ),
        sa.Column("department", sa.String(length=3), nullable=False),
        sa.Column("service", sa.Text(), nullable=False, comment="Service, ou '' pour le total"),
        sa.Column("index", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("perimeter IN ('PN', 'GN')", name=op.f("ck_etat4001_perimeter")),
        sa.CheckConstraint("index BETWEEN 1 AND 107", name=op.f("ck_etat4001_index_range")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_etat4001_batch_id_import_batch"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_etat4001")),
        sa.UniqueConstraint(
            "period", "perimeter", "department", "service", "index", name="uq_etat4001_figure"
        ),
    )
    op.create_index(
        "ix_etat4001_department_service", "etat4001", ["department", "service"], unique=False
    )
    op.create_table(
        "import_reject",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "row_number", sa.Integer(), nullable=False, comment="Ligne du fichier (1 = en-tête)"
        ),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_import_reject_batch_id_import_batch"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_reject")),
    )
    op.create_index(
        "ix_import_reject_batch_row", "import_reject", ["batch_id", "row_number"], unique=False
    )
    op.create_geospatial_table(
        "incident",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_ref", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "h3", sa.BigInteger(), nullable=False, comment="Cellule H3 à la résolution de stockage"
        ),
        sa.Column(
            "local_hour_of_week",
            sa.SmallInteger(),
            nullable=False,
            comment="0 = lundi 0h … 167 = dimanche 23h, heure locale du début",
        ),
        sa.Column("local_month", sa.Date(), nullable=False, comment="Premier jour du mois local"),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("qpv_2015", sa.String(length=16), nullable=True),
        sa.Column("qpv_2024", sa.String(length=16), nullable=True),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "local_hour_of_week BETWEEN 0 AND 167", name=op.f("ck_incident_hour_of_week")
        ),
        sa.CheckConstraint(
            "occurred_until IS NULL OR occurred_until >= occurred_at",
            name=op.f("ck_incident_interval_order"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_incident_batch_id_import_batch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["category.code"], name=op.f("fk_incident_category_code_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("source", "source_ref", name="uq_incident_source_ref"),
    )
    op.create_index("ix_incident_batch", "incident", ["batch_id"], unique=False)
    op.create_index(
        "ix_incident_category_occurred_at",
        "incident",
        ["category_code", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_incident_commune_occurred_at", "incident", ["commune_code", "occurred_at"], unique=False
    )
    op.create_geospatial_index(
        "ix_incident_geom",
        "incident",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("ix_incident_h3", "incident", ["h3"], unique=False)
    op.create_index("ix_incident_occurred_at", "incident", ["occurred_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incident_occurred_at", table_name="incident")
    op.drop_index("ix_incident_h3", table_name="incident")
    op.drop_geospatial_index(
        "ix_incident_geom", table_name="incident", postgresql_using="gist", column_name="geom"
    )
    op.drop_index("ix_incident_commune_occurred_at", table_name="incident")
    op.drop_index("ix_incident_category_occurred_at", table_name="incident")
    op.drop_index("ix_incident_batch", table_name="incident")
    op.drop_geospatial_table("incident")
    op.drop_index("ix_import_reject_batch_row", table_name="import_reject")
    op.drop_table("import_reject")
    op.drop_index("ix_etat4001_department_service", table_name="etat4001")
    op.drop_table("etat4001")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_geospatial_index(
        "ix_qpv_geom", table_name="qpv", postgresql_using="gist", column_name="geom"
    )
    op.drop_index("ix_qpv_generation", table_name="qpv")
    op.drop_geospatial_table("qpv")
    op.drop_index("ix_import_batch_kind_sha256", table_name="import_batch")
    op.drop_table("import_batch")
    op.drop_geospatial_index(
        "ix_commune_geom", table_name="commune", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("commune")
    op.drop_table("category")
    op.drop_table("api_token")
