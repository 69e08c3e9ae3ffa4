"""Who changes accounts and groups: an administrator (signed in, with a token, or on the command
line), with a scope that bounds what they may grant and whom they may manage."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from observatory.audit import record
from observatory.errors import NotAllowed
from observatory.scopes import Scope, describe, manages


@dataclass(frozen=True)
class Actor:
    """An administrator acting; ``scope`` None: every commune."""

    name: str
    role: str
    scope: Scope = None
    token_id: int | None = None
    account_id: int | None = None
    address: str | None = None

    def record(
        self,
        session: Session | Connection,
        action: str,
        filters: dict[str, Any],
        row_count: int = 0,
    ) -> None:
        """One audit entry of this actor's."""
        record(
            session,
            token_id=self.token_id,
            actor=self.name,
            role=self.role,
            action=action,
            filters=filters,
            row_count=row_count,
            account_id=self.account_id,
            communes=self.scope,
            address=self.address,
        )

    def check_covers(self, scope: Scope, what: str) -> None:
        """NotAllowed (a 403) unless this actor may manage ``scope``: within its own, and a
        scope of no commune only for an administrator of every commune."""
        if self.scope is not None and scope is not None and not scope:
            raise NotAllowed(
                f"{what} ne compte aucune commune : seul un administrateur de toutes les "
                "communes peut le gérer."
            )
        if not manages(self.scope, scope):
            raise NotAllowed(
                f"{what} sort de votre périmètre ({describe(self.scope)}) : {describe(scope)}."
            )


def command_line() -> Actor:
    """The person at the command line: every commune (they hold the database)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "inconnu"
    return Actor(name=f"ligne de commande ({user})", role="admin")
