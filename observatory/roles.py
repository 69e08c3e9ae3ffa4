"""The roles as a user reads them: French names for the codes stored with each token."""

from __future__ import annotations

from collections.abc import Iterable

ROLE_NAMES = {
    "admin": "administrateur",
    "police": "police",
    "analyst": "analyste",
    "partner": "partenaire",
}

# From the widest to the narrowest: a token is never wider than the account that made it.
ROLE_ORDER = ("admin", "police", "analyst", "partner")


def narrower_role(first: str, second: str) -> str:
    """The narrower of two roles (an unknown one counts as the narrowest)."""
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    return max(first, second, key=lambda r: rank.get(r, len(ROLE_ORDER)))


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
