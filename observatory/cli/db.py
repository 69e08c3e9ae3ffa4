"""observatory db …: the local cluster and the migrations."""

from __future__ import annotations

import typer

from observatory.cli.common import fail, friendly_errors, load_settings

db_app = typer.Typer(help="Base de données : locale (sans DATABASE_URL) et migrations.")


@db_app.command("start")
@friendly_errors
def db_start() -> None:
    """Démarre la base PostgreSQL + PostGIS locale du projet (créée au premier lancement)."""
    settings = load_settings()
    if not settings.uses_local_cluster:
        typer.echo("DATABASE_URL est défini : aucune base locale à démarrer.")
        return
    from observatory.localdb import LocalCluster

    cluster = LocalCluster.from_settings(settings)
    started = cluster.start()
    cluster.ensure_database()
    state = "démarrée" if started else "déjà en marche"
    typer.echo(f"Base locale {state} : 127.0.0.1:{cluster.port}, données dans {cluster.data_dir}")


@db_app.command("stop")
@friendly_errors
def db_stop() -> None:
    """Arrête la base locale du projet."""
    settings = load_settings()
    if not settings.uses_local_cluster:
        typer.echo("DATABASE_URL est défini : aucune base locale à arrêter.")
        return
    from observatory.localdb import LocalCluster

    stopped = LocalCluster.from_settings(settings).stop()
    typer.echo("Base locale arrêtée." if stopped else "La base locale n'était pas démarrée.")


@db_app.command("status")
@friendly_errors
def db_status() -> None:
    """Indique si la base répond et si son schéma est à jour (code 1 sinon)."""
    settings = load_settings()
    from observatory.db import current_revision, head_revision, make_engine

    if settings.uses_local_cluster:
        from observatory.localdb import LocalCluster

        cluster = LocalCluster.from_settings(settings)
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
    if settings.uses_local_cluster:
        from observatory.localdb import LocalCluster

        cluster = LocalCluster.from_settings(settings)
        cluster.start()
        cluster.ensure_database()
    from observatory.db import head_revision, upgrade

    upgrade(settings.sqlalchemy_url)
    typer.echo(f"Schéma à jour (révision {head_revision()}).")
