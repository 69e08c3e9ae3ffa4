"""Engine, sessions and migrations."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from observatory.settings import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine that checks connections before use, so a restarted database is picked up."""
    options: dict = {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 10,
        "connect_args": {"connect_timeout": 5, "application_name": "observatory"},
    }
    options.update(kwargs)
    return create_engine(url, **options)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations, then refresh the reference data (the nomenclatures)."""
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        seed_reference_data(url)


def seed_reference_data(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        with make_sessionmaker(engine).begin() as session:
            seed_reference(session)
    finally:
        engine.dispose()


def seed_reference(session: Session) -> None:
    """The nomenclatures: incident categories and the état 4001 index (idempotent upserts)."""
    from observatory.categories import category_rows
    from observatory.etat4001.nomenclature import index_rows
    from observatory.models import Category, Etat4001Index

    _upsert(session, Category, "code", category_rows())
    _upsert(session, Etat4001Index, "index", index_rows())


def _upsert(session: Session, model: Any, key: str, rows: list[dict[str, object]]) -> None:
    """Insert the rows, or refresh every other column of those whose key is already stored;
    rows stored but not given (local additions) are kept."""
    statement = insert(model).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[key],
            set_={name: statement.excluded[name] for name in rows[0] if name != key},
        )
    )


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_migrated(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    return current_revision(engine) == head_revision()


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave PostGIS's own tables (spatial_ref_sys, topology, tiger) out of comparisons."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))
