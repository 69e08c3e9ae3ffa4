"""Import tracking (batches, rejected rows) and upload."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.formparsers import MultiPartException

from api.deps import BIGINT_MAX, Caller, SettingsDep, require_role
from api.errors import BODY_ERRORS, problem_responses
from api.schemas.imports import Batch, BatchPage, RejectPage
from api.schemas.mappings import Assistant, RemapIn
from observatory.errors import InvalidInput, NotAllowed
from observatory.imports import (
    count_batches,
    get_batch,
    list_batches,
    list_rejects,
    reap_interrupted,
)
from observatory.privacy.policy import batch_for_role
from observatory.settings import Settings

router = APIRouter(prefix="/imports", tags=["imports"])

Reader = Annotated[Caller, Depends(require_role("admin", "police", "analyst"))]
# Rejected rows carry raw values of individual facts (addresses): need-to-know only.
RejectReader = Annotated[Caller, Depends(require_role("admin", "police"))]
Admin = Annotated[Caller, Depends(require_role("admin"))]

Limit = Annotated[int, Query(ge=1, le=500, description="Taille de la page")]
Offset = Annotated[int, Query(ge=0, le=BIGINT_MAX, description="Décalage")]
BatchId = Annotated[int, PathParam(ge=1, le=BIGINT_MAX, description="Numéro du lot")]


@router.get("", summary="Les lots d'import, du plus récent au plus ancien")
def batches(request: Request, caller: Reader, limit: Limit = 50, offset: Offset = 0) -> BatchPage:
    engine = request.app.state.engine
    reap_interrupted(engine)
    with engine.connect() as conn:
        items = [
            batch_for_role(b.as_dict(), caller.role)
            for b in list_batches(conn, limit=limit, offset=offset, scope=caller.communes)
        ]
        total = count_batches(conn, caller.communes)
    page = {"items": items, "total": total, "limit": limit, "offset": offset}
    return BatchPage.model_validate(page)


@router.get(
    "/{batch_id}",
    summary="Un lot : ses comptes (mêmes clés que import --json)",
    response_model=Batch,
    responses=problem_responses(404),
)
def batch(request: Request, caller: Reader, batch_id: BatchId) -> dict[str, Any]:
    engine = request.app.state.engine
    reap_interrupted(engine)  # a batch whose importer died is not shown running
    with engine.connect() as conn:
        batch = get_batch(conn, batch_id, caller.communes)
        return batch_for_role(batch.as_dict(), caller.role)


@router.get(
    "/{batch_id}/rejects",
    summary="Les lignes rejetées d'un lot, avec leur raison",
    responses=problem_responses(404),
)
def rejects(
    request: Request,
    caller: RejectReader,
    batch_id: BatchId,
    limit: Limit = 100,
    offset: Offset = 0,
) -> RejectPage:
    with request.app.state.engine.connect() as conn:
        total, items = list_rejects(
            conn, batch_id, limit=limit, offset=offset, scope=caller.communes
        )
    page = {"items": items, "total": total, "limit": limit, "offset": offset}
    return RejectPage.model_validate(page)


@router.post(
    "/{batch_id}/regeocode",
    status_code=201,
    summary="Regéocode les adresses rejetées d'un lot, en un nouveau lot (administrateur)",
    response_model=Batch,
    responses=problem_responses(404, 409, 422),
)
def regeocode(
    request: Request, settings: SettingsDep, caller: Admin, batch_id: BatchId
) -> dict[str, Any]:
    """The « non géolocalisé » and « adresse introuvable » rejects of a batch, imported again
    now that the geocoder holds a reference (ingest/incidents/regeocode.py)."""
    from ingest.incidents.regeocode import REGEOCODE
    from ingest.incidents.rerun import rerun_batch

    engine = request.app.state.engine
    summary = rerun_batch(
        engine,
        batch_id,
        REGEOCODE,
        settings=settings,
        run_by=f"api:{caller.name}",
        scope=caller.communes,
    )
    return summary.as_dict()


@router.get(
    "/{batch_id}/assistant",
    summary="Ce que le lot n'a pas reconnu : colonnes d'un fichier refusé, libellés inconnus",
    responses=problem_responses(404),
)
def assistant(request: Request, caller: RejectReader, batch_id: BatchId) -> Assistant:
    """The mapping assistant's starting point (ingest/incidents/remap.py); the labels and the
    header are values of the file: admin and police only, as the rejects, and of the batches
    the caller's scope lets it see."""
    from ingest.incidents.remap import assistant_view

    with request.app.state.engine.connect() as conn:
        get_batch(conn, batch_id, caller.communes)  # 404 outside the caller's scope
        return Assistant.model_validate(assistant_view(conn, batch_id))


@router.post(
    "/{batch_id}/remap",
    status_code=201,
    summary="Relance les rejets « catégorie inconnue » d'un lot avec une correspondance "
    "enregistrée, en un nouveau lot (administrateur)",
    response_model=Batch,
    responses={**BODY_ERRORS, **problem_responses(404, 409)},
)
def remap(
    request: Request, settings: SettingsDep, caller: Admin, batch_id: BatchId, body: RemapIn
) -> dict[str, Any]:
    """The new batch names the first (details.rerun_of); the first keeps its counts and marks
    the rejects re-run (ingest/incidents/rerun.py says how the accounting stays exact)."""
    from ingest.incidents.remap import REMAP
    from ingest.incidents.rerun import rerun_batch
    from ingest.incidents.saved import load_saved

    engine = request.app.state.engine
    with engine.connect() as conn:
        mapping = load_saved(conn, body.mapping, caller.communes)
    summary = rerun_batch(
        engine,
        batch_id,
        REMAP,
        settings=settings,
        mapping=mapping,
        mapping_name=body.mapping.strip(),
        run_by=f"api:{caller.name}",
        scope=caller.communes,
    )
    return summary.as_dict()


