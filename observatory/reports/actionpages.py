"""The pack's pages on the CLSPD's actions: one per action of the commune, before/after.

Each page: what the action is, the before/after chart, the counts of the three areas, the
statistics and their plain-French reading (observatory/actions/evaluate.py). An action that
cannot be evaluated yet (after period not begun, no data before) gets its reason instead.
In a partner pack, a count under the secrecy threshold is hidden, and with it the statistics
that would give it back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sqlalchemy import Engine

from observatory.actions import evaluate_action, list_actions
from observatory.actions import reading as words
from observatory.actions.evaluate import AreaLimits
from observatory.analytics.evaluation import RelativeEffect
from observatory.errors import InvalidInput, NotAllowed
from observatory.french import fr
from observatory.reports.drawing import DPI, png_bytes
from observatory.reports.model import ActionPage
from observatory.reports.request import PackRequest
from observatory.reports.style import DASH, NBSP, count_text
from observatory.reports.tables import Table
from observatory.store.snapshot import Snapshot

SECTION = ("actions", "Évaluation des actions du CLSPD")
BEFORE, AFTER, EXPECTED = "#9e9e9e", "#123c69", "#f4a261"
PLACE_WORDS = {"point": "un point et un rayon", "line": "une rue (ligne et tampon)"}


def gather_actions(
    engine: Engine,
    snapshot: Snapshot,
    request: PackRequest,
    threshold: int | None,
    limits: AreaLimits | None = None,
) -> list[ActionPage]:
    """The commune's actions begun by the end of the pack's period, each evaluated (within the
    reader's ``limits``: an analyst's pack)."""
    pages = []
    with engine.connect() as conn:
        for action in reversed(list_actions(conn, request.commune)):
            if action.start > request.last:
                continue
            try:
                result = evaluate_action(conn, snapshot, action.id, limits=limits)
            except (InvalidInput, NotAllowed) as exc:
                pages.append(ActionPage(action, None, str(exc), threshold))
                continue
            hidden = set()
            if threshold is not None:
                for name in ("treated", "ring", "control"):
                    values = (getattr(result.before, name), getattr(result.after, name))
                    if any(0 < v < threshold for v in values):
                        hidden.add(name)
            pages.append(ActionPage(action, result, None, threshold, hidden))
    return pages


def description(page: ActionPage) -> str:
    a = page.action
    period = (
        f"depuis le {a.start:%d/%m/%Y} (en cours)"
        if a.end is None
        else f"du {a.start:%d/%m/%Y} au {a.end:%d/%m/%Y}"
    )
    place = PLACE_WORDS.get(a.place_kind, "un polygone")
    width = f" de {fr(a.place_buffer_m or 0)}{NBSP}m" if a.place_buffer_m else ""
    text = (
        f"{a.kind_label}, {period}. Lieu : {place}{width}, soit "
        f"{fr(a.area_m2 / 10_000, 2)}{NBSP}ha."
    )
    if a.note:
        text += f" {a.note}"
    return text


def _shown(page: ActionPage, area: str, value: int) -> str:
    hidden = area in page.hidden and 0 < value < (page.threshold or 0)
    return count_text(None if hidden else value, page.threshold, hidden=hidden)


def counts_rows(page: ActionPage) -> tuple[list[str], list[list[str]]]:
    """Header and rows: each area's surface, counts before and after, and its change."""
    e = page.evaluation
    assert e is not None
    header = ["Zone", "Surface (ha)", "Avant", "Après", "Évolution", "Attendu*"]
    growth = e.after.control / e.before.control if e.before.control else None
    rows = []
    for name, label, area in (
        ("treated", "Zone traitée", "treated"),
        ("ring", f"Anneau de {fr(e.buffer_m)}{NBSP}m", "buffer"),
        ("control", "Zone témoin", "control"),
    ):
        before, after = getattr(e.before, name), getattr(e.after, name)
        secret = name in page.hidden
        change = DASH if secret else words.change_text(before, after)
        expected = DASH
        if growth is not None and name != "control" and not secret:
            expected = fr(before * growth)
        rows.append(
            [
                label,
                fr(e.areas_m2[area] / 10_000, 1),
                _shown(page, name, before),
                _shown(page, name, after),
                change,
                expected,
            ]
        )
    return header, rows


