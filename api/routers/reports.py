"""The CLSPD meeting pack as a file: GET /api/v1/reports/pack (HTML offline map or A4 PDF).

Roles: admin, analyst and police get the full pack (aggregates they already read through the
API; the pack holds no individual incident); a partner gets the partner pack, every count from
1 to OBS_SECRECY_THRESHOLD − 1 hidden and totals adding up the shown counts only. Any role may
ask for the partner pack with ``level=partner`` (to hand it out); a partner asking for the
full one is refused (403).

Making a pack is costly work (a year of maps, charts and tables: seconds of CPU): it takes its
turn in the process's fair queue (api/heavy.py) once its parameters are checked, and may get the
queue's 503 with Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from api.deps import Caller, SettingsDep, require_role
from api.heavy import HeavyQueue
from api.scoping import check_commune, scoped_snapshots
from observatory.errors import InvalidInput
from observatory.privacy.policy import KIND_OF_ROLE, Kind
from observatory.reports import MEDIA_TYPES, PackRequest, make_request, pack_figures, render_pack
from observatory.scopes import Scope, parse_codes
from observatory.settings import Settings

router = APIRouter(tags=["pack CLSPD"])

PackReader = Annotated[Caller, Depends(require_role("admin", "analyst", "police", "partner"))]


@dataclass(frozen=True)
class AskedPack:
    """A pack asked for, its parameters checked: what to make and at which level."""

    wanted: PackRequest
    kind: Kind
    scope: frozenset[str] | None = None


def asked_pack(
    caller: PackReader,
    start: Annotated[str, Query(alias="from", description="Premier mois, AAAA-MM")],
    to: Annotated[str, Query(description="Dernier mois, inclus, AAAA-MM")],
    commune: Annotated[
        str | None, Query(description="Code INSEE de la commune, ex. 31555 (ou « communes »)")
    ] = None,
    communes: Annotated[
        str | None,
        Query(
            description="Plusieurs communes ensemble (exclusif avec « commune ») : codes INSEE "
            "séparés par des virgules (31069,31149), ou « perimetre » pour tout le périmètre "
            "de l'appelant ; le pack ajoute leur tableau comparatif"
        ),
    ] = None,
    format: Annotated[str, Query(description="html ou pdf")] = "pdf",
    level: Annotated[
        str | None,
        Query(
            description="full (complet) ou partner (secret statistique) ; défaut : selon le rôle"
        ),
    ] = None,
    generation: Annotated[int, Query(description="Géographie prioritaire : 2015 ou 2024")] = 2024,
) -> AskedPack:
    """The pack's parameters (GET /reports/pack and POST /reports/pack/jobs alike); a commune
    outside the caller's scope is refused (403)."""
    if level not in (None, "full", "partner"):
        raise InvalidInput(f"« level » vaut full ou partner (reçu « {level} »).")
    if caller.role == "partner" and level == "full":
        raise HTTPException(
            403, "Un partenaire reçoit la version partenaires du pack (level=partner)."
        )
    partner = caller.role == "partner" or level == "partner"
    wanted = make_request(
        commune,
        start,
        to,
        format=format,
        partner=partner,
        generation=generation,
        communes=None if communes is None else _communes(communes, caller.communes),
    )
    for code in wanted.codes:
        check_commune(caller.communes, code)
    return AskedPack(wanted, KIND_OF_ROLE.get(caller.role, "partner"), caller.communes)


def _communes(asked: str, scope: Scope) -> list[str]:
    """The codes asked for, « perimetre » being the caller's whole scope."""
    if asked.strip().lower() in ("perimetre", "périmètre"):
        if scope is None:
            raise InvalidInput(
                "Votre périmètre couvre toutes les communes : nommez celles du pack "
                "(communes=31069,31149)."
            )
        return sorted(scope)
    return sorted(parse_codes(asked))


PackAsk = Annotated[AskedPack, Depends(asked_pack)]


@router.get(
    "/reports/pack",
    summary="Pack de réunion du CLSPD : carte hors ligne (HTML) ou dossier A4 (PDF)",
    description=(
        "Un fichier à emporter en réunion : HTML autonome (carte interactive sans réseau : "
        "hexagones, points chauds, QPV ; créneaux, évolution, CompStat, QPV, état 4001) ou PDF "
        "A4 (page de titre, cartes statiques, mêmes tableaux, pages numérotées). Mois entiers : "
        "from=2025-01&to=2025-12 va du 1er janvier au 31 décembre 2025. Un partenaire reçoit "
        "la version partenaires (comptes sous le seuil de secret masqués)."
    ),
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
)
async def pack(
    request: Request, caller: PackReader, settings: SettingsDep, asked: PackAsk
) -> Response:
    wanted, kind = asked.wanted, asked.kind
    heavy: HeavyQueue = request.app.state.heavy
    data = await heavy.run(
        request.receive,
        caller.owner,
        build_pack,
        request.app.state,
        wanted,
        settings,
        kind,
        asked.scope,
    )
    return Response(
        data,
        media_type=MEDIA_TYPES[wanted.format],
        headers={
            "Content-Disposition": f'attachment; filename="{wanted.filename()}"',
            "Cache-Control": "no-store",
        },
    )


def build_pack(
    state: Any,
    wanted: PackRequest,
    settings: Settings,
    kind: Kind,
    scope: frozenset[str] | None = None,
) -> bytes:
    """The pack's bytes (in the thread pool, in the queue's turn), from the facts of the
    caller's scope only; a partner pack from the release published for every commune, then
    restricted (as api/datadeps.py's snapshot: the same noisy numbers for every scope)."""
    snapshot = state.store.snapshot()
    if scope is not None:
        if wanted.partner:
            snapshot = state.releases.view(snapshot, datetime.now(settings.zone).date())
        snapshot = scoped_snapshots(state).view(snapshot, scope)
    return render_pack(pack_figures(state.engine, snapshot, wanted, settings, kind=kind))
