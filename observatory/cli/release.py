"""observatory release publish | show: the partner release, for a cron job and for the DPO.

Exit codes: 0 done (also when no month was left to publish); 1 refused (database down).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from observatory.cli.common import echo_list, friendly_errors, load_settings

release_app = typer.Typer(
    help="Diffusion aux partenaires : comptes bruités des mois clos.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Un objet JSON sur la sortie standard")]


@release_app.command("publish")
@friendly_errors
def publish(as_json: JsonOption = False) -> None:
    """Publie chaque mois clos qui ne l'est pas encore (une fois pour toutes)."""
    settings = load_settings()
    from observatory.cli.imports import engine_scope
    from observatory.privacy.publication import publish_closed
    from observatory.store.incidents import IncidentStore

    with engine_scope() as engine:
        snapshot = IncidentStore(engine, settings.timezone).snapshot()
        done = publish_closed(engine, snapshot, datetime.now(settings.zone).date(), settings)
    if as_json:
        typer.echo(json.dumps({"published": [m.isoformat() for m in done]}))
        return
    if not done:
        typer.echo("Aucun mois à publier : chaque mois clos l'est déjà.")
        return
    typer.echo(
        f"{len(done)} mois publiés pour les partenaires, de {done[0]:%m/%Y} à {done[-1]:%m/%Y} "
        f"(ε = {settings.privacy_epsilon:g} par fait)."
    )


@release_app.command("show")
@friendly_errors
def show(as_json: JsonOption = False) -> None:
    """Les mois publiés : date de publication, perte de confidentialité, total bruité."""
    from sqlalchemy import text

    from observatory.cli.imports import engine_scope

    with engine_scope() as engine, engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT month, published_at, data_version, epsilon, facts "
                "FROM partner_release ORDER BY month"
            )
        ).all()
    echo_list(
        rows,
        as_json,
        lambda r: (
            f"{r.month:%m/%Y}  publié le {r.published_at:%d/%m/%Y %H:%M}  ε = {r.epsilon:g}  "
            f"{r.facts} faits (bruités)"
        ),
        "Aucun mois publié.",
        lambda r: {
            "month": r.month.isoformat(),
            "published_at": r.published_at.isoformat(),
            "data_version": r.data_version,
            "epsilon": r.epsilon,
            "facts": r.facts,
        },
    )
