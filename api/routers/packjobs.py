"""The CLSPD pack prepared in the background, for the page's « Dossier CLSPD » button.

POST /reports/pack/jobs takes the parameters of GET /reports/pack (same checks, same roles,
same level rules) and answers at once (202) with a job; GET …/jobs/{id} says where it stands
(its place in the fair queue of costly work while it waits); GET …/jobs/{id}/file gives the
bytes once ready; DELETE …/jobs/{id} forgets it. Jobs are the token's own (api/jobs.py): any
other token gets the 404 of an unknown id.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi import Path as PathParam

from api.deps import Caller, SettingsDep
from api.errors import problem_responses
from api.heavy import HeavyQueue, ordinal
from api.jobs import Job, JobBoard
from api.routers.reports import PackAsk, PackReader, build_pack
from api.schemas.packjobs import PackJobOut
from observatory.reports import MEDIA_TYPES

router = APIRouter(prefix="/reports/pack/jobs", tags=["pack CLSPD"])

JobId = Annotated[str, PathParam(max_length=64, description="Identifiant de la préparation")]

UNKNOWN = "Préparation inconnue ou expirée : relancez le dossier."


def board(request: Request) -> JobBoard:
    """The process's job board (api/main.py)."""
    jobs: JobBoard = request.app.state.jobs
    return jobs


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
    job = jobs.get(job_id, caller.owner)
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
    request: Request, caller: PackReader, settings: SettingsDep, asked: PackAsk
) -> PackJobOut:
    wanted, kind = asked.wanted, asked.kind
    heavy: HeavyQueue = request.app.state.heavy
    jobs = board(request)
    work = partial(build_pack, request.app.state, wanted, settings, kind, asked.scope)
    job = jobs.start(heavy, caller.owner, work, wanted.filename(), MEDIA_TYPES[wanted.format])
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
