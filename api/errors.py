"""Every error leaves as application/problem+json (RFC 9457) with a French detail."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from observatory.errors import (
    Busy,
    Cancelled,
    DatabaseUnavailable,
    ImportBusy,
    InUse,
    InvalidInput,
    NotAllowed,
    NotFound,
    ObservatoryError,
    TooLarge,
)

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
# nginx's « client closed request »: what the access log shows for work abandoned by its client.
CLIENT_CLOSED = 499

TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Contenu trop volumineux",
    422: "Paramètre invalide",
    429: "Trop de requêtes",
    500: "Erreur interne",
    503: "Service indisponible",
}

# FastAPI's only 400: a request body it cannot decode (JSON not in UTF-8, a broken multipart).
BODY_UNREADABLE = (
    "Corps de la requête illisible : envoyez du JSON en UTF-8, ou un formulaire multipart "
    "pour un téléversement."
)

DB_DOWN = (
    "La base de données est indisponible pour le moment ; réessayez dans quelques instants. "
    "Si le problème persiste, prévenez l'administrateur."
)

SATURATED = (
    "Le service est saturé : trop de requêtes à la fois. Réessayez dans quelques secondes ; "
    "si cela se répète, prévenez l'administrateur."
)

# French wording of the usual pydantic validation errors.
VALIDATION_MESSAGES = {
    "missing": "est obligatoire",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "bool_parsing": "doit valoir true ou false",
    "date_from_datetime_parsing": "doit être une date AAAA-MM-JJ",
    "date_parsing": "doit être une date AAAA-MM-JJ",
    "datetime_parsing": "doit être une date et heure ISO 8601",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than": "doit être inférieur à {lt}",
    "string_too_long": "est trop long ({max_length} caractères au plus)",
    "string_too_short": "est trop court ({min_length} caractères au moins)",
    "literal_error": "doit valoir {expected}",
    "enum": "doit valoir {expected}",
    "string_pattern_mismatch": "n'a pas la forme attendue",
    "json_invalid": "n'est pas un JSON valide",
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM


# The body of every error, declared once in the OpenAPI components (install).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "Une erreur (RFC 9457) ; « detail » dit en français quoi faire.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "description": "Les paramètres refusés (422)",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "type", "message"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "type": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of these error statuses: problem+json bodies."""
    return {
        status: {
            "description": TITLES[status],
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


# What any /api/v1 operation may answer: no or unknown token, a role that may not, a bad
# parameter, too many unknown tokens from the address, the database down.
API_ERRORS = problem_responses(401, 403, 422, 429, 503)
# Beside them, for an operation that reads a body.
BODY_ERRORS = problem_responses(400)


def problem(
    status: int, detail: str, request: Request | None = None, **extra: Any
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, HTTPStatus(status).phrase),
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ProblemResponse(body, status_code=status, headers=headers)


def describe_validation_error(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path")]
    name = ".".join(location) or "requête"
    template = VALIDATION_MESSAGES.get(error.get("type", ""))
    if template is None:
        return f"Paramètre « {name} » invalide."
    # pydantic joins the values a literal allows with an English « or ».
    context = {
        key: value.replace(" or ", " ou ") if isinstance(value, str) else value
        for key, value in (error.get("ctx") or {}).items()
    }
    try:
        text = template.format(**context)
    except (KeyError, IndexError):
        text = template
    return f"Paramètre « {name} » : {text}."


async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "type": e.get("type"),
            "message": describe_validation_error(e),
        }
        for e in exc.errors()
    ]
    return problem(422, " ".join(e["message"] for e in errors), request, errors=errors)


async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
    detail = (
        exc.detail
        if isinstance(exc.detail, str) and exc.status_code in (401, 403, 409, 413, 422, 429, 503)
        else None
    )
    if exc.status_code == 404 and isinstance(exc.detail, str) and exc.detail != "Not Found":
        detail = exc.detail
    if exc.status_code == 400:
        detail = BODY_UNREADABLE
    response = problem(exc.status_code, detail or TITLES.get(exc.status_code, "Erreur"), request)
    for name, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[name] = value
    return response


async def _database(request: Request, exc: Exception) -> ProblemResponse:
    log.warning("Base de données injoignable pendant %s : %s", request.url.path, exc)
    return problem(503, DB_DOWN, request)


async def _saturated(request: Request, exc: PoolTimeout) -> ProblemResponse:
    """No database connection came free in time: the server is overloaded, not broken."""
    log.warning("Aucune connexion à la base libre à temps pendant %s : %s", request.url.path, exc)
    response = problem(503, SATURATED, request)
    response.headers["Retry-After"] = "5"
    return response


async def _dbapi(request: Request, exc: DBAPIError) -> ProblemResponse:
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return await _database(request, exc)
    return await _unexpected(request, exc)


async def _domain(request: Request, exc: ObservatoryError) -> Response:
    if isinstance(exc, NotFound):
        return problem(404, str(exc), request)
    if isinstance(exc, NotAllowed):
        return problem(403, str(exc), request)
    if isinstance(exc, ImportBusy | InUse):
        return problem(409, str(exc), request)
    if isinstance(exc, TooLarge):
        return problem(413, str(exc), request)
    if isinstance(exc, InvalidInput):
        return problem(422, str(exc), request)
    if isinstance(exc, DatabaseUnavailable):
        return await _database(request, exc)
    if isinstance(exc, Busy):
        response = problem(503, str(exc), request)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Cancelled):  # the client left (api/heavy.py): nobody reads an answer
        log.info("Calcul abandonné pendant %s : le client est parti", request.url.path)
        return Response(status_code=CLIENT_CLOSED)
    return problem(400, str(exc), request)


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("Erreur inattendue pendant %s", request.url.path, exc_info=exc)
    return problem(500, "Une erreur inattendue est survenue ; elle a été journalisée.", request)


def install(app: FastAPI) -> None:
    """Register the handlers once, on the app, and the problem+json schema in its OpenAPI."""
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _dbapi)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _saturated)  # type: ignore[arg-type]
    app.add_exception_handler(ObservatoryError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = default_openapi()  # built once: FastAPI keeps it on app.openapi_schema
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
