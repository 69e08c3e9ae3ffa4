"""observatory mappings …: the mappings saved by name (the import page's assistant)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import typer

from observatory.cli.common import friendly_errors
from observatory.cli.imports import engine_scope, run_by
from observatory.errors import InvalidInput

mappings_app = typer.Typer(
    help="Correspondances enregistrées (colonnes et libellés d'un export), pour --mapping NOM."
)

NameArgument = Annotated[str, typer.Argument(help="Nom de la correspondance")]


@mappings_app.command("list")
@friendly_errors
def mappings_list() -> None:
    """Les correspondances enregistrées, par nom."""
    from ingest.incidents.saved import list_saved

    with engine_scope() as engine, engine.connect() as conn:
        saved = list_saved(conn)
    if not saved:
        typer.echo("Aucune correspondance enregistrée.")
    for item in saved:
        columns = len(item.document.get("columns") or {})
        labels = len(item.document.get("categories") or {})
        typer.echo(
            f"{item.name} : {columns} colonne(s), {labels} libellé(s) — modifiée le "
            f"{item.updated_at:%d/%m/%Y %H:%M} (créée par {item.created_by or '—'})"
        )


@mappings_app.command("export")
@friendly_errors
def mappings_export(name: NameArgument) -> None:
    """Écrit la correspondance en TOML sur la sortie standard (un fichier pour --mapping)."""
    from ingest.incidents.saved import get_saved, mapping_toml

    with engine_scope() as engine, engine.connect() as conn:
        saved = get_saved(conn, name)
    typer.echo(mapping_toml(saved.name, saved.document), nl=False)


@mappings_app.command("save")
@friendly_errors
def mappings_save(
    name: NameArgument,
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Fichier de correspondance TOML")
    ],
) -> None:
    """Enregistre un fichier TOML sous un nom (remplace la correspondance de ce nom)."""
    from ingest.incidents.saved import save_mapping

    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Fichier de correspondance {path.name} : TOML invalide ({exc})"
        ) from exc
    with engine_scope() as engine, engine.begin() as conn:
        saved, created = save_mapping(conn, name, document, run_by())
    typer.echo(f"Correspondance « {saved.name} » {'créée' if created else 'remplacée'}.")


@mappings_app.command("delete")
@friendly_errors
def mappings_delete(name: NameArgument) -> None:
    """Supprime une correspondance enregistrée."""
    from ingest.incidents.saved import delete_saved

    with engine_scope() as engine, engine.begin() as conn:
        delete_saved(conn, name)
    typer.echo(f"Correspondance « {name} » supprimée.")
