"""Migrations run both ways on a real PostGIS, and agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from observatory.db import current_revision, downgrade, head_revision, include_object, upgrade
from observatory.models import Base


def test_upgrade_downgrade_upgrade(db: Engine, database_url: str) -> None:
    upgrade(database_url)
    assert current_revision(db) == head_revision()
    downgrade(database_url, "base")
    assert current_revision(db) is None
    leftover = set(inspect(db).get_table_names()) & set(Base.metadata.tables)
    assert leftover == set()
    upgrade(database_url)
    assert current_revision(db) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(db).get_table_names())


def test_models_and_migrations_agree(db: Engine) -> None:
    with db.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_postgis_is_there_and_geometries_are_4326(db: Engine) -> None:
    with db.connect() as conn:
        version = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
        srids = dict(
            conn.execute(
                text(
                    "SELECT f_table_name, srid FROM geometry_columns "
                    "WHERE f_table_schema = 'public'"
                )
            ).all()
        )
    assert version.startswith("3.")
    assert srids == {
        "commune": 4326,
        "qpv": 4326,
        "incident": 4326,
        "action": 4326,
        "street": 4326,
    }


def test_incident_indexes_are_the_lean_set(db: Engine) -> None:
    with db.connect() as conn:
        rows = dict(
            conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'incident'")
            ).all()
        )
    assert set(rows) == {
        "pk_incident",
        "uq_incident_source_ref",
        "ix_incident_occurred_at",
        "ix_incident_geom",
        "ix_incident_batch_id",
    }
    assert "USING brin" in rows["ix_incident_occurred_at"]
    assert "USING brin" in rows["ix_incident_batch_id"]
    assert "USING gist" in rows["ix_incident_geom"]
