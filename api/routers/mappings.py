"""Saved mappings: the import assistant's choices by name, and their TOML file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import PlainTextResponse

from api.deps import Caller, require_role
from api.errors import BODY_ERRORS, problem_responses
from api.schemas.mappings import MappingIn, SavedMappingOut
from ingest.incidents.saved import (
    Saved,
    delete_saved,
    get_saved,
    list_saved,
    mapping_toml,
    save_mapping,
)

router = APIRouter(prefix="/mappings", tags=["imports"])

# A mapping holds headers and category labels, no individual fact: the roles that follow the
# imports read them; only the admin writes them (as only the admin imports).
Reader = Annotated[Caller, Depends(require_role("admin", "police", "analyst"))]
Admin = Annotated[Caller, Depends(require_role("admin"))]
Name = Annotated[str, PathParam(max_length=80, description="Nom de la correspondance")]


def _out(saved: Saved) -> SavedMappingOut:
    return SavedMappingOut(
        name=saved.name,
        document=saved.document,
        created_at=saved.created_at,
        updated_at=saved.updated_at,
        created_by=saved.created_by,
    )


@router.get("", summary="Les correspondances enregistrées, par nom")
def mappings(request: Request, _: Reader) -> list[SavedMappingOut]:
    with request.app.state.engine.connect() as conn:
        return [_out(s) for s in list_saved(conn)]


@router.get("/{name}", summary="Une correspondance enregistrée", responses=problem_responses(404))
def mapping(request: Request, _: Reader, name: Name) -> SavedMappingOut:
    with request.app.state.engine.connect() as conn:
        return _out(get_saved(conn, name))


@router.get(
    "/{name}/toml",
    summary="Une correspondance en fichier TOML (pour --mapping FICHIER)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **problem_responses(404)},
)
def mapping_file(request: Request, _: Reader, name: Name) -> PlainTextResponse:
    with request.app.state.engine.connect() as conn:
        saved = get_saved(conn, name)
    # The header holds ASCII only: other letters of the name become « _ ».
    ascii_name = "".join(
        c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in saved.name
    )
    headers = {"Content-Disposition": f'attachment; filename="{ascii_name}.toml"'}
    return PlainTextResponse(
        mapping_toml(saved.name, saved.document),
        media_type="text/plain; charset=utf-8",
        headers=headers,
    )


@router.put(
    "/{name}",
    summary="Enregistre (ou remplace) une correspondance (administrateur)",
    responses={
        201: {"description": "Correspondance créée", "model": SavedMappingOut},
        **BODY_ERRORS,
    },
)
def put_mapping(
    request: Request, response: Response, caller: Admin, name: Name, body: MappingIn
) -> SavedMappingOut:
    """201 when the name is new, 200 when it replaces a mapping; 422 for a document that a
    mapping file could not hold (the French reason in ``detail``)."""
    with request.app.state.engine.begin() as conn:
        saved, created = save_mapping(conn, name, body.document, f"api:{caller.name}")
    response.status_code = 201 if created else 200
    return _out(saved)


@router.delete(
    "/{name}",
    status_code=204,
    summary="Supprime une correspondance enregistrée (administrateur)",
    responses=problem_responses(404),
)
def remove_mapping(request: Request, _: Admin, name: Name) -> Response:
    with request.app.state.engine.begin() as conn:
        delete_saved(conn, name)
    return Response(status_code=204)
