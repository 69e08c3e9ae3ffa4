"""The demonstration's accounts (``observatory demo``, in development only): one per role, with
passwords printed on the screen, known to anyone who reads this file."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.accounts.actors import Actor
from observatory.accounts.store import create_account
from observatory.db import make_sessionmaker
from observatory.models import Account

DEMO_ACCOUNTS = (
    ("admin@demo.local", "admin", None, "cerf-volant du Capitole 1"),
    ("police@demo.local", "police", None, "brigade de la Garonne 2"),
    ("analyste@demo.local", "analyst", None, "tableau des Minimes 3"),
    ("partenaire@demo.local", "partner", frozenset({"31555"}), "lanterne du pont Neuf 4"),
)


def ensure_demo_accounts(session: Session) -> list[tuple[str, str, str, bool]]:
    """The demo accounts, made when missing: (e-mail, role, password, made now)."""
    actor = Actor(name="demo", role="admin")
    found = []
    for email, role, communes, password in DEMO_ACCOUNTS:
        exists = session.scalars(select(Account.id).where(Account.email == email)).first()
        if exists is None:
            create_account(
                session, actor, email=email, role=role, communes=communes, password=password
            )
        found.append((email, role, password, exists is None))
    return found


def demo_accounts_text(engine: Engine) -> str:
    """The demo accounts, made when missing, as ``observatory demo`` prints them."""
    with make_sessionmaker(engine).begin() as session:
        accounts = ensure_demo_accounts(session)
    lines = ["Comptes de démonstration (développement seulement) :"]
    for email, role, password, made in accounts:
        lines.append(f"  {email}\t{role}\tmot de passe : {password}{' (créé)' if made else ''}")
    lines.append("  admin et police activent la double authentification à la première connexion.")
    return "\n".join(lines)
