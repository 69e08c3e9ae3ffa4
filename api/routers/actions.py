"""Actions of the STSPD (« fiches action »): record, list, and evaluate before/after.

Roles: admin, analyst and police record and edit actions (every edit audited); admin,
analyst and police list them (the map's
« Actions » layer) and read their evaluations — aggregates over places they already see. A
partner gets 403: an evaluation's counts in a small treated area are often under the secrecy
threshold, and hiding them would leave nothing to read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, text

from api.datadeps import SnapshotDep
from api.deps import Caller, SessionDep, SettingsDep, require_role
from api.errors import BODY_ERRORS, problem_responses
from api.responses import GeoJSONResponse
from api.schemas.actions import ActionEvaluation, ActionFeature, ActionsLayer
from api.scoping import check_commune, check_qpv
from observatory import audit, geojson
from observatory.actions import (
    KINDS,
    check_new_action,
    create_action,
    evaluate_action,
    get_action,
    list_actions,
    make_place,
    update_action,
)
from observatory.actions.evaluate import (
    BUFFER_RANGE,
    DEFAULT_BUFFER_M,
    DEFAULT_MONTHS,
    AreaLimits,
    parse_control,
)
from observatory.actions.records import ActionRecord, NewAction, category_labels
from observatory.analytics.beforeafter import MAX_MONTHS
from observatory.analytics.filters import parse_commune
from observatory.errors import NotAllowed
from observatory.privacy.policy import ANALYST_MIN_AREA_M2
from observatory.scopes import allows, describe

router = APIRouter(prefix="/actions", tags=["actions du CLSPD"])

ActionWriter = Annotated[Caller, Depends(require_role("admin", "analyst", "police"))]
ActionReader = Annotated[Caller, Depends(require_role("admin", "analyst", "police"))]
ActionId = Annotated[int, Path(ge=1, description="Numéro de l'action")]


class PlaceIn(BaseModel):
    """Où : un point et un rayon, une ligne et un tampon, ou un polygone (GeoJSON, WGS84)."""

    kind: str = Field(description="point, line ou polygon")
    lon: float | None = Field(default=None, description="Point : longitude (WGS84)")
    lat: float | None = Field(default=None, description="Point : latitude (WGS84)")
    coordinates: list[float] | None = Field(default=None, description="Point : [lon, lat]")
    radius: float | None = Field(default=None, description="Point : rayon en mètres")
    geometry: dict[str, Any] | None = Field(
        default=None, description="Ligne ou polygone : géométrie, Feature ou FeatureCollection"
    )
    buffer: float | None = Field(default=None, description="Ligne : tampon en mètres")


class ActionIn(BaseModel):
    """Une fiche action du STSPD à évaluer."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500, description="Intitulé de l'action")
    reference: str | None = Field(default=None, description="Référence de la fiche action")
    kind: str = Field(description=f"Nature : {', '.join(KINDS)}")
    start: date = Field(description="Début (AAAA-MM-JJ)")
    end: date | None = Field(default=None, description="Fin (AAAA-MM-JJ) ; vide : en cours")
    place: PlaceIn
    categories: list[str] = Field(
        default_factory=list, description="Codes de catégories ou de familles visées"
    )
    note: str | None = Field(default=None, max_length=5000)
    control: dict[str, Any] | None = Field(
        default=None, description="Zone témoin choisie (polygone GeoJSON) ; vide : la commune"
    )


def _feature(action: ActionRecord, labels: dict[str, str]) -> str:
    return geojson.feature(action.properties(labels), action.geometry)


@router.get(
    "",
    summary="Les actions du CLSPD (couche GeoJSON)",
    description=(
        "Chaque action : sa zone traitée (polygone) et ses propriétés (intitulé, fiche, "
        "nature, dates, catégories visées, commune). La plus récente d'abord."
    ),
    response_class=GeoJSONResponse,
    response_model=ActionsLayer,
)
def actions_layer(
    caller: ActionReader,
    session: SessionDep,
    commune: Annotated[str | None, Query(description="Code INSEE : ses actions seulement")] = None,
) -> Response:
    conn = session.connection()
    labels = category_labels(conn)
    code = parse_commune(commune)
    check_commune(caller.communes, code)
    actions = list_actions(conn, code, caller.communes)
    body = geojson.collection(
        (_feature(a, labels) for a in actions), metadata={"kinds": KINDS, "count": len(actions)}
    )
    return GeoJSONResponse(body)


@router.post(
    "",
    status_code=201,
    summary="Enregistrer une action",
    response_class=GeoJSONResponse,
    response_model=ActionFeature,
    responses=BODY_ERRORS,
)
def add_action(caller: ActionWriter, session: SessionDep, body: ActionIn) -> Response:
    conn = session.connection()
    action_id = create_action(conn, _checked(conn, body), created_by=caller.name)
    feature = _feature(_within_scope(conn, caller, action_id), category_labels(conn))
    return GeoJSONResponse(feature, status_code=201)


