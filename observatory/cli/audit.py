"""observatory audit: the reads of individual incidents."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Annotated

import typer

from observatory.cli.common import echo_list, friendly_errors, load_settings, session_scope


@friendly_errors
def audit(
    since: Annotated[str | None, typer.Option(help="Depuis ce jour (AAAA-MM-JJ)")] = None,
    actor: Annotated[str | None, typer.Option(help="Nom du jeton")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Affiche le journal des consultations de faits individuels, les plus récentes d'abord."""
    settings = load_settings()
    from observatory.analytics.filters import parse_day
    from observatory.audit import entries

    day = parse_day(since, "since")
    start = datetime.combine(day, time(0), settings.zone) if day else None
    with session_scope(settings) as session:
        rows = entries(session, since=start, actor=actor, limit=limit)
    echo_list(
        rows,
        as_json,
        lambda row: (
            f"{row['at']}\t{row['actor']} ({row['role']})\t{row['action']}\t"
            f"{row['row_count']} faits\t{json.dumps(row['filters'], ensure_ascii=False)}"
        ),
        "Aucune consultation enregistrée.",
    )
