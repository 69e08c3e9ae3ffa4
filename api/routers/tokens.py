"""Who am I, and the tokens (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AdminDep, CallerDep, SessionDep
from api.schemas.tokens import Me, TokenOut
from observatory.scopes import as_list, covers, resolve
from observatory.tokens import group_communes, list_tokens

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
    groups = group_communes(session)
    found = []
    for t in list_tokens(session):
        scope = resolve(t.communes, t.groups, groups)
        if not covers(caller.communes, scope):
            continue  # a scoped administrator does not learn the tokens of other communes
        if include_revoked or t.revoked_at is None:
            found.append(
                TokenOut(
                    name=t.name,
                    role=t.role,
                    prefix=t.prefix,
                    created_at=t.created_at,
                    last_used_at=t.last_used_at,
                    revoked=t.revoked_at is not None,
                    communes=as_list(scope),
                    expires_at=t.expires_at,
                )
            )
    return found
