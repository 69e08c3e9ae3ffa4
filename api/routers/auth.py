"""Signing in and out, the second factor, one's own password and tokens (a session cookie)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response
from sqlalchemy import select

from api.deps import CallerDep, SessionDep, SettingsDep, SignedInDep, client_of
from api.errors import BODY_ERRORS, ProblemResponse, problem, problem_responses
from api.schemas.auth import (
    PLAIN,
    CodeIn,
    EnrolOut,
    EverywhereIn,
    LoginIn,
    OwnToken,
    PasswordIn,
    RecoveryOut,
    SessionOut,
    TokenCreated,
    TokenIn,
)
from observatory.accounts import devices, signin
from observatory.accounts.sessions import (
    COOKIE,
    SignedIn,
    account_scope,
    find_session,
    revoke_all,
    revoke_session,
)
from observatory.accounts.store import WrongCurrentPassword, change_password
from observatory.audit import record
from observatory.errors import NotAllowed, NotFound
from observatory.models import Account, ApiToken
from observatory.roles import narrower_role, role_name
from observatory.scopes import as_list, covers, describe, narrowest, parse_codes
from observatory.settings import Settings
from observatory.tokens import create_token, revoke_account_tokens, revoke_token

router = APIRouter(prefix="/auth", tags=["connexion"])

DEVICE_PATH = "/api/v1/auth"
ONLY_SIGNED_IN = "Réservé à une personne connectée avec son compte (pas à un jeton)."


def session_out(signed: SignedIn) -> SessionOut:
    return SessionOut(
        email=signed.email,
        role=signed.role,
        role_label=role_name(signed.role),
        communes=as_list(signed.communes),
        scope_label=describe(signed.communes),
        totp_enabled=signed.totp_enabled,
        must_change_password=signed.must_change_password,
        enrolment_required=signed.enrolment_required,
        csrf=signed.csrf,
    )


def set_cookie(response: Response, raw: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        raw,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookie,
        path="/",
    )


def set_device_cookie(response: Response, raw: str, settings: Settings) -> None:
    """The browser's device cookie (observatory/accounts/devices.py), sent only to /auth/."""
    response.set_cookie(
        devices.COOKIE,
        raw,
        max_age=devices.MAX_AGE_SECONDS,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookie,
        path=DEVICE_PATH,
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=settings.secure_cookie
    )


@router.post(
    "/login",
    summary="Se connecter",
    responses={**BODY_ERRORS, **problem_responses(401, 429)},
    response_model=SessionOut,
)
def login(
    body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep
) -> Response | SessionOut:
    address = client_of(request)
    try:
        opened = signin.sign_in(
            session,
            settings,
            request.app.state.sign_ins,
            email=body.email,
            password=body.password,
            code=body.code,
            address=address,
            user_agent=request.headers.get("user-agent"),
            device_cookie=request.cookies.get(devices.COOKIE),
        )
    except signin.Throttled as exc:
        return too_many(str(exc), exc.retry_after, request)
    except signin.SecondFactorLocked as exc:  # returned: the refusal's audit is kept
        return too_many(str(exc), exc.retry_after, request, second_factor="locked")
    except signin.SignInRefused as exc:  # returned, not raised: the refusal's audit is kept
        extra = {"second_factor": exc.second_factor} if exc.second_factor else {}
        return problem(401, str(exc), request, **extra)
    signed = find_session(session, opened.cookie, settings)
    if signed is None:  # the session just written is always found
        raise HTTPException(401, signin.WRONG_PASSWORD)
    answer = session_out(signed)
    response = Response(answer.model_dump_json(), media_type="application/json")
    set_cookie(response, opened.cookie, settings)
    set_device_cookie(response, opened.device, settings)
    return response


def too_many(message: str, retry_after: int, request: Request, **extra: str) -> ProblemResponse:
    refused: ProblemResponse = problem(429, message, request, **extra)
    refused.headers["Retry-After"] = str(retry_after)
    return refused


@router.get("/me", summary="La personne connectée", responses=problem_responses(401))
def me(signed: SignedInDep) -> SessionOut:
    return session_out(signed)


def _audit(session: SessionDep, signed: SignedIn, action: str, address: str) -> None:
    record(
        session,
        token_id=None,
        actor=signed.email,
        role=signed.role,
        action=action,
        filters={},
        row_count=0,
        account_id=signed.account_id,
        communes=signed.communes,
        address=address,
    )