def _within_scope(conn: Connection, caller: Caller, action_id: int) -> ActionRecord:
    """The action just written; 403 (and nothing kept: the request's transaction is rolled
    back) when its place lies in a commune outside the caller's scope."""
    action = get_action(conn, action_id)
    if not allows(caller.communes, action.commune_code):
        where = action.commune_code or "hors de toute commune connue"
        raise NotAllowed(
            f"Le lieu de l'action est dans la commune {where}, qui n'est pas dans votre "
            f"périmètre ({describe(caller.communes)})."
        )
    return action


@router.put(
    "/{action_id}",
    summary="Modifier une action",
    description=(
        "Remplace tous les champs de l'action (mêmes règles qu'à l'enregistrement) ; la date "
        "et l'auteur de l'enregistrement sont gardés, la modification est inscrite au journal."
    ),
    response_class=GeoJSONResponse,
    response_model=ActionFeature,
    responses={**BODY_ERRORS, **problem_responses(404)},
)
def edit_action(
    caller: ActionWriter, session: SessionDep, action_id: ActionId, body: ActionIn
) -> Response:
    conn = session.connection()
    get_action(conn, action_id, caller.communes)  # 404 outside the caller's scope
    update_action(conn, action_id, _checked(conn, body))
    _within_scope(conn, caller, action_id)
    audit.record(
        conn,
        **caller.audit(),
        action="modification d'action",
        filters={"action": action_id, "title": body.title, "kind": body.kind},
        row_count=1,
    )
    feature = _feature(get_action(conn, action_id), category_labels(conn))
    return GeoJSONResponse(feature)


def _checked(conn: Connection, body: ActionIn) -> NewAction:
    place = make_place(body.place.model_dump(exclude_none=True))
    return check_new_action(
        conn,
        title=body.title,
        kind=body.kind,
        start=body.start,
        end=body.end,
        place=place,
        reference=body.reference,
        categories=body.categories,
        note=body.note,
        control=body.control,
    )


@router.get(
    "/{action_id}",
    summary="Une action",
    response_class=GeoJSONResponse,
    response_model=ActionFeature,
    responses=problem_responses(404),
)
def one_action(caller: ActionReader, session: SessionDep, action_id: ActionId) -> Response:
    conn = session.connection()
    feature = _feature(get_action(conn, action_id, caller.communes), category_labels(conn))
    return GeoJSONResponse(feature)


@router.get(
    "/{action_id}/evaluation",
    summary="Évaluation avant/après d'une action, avec zone témoin et anneau",
    description=(
        "Faits des catégories visées dans la zone traitée, dans un anneau autour (déplacement "
        "ou diffusion) et dans une zone témoin (par défaut le reste de la commune), sur deux "
        "périodes égales avant et après — mêmes mois de l'année quand les données le "
        "permettent. Rapport des cotes (RES) de Farrington et Welsh avec son intervalle à "
        "95 % et son p ; quotient de déplacement pondéré (WDQ) de Bowers et Johnson ; "
        "avertissements (petits effectifs, régression vers la moyenne) et lecture en français."
    ),
    response_model=ActionEvaluation,
    responses=problem_responses(404),
)
def evaluation(
    caller: ActionReader,
    session: SessionDep,
    snapshot: SnapshotDep,
    settings: SettingsDep,
    action_id: ActionId,
    months: Annotated[
        int, Query(ge=1, le=MAX_MONTHS, description="Durée de chaque période, en mois")
    ] = DEFAULT_MONTHS,
    buffer: Annotated[
        float,
        Query(
            ge=BUFFER_RANGE[0],
            le=BUFFER_RANGE[1],
            description="Largeur de l'anneau autour de la zone, en mètres",
        ),
    ] = DEFAULT_BUFFER_M,
    control: Annotated[
        str | None,
        Query(description="Zone témoin : code INSEE ou code de QPV ; vide : la commune"),
    ] = None,
    after: Annotated[
        str | None,
        Query(description="start (après le début) ou end (après la fin) ; défaut selon l'action"),
    ] = None,
) -> dict[str, Any]:
    conn = session.connection()
    get_action(conn, action_id, caller.communes)  # 404 outside the caller's scope
    _check_control(conn, caller, control)
    limits = None
    if caller.role == "analyst":
        # An analyst reads counts in the action's zones: no sensitive category, no zone smaller
        # than a resolution-10 cell, and each evaluation on record (observatory/privacy/).
        known = frozenset(conn.execute(text("SELECT code FROM category")).scalars())
        limits = AreaLimits(frozenset(settings.sensitive_categories), known, ANALYST_MIN_AREA_M2)
    result = evaluate_action(conn, snapshot, action_id, months, buffer, control, after, limits)
    if limits is not None:
        audit.record(
            conn,
            **caller.audit(),
            action="évaluation d'action",
            filters={"action": action_id, "months": months, "buffer": buffer},
            row_count=0,
        )
        session.commit()
    return result.as_dict()


def _check_control(conn: Connection, caller: Caller, control: str | None) -> None:
    """A control zone named by the caller lies within its scope (403 otherwise)."""
    asked = parse_control(control)
    if asked is None:
        return
    kind, code = asked
    if kind == "commune":
        check_commune(caller.communes, code)
    else:
        check_qpv(conn, caller.communes, code)
