"""The audit log (admin only): reads of individual incidents, sign-ins, account changes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import BIGINT_MAX, AdminDep, SessionDep, SettingsDep
from api.schemas.audit import AuditPage
from observatory.analytics.filters import parse_day
from observatory.audit import entries
from observatory.errors import InvalidInput
from observatory.tokens import TOKEN_NAME, TOKEN_NAME_RULE

router = APIRouter(tags=["audit"])


@router.get(
    "/audit",
    summary="Journal : consultations de faits individuels, connexions, comptes",
    description=(
        "Qui a lu quels faits, quand, avec quel filtre et combien de lignes ; les connexions, "
        "refus, déconnexions et changements de comptes, de groupes et de jetons, avec "
        "l'adresse du client et le périmètre de l'auteur (admin : les entrées des auteurs "
        "dont le périmètre est dans le sien)."
    ),
)
def audit_log(
    caller: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[str | None, Query(description="Depuis ce jour (AAAA-MM-JJ)")] = None,
    actor: Annotated[str | None, Query(description="Nom du jeton ou e-mail du compte")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> AuditPage:
    if actor is not None and not TOKEN_NAME.match(actor):
        raise InvalidInput(
            f"Paramètre « actor » : « {actor} » n'est pas un nom de jeton ({TOKEN_NAME_RULE})."
        )
    day: date | None = parse_day(since, "since")
    start = datetime.combine(day, time(0), settings.zone) if day else None
    # An administrator with a scope reads the entries of actors whose scope lay within theirs.
    rows = entries(
        session, since=start, actor=actor, limit=limit, offset=offset, scope=caller.communes
    )
    return AuditPage.model_validate({"entries": rows, "limit": limit, "offset": offset})
