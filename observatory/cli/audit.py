"""observatory audit: the reads of individual incidents, the sign-ins, the changes of accounts."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Annotated, Any

import typer

from observatory.cli.common import echo_list, friendly_errors, load_settings, session_scope


@friendly_errors
def audit(
    since: Annotated[str | None, typer.Option(help="Depuis ce jour (AAAA-MM-JJ)")] = None,
    actor: Annotated[
        str | None, typer.Option(help="Nom du jeton ou adresse e-mail du compte")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Affiche le journal (consultations de faits individuels, connexions et refus, comptes,
    groupes et jetons changés), les entrées les plus récentes d'abord."""
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
        line,
        "Aucune entrée enregistrée.",
    )


def line(row: dict[str, Any]) -> str:
    """One entry on a line: when, who (role, address, scope), what, how many facts, filters."""
    where = row.get("address") or "-"
    communes = row.get("communes")
    scope = "toutes communes" if communes is None else (",".join(communes) or "aucune commune")
    counted = f"{row['row_count']} faits\t" if row["row_count"] else ""
    return (
        f"{row['at']}\t{row['actor']} ({row['role']}, {where}, {scope})\t{row['action']}\t"
        f"{counted}{json.dumps(row['filters'], ensure_ascii=False)}"
    )
