"""observatory purge: delete the incidents older than the retention period.

Exit codes: 0 done (also when nothing was old enough); 1 refused (database down, invalid
settings); 2 usage error (an unreadable duration, or no duration given and no
OBS_RETENTION_MONTHS).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from observatory.cli.common import fail, friendly_errors, load_settings
from observatory.errors import InvalidInput


@friendly_errors
def purge(
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Âge au-delà duquel un fait est supprimé : 36m (mois), 3y (ans), 365d (jours). "
            "Par défaut : OBS_RETENTION_MONTHS.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compte ce qui serait supprimé, sans rien supprimer")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Un objet JSON sur la sortie standard")
    ] = (False),
) -> None:
    """Supprime les faits plus anciens que la durée de conservation (et les lignes rejetées),
    les entrées du journal d'audit plus anciennes que OBS_AUDIT_RETENTION_MONTHS et les sessions
    closes."""
    settings = load_settings()
    from observatory.cli.imports import engine_scope, run_by
    from observatory.retention import Duration, parse_duration
    from observatory.retention import purge as purge_old

    if older_than is None and settings.retention_months is None:
        fail(
            "Aucune durée de conservation : précisez --older-than (36m, 3y, 365d…) ou "
            "définissez OBS_RETENTION_MONTHS. Rien n'a été supprimé.",
            code=2,
        )
    try:
        duration = (
            parse_duration(older_than)
            if older_than is not None
            else Duration(settings.retention_months or 0, "m")
        )
    except InvalidInput as exc:
        fail(f"--older-than : {exc}", code=2)
    with engine_scope() as engine:
        summary = purge_old(
            engine,
            duration,
            zone=settings.timezone,
            run_by=run_by(),
            dry_run=dry_run,
            audit_months=settings.audit_retention_months,
        )
    if as_json:
        typer.echo(json.dumps(summary.as_json(), ensure_ascii=False))
    else:
        typer.echo(summary.describe())
