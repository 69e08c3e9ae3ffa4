"""Groups of communes (an EPCI, a CISPD): a scope named in one word, such as « cispd-ouest ».
Only an administrator whose scope covers a group's communes may create, change or delete it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import any_, func, literal, select
from sqlalchemy.orm import Session

from observatory.accounts.actors import Actor
from observatory.accounts.sessions import account_scope
from observatory.errors import InUse, InvalidInput, NotFound
from observatory.models import Account, ApiToken, CommuneGroup
from observatory.scopes import parse_codes
from observatory.tokens import effective_scopes

GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class GroupView:
    name: str
    label: str | None
    communes: list[str]


def _view(group: CommuneGroup) -> GroupView:
    return GroupView(group.name, group.label, sorted(group.communes))


def _codes(communes: list[str] | frozenset[str]) -> frozenset[str]:
    codes = parse_codes(",".join(communes))
    if not codes:
        raise InvalidInput("Un groupe compte au moins une commune.")
    return codes


def _get(session: Session, name: str) -> CommuneGroup:
    group = session.get(CommuneGroup, name)
    if group is None:
        raise NotFound(f"Aucun groupe de communes « {name} ».")
    return group


def list_groups(session: Session, actor: Actor) -> list[GroupView]:
    """The groups whose communes all lie within the actor's scope."""
    groups = session.scalars(select(CommuneGroup).order_by(CommuneGroup.name))
    return [_view(g) for g in groups if actor.scope is None or frozenset(g.communes) <= actor.scope]


def create_group(
    session: Session,
    actor: Actor,
    name: str,
    communes: list[str] | frozenset[str],
    label: str | None = None,
) -> GroupView:
    if not GROUP_NAME.match(name):
        raise InvalidInput(
            f"Nom de groupe « {name} » refusé : minuscules, chiffres, - et _ seulement "
            "(par exemple cispd-ouest)."
        )
    codes = _codes(communes)
    actor.check_covers(codes, "Le groupe")
    if session.get(CommuneGroup, name) is not None:
        raise InvalidInput(f"Un groupe « {name} » existe déjà.")
    group = CommuneGroup(name=name, label=(label or "").strip() or None, communes=sorted(codes))
    session.add(group)
    session.flush()
    actor.record(session, "groupe créé", {"group": name, "after": sorted(codes)})
    return _view(group)


def update_group(
    session: Session,
    actor: Actor,
    name: str,
    communes: list[str] | None = None,
    label: str | None = None,
) -> GroupView:
    group = _get(session, name)
    before = sorted(group.communes)
    actor.check_covers(frozenset(before), "Le groupe")
    # Changing a group changes the scope of every account and token that names it: only an
    # administrator who manages each of them may.
    for account in session.scalars(select(Account).where(literal(name) == any_(Account.groups))):
        actor.check_covers(account_scope(session, account), f"Le compte « {account.email} »")
    for token, scope in effective_scopes(session):
        if token.revoked_at is None and name in (token.groups or []):
            actor.check_covers(scope, f"Le jeton « {token.name} »")
    if communes is not None:
        codes = _codes(communes)
        actor.check_covers(codes, "Le groupe")
        group.communes = sorted(codes)
    if label is not None:
        group.label = label.strip() or None
    session.flush()
    actor.record(
        session, "groupe modifié", {"group": name, "before": before, "after": group.communes}
    )
    return _view(group)


def delete_group(session: Session, actor: Actor, name: str) -> None:
    group = _get(session, name)
    actor.check_covers(frozenset(group.communes), "Le groupe")
    accounts = session.scalar(
        select(func.count()).select_from(Account).where(literal(name) == any_(Account.groups))
    )
    tokens = session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(literal(name) == any_(ApiToken.groups), ApiToken.revoked_at.is_(None))
    )
    if accounts or tokens:
        raise InUse(
            f"Le groupe « {name} » est encore utilisé par {accounts or 0} compte(s) et "
            f"{tokens or 0} jeton(s) : retirez-le d'abord de leur périmètre."
        )
    session.delete(group)
    session.flush()
    actor.record(session, "groupe supprimé", {"group": name, "before": sorted(group.communes)})
