"""observatory token …: API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from observatory.cli.common import echo_list, friendly_errors, load_settings, session_scope

token_app = typer.Typer(help="Jetons d'accès à l'API.")


@token_app.command("create")
@friendly_errors
def token_create(
    name: Annotated[str, typer.Argument(help="Nom du jeton (personne ou service)")],
    role: Annotated[str, typer.Option(help="admin, police, analyst ou partner")],
) -> None:
    """Crée un jeton et l'affiche, seul, une seule fois."""
    settings = load_settings()
    from observatory.tokens import create_token

    with session_scope(settings) as session:
        raw = create_token(session, name, role, settings.secret_key)
    typer.echo(raw)


@token_app.command("list")
@friendly_errors
def token_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Liste les jetons (jamais leur valeur)."""
    settings = load_settings()
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
    echo_list(
        rows,
        as_json,
        lambda row: (
            f"{row['name']}\t{row['role']}\t{row['prefix']}…\t"
            f"{'révoqué' if row['revoked'] else 'actif'}"
        ),
        "Aucun jeton.",
    )


@token_app.command("revoke")
@friendly_errors
def token_revoke(name: Annotated[str, typer.Argument(help="Nom du jeton")]) -> None:
    """Révoque un jeton : il ne donne plus accès à rien."""
    settings = load_settings()
    from observatory.tokens import revoke_token

    with session_scope(settings) as session:
        revoke_token(session, name)
    typer.echo(f"Jeton « {name} » révoqué.")
