"""The demonstration's accounts (``observatory demo``, in development only): one per role, with
passwords printed on the screen, known to anyone who reads this file."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.accounts.actors import Actor
from observatory.accounts.groups import create_group
from observatory.accounts.store import create_account
from observatory.db import make_sessionmaker
from observatory.models import Account, CommuneGroup
from observatory.roles import role_name

# The demo's intercommunal council: Blagnac and Colomiers (their synthetic facts, data/samples).
DEMO_GROUP = ("cispd-ouest", "CISPD de l'Ouest toulousain (démonstration)", ("31069", "31149"))
NO_COMMUNE: frozenset[str] = frozenset()

# (e-mail, role, communes, groups, password)
DEMO_ACCOUNTS: tuple[tuple[str, str, frozenset[str] | None, tuple[str, ...], str], ...] = (
    ("admin@demo.local", "admin", None, (), "cerf-volant du Capitole 1"),
    ("police@demo.local", "police", None, (), "brigade de la Garonne 2"),
    ("analyste@demo.local", "analyst", None, (), "tableau des Minimes 3"),
    ("partenaire@demo.local", "partner", frozenset({"31555"}), (), "lanterne du pont Neuf 4"),
    ("cispd@demo.local", "analyst", NO_COMMUNE, (DEMO_GROUP[0],), "conseil de l'Ouest 5"),
    ("police.blagnac@demo.local", "police", frozenset({"31069"}), (), "aéroport de Blagnac 6"),
)


def ensure_demo_accounts(session: Session) -> list[tuple[str, str, str, bool]]:
    """The demo accounts, made when missing: (e-mail, role, password, made now)."""
    actor = Actor(name="demo", role="admin")
    name, label, communes_of_group = DEMO_GROUP
    if session.get(CommuneGroup, name) is None:
        create_group(session, actor, name, list(communes_of_group), label)
    found = []
    for email, role, communes, groups, password in DEMO_ACCOUNTS:
        exists = session.scalars(select(Account.id).where(Account.email == email)).first()
        if exists is None:
            create_account(
                session,
                actor,
                email=email,
                role=role,
                communes=communes,
                groups=list(groups),
                password=password,
            )
        found.append((email, role, password, exists is None))
    return found


def demo_accounts_text(engine: Engine) -> str:
    """The demo accounts, made when missing, as ``observatory demo`` prints them."""
    with make_sessionmaker(engine).begin() as session:
        accounts = ensure_demo_accounts(session)
    lines = ["Comptes de démonstration (développement seulement) :"]
    for email, role, password, made in accounts:
        made_now = " (créé)" if made else ""
        lines.append(f"  {email}\t{role_name(role)}\tmot de passe : {password}{made_now}")
    lines.append(
        "  cispd@demo.local voit le groupe « cispd-ouest » (Blagnac et Colomiers) et leur "
        "comparaison ; police.blagnac@demo.local voit Blagnac seulement."
    )
    lines.append(
        "  administrateur et police activent la double authentification à la première connexion."
    )
    return "\n".join(lines)
