"""The caller's scope applied to what a request names: a commune, a QPV, a report's commune.

A caller with a scope (observatory/scopes.py: a frozenset of INSEE codes, None for every
commune) is answered from its communes' facts only (api/datadeps.py); naming a commune outside
the scope is refused (403) rather than answered with nothing, so that a person sees at once
that the question lies beyond their perimeter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from observatory.errors import NotAllowed
from observatory.scopes import Scope, allows, describe
from observatory.store.scoped import ScopedSnapshots

QPV_COMMUNES = "SELECT commune_codes FROM qpv WHERE code = :code"


def outside(commune: str, scope: Scope) -> str:
    """The refusal of a commune outside the scope, in French."""
    return f"La commune {commune} n'est pas dans votre périmètre ({describe(scope)})."


def check_commune(scope: Scope, commune: str | None) -> None:
    """403 when the caller names a commune outside its scope (None: no commune named)."""
    if commune is not None and not allows(scope, commune):
        raise NotAllowed(outside(commune, scope))


def check_qpv(session: Session | Connection, scope: Scope, qpv: str | None) -> None:
    """403 when the caller names a QPV none of whose communes lies in its scope."""
    if scope is None or qpv is None or qpv in ("in", "out"):
        return
    rows = session.execute(text(QPV_COMMUNES), {"code": qpv}).scalars().all()
    communes = {code for codes in rows for code in (codes or ())}
    if not communes & scope:
        raise NotAllowed(f"Le QPV {qpv} n'est pas dans votre périmètre ({describe(scope)}).")


def scoped_snapshots(state: Any) -> ScopedSnapshots:
    """The process's restricted snapshots (observatory/store/scoped.py), made at first use."""
    kept: ScopedSnapshots | None = getattr(state, "scoped_snapshots", None)
    if kept is None:
        kept = ScopedSnapshots()
        state.scoped_snapshots = kept
    return kept
