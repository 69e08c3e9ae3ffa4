"""Who am I, and the tokens (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AdminDep, CallerDep, SessionDep
from api.schemas.tokens import Me, TokenOut
from observatory.scopes import as_list, manages
from observatory.tokens import effective_scopes

router = APIRouter(tags=["jetons"])


@router.get("/me", summary="Le jeton ou la session utilisés, leur rôle et leur périmètre")
def me(caller: CallerDep) -> Me:
    return Me(
        name=caller.name,
        role=caller.role,
        communes=as_list(caller.communes),
        account=caller.account_id,
    )


@router.get(
    "/tokens",
    summary="Les jetons (administrateur) : ceux dont le périmètre est dans le sien",
)
def tokens(caller: AdminDep, session: SessionDep, include_revoked: bool = True) -> list[TokenOut]:
    found = []
    for t, scope in effective_scopes(session):
        # By the scope the token has at use (its account's narrows it): a scoped administrator
        # sees the tokens of the accounts it manages, and not those of other communes.
        if not manages(caller.communes, scope):
            continue
        if include_revoked or t.revoked_at is None:
            found.append(TokenOut.of(t, as_list(scope)))
    return found
