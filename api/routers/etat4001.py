"""The état 4001: its nomenclature, the dashboard figures and series, the services' communes.

A reader with a scope (observatory/scopes.py) sees the services that cover one of its communes
(table service_commune), each naming only those communes, and their figures; the département
and national totals stay visible to everyone: the SSMSI publishes them, they are public
statistics and say nothing of one commune. Naming a commune outside the scope is a 403.

Roles: the nomenclature to any token; figures and series to admin, police and analyst; the
services to partners too. A service's figures are not for partners (observatory/privacy/policy.py,
check_etat4001): the monthly extracts a local service sends are not open data, one figure of 1
to 4 facts in a month (a homicide, a rape) can point at people, and hiding it as « < 5 » does
not survive the difference of two series ending a month apart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from api.datadeps import DisclosureDep
from api.deps import BIGINT_MAX, Caller, CallerDep, require_role
from api.errors import BODY_ERRORS
from api.schemas.etat4001 import FigureRow, Nomenclature, ServiceMapping, ServiceOut, YearlySeries
from api.scoping import check_commune
from observatory.errors import InvalidInput, NotAllowed
from observatory.etat4001.nomenclature import describe
from observatory.etat4001.queries import Filters, make_filters, rows, series
from observatory.etat4001.services import Mapping, list_services, map_communes

router = APIRouter(tags=["état 4001"])

StatsReader = Annotated[Caller, Depends(require_role("admin", "police", "analyst", "partner"))]
Admin = Annotated[Caller, Depends(require_role("admin"))]

Department = Annotated[
    str | None, Query(description="Code(s) de département, séparés par des virgules : 31,2A")
]
Service = Annotated[
    list[str] | None, Query(description="Nom d'un service tel que l'état 4001 l'écrit (répétable)")
]
Perimeter = Annotated[Literal["PN", "GN"] | None, Query(description="PN police, GN gendarmerie")]
IndexParam = Annotated[str | None, Query(description="Index : 27,28,34-38")]
Family = Annotated[str | None, Query(description="Famille(s) : atteintes_biens, …")]
Indicator = Annotated[str | None, Query(description="Indicateur(s) SSMSI : vols_vehicules, …")]
From = Annotated[str | None, Query(alias="from", description="Première période : AAAA ou AAAA-MM")]
To = Annotated[str | None, Query(description="Dernière période, incluse : AAAA ou AAAA-MM")]
Commune = Annotated[str | None, Query(description="Code INSEE : les services qui la couvrent")]


def _filters(
    caller: CallerDep,
    department: Department = None,
    service: Service = None,
    perimeter: Perimeter = None,
    index: IndexParam = None,
    family: Family = None,
    indicator: Indicator = None,
    start: From = None,
    to: To = None,
    commune: Commune = None,
) -> Filters:
    check_commune(caller.communes, commune)
    filters = make_filters(
        department=department,
        service=service,
        perimeter=perimeter,
        index=index,
        family=family,
        indicator=indicator,
        start=start,
        end=to,
        commune=commune,
    )
    return replace(filters, scope=caller.communes)


FiltersDep = Annotated[Filters, Depends(_filters)]


@router.get(
    "/nomenclature/etat4001",
    summary="Les 107 index, leurs unités et leurs familles",
    response_model=Nomenclature,
)
def nomenclature(_: CallerDep) -> dict[str, Any]:
    return describe()


@router.get(
    "/stats/etat4001",
    summary="Chiffres de l'état 4001, en lignes ordonnées",
    description=(
        "Lignes {period, perimeter, department, service, index, label, count, unit, family}. "
        "by=department donne le chiffre du département (service vide) : son total quand il a "
        "été importé comme tel, sinon la somme de ses services. Le nombre total de lignes est "
        "dans l'en-tête X-Total-Count."
    ),
    response_model=list[FigureRow],
)
def figures(
    request: Request,
    response: Response,
    _: StatsReader,
    disclosure: DisclosureDep,
    filters: FiltersDep,
    by: Literal["service", "department"] = "service",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> list[dict[str, Any]]:
    disclosure.check_etat4001()
    with request.app.state.engine.connect() as conn:
        _known_services(conn, filters)
        total, page = rows(conn, filters, by=by, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return page


@router.get(
    "/stats/etat4001/series",
    summary="Séries annuelles par famille, évolution et z de Poisson",
    description=(
        "Pour un service, un département ou une commune (ses services) : une série par famille "
        "(group=family), indicateur SSMSI (indicator), index (index) ou pour la sélection "
        "(selection, refusée si les index n'ont pas la même unité). Une famille qui mêle des "
        "unités de compte donne une série par unité. Chaque point : year, count, months, "
        "complete, previous, change, change_pct, z = 2(√C − √P)."
    ),
    response_model=YearlySeries,
)
def yearly(
    request: Request,
    _: StatsReader,
    disclosure: DisclosureDep,
    filters: FiltersDep,
    group: Literal["family", "indicator", "index", "selection"] = "family",
) -> dict[str, Any]:
    disclosure.check_etat4001()
    with request.app.state.engine.connect() as conn:
        _known_services(conn, filters)
        return series(conn, filters, group=group)


def _known_services(conn: Connection, filters: Filters) -> None:
    """An unknown service name is refused, with the names there are (a typo, most often)."""
    if not filters.services:
        return
    known = {s["service"] for s in list_services(conn, scope=filters.scope)}
    unknown = [name for name in filters.services if name not in known]
    if unknown:
        shown = ", ".join(sorted(known)[:8]) + (" …" if len(known) > 8 else "")
        raise InvalidInput(
            f"Paramètre « service » : « {unknown[0]} » inconnu ; services connus : "
            f"{shown or 'aucun (importez un état 4001)'}. Voir GET /api/v1/etat4001/services."
        )


@router.get(
    "/etat4001/services",
    summary="Les services et les communes qu'ils couvrent",
    response_model=list[ServiceOut],
)
def services(
    request: Request,
    caller: StatsReader,
    department: Annotated[str | None, Query(description="Département")] = None,
    perimeter: Perimeter = None,
    commune: Commune = None,
) -> list[dict[str, Any]]:
    # The same checks as the figures' filters (département code, INSEE code).
    make_filters(department=department, commune=commune)
    check_commune(caller.communes, commune)
    with request.app.state.engine.connect() as conn:
        return list_services(
            conn,
            department=department,
            perimeter=perimeter,
            commune=commune,
            scope=caller.communes,
        )


class ServiceCommunes(BaseModel):
    perimeter: Literal["PN", "GN"] | None = None
    department: str = Field(description="Code du département, ex. 31")
    service: str = Field(description="Nom du service tel que l'état 4001 l'écrit")
    communes: list[str] = Field(description="Codes INSEE des communes couvertes (la liste entière)")


@router.put(
    "/etat4001/services",
    summary="Fixe les communes couvertes par un service (administrateur)",
    response_model=ServiceMapping,
    responses=BODY_ERRORS,
)
def set_service_communes(request: Request, caller: Admin, body: ServiceCommunes) -> dict[str, Any]:
    """A service's list of communes is shared by every town it covers: only an administrator
    of every commune sets it (one with a scope would drop or add a neighbour's)."""
    if caller.communes is not None:
        raise NotAllowed(
            "Le rattachement d'un service vaut pour toutes les communes qu'il couvre : seul un "
            "administrateur sans périmètre le modifie."
        )
    mapping = Mapping(body.perimeter, body.department, body.service, tuple(body.communes))
    with request.app.state.engine.begin() as conn:
        return map_communes(conn, mapping, replace=True)
