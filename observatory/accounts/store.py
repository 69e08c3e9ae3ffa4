"""Accounts: create, list, change, disable, reset; every scope change checked against the
administrator's own (an administrator grants only within their scope, and manages only the
accounts whose scope lies within it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.accounts.actors import Actor
from observatory.accounts.passwords import (
    check_password,
    hash_password,
    temporary_password,
    verify_password,
)
from observatory.accounts.sessions import account_scope, revoke_all
from observatory.errors import InvalidInput, NotAllowed, NotFound
from observatory.models import ROLES, Account, CommuneGroup
from observatory.roles import role_name
from observatory.scopes import Scope, as_list, describe, manages, resolve
from observatory.tokens import group_communes, revoke_account_tokens

EMAIL = re.compile(r"^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
UNCHANGED: Any = object()


def normalise_email(email: str) -> str:
    """The e-mail lowercased, checked (a French InvalidInput otherwise)."""
    address = email.strip().lower()
    if len(address) > 254 or not EMAIL.match(address):
        raise InvalidInput(f"Adresse e-mail invalide : « {email.strip()[:254]} ».")
    return address


@dataclass(frozen=True)
class AccountView:
    """An account as administrators see it (never its secrets)."""

    id: int
    email: str
    role: str
    communes: list[str] | None
    groups: list[str]
    scope: list[str] | None
    totp_enabled: bool
    must_change_password: bool
    disabled: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    @property
    def scope_label(self) -> str:
        return describe(None if self.scope is None else frozenset(self.scope))


def view(account: Account, scope: Scope) -> AccountView:
    return AccountView(
        id=account.id,
        email=account.email,
        role=account.role,
        communes=None if account.communes is None else sorted(account.communes),
        groups=sorted(account.groups or []),
        scope=as_list(scope),
        totp_enabled=account.totp_enabled_at is not None,
        must_change_password=account.must_change_password,
        disabled=account.disabled_at is not None,
        created_at=account.created_at,
        last_sign_in_at=account.last_sign_in_at,
    )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"Rôle inconnu « {role} » : choisir parmi {', '.join(ROLES)}.")


def _scope_of(session: Session, communes: Scope, groups: list[str]) -> Scope:
    """The scope of these communes and groups; every group must exist."""
    known = group_communes(session)
    missing = [g for g in groups if g not in known]
    if missing:
        raise InvalidInput(f"Groupe de communes inconnu : « {missing[0]} ».")
    if communes is None and groups:
        raise InvalidInput("Un périmètre de toutes les communes ne prend pas de groupe.")
    return resolve(communes, groups, known)


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"Aucun compte n° {account_id}.")
    return account


def find_account(session: Session, email: str) -> Account:
    account = session.scalars(
        select(Account).where(Account.email == email.strip().lower())
    ).one_or_none()
    if account is None:
        raise NotFound(f"Aucun compte « {email.strip()} ».")
    return account


def managed(session: Session, actor: Actor, account: Account) -> Scope:
    """The account's scope, when the actor may manage it (NotAllowed otherwise)."""
    scope = account_scope(session, account)
    actor.check_covers(scope, f"Le compte « {account.email} »")
    return scope


def create_account(
    session: Session,
    actor: Actor,
    *,
    email: str,
    role: str,
    communes: Scope,
    groups: list[str] | None = None,
    password: str | None = None,
) -> tuple[Account, str | None]:
    """A new account; with the temporary password to give once (None when ``password`` was
    set: then it is checked and kept, and need not be changed)."""
    address = normalise_email(email)
    _check_role(role)
    groups = sorted(set(groups or []))
    scope = _scope_of(session, communes, groups)
    actor.check_covers(scope, "Le périmètre demandé")
    temporary = None
    if password is None:
        temporary = temporary_password()
    else:
        check_password(password, address)
    account = Account(
        email=address,
        role=role,
        communes=as_list(communes),
        groups=groups,
        password_hash=hash_password(password or temporary or ""),
        must_change_password=password is None,
        password_changed_at=datetime.now(UTC),
        created_by=actor.name,
    )
    taken = select(Account.id).where(Account.email == address)
    if session.scalars(taken).first() is not None:
        raise InvalidInput(f"Un compte « {address} » existe déjà.")
    session.add(account)
    session.flush()
    actor.record(session, "compte créé", {"email": address, "after": _state(account, scope)})
    return account, temporary


