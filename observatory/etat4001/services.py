"""Services and the communes they cover: the mapping a town edits to see its own CSP or brigade.

A service is named as the état 4001 names it, within its perimeter and département (« CIAT
CENTRAL DE TOULOUSE », PN, 31). The mapping says which communes (INSEE codes) it covers; a
commune may be covered by several services (a police zone and a gendarmerie zone), a service
covers several communes. The figures stay the service's: a commune's series is the sum of its
services' figures, not a share of them.

Only services that have figures can be mapped (a misspelt name would silently map nothing);
the refusal lists the services of that département that come closest.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from observatory.errors import InvalidInput
from observatory.etat4001.values import PERIMETERS, department_code
from observatory.models import Etat4001, ServiceCommune

INSEE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


@dataclass(frozen=True)
class Mapping:
    """One service and the communes it is to cover."""

    perimeter: str | None
    department: str
    service: str
    communes: tuple[str, ...]


def list_services(
    conn: Connection,
    *,
    department: str | None = None,
    perimeter: str | None = None,
    commune: str | None = None,
    scope: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """The services with figures (or a mapping), their years and the communes they cover; for
    a reader with a scope, the services covering one of its communes, naming those only."""
    figures = (
        select(
            Etat4001.perimeter,
            Etat4001.department,
            Etat4001.service,
            func.max(Etat4001.direction).label("direction"),
            func.min(Etat4001.period).label("first_period"),
            func.max(Etat4001.period).label("last_period"),
            func.count().label("figures"),
        )
        .where(Etat4001.service != "")
        .group_by(Etat4001.perimeter, Etat4001.department, Etat4001.service)
    )
    if department:
        figures = figures.where(Etat4001.department == _department(department))
    if perimeter:
        figures = figures.where(Etat4001.perimeter == perimeter.upper())
    found = {
        (r.perimeter, r.department, r.service): dict(r._mapping) for r in conn.execute(figures)
    }
    for key, communes in _mapped(conn).items():
        if department and key[1] != _department(department):
            continue
        if perimeter and key[0] != perimeter.upper():
            continue
        item = found.setdefault(
            key,
            {
                "perimeter": key[0],
                "department": key[1],
                "service": key[2],
                "direction": None,
                "first_period": None,
                "last_period": None,
                "figures": 0,
            },
        )
        item["communes"] = communes
    services = sorted(found.values(), key=lambda s: (s["department"], s["perimeter"], s["service"]))
    for item in services:
        item.setdefault("communes", [])
    if commune:
        services = [s for s in services if commune in s["communes"]]
    if scope is not None:
        services = [
            {**s, "communes": [c for c in s["communes"] if c in scope]}
            for s in services
            if scope.intersection(s["communes"])
        ]
    return services


def _mapped(conn: Connection) -> dict[tuple[str, str, str], list[str]]:
    mapped: dict[tuple[str, str, str], list[str]] = {}
    columns = (
        ServiceCommune.perimeter,
        ServiceCommune.department,
        ServiceCommune.service,
        ServiceCommune.commune_code,
    )
    for perimeter, department, service, commune in conn.execute(
        select(*columns).order_by(*columns)
    ):
        mapped.setdefault((perimeter, department, service), []).append(commune)
    return mapped


def map_communes(conn: Connection, mapping: Mapping, *, replace: bool = False) -> dict[str, Any]:
    """Add (or, with replace, set) the communes a service covers; return the service's mapping."""
    perimeter, department = _known_service(conn, mapping)
    bad = [c for c in mapping.communes if not INSEE_CODE.match(c)]
    if bad:
        raise InvalidInput(
            f"Code(s) INSEE invalide(s) : {', '.join(bad)} (attendu 5 caractères, ex. 31555)."
        )
    where = (
        (ServiceCommune.perimeter == perimeter)
        & (ServiceCommune.department == department)
        & (ServiceCommune.service == mapping.service)
    )
    if replace:
        conn.execute(delete(ServiceCommune).where(where))
    if mapping.communes:
        conn.execute(
            insert(ServiceCommune)
            .values(
                [
                    {
                        "perimeter": perimeter,
                        "department": department,
                        "service": mapping.service,
                        "commune_code": code,
                    }
                    for code in dict.fromkeys(mapping.communes)
                ]
            )
            .on_conflict_do_nothing()
        )
    communes = conn.execute(
        select(ServiceCommune.commune_code).where(where).order_by(ServiceCommune.commune_code)
    ).scalars()
    return {
        "perimeter": perimeter,
        "department": department,
        "service": mapping.service,
        "communes": list(communes),
    }


def unmap_communes(conn: Connection, mapping: Mapping) -> int:
    """Remove the given communes of a service (all of them when none is given)."""
    department = _department(mapping.department)
    statement = delete(ServiceCommune).where(
        ServiceCommune.department == department, ServiceCommune.service == mapping.service
    )
    if mapping.perimeter:
        statement = statement.where(ServiceCommune.perimeter == mapping.perimeter.upper())
    if mapping.communes:
        statement = statement.where(ServiceCommune.commune_code.in_(mapping.communes))
    return int(conn.execute(statement).rowcount or 0)


def load_mappings(conn: Connection, mappings: list[Mapping], *, replace: bool = False) -> int:
    """Apply many mappings at once (one transaction: all or nothing); return the pairs set."""
    if replace:
        conn.execute(delete(ServiceCommune))
    total = 0
    for mapping in mappings:
        total += len(map_communes(conn, mapping)["communes"])
    return total


def _department(value: str) -> str:
    code = department_code(value)
    if code is None:
        raise InvalidInput(f"Département « {value} » inconnu (attendu 01…95, 2A, 2B, 971…988).")
    return code


def _known_service(conn: Connection, mapping: Mapping) -> tuple[str, str]:
    """The service's perimeter and département, checked against the stored figures."""
    department = _department(mapping.department)
    if mapping.perimeter and mapping.perimeter.upper() not in PERIMETERS:
        raise InvalidInput(f"Périmètre « {mapping.perimeter} » inconnu : PN ou GN.")
    known = conn.execute(
        select(Etat4001.perimeter, Etat4001.service)
        .where(Etat4001.department == department, Etat4001.service != "")
        .distinct()
    ).all()
    perimeters = sorted(
        {p for p, s in known if s == mapping.service}
        & ({mapping.perimeter.upper()} if mapping.perimeter else set(PERIMETERS))
    )
    if not perimeters:
        names = sorted({s for _, s in known})
        close = difflib.get_close_matches(mapping.service, names, n=5, cutoff=0.4)
        hint = (
            f" Services proches : {', '.join(close)}."
            if close
            else (f" Services connus : {', '.join(names[:10])}." if names else "")
        )
        raise InvalidInput(
            f"Service « {mapping.service} » inconnu dans le département {department}"
            f"{' (' + mapping.perimeter.upper() + ')' if mapping.perimeter else ''} : "
            f"importez d'abord ses chiffres, ou vérifiez l'orthographe.{hint}"
        )
    if len(perimeters) > 1:
        raise InvalidInput(
            f"« {mapping.service} » existe en police (PN) et en gendarmerie (GN) dans le "
            f"département {department} : précisez le périmètre."
        )
    return perimeters[0], department
