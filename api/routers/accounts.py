"""The administration of accounts and groups of communes, each within the administrator's own
scope (observatory/accounts/)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from api.deps import AdminDep, Caller, SessionDep, client_of
from api.errors import BODY_ERRORS, problem_responses
from api.schemas.auth import (
    GROUP_NAME,
    AccountChange,
    AccountCreated,
    AccountIn,
    AccountOut,
    GroupChange,
    GroupIn,
    GroupOut,
    TemporaryPassword,
)
from observatory.accounts import groups as commune_groups
from observatory.accounts import store
from observatory.accounts.actors import Actor
from observatory.roles import role_name
from observatory.scopes import parse_codes

router = APIRouter(prefix="/admin", tags=["administration"])

AccountId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Numéro du compte")]
GroupName = Annotated[str, Path(max_length=63, pattern=GROUP_NAME, description="Nom du groupe")]


def actor_of(caller: Caller, request: Request) -> Actor:
    return Actor(
        name=caller.name,
        role=caller.role,
        scope=caller.communes,
        token_id=caller.token_id,
        account_id=caller.account_id,
        address=client_of(request),
    )


def account_out(found: store.AccountView) -> AccountOut:
    return AccountOut(
        id=found.id,
        email=found.email,
        role=found.role,
        role_label=role_name(found.role),
        communes=found.communes,
        groups=found.groups,
        scope=found.scope,
        scope_label=found.scope_label,
        totp_enabled=found.totp_enabled,
        must_change_password=found.must_change_password,
        disabled=found.disabled,
        created_at=found.created_at,
        last_sign_in_at=found.last_sign_in_at,
    )


def _codes(communes: list[str] | None) -> frozenset[str] | None:
    return None if communes is None else parse_codes(",".join(communes))


@router.get("/accounts", summary="Les comptes de son périmètre")
def accounts(caller: AdminDep, request: Request, session: SessionDep) -> list[AccountOut]:
    return [account_out(a) for a in store.list_accounts(session, actor_of(caller, request))]


@router.post("/accounts", summary="Créer un compte", responses=BODY_ERRORS)
def create_account(
    body: AccountIn, caller: AdminDep, request: Request, session: SessionDep
) -> AccountCreated:
    account, temporary = store.create_account(
        session,
        actor_of(caller, request),
        email=body.email,
        role=body.role,
        communes=_codes(body.communes),
        groups=body.groups,
    )
    return AccountCreated(id=account.id, email=account.email, temporary_password=temporary or "")


@router.put(
    "/accounts/{account_id}",
    summary="Changer un compte",
    responses={**BODY_ERRORS, **problem_responses(404)},
)
def change_account(
    account_id: AccountId,
    body: AccountChange,
    caller: AdminDep,
    request: Request,
    session: SessionDep,
) -> AccountOut:
    account = store.get_account(session, account_id)
    given = body.model_fields_set
    changed = store.update_account(
        session,
        actor_of(caller, request),
        account,
        role=body.role,
        communes=_codes(body.communes) if "communes" in given else store.UNCHANGED,
        groups=body.groups,
        disabled=body.disabled,
    )
    return account_out(changed)


@router.post(
    "/accounts/{account_id}/reset-password",
    summary="Réinitialiser le mot de passe",
    responses=problem_responses(404),
)
def reset_password(
    account_id: AccountId, caller: AdminDep, request: Request, session: SessionDep
) -> TemporaryPassword:
    account = store.get_account(session, account_id)
    temporary = store.reset_password(session, actor_of(caller, request), account)
    return TemporaryPassword(temporary_password=temporary)


@router.post(
    "/accounts/{account_id}/reset-totp",
    status_code=204,
    responses=problem_responses(404),
    summary="Réinitialiser la double authentification",
)
def reset_totp(
    account_id: AccountId, caller: AdminDep, request: Request, session: SessionDep
) -> Response:
    account = store.get_account(session, account_id)
    store.reset_totp(session, actor_of(caller, request), account)
    return Response(status_code=204)


def group_out(group: commune_groups.GroupView) -> GroupOut:
    return GroupOut(name=group.name, label=group.label, communes=group.communes)


@router.get("/groups", summary="Les groupes de communes de son périmètre")
def groups(caller: AdminDep, request: Request, session: SessionDep) -> list[GroupOut]:
    return [group_out(g) for g in commune_groups.list_groups(session, actor_of(caller, request))]


@router.post("/groups", summary="Créer un groupe de communes", responses=BODY_ERRORS)
def create_group(
    body: GroupIn, caller: AdminDep, request: Request, session: SessionDep
) -> GroupOut:
    made = commune_groups.create_group(
        session, actor_of(caller, request), body.name, body.communes, body.label
    )
    return group_out(made)


@router.put(
    "/groups/{name}",
    summary="Changer un groupe de communes",
    responses={**BODY_ERRORS, **problem_responses(404)},
)
def change_group(
    name: GroupName, body: GroupChange, caller: AdminDep, request: Request, session: SessionDep
) -> GroupOut:
    changed = commune_groups.update_group(
        session, actor_of(caller, request), name, body.communes, body.label
    )
    return group_out(changed)


@router.delete(
    "/groups/{name}",
    status_code=204,
    summary="Supprimer un groupe de communes",
    responses=problem_responses(404),
)
def delete_group(
    name: GroupName, caller: AdminDep, request: Request, session: SessionDep
) -> Response:
    commune_groups.delete_group(session, actor_of(caller, request), name)
    return Response(status_code=204)
