"""The roles as a user reads them: French names for the codes stored with each token."""

from __future__ import annotations

from collections.abc import Iterable

ROLE_NAMES = {
    "admin": "administrateur",
    "police": "police",
    "analyst": "analyste",
    "partner": "partenaire",
}


def role_name(role: str) -> str:
    """The French name of a role code (the code itself if unknown)."""
    return ROLE_NAMES.get(role, role)


def refusal(role: str, allowed: Iterable[str]) -> str:
    """The 403 message of a role refused a resource, in French, naming the roles let through."""
    names = [role_name(r) for r in allowed]
    return (
        f"Le rôle « {role_name(role)} » n'a pas accès à cette ressource "
        f"(réservée {'au rôle' if len(names) == 1 else 'aux rôles'} : {', '.join(names)})."
    )