class UploadForm(BaseModel):
    """The fields of the upload form beside the file (multipart/form-data, as text)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["incidents", "qpv", "communes", "etat4001"] = "incidents"
    profile: str | None = Field(default=None, max_length=100)
    # A saved mapping's name (api/routers/mappings.py), instead of a profile.
    mapping: str | None = Field(default=None, max_length=80)
    source: str | None = Field(default=None, max_length=100)
    crs: int | None = Field(default=None, ge=1024, le=999_999)
    # Forms send text: « 2024 » is the 2024 generation (an int Literal would refuse it).
    generation: Literal["2015", "2024"] | None = None


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **UploadForm.model_json_schema()["properties"],
                    },
                }
            }
        },
    }
}
# A name the server writes the upload under: what a person would give a file.
UPLOAD_NAME = re.compile(r"^[^\x00-\x1f/\\]{1,200}$")


def upload_name(given: str | None) -> str:
    """The upload's name, refused (422) when no file could bear it here."""
    name = (given or "").strip()
    if not UPLOAD_NAME.match(name) or name in (".", "..") or len(name.encode()) > 240:
        raise InvalidInput(
            "Nom de fichier refusé : 1 à 200 caractères, sans « / », « \\ » ni caractère de "
            "contrôle, et ni « . » ni « .. » ; renommez le fichier puis réessayez."
        )
    return name


@router.post(
    "",
    status_code=201,
    summary="Importe un fichier téléversé (administrateur)",
    response_model=Batch,
    # 409: an import of the same source is running; 413: the file is too large.
    responses={**BODY_ERRORS, **problem_responses(409, 413)},
    openapi_extra=UPLOAD_BODY,
)
async def upload(request: Request, settings: SettingsDep, caller: Admin) -> dict[str, Any]:
    """The caller is checked before the body is read (api/security.py's BodyGuard counts it):
    the form is read here, not by FastAPI before the dependencies."""
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=1024)
    except MultiPartException as exc:
        raise InvalidInput(f"Formulaire illisible : {exc.message}") from exc
    try:
        file = form.get("file")
        if not isinstance(file, StarletteUpload):
            raise InvalidInput("Champ « file » manquant : joignez le fichier à importer.")
        fields = {k: v for k, v in form.multi_items() if k != "file" and isinstance(v, str)}
        try:
            options = UploadForm.model_validate({k: v for k, v in fields.items() if v != ""})
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from exc
        name = upload_name(file.filename)
        return await run_in_threadpool(_import, request, settings, caller, file, name, options)
    finally:
        await form.close()


def _import(
    request: Request,
    settings: Settings,
    caller: Caller,
    file: StarletteUpload,
    name: str,
    options: UploadForm,
) -> dict[str, Any]:
    from ingest.boundaries import import_communes, import_qpv
    from ingest.incidents import import_incidents

    with tempfile.TemporaryDirectory(prefix="observatory-upload-") as folder:
        target = Path(folder) / name
        with open(target, "wb") as out:
            file.file.seek(0)
            shutil.copyfileobj(file.file, out, length=1 << 20)
        engine = request.app.state.engine
        who = f"api:{caller.name}"
        if options.kind == "incidents":
            mapping, mapping_name = _upload_mapping(engine, options, caller.communes)
            summary = import_incidents(
                engine,
                target,
                settings=settings,
                mapping=mapping,
                source=options.source,
                run_by=who,
                mapping_name=mapping_name,
                scope=caller.communes,
            )
        elif caller.communes is not None:
            raise NotAllowed(
                "Les contours et l'état 4001 valent pour toutes les communes : seul un "
                "administrateur sans périmètre les importe."
            )
        elif options.kind == "qpv":
            generation = int(options.generation) if options.generation else None
            summary = import_qpv(engine, target, generation=generation, run_by=who)
        elif options.kind == "etat4001":
            from ingest.etat4001 import import_etat4001

            summary = import_etat4001(engine, target, run_by=who)
        else:
            summary = import_communes(engine, target, run_by=who)
    return summary.as_dict()


def _upload_mapping(
    engine: Any, options: UploadForm, scope: frozenset[str] | None
) -> tuple[Any, str | None]:
    """The mapping of an upload: a saved one by name (among those the caller's scope sees),
    else a profile (municipal by default)."""
    from ingest.incidents import resolve_mapping
    from ingest.incidents.saved import load_saved

    if options.mapping is None:
        return resolve_mapping(options.profile, None, options.crs), None
    if options.profile:
        raise InvalidInput("Choisissez un profil ou une correspondance enregistrée, pas les deux.")
    with engine.connect() as conn:
        mapping = load_saved(conn, options.mapping, scope)
    if options.crs is not None:
        mapping.crs = options.crs
    return mapping, options.mapping.strip()
