"""The command line, ``observatory …``: the composition root that wires the parts together.

Exit codes: 0 done, 1 the input or the situation was refused (a French message says why),
2 usage error. Importers and the server are imported lazily, inside the commands.
"""

from __future__ import annotations

import copy
import sys
from typing import Annotated

import typer

from observatory.cli.actions import actions_app
from observatory.cli.audit import audit
from observatory.cli.common import LOG_FORMAT, friendly_errors, load_settings
from observatory.cli.db import db_app
from observatory.cli.etat4001 import etat4001_app, register_import
from observatory.cli.geocoder import register_geocoder
from observatory.cli.imports import import_app, imports_app, register_demo
from observatory.cli.mappings import mappings_app
from observatory.cli.purge import purge
from observatory.cli.release import release_app
from observatory.cli.report import register_report
from observatory.cli.tokens import token_app
from observatory.cli.users import group_app, user_app

app = typer.Typer(
    help="Observatoire de la tranquillité publique.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")
register_import(import_app)
app.add_typer(import_app, name="import")
app.add_typer(imports_app, name="imports")
app.add_typer(mappings_app, name="mappings")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
app.add_typer(etat4001_app, name="etat4001")
app.add_typer(actions_app, name="actions")
app.add_typer(release_app, name="release")
register_demo(app)
app.command("audit")(audit)
app.command("purge")(purge)
register_report(app)
register_geocoder(app)


@app.command("serve")
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port d'écoute")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processus servant l'API ; chacun garde sa propre copie des faits en mémoire",
        ),
    ] = 1,
) -> None:
    """Sert l'API et la carte."""
    settings = load_settings()
    import uvicorn

    from api.main import create_app

    typer.echo(f"Observatoire servi sur http://{host}:{port}/")
    level = settings.log_level.lower()
    if workers == 1:
        # uvicorn's own proxy headers are off: it believes X-Forwarded-For from 127.0.0.1 by
        # default, so a local client could name any address; OBS_TRUSTED_PROXIES decides.
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level=level, proxy_headers=False
        )
        return
    # Each worker process builds its app from the same environment (OBS_…, .env) and logs
    # as this process does (load_settings' format), uvicorn's own lines unchanged.
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["formatters"]["observatory"] = {"format": LOG_FORMAT}
    log_config["handlers"]["observatory"] = {
        "formatter": "observatory",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    log_config["root"] = {"handlers": ["observatory"], "level": settings.log_level}
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=level,
        log_config=log_config,
        proxy_headers=False,
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
