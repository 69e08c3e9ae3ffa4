"""observatory token …: API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from observatory.cli.common import echo_list, fail, friendly_errors, load_settings, session_scope
from observatory.scopes import as_list, parse_codes

token_app = typer.Typer(help="Jetons d'accès à l'API.")


@token_app.command("create")
@friendly_errors
def token_create(
    name: Annotated[str, typer.Argument(help="Nom du jeton (personne ou service)")],
    role: Annotated[str, typer.Option(help="admin, police, analyst ou partner")],
    communes: Annotated[
        str | None, typer.Option("--communes", help="Codes INSEE séparés par des virgules")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Toutes les communes (défaut)")] = False,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="Groupe de communes (répétable)")
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Validité en jours ; absent : sans fin")
    ] = None,
) -> None:
    """Crée un jeton et l'affiche, seul, une seule fois."""
    if every and (communes or group):
        fail("--all exclut --communes et --group.", 2)
    scope = parse_codes(communes) if communes or group else None
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.tokens import create_token, group_communes

    with session_scope(settings) as session:
        unknown = sorted(set(group or []) - set(group_communes(session)))
        if unknown:
            fail(f"Groupe de communes inconnu : « {unknown[0]} ».")
        expires = datetime.now(UTC) + timedelta(days=days) if days else None
        raw = create_token(
            session,
            name,
            role,
            settings.secret_key,
            communes=scope,
            groups=tuple(sorted(set(group or []))),
            expires_at=expires,
        )
        filters = {"name": name, "role": role, "communes": as_list(scope), "groups": group or []}
        command_line().record(session, "jeton créé", {**filters, "days": days})
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
    from observatory.accounts.actors import command_line
    from observatory.tokens import revoke_token

    with session_scope(settings) as session:
        revoke_token(session, name)
        command_line().record(session, "jeton révoqué", {"name": name})
    typer.echo(f"Jeton « {name} » révoqué.")