def statistics_rows(page: ActionPage) -> list[list[str]]:
    """The relative effects and the displacement, or why they are not given."""
    e = page.evaluation
    assert e is not None
    if page.hidden:
        return [["Statistiques", "non publiées : effectifs sous le seuil du secret statistique"]]

    def effect(label: str, r: RelativeEffect) -> list[str]:
        return [
            label,
            f"{words.effect_value(r)} ; RES = {fr(r.odds_ratio, 2)} ; {words.effect_verdict(r)}",
        ]

    moved = e.displacement
    return [
        effect("Zone traitée / témoin", e.treated),
        effect("Anneau / témoin", e.ring),
        ["Quotient de déplacement (WDQ)", moved.wdq_text],
        ["Effet net total", moved.net_effect_text],
    ]


def reading(page: ActionPage) -> list[str]:
    """The paragraphs under the chart."""
    if page.evaluation is None:
        return [f"Évaluation impossible pour l'instant : {page.reason}"]
    e = page.evaluation
    if page.hidden:
        return [e.reading()[0], e.reading()[1], "Lecture non publiée (secret statistique)."]
    paragraphs = [e.verdict(), *e.reading()]
    paragraphs += [w["message"] for w in e.warnings() if w["code"] != "regression_to_mean"]
    return paragraphs


NOTE = (
    "* Attendu : le compte d'avant multiplié par l'évolution de la zone témoin, ce qu'on "
    "aurait vu si la zone avait suivi la tendance générale. RES (rapport des cotes de "
    "Farrington et Welsh) : au-dessus de 1, baisse relative dans la zone. Le quotient de "
    "déplacement (WDQ) ne se lit qu'après une baisse significative de la zone traitée ; la "
    "méthode est détaillée en annexe."
)


def action_chart(page: ActionPage) -> bytes:
    """PNG: before, after and expected counts of the treated area and the ring."""
    e = page.evaluation
    assert e is not None
    growth = e.after.control / e.before.control if e.before.control else np.nan
    areas = [("Zone traitée", "treated"), (f"Anneau ({fr(e.buffer_m)} m)", "ring")]
    fig = Figure(figsize=(6.2, 2.8), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.09, 0.14, 0.88, 0.74))
    x = np.arange(len(areas))
    width = 0.26
    for offset, (label, colour, values) in enumerate(
        [
            ("Avant", BEFORE, [getattr(e.before, n) for _, n in areas]),
            ("Après", AFTER, [getattr(e.after, n) for _, n in areas]),
            (
                "Attendu (tendance témoin)",
                EXPECTED,
                [getattr(e.before, n) * growth for _, n in areas],
            ),
        ]
    ):
        shown = [np.nan if n in page.hidden else v for (_, n), v in zip(areas, values, strict=True)]
        bars = ax.bar(x + (offset - 1) * width, shown, width, color=colour, label=label)
        ax.bar_label(bars, labels=[DASH if np.isnan(v) else fr(v) for v in shown], fontsize=6)
    ax.set_xticks(x, [label for label, _ in areas], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("faits", fontsize=7)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=6.5, frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, 1.16))
    return png_bytes(fig)


def html_section(
    pages: list[ActionPage],
    table: Callable[[Table], str],
    paragraph: Callable[..., str],
) -> list[str]:
    """The HTML pack's section: a heading, then per action its chart, tables and reading."""
    if not pages:
        return []
    key, title = SECTION
    parts = [f'<h2 id="{key}">{escape(title)}</h2>']
    for page in pages:
        parts += [f"<h3>{escape(page.heading)}</h3>", paragraph(description(page))]
        if page.evaluation is not None:
            png = base64.b64encode(action_chart(page)).decode("ascii")
            header, rows = counts_rows(page)
            parts += [
                f'<img class="graphique" alt="Faits avant, après et attendus : '
                f'{escape(page.heading)}" src="data:image/png;base64,{png}">',
                table(Table(header, rows)),
                table(Table(["Indicateur", "Valeur"], statistics_rows(page), text_columns=2)),
            ]
        said = reading(page)
        parts.append(paragraph(said[0], "en-bref" if page.evaluation is not None else ""))
        parts += [paragraph(text) for text in said[1:]]
        parts.append(paragraph(NOTE, "note"))
    return parts
