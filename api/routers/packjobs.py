"""The CLSPD pack prepared in the background, for the page's « Dossier CLSPD » button.

POST /reports/pack/jobs takes the parameters of GET /reports/pack (same checks, same roles,
same level rules) and answers at once (202) with a job; GET …/jobs/{id} says where it stands
(its place in the fair queue of costly work while it waits); GET …/jobs/{id}/file gives the
bytes once ready; DELETE …/jobs/{id} forgets it. Jobs are the token's own (api/jobs.py): any
other token gets the 404 of an unknown id.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi import Path as PathParam

from api.deps import Caller, SettingsDep, require_role
from api.errors import problem_responses
from api.heavy import HeavyQueue, ordinal
from api.jobs import Job, JobBoard
from api.schemas.packjobs import PackJobOut
from observatory.errors import InvalidInput
from observatory.privacy.policy import KIND_OF_ROLE, Kind
from observatory.reports import MEDIA_TYPES, PackRequest, make_request, pack_figures, render_pack
from observatory.settings import Settings

router = APIRouter(prefix="/reports/pack/jobs", tags=["pack CLSPD"])

PackReader = Annotated[Caller, Depends(require_role("admin", "analyst", "police", "partner"))]
JobId = Annotated[str, PathParam(max_length=64, description="Identifiant de la préparation")]

UNKNOWN = "Préparation inconnue ou expirée : relancez le dossier."


def board(request: Request) -> JobBoard:
    """The process's job board (api/main.py)."""
    jobs: JobBoard = request.app.state.jobs
    return jobs


def build_pack(state: Any, wanted: PackRequest, settings: Settings, kind: Kind) -> bytes:
    """The pack's bytes (in the thread pool, in the queue's turn)."""
    snapshot = state.store.snapshot()
    return render_pack(pack_figures(state.engine, snapshot, wanted, settings, kind=kind))


def _out(jobs: JobBoard, job: Job) -> PackJobOut:
    place = job.place()
    if job.state == "en_attente":
        label = (
            f"En attente : {ordinal(place)} dans la file des analyses lourdes."
            if place
            else "En attente de son tour."
        )
    elif job.state == "en_cours":
        label = "En cours de préparation…"
    elif job.state == "pret":
        label = "Prêt : le fichier peut être téléchargé."
    else:
        label = f"Échec : {job.message}"
    left = jobs.expires_in(job)
    return PackJobOut(
        id=job.id,
        state=job.state,
        label=label,
        place=place,
        message=job.message if job.state == "echec" else None,
        filename=job.filename,
        format="html" if job.filename.endswith(".html") else "pdf",
        file=f"/api/v1/reports/pack/jobs/{job.id}/file" if job.state == "pret" else None,
        expires_in=None if left is None else int(left),
    )


def _owned(request: Request, caller: Caller, job_id: str) -> tuple[JobBoard, Job]:
    jobs = board(request)
    job = jobs.get(job_id, caller.token_id)
    if job is None:
        raise HTTPException(404, UNKNOWN)
    return jobs, job


@router.post(
    "",
    status_code=202,
    summary="Lancer la préparation d'un pack CLSPD (suivie ensuite par son identifiant)",
    description=(
        "Mêmes paramètres et mêmes droits que GET /reports/pack ; la réponse vient tout de "
        "suite : la préparation attend son tour dans la file des analyses lourdes. Au plus "
        "trois préparations gardées par jeton, chacune un quart d'heure après sa fin ; au-delà, "
        "503 avec Retry-After."
    ),
)
async def start_job(
    request: Request,
    caller: PackReader,
    settings: SettingsDep,
    commune: Annotated[str, Query(description="Code INSEE de la commune, ex. 31555")],
    start: Annotated[str, Query(alias="from", description="Premier mois, AAAA-MM")],
    to: Annotated[str, Query(description="Dernier mois, inclus, AAAA-MM")],
    format: Annotated[str, Query(description="html ou pdf")] = "pdf",
    level: Annotated[
        str | None,
        Query(
            description="full (complet) ou partner (secret statistique) ; défaut : selon le rôle"
        ),
    ] = None,
    generation: Annotated[int, Query(description="Géographie prioritaire : 2015 ou 2024")] = 2024,
) -> PackJobOut:
    if level not in (None, "full", "partner"):
        raise InvalidInput(f"« level » vaut full ou partner (reçu « {level} »).")
    if caller.role == "partner" and level == "full":
        raise HTTPException(
            403, "Un partenaire reçoit la version partenaires du pack (level=partner)."
        )
    partner = caller.role == "partner" or level == "partner"
    wanted = make_request(commune, start, to, format=format, partner=partner, generation=generation)
    kind = KIND_OF_ROLE.get(caller.role, "partner")
    heavy: HeavyQueue = request.app.state.heavy
    jobs = board(request)
    work = partial(build_pack, request.app.state, wanted, settings, kind)
    job = jobs.start(heavy, caller.token_id, work, wanted.filename(), MEDIA_TYPES[wanted.format])
    return _out(jobs, job)


@router.get(
    "/{job_id}",
    summary="Où en est une préparation de pack CLSPD",
    responses=problem_responses(404),
)
async def job_state(request: Request, caller: PackReader, job_id: JobId) -> PackJobOut:
    jobs, job = _owned(request, caller, job_id)
    return _out(jobs, job)


@router.get(
    "/{job_id}/file",
    summary="Le fichier d'une préparation de pack CLSPD terminée",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "text/html": {}}},
        **problem_responses(404, 409),
    },
)
async def job_file(request: Request, caller: PackReader, job_id: JobId) -> Response:
    _, job = _owned(request, caller, job_id)
    if job.state != "pret" or job.data is None:
        raise HTTPException(
            409,
            "Le fichier n'est pas prêt : "
            + (job.message or "la préparation n'est pas terminée, réessayez dans un instant."),
        )
    return Response(
        job.data,
        media_type=job.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{job.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/{job_id}",
    status_code=204,
    summary="Oublier une préparation de pack CLSPD",
    responses=problem_responses(404),
)
async def forget_job(request: Request, caller: PackReader, job_id: JobId) -> Response:
    jobs, job = _owned(request, caller, job_id)
    jobs.remove(job)
    return Response(status_code=204)
