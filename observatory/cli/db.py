"""observatory db …: the local cluster and the migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from observatory.cli.common import fail, friendly_errors, load_settings
from observatory.settings import Settings

if TYPE_CHECKING:
    from observatory.localdb import LocalCluster

db_app = typer.Typer(help="Base de données : locale (sans DATABASE_URL) et migrations.")


@db_app.command("start")
@friendly_errors
def db_start() -> None:
    """Démarre la base PostgreSQL + PostGIS locale du projet (créée au premier lancement)."""
    cluster = _local_cluster(load_settings())
    if cluster is None:
        typer.echo("DATABASE_URL est défini : aucune base locale à démarrer.")
        return
    started = _start(cluster)
    state = "démarrée" if started else "déjà en marche"
    typer.echo(f"Base locale {state} : 127.0.0.1:{cluster.port}, données dans {cluster.data_dir}")


@db_app.command("stop")
@friendly_errors
def db_stop() -> None:
    """Arrête la base locale du projet."""
    cluster = _local_cluster(load_settings())
    if cluster is None:
        typer.echo("DATABASE_URL est défini : aucune base locale à arrêter.")
        return
    stopped = cluster.stop()
    typer.echo("Base locale arrêtée." if stopped else "La base locale n'était pas démarrée.")


@db_app.command("status")
@friendly_errors
def db_status() -> None:
    """Indique si la base répond et si son schéma est à jour (code 1 sinon)."""
    settings = load_settings()
    from observatory.db import current_revision, head_revision, make_engine

    cluster = _local_cluster(settings)
    if cluster is not None:
        if not cluster.is_running():
            fail(f"Base locale arrêtée (données : {cluster.data_dir}).")
        typer.echo(f"Base locale en marche : 127.0.0.1:{cluster.port}")
    engine = make_engine(settings.sqlalchemy_url, pool_size=1)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if current == head:
        typer.echo(f"Schéma à jour (révision {current}).")
    else:
        fail(
            f"Schéma en retard : révision {current or 'aucune'}, attendue {head}. "
            "Lancez : observatory db upgrade"
        )


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Applique les migrations (démarre la base locale si besoin)."""
    settings = load_settings()
    cluster = _local_cluster(settings)
    if cluster is not None:
        _start(cluster)
    from observatory.db import head_revision, upgrade

    upgrade(settings.sqlalchemy_url)
    typer.echo(f"Schéma à jour (révision {head_revision()}).")


def _local_cluster(settings: Settings) -> LocalCluster | None:
    """The project's own cluster, or None when DATABASE_URL names another database."""
    if not settings.uses_local_cluster:
        return None
    from observatory.localdb import LocalCluster

    return LocalCluster.from_settings(settings)


def _start(cluster: LocalCluster) -> bool:
    """Start the cluster (False when it was already running) and create its database."""
    started = cluster.start()
    cluster.ensure_database()
    return started
