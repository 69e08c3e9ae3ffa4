"""observatory user … and observatory group …: named accounts and groups of communes."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from observatory.cli.common import echo_list, fail, friendly_errors, load_settings, session_scope
from observatory.scopes import Scope, describe, parse_codes

user_app = typer.Typer(help="Comptes nominatifs (connexion à la page).")
group_app = typer.Typer(help="Groupes de communes (EPCI, CISPD) pour les périmètres.")

CommunesOption = Annotated[
    str | None, typer.Option("--communes", help="Codes INSEE séparés par des virgules")
]
AllOption = Annotated[bool, typer.Option("--all", help="Toutes les communes")]
GroupOption = Annotated[
    list[str] | None, typer.Option("--group", help="Groupe de communes (répétable)")
]


def chosen_scope(communes: str | None, every: bool, groups: list[str] | None) -> Scope:
    """The scope the options name: --all, or --communes and/or --group (exit 2 otherwise)."""
    if every and (communes or groups):
        fail("--all exclut --communes et --group.", 2)
    if not every and not communes and not groups:
        fail("Précisez le périmètre : --communes 31555,31069, --group NOM ou --all.", 2)
    return None if every else parse_codes(communes)


@user_app.command("create")
@friendly_errors
def user_create(
    email: Annotated[str, typer.Argument(help="Adresse e-mail")],
    role: Annotated[str, typer.Option(help="admin, police, analyst ou partner")],
    communes: CommunesOption = None,
    every: AllOption = False,
    group: GroupOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Lire le mot de passe sur l'entrée standard")
    ] = False,
) -> None:
    """Crée un compte et affiche son mot de passe provisoire, une seule fois."""
    scope = chosen_scope(communes, every, group)
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.store import create_account

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with session_scope(settings) as session:
        account, temporary = create_account(
            session,
            command_line(),
            email=email,
            role=role,
            communes=scope,
            groups=group or [],
            password=password,
        )
        address = account.email
    typer.echo(f"Compte « {address} » créé ({role}, {describe(scope)}).")
    if temporary is not None:
        typer.echo(f"Mot de passe provisoire (à changer à la première connexion) : {temporary}")
    if role in ("admin", "police"):
        typer.echo("La double authentification sera demandée à la première connexion.")


@user_app.command("list")
@friendly_errors
def user_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Liste les comptes (jamais leurs secrets)."""
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.store import list_accounts

    with session_scope(settings) as session:
        rows: list[dict[str, Any]] = [
            {
                "id": a.id,
                "email": a.email,
                "role": a.role,
                "communes": a.communes,
                "groups": a.groups,
                "scope": a.scope,
                "totp_enabled": a.totp_enabled,
                "must_change_password": a.must_change_password,
                "disabled": a.disabled,
                "last_sign_in_at": a.last_sign_in_at.isoformat() if a.last_sign_in_at else None,
            }
            for a in list_accounts(session, command_line())
        ]
    echo_list(
        rows,
        as_json,
        lambda row: (
            f"{row['email']}\t{row['role']}\t"
            f"{describe(None if row['scope'] is None else frozenset(row['scope']))}\t"
            f"{'2FA' if row['totp_enabled'] else 'sans 2FA'}\t"
            f"{'désactivé' if row['disabled'] else 'actif'}"
        ),
        "Aucun compte.",
    )


def _change(email: str, disabled: bool) -> None:
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.store import find_account, update_account

    with session_scope(settings) as session:
        update_account(session, command_line(), find_account(session, email), disabled=disabled)


@user_app.command("disable")
@friendly_errors
def user_disable(email: Annotated[str, typer.Argument(help="Adresse e-mail")]) -> None:
    """Désactive un compte : ses sessions et ses jetons cessent aussitôt."""
    _change(email, True)
    typer.echo(f"Compte « {email.strip().lower()} » désactivé.")


@user_app.command("enable")
@friendly_errors
def user_enable(email: Annotated[str, typer.Argument(help="Adresse e-mail")]) -> None:
    """Réactive un compte."""
    _change(email, False)
    typer.echo(f"Compte « {email.strip().lower()} » réactivé.")


@user_app.command("reset-password")
@friendly_errors
def user_reset_password(email: Annotated[str, typer.Argument(help="Adresse e-mail")]) -> None:
    """Donne un mot de passe provisoire (affiché une fois) et ferme les sessions du compte."""
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.store import find_account, reset_password

    with session_scope(settings) as session:
        temporary = reset_password(session, command_line(), find_account(session, email))
    typer.echo(f"Mot de passe provisoire (à changer à la prochaine connexion) : {temporary}")


@user_app.command("reset-totp")
@friendly_errors
def user_reset_totp(email: Annotated[str, typer.Argument(help="Adresse e-mail")]) -> None:
    """Efface la double authentification (téléphone perdu) : à réactiver à la connexion."""
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.store import find_account, reset_totp

    with session_scope(settings) as session:
        reset_totp(session, command_line(), find_account(session, email))
    typer.echo(f"Double authentification de « {email.strip().lower()} » réinitialisée.")


@group_app.command("create")
@friendly_errors
def group_create(
    name: Annotated[str, typer.Argument(help="Nom court, par exemple cispd-ouest")],
    communes: Annotated[str, typer.Option(help="Codes INSEE séparés par des virgules")],
    label: Annotated[str | None, typer.Option(help="Nom en clair")] = None,
) -> None:
    """Crée un groupe de communes."""
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.groups import create_group

    with session_scope(settings) as session:
        made = create_group(session, command_line(), name, parse_codes(communes), label)
    typer.echo(f"Groupe « {made.name} » créé : {', '.join(made.communes)}.")


@group_app.command("list")
@friendly_errors
def group_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Liste les groupes de communes."""
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.groups import list_groups

    with session_scope(settings) as session:
        rows: list[dict[str, Any]] = [
            {"name": g.name, "label": g.label, "communes": g.communes}
            for g in list_groups(session, command_line())
        ]
    echo_list(
        rows,
        as_json,
        lambda row: f"{row['name']}\t{row['label'] or ''}\t{', '.join(row['communes'])}",
        "Aucun groupe.",
    )


@group_app.command("delete")
@friendly_errors
def group_delete(name: Annotated[str, typer.Argument(help="Nom du groupe")]) -> None:
    """Supprime un groupe : les comptes qui le citaient perdent ses communes."""
    settings = load_settings()
    from observatory.accounts.actors import command_line
    from observatory.accounts.groups import delete_group

    with session_scope(settings) as session:
        delete_group(session, command_line(), name)
    typer.echo(f"Groupe « {name} » supprimé.")
