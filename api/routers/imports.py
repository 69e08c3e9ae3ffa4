"""Import tracking (batches, rejected rows) and upload."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel

from api.deps import BIGINT_MAX, Caller, SettingsDep, require_role
from api.errors import BODY_ERRORS, problem_responses
from observatory.imports import (
    count_batches,
    get_batch,
    list_batches,
    list_rejects,
    reap_interrupted,
)
from observatory.privacy.policy import batch_for_role

router = APIRouter(prefix="/imports", tags=["imports"])

Reader = Annotated[Caller, Depends(require_role("admin", "police", "analyst"))]
# Rejected rows carry raw values of individual facts (addresses): need-to-know only.
RejectReader = Annotated[Caller, Depends(require_role("admin", "police"))]
Admin = Annotated[Caller, Depends(require_role("admin"))]

Limit = Annotated[int, Query(ge=1, le=500, description="Taille de la page")]
Offset = Annotated[int, Query(ge=0, le=BIGINT_MAX, description="Décalage")]
BatchId = Annotated[int, PathParam(ge=1, le=BIGINT_MAX, description="Numéro du lot")]


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@router.get("", summary="Les lots d'import, du plus récent au plus ancien")
def batches(request: Request, caller: Reader, limit: Limit = 50, offset: Offset = 0) -> Page:
    engine = request.app.state.engine
    reap_interrupted(engine)
    with engine.connect() as conn:
        items = [
            batch_for_role(b.as_dict(), caller.role)
            for b in list_batches(conn, limit=limit, offset=offset)
        ]
        total = count_batches(conn)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/{batch_id}",
    summary="Un lot : ses comptes (mêmes clés que import --json)",
    responses=problem_responses(404),
)
def batch(request: Request, caller: Reader, batch_id: BatchId) -> dict[str, Any]:
    with request.app.state.engine.connect() as conn:
        return batch_for_role(get_batch(conn, batch_id).as_dict(), caller.role)


@router.get(
    "/{batch_id}/rejects",
    summary="Les lignes rejetées d'un lot, avec leur raison",
    responses=problem_responses(404),
)
def rejects(
    request: Request, _: RejectReader, batch_id: BatchId, limit: Limit = 100, offset: Offset = 0
) -> Page:
    with request.app.state.engine.connect() as conn:
        total, items = list_rejects(conn, batch_id, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "",
    status_code=201,
    summary="Importe un fichier téléversé (administrateur)",
    # 409: an import of the same source is running; 413: the file is too large.
    responses={**BODY_ERRORS, **problem_responses(409, 413)},
)
def upload(
    request: Request,
    settings: SettingsDep,
    caller: Admin,
    file: Annotated[UploadFile, File(description="Le fichier")],
    kind: Annotated[Literal["incidents", "qpv", "communes", "etat4001"], Form()] = "incidents",
    profile: Annotated[str | None, Form()] = None,
    source: Annotated[str | None, Form()] = None,
    crs: Annotated[int | None, Form()] = None,
    generation: Annotated[Literal[2015, 2024] | None, Form()] = None,
) -> dict[str, Any]:
    from ingest.boundaries import import_communes, import_qpv
    from ingest.incidents import import_incidents, resolve_mapping

    name = Path(file.filename or "televersement").name
    with tempfile.TemporaryDirectory(prefix="observatory-upload-") as folder:
        target = Path(folder) / name
        with open(target, "wb") as out:
            shutil.copyfileobj(file.file, out, length=1 << 20)
        if target.stat().st_size > settings.max_upload_mb * 1024 * 1024:
            raise HTTPException(
                413, f"Fichier trop volumineux : {settings.max_upload_mb} Mo au plus."
            )
        engine = request.app.state.engine
        who = f"api:{caller.name}"
        if kind == "incidents":
            summary = import_incidents(
                engine,
                target,
                settings=settings,
                mapping=resolve_mapping(profile, None, crs),
                source=source,
                run_by=who,
            )
        elif kind == "qpv":
            summary = import_qpv(engine, target, generation=generation, run_by=who)
        elif kind == "etat4001":
            from ingest.etat4001 import import_etat4001

            summary = import_etat4001(engine, target, run_by=who)
        else:
            summary = import_communes(engine, target, run_by=who)
    return summary.as_dict()
