"""Saved mappings: the import assistant's choices by name, and their TOML file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import PlainTextResponse

from api.deps import Caller, client_of, require_role
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
from observatory.audit import record
from observatory.scopes import as_list

router = APIRouter(prefix="/mappings", tags=["imports"])

# A mapping holds headers and category labels, no individual fact: the roles that follow the
# imports read them; only the admin writes them (as only the admin imports). Each belongs to
# the scope of who saved it (ingest/incidents/saved.py): a caller with a scope reads those
# within it and those of every commune, and changes only those its scope covers.
Reader = Annotated[Caller, Depends(require_role("admin", "police", "analyst"))]
Admin = Annotated[Caller, Depends(require_role("admin"))]
Name = Annotated[str, PathParam(max_length=80, description="Nom de la correspondance")]


def _out(saved: Saved, caller: Caller) -> SavedMappingOut:
    # Who saved a mapping of every commune is not told to a caller with a scope.
    writable = saved.writable(caller.communes)
    return SavedMappingOut(
        name=saved.name,
        document=saved.document,
        created_at=saved.created_at,
        updated_at=saved.updated_at,
        created_by=saved.created_by if writable else None,
        communes=as_list(saved.communes),
    )


@router.get("", summary="Les correspondances enregistrées, par nom")
def mappings(request: Request, caller: Reader) -> list[SavedMappingOut]:
    with request.app.state.engine.connect() as conn:
        return [_out(s, caller) for s in list_saved(conn, caller.communes)]


@router.get("/{name}", summary="Une correspondance enregistrée", responses=problem_responses(404))
def mapping(request: Request, caller: Reader, name: Name) -> SavedMappingOut:
    with request.app.state.engine.connect() as conn:
        return _out(get_saved(conn, name, caller.communes), caller)


@router.get(
    "/{name}/toml",
    summary="Une correspondance en fichier TOML (pour --mapping FICHIER)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **problem_responses(404)},
)
def mapping_file(request: Request, caller: Reader, name: Name) -> PlainTextResponse:
    with request.app.state.engine.connect() as conn:
        saved = get_saved(conn, name, caller.communes)
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
        **problem_responses(403),
    },
)
def put_mapping(
    request: Request, response: Response, caller: Admin, name: Name, body: MappingIn
) -> SavedMappingOut:
    """201 when the name is new, 200 when it replaces a mapping; 422 for a document that a
    mapping file could not hold (the French reason in ``detail``); 403 when the name is a
    mapping the caller's scope does not cover, or the document's commune lies outside it."""
    with request.app.state.engine.begin() as conn:
        saved, created = save_mapping(
            conn, name, body.document, f"api:{caller.name}", caller.communes
        )
        record(
            conn,
            **caller.audit(),
            action="correspondance enregistrée",
            filters={"name": saved.name, "created": created},
            row_count=0,
            address=client_of(request),
        )
    response.status_code = 201 if created else 200
    return _out(saved, caller)


@router.delete(
    "/{name}",
    status_code=204,
    summary="Supprime une correspondance enregistrée (administrateur)",
    responses=problem_responses(403, 404),
)
def remove_mapping(request: Request, caller: Admin, name: Name) -> Response:
    """404 for a mapping the caller's scope does not see, 403 for one of every commune that
    only an administrator of every commune deletes."""
    with request.app.state.engine.begin() as conn:
        saved = delete_saved(conn, name, caller.communes)
        record(
            conn,
            **caller.audit(),
            action="correspondance supprimée",
            filters={"name": saved.name},
            row_count=0,
            address=client_of(request),
        )
    return Response(status_code=204)