@router.post("/logout", status_code=204, summary="Se déconnecter")
def logout(
    signed: SignedInDep, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    revoke_session(session, signed.session_id)
    _audit(session, signed, "déconnexion", client_of(request))
    response = Response(status_code=204)
    clear_cookie(response, settings)
    return response


@router.post(
    "/logout-everywhere",
    status_code=204,
    summary="Se déconnecter partout",
    responses=BODY_ERRORS,
)
def logout_everywhere(
    signed: SignedInDep,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    body: EverywhereIn | None = None,
) -> Response:
    revoke_all(session, signed.account_id)
    _audit(session, signed, "déconnexion partout", client_of(request))
    if body is not None and body.tokens:
        count = revoke_account_tokens(session, signed.account_id)
        record(
            session,
            token_id=None,
            actor=signed.email,
            role=signed.role,
            action="jetons révoqués",
            filters={"email": signed.email, "count": count},
            row_count=0,
            account_id=signed.account_id,
            communes=signed.communes,
            address=client_of(request),
        )
    response = Response(status_code=204)
    clear_cookie(response, settings)
    return response


@router.post("/totp/enrol", summary="Préparer la double authentification")
def totp_enrol(signed: SignedInDep, session: SessionDep, settings: SettingsDep) -> EnrolOut:
    secret, uri, svg = signin.enrol(session, settings, signed)
    return EnrolOut(secret=secret, uri=uri, qr_svg=svg)


@router.post("/totp/confirm", summary="Activer la double authentification", responses=BODY_ERRORS)
def totp_confirm(
    body: CodeIn, signed: SignedInDep, request: Request, session: SessionDep, settings: SettingsDep
) -> RecoveryOut:
    codes = signin.confirm(session, settings, signed, body.code, client_of(request))
    return RecoveryOut(recovery_codes=codes)


@router.post(
    "/password",
    status_code=204,
    summary="Changer son mot de passe",
    responses={**BODY_ERRORS, **problem_responses(429)},
)
def password(
    body: PasswordIn, signed: SignedInDep, request: Request, session: SessionDep
) -> Response:
    """The current password is guessed no faster than at sign-in: its failures go through
    the sign-in throttle (this address and this account) and to the audit log."""
    address = client_of(request)
    throttle = request.app.state.sign_ins
    if wait := throttle.wait_seconds(address, signed.email):
        return too_many(str(signin.Throttled(wait)), wait, request)
    account = session.get_one(Account, signed.account_id)
    try:
        change_password(session, account, body.current, body.new, keep_session=signed.session_id)
    except WrongCurrentPassword as exc:  # returned, not raised: the refusal's audit is kept
        throttle.failed(address, signed.email)
        _audit(session, signed, "mot de passe actuel refusé", address)
        return problem(403, str(exc), request)
    _audit(session, signed, "mot de passe changé", address)
    return Response(status_code=204)


def _account_of(caller: CallerDep, session: SessionDep) -> Account:
    if caller.token_id is not None or caller.account_id is None:
        raise NotAllowed(ONLY_SIGNED_IN)
    return session.get_one(Account, caller.account_id)


@router.get("/tokens", summary="Ses jetons")
def own_tokens(caller: CallerDep, session: SessionDep) -> list[OwnToken]:
    account = _account_of(caller, session)
    rows = session.scalars(
        select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.id)
    )
    return [OwnToken.of(t, t.communes) for t in rows]


@router.post("/tokens", summary="Créer un jeton pour un script", responses=BODY_ERRORS)
def new_token(
    body: TokenIn, caller: CallerDep, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenCreated:
    account = _account_of(caller, session)
    role = body.role or account.role
    if narrower_role(role, account.role) != role:
        raise NotAllowed(
            f"Un jeton ne peut pas avoir le rôle « {role_name(role)} » : votre compte a le rôle "
            f"« {role_name(account.role)} »."
        )
    scope = account_scope(session, account)
    wanted = None if body.communes is None else parse_codes(",".join(body.communes))
    if wanted is not None and not covers(scope, wanted):
        raise NotAllowed(f"Le périmètre demandé sort de celui de votre compte ({describe(scope)}).")
    expires = datetime.now(UTC) + timedelta(days=body.days)
    raw = create_token(
        session,
        body.name,
        role,
        settings.secret_key,
        communes=wanted,
        account_id=account.id,
        expires_at=expires,
    )
    effective = narrowest(wanted, scope)
    record(
        session,
        **caller.audit(),
        action="jeton créé",
        filters={"name": body.name, "role": role, "days": body.days, "communes": as_list(wanted)},
        row_count=0,
        address=client_of(request),
    )
    return TokenCreated(
        name=body.name,
        token=raw,
        role=role,
        expires_at=expires,
        communes=as_list(effective),
    )


@router.delete(
    "/tokens/{name}",
    status_code=204,
    summary="Révoquer un de ses jetons",
    responses=problem_responses(404),
)
def drop_token(
    name: Annotated[str, Path(max_length=100, pattern=PLAIN, description="Nom du jeton")],
    caller: CallerDep,
    request: Request,
    session: SessionDep,
) -> Response:
    account = _account_of(caller, session)
    owned = session.scalars(
        select(ApiToken.id).where(ApiToken.name == name, ApiToken.account_id == account.id)
    ).one_or_none()
    if owned is None:
        raise NotFound(f"Aucun jeton nommé « {name} » parmi les vôtres.")
    revoke_token(session, name)
    record(
        session,
        **caller.audit(),
        action="jeton révoqué",
        filters={"name": name},
        row_count=0,
        address=client_of(request),
    )
    return Response(status_code=204)
