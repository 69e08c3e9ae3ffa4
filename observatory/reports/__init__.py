"""The CLSPD meeting pack: an offline HTML file or a printable A4 PDF (no HTTP in here).

- ``request``: what is asked (commune, whole months, format, partner level), checked.
- ``gather``: the figures, observatory/figures/' as the API serves them, secrecy applied once.
- ``content``: the French words and tables both formats share.
- ``maps`` and ``charts``: PNG drawn by matplotlib (Lambert-93, scale bar, north arrow).
- ``html`` (folium, assets inlined by ``offline``) and ``pdf`` (reportlab): the two formats.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from observatory.privacy.policy import Kind
from observatory.reports.request import PackRequest, make_request
from observatory.settings import Settings
from observatory.store.snapshot import Snapshot

if TYPE_CHECKING:
    from observatory.reports.model import PackFigures

MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}

__all__ = ["MEDIA_TYPES", "PackRequest", "make_request", "pack_figures", "render_pack"]


def render_pack(figures: PackFigures) -> bytes:
    """The pack's file content, HTML or PDF as its request says."""
    if figures.request.format == "html":
        from observatory.reports.html import render_html

        return render_html(figures)
    from observatory.reports.pdf import render_pdf

    return render_pdf(figures)


def pack_figures(
    engine: Engine,
    snapshot: Snapshot,
    request: PackRequest,
    settings: Settings,
    *,
    kind: Kind = "full",
    now: datetime | None = None,
) -> PackFigures:
    """Every figure of the pack, as a reader of this kind (observatory/privacy/policy.py) may be
    told it; a partner pack's from the published release."""
    from observatory.privacy.policy import Rules
    from observatory.reports.gather import gather

    if request.partner and snapshot.release_months is None:
        # A partner pack is made of the published release only, never of the incidents.
        from observatory.privacy.partner import partner_snapshot
        from observatory.privacy.publication import current_publication

        today = (now or datetime.now(settings.zone)).date()
        snapshot = partner_snapshot(
            current_publication(engine, snapshot, today, settings), snapshot
        )
    if request.group:  # several communes together: their facts only, as one scope's snapshot
        from observatory.store.snapshot import restricted

        snapshot = restricted(snapshot, frozenset(request.communes))
    return gather(
        engine,
        snapshot,
        request,
        timezone=settings.timezone,
        rules=Rules.of(settings),
        time_slots=settings.time_slots,
        kind=kind,
        now=now,
    )