def _state(account: Account, scope: Scope) -> dict[str, Any]:
    return {
        "role": account.role,
        "communes": None if account.communes is None else sorted(account.communes),
        "groups": sorted(account.groups or []),
        "scope": as_list(scope),
        "disabled": account.disabled_at is not None,
    }


def list_accounts(session: Session, actor: Actor) -> list[AccountView]:
    """The accounts the actor may manage."""
    known = group_communes(session)
    found = []
    for account in session.scalars(select(Account).order_by(Account.email)):
        scope = resolve(account.communes, account.groups, known)
        if manages(actor.scope, scope):
            found.append(view(account, scope))
    return found


def update_account(
    session: Session,
    actor: Actor,
    account: Account,
    *,
    role: str | None = None,
    communes: Any = UNCHANGED,
    groups: list[str] | None = None,
    disabled: bool | None = None,
) -> AccountView:
    """Change an account's role, scope or state; its sessions end when it loses anything."""
    before_scope = managed(session, actor, account)
    before = _state(account, before_scope)
    if role is not None:
        _check_role(role)
        account.role = role
    if communes is not UNCHANGED:
        account.communes = as_list(communes)
    if groups is not None:
        account.groups = sorted(set(groups))
    new_communes = None if account.communes is None else frozenset(account.communes)
    scope = _scope_of(session, new_communes, list(account.groups or []))
    actor.check_covers(scope, "Le périmètre demandé")
    if disabled is not None:
        if disabled and account.id == actor.account_id:
            raise NotAllowed("Vous ne pouvez pas désactiver votre propre compte.")
        account.disabled_at = (account.disabled_at or datetime.now(UTC)) if disabled else None
    after = _state(account, scope)
    if after != before:
        if disabled or after["role"] != before["role"] or after["scope"] != before["scope"]:
            revoke_all(session, account.id)
        actor.record(
            session, "compte modifié", {"email": account.email, "before": before, "after": after}
        )
    if disabled:
        revoke_tokens(session, actor, account)
    session.flush()
    return view(account, scope)


def reset_password(session: Session, actor: Actor, account: Account) -> str:
    """A temporary password to give once; the account must change it, its sessions end."""
    managed(session, actor, account)
    temporary = temporary_password()
    account.password_hash = hash_password(temporary)
    account.must_change_password = True
    account.password_changed_at = datetime.now(UTC)
    revoke_all(session, account.id)
    actor.record(session, "mot de passe réinitialisé", {"email": account.email})
    revoke_tokens(session, actor, account)
    return temporary


def reset_totp(session: Session, actor: Actor, account: Account) -> None:
    """Forget the account's second factor (a lost telephone): it enrols again at sign-in."""
    managed(session, actor, account)
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    account.recovery_codes = []
    account.totp_failures = 0
    account.totp_locked_until = None
    revoke_all(session, account.id)
    actor.record(session, "double authentification réinitialisée", {"email": account.email})
    revoke_tokens(session, actor, account)


def revoke_tokens(session: Session, actor: Actor, account: Account) -> int:
    """Revoke the account's live tokens (a password or a second factor reset, a disabled
    account: whoever took the account may have made some); audited with their number."""
    count = revoke_account_tokens(session, account.id)
    if count:
        actor.record(session, "jetons révoqués", {"email": account.email, "count": count})
    return count


class WrongCurrentPassword(NotAllowed):
    """The current password given to change it is wrong (a 403)."""


def change_password(
    session: Session, account: Account, current: str, new: str, keep_session: int | None
) -> None:
    """The account's own change: the current password, then a new one that meets the rules;
    every other session of the account ends."""
    if not verify_password(account.password_hash, current):
        raise WrongCurrentPassword("Mot de passe actuel incorrect.")
    if new == current:
        raise InvalidInput("Le nouveau mot de passe doit différer de l'actuel.")
    check_password(new, account.email)
    account.password_hash = hash_password(new)
    account.must_change_password = False
    account.password_changed_at = datetime.now(UTC)
    revoke_all(session, account.id, keep=keep_session)


def group_names(session: Session) -> list[str]:
    return list(session.scalars(select(CommuneGroup.name).order_by(CommuneGroup.name)))


def role_label(role: str) -> str:
    return role_name(role)
