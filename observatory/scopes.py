"""Scopes: the communes an account or a token may see (DESIGN.md, "Privacy and roles").

A scope is a frozenset of INSEE codes, or None for every commune. An account's or a token's
scope is its own communes with those of its named groups (an EPCI, a CISPD: the table
``commune_group``); a token's is never wider than its account's (the two are intersected at
every use, so narrowing an account narrows its tokens at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from observatory.analytics.filters import COMMUNE_CODE
from observatory.errors import InvalidInput

Scope = frozenset[str] | None

EVERY_COMMUNE = "toutes les communes"


def resolve(
    communes: Iterable[str] | None, groups: Iterable[str], known: Mapping[str, Iterable[str]]
) -> Scope:
    """The scope of these communes and groups (None communes: every commune). A group that no
    longer exists adds nothing."""
    if communes is None:
        return None
    found = set(communes)
    for name in groups:
        found.update(known.get(name, ()))
    return frozenset(found)


def narrowest(*scopes: Scope) -> Scope:
    """What every one of the scopes allows (None allows everything)."""
    result: Scope = None
    for scope in scopes:
        if scope is None:
            continue
        result = scope if result is None else result & scope
    return result


def covers(outer: Scope, inner: Scope) -> bool:
    """True when ``outer`` allows at least all that ``inner`` does."""
    if outer is None:
        return True
    return inner is not None and inner <= outer


def manages(actor: Scope, managed: Scope) -> bool:
    """True when an administrator of scope ``actor`` may manage an account, a token or a row
    of scope ``managed``: within it, and one of no commune at all (a group deleted, a scope
    left empty) only for an administrator of every commune."""
    if actor is None:
        return True
    return managed is not None and bool(managed) and managed <= actor


def allows(scope: Scope, commune: str | None) -> bool:
    """True when the scope lets its holder see this commune (an unknown commune only for
    a scope of every commune)."""
    return scope is None or (commune is not None and commune in scope)


def parse_codes(text: str | None) -> frozenset[str]:
    """INSEE codes from « 31555,31069 » (spaces allowed); a French InvalidInput otherwise."""
    codes = [c.strip().upper() for c in (text or "").split(",") if c.strip()]
    wrong = [c for c in codes if not COMMUNE_CODE.match(c)]
    if wrong:
        raise InvalidInput(
            f"Code INSEE invalide : « {wrong[0]} » (cinq caractères, par exemple 31555 ou 2A004)."
        )
    return frozenset(codes)


def describe(scope: Scope) -> str:
    """The scope as a person reads it."""
    if scope is None:
        return EVERY_COMMUNE
    if not scope:
        return "aucune commune"
    return ", ".join(sorted(scope))


def as_list(scope: Scope) -> list[str] | None:
    """The scope as stored and answered: sorted codes, or None for every commune."""
    return None if scope is None else sorted(scope)
