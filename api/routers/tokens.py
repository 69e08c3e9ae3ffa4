"""Who am I, and the tokens (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AdminDep, CallerDep, SessionDep
from api.schemas.tokens import Me, TokenOut
from observatory.scopes import as_list
from observatory.tokens import list_tokens

router = APIRouter(tags=["jetons"])


@router.get("/me", summary="Le jeton ou la session utilisés, leur rôle et leur périmètre")
def me(caller: CallerDep) -> Me:
    return Me(
        name=caller.name,
        role=caller.role,
        communes=as_list(caller.communes),
        account=caller.account_id,
    )


@router.get("/tokens", summary="Les jetons (administrateur)")
def tokens(_: AdminDep, session: SessionDep, include_revoked: bool = True) -> list[TokenOut]:
    return [
        TokenOut(
            name=t.name,
            role=t.role,
            prefix=t.prefix,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked=t.revoked_at is not None,
        )
        for t in list_tokens(session)
        if include_revoked or t.revoked_at is None
    ]
