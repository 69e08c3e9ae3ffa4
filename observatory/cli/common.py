"""The command line, ``observatory …``: the composition root that wires the parts together.

Exit codes: 0 done, 1 the input or the situation was refused (a French message says why),
2 usage error.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from observatory.errors import ObservatoryError
from observatory.settings import Settings, get_settings

app = typer.Typer(
    help="Observatoire de la tranquillité publique.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Base de données : locale (sans DATABASE_URL) et migrations.")
token_app = typer.Typer(help="Jetons d'accès à l'API.")
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain and connection errors into a French message and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ObservatoryError as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(
                "Base de données injoignable : "
                f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}.\n"
                "Sans DATABASE_URL, démarrez la base locale : observatory db start"
            )

    return wrapper


def _settings() -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'réglage'} : {e['msg']}" for e in exc.errors()
        )
        fail(f"Réglages invalides (variables OBS_… ou fichier .env) : {problems}")
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    from observatory.db import make_engine, make_sessionmaker

    engine = make_engine(settings.sqlalchemy_url, pool_size=1)
    try:
        with make_sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


# -- db ------------------------------------------------------------------------------------


@db_app.command("start")
@friendly_errors
def db_start() -> None:
    """Démarre la base PostgreSQL + PostGIS locale du projet (créée au premier lancement)."""
    settings = _settings()
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
    settings = _settings()
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
    settings = _settings()
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
    settings = _settings()
    if settings.uses_local_cluster:
        from observatory.localdb import LocalCluster

        cluster = LocalCluster.from_settings(settings)
        cluster.start()
        cluster.ensure_database()
    from observatory.db import head_revision, upgrade

    upgrade(settings.sqlalchemy_url)
    typer.echo(f"Schéma à jour (révision {head_revision()}).")


# -- tokens --------------------------------------------------------------------------------


@token_app.command("create")
@friendly_errors
def token_create(
    name: Annotated[str, typer.Argument(help="Nom du jeton (personne ou service)")],
    role: Annotated[str, typer.Option(help="admin, police, analyst ou partner")],
) -> None:
    """Crée un jeton et l'affiche, seul, une seule fois."""
    settings = _settings()
    from observatory.tokens import create_token

    with session_scope(settings) as session:
        raw = create_token(session, name, role, settings.secret_key)
    typer.echo(raw)


@token_app.command("list")
@friendly_errors
def token_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Liste les jetons (jamais leur valeur)."""
    settings = _settings()
    from observatory.tokens import list_tokens

    with session_scope(settings) as session:
        rows = [
            {
                "name": t.name,
                "role": t.role,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in list_tokens(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Aucun jeton.")
    for row in rows:
        state = "révoqué" if row["revoked"] else "actif"
        typer.echo(f"{row['name']}\t{row['role']}\t{row['prefix']}…\t{state}")


@token_app.command("revoke")
@friendly_errors
def token_revoke(name: Annotated[str, typer.Argument(help="Nom du jeton")]) -> None:
    """Révoque un jeton : il ne donne plus accès à rien."""
    settings = _settings()
    from observatory.tokens import revoke_token

    with session_scope(settings) as session:
        revoke_token(session, name)
    typer.echo(f"Jeton « {name} » révoqué.")


# -- server --------------------------------------------------------------------------------


@app.command("serve")
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port d'écoute")] = 8000,
) -> None:
    """Sert l'API et la carte."""
    settings = _settings()
    import uvicorn

    from api.main import create_app

    typer.echo(f"Observatoire servi sur http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
