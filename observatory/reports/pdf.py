"""The PDF pack: A4, a title page, one page per section, « page n / N » at the foot of each.

Laid out with reportlab (text stays text: pdftotext reads it); maps and charts are PNG drawn
by matplotlib on the server. DejaVu Sans, shipped with matplotlib, has every character the
French text needs (√, −, ≥, « »), which the PDF core fonts do not.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from observatory.reports import actionpages, comparison, content, messages, methods, tables
from observatory.reports.actionpages import SECTION
from observatory.reports.charts import timeslot_chart, trend_chart
from observatory.reports.maps import hexagon_map, hotspot_map
from observatory.reports.model import PackFigures
from observatory.reports.style import Z_COLOURS

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
MARGIN = 1.8 * cm
WIDTH = A4[0] - 2 * MARGIN
RESTRICTED_RED = colors.HexColor("#a50f15")


def _register_fonts() -> None:
    # Binary image streams: ASCII85 (reportlab's default) runs in pure Python without its C
    # accelerator, a second per pack, and makes the file a quarter larger.
    rl_config.useA85 = 0
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("corps", fontName=FONT, fontSize=9, leading=12.5, spaceAfter=6)
    return {
        "body": body,
        "small": ParagraphStyle("petit", parent=body, fontSize=7.5, leading=10),
        "lead": ParagraphStyle("message", parent=body, fontSize=11, leading=15, spaceAfter=8),
        "reading": ParagraphStyle("lecture", parent=body, fontSize=8.5, leading=11, spaceAfter=4),
        "h1": ParagraphStyle(
            "titre", parent=body, fontName=BOLD, fontSize=15, leading=19, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "intertitre", parent=body, fontName=BOLD, fontSize=10.5, spaceBefore=8, spaceAfter=4
        ),
        "cover": ParagraphStyle(
            "couverture", parent=body, fontName=BOLD, fontSize=24, leading=30, alignment=TA_CENTER
        ),
        "cover2": ParagraphStyle(
            "couverture2", parent=body, fontSize=14, leading=19, alignment=TA_CENTER
        ),
        "restricted": ParagraphStyle(
            "restreint",
            parent=body,
            fontName=BOLD,
            fontSize=12,
            leading=16,
            alignment=TA_CENTER,
            textColor=RESTRICTED_RED,
            borderColor=RESTRICTED_RED,
            borderWidth=1.2,
            borderPadding=6,
            spaceBefore=14,
            spaceAfter=18,
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _image(png: bytes, width: float) -> Image:
    image = Image(io.BytesIO(png))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = width, width * ratio
    return image


def _table(table: tables.Table, font_size: float = 8) -> Table:
    data: list[list[Any]] = []
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), font_size + 2),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (table.text_columns, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    top = 0
    if table.groups:
        row: list[str] = []
        for title, span in table.groups:
            if span > 1:
                style.append(("SPAN", (len(row), 0), (len(row) + span - 1, 0)))
                style.append(("ALIGN", (len(row), 0), (len(row), 0), "CENTER"))
            row += [title] + [""] * (span - 1)
        data.append(row)
        top = 1
    cell = ParagraphStyle("cellule", fontName=FONT, fontSize=font_size, leading=font_size + 2)
    head = ParagraphStyle("entete", parent=cell, fontName=BOLD)
    head_number = ParagraphStyle("entete_nombre", parent=head, alignment=TA_RIGHT)
    number = ParagraphStyle("cellule_nombre", parent=cell, alignment=TA_RIGHT)
    data.append(
        [_p(v, head if j < table.text_columns else head_number) for j, v in enumerate(table.header)]
    )
    style += [
        ("FONTNAME", (0, 0), (-1, top), BOLD),
        ("BACKGROUND", (0, 0), (-1, top), colors.HexColor("#eeeeee")),
    ]
    for i, values in enumerate(table.rows):
        r = i + top + 1
        # Long words (family names) wrap within their column; numbers stay plain text, unless a
        # note follows them (« 1 962 (population 2015) ») and would run over the next column.
        data.append(
            [
                _p(v, cell) if j < table.text_columns else _p(v, number) if len(v) > 11 else v
                for j, v in enumerate(values)
            ]
        )
        if i in table.strong:
            style.append(("FONTNAME", (0, r), (-1, r), BOLD))
            style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f6f6f6")))
        for j in table.z_columns:
            level = tables.z_level(values[j])
            if level:
                background, ink = Z_COLOURS[level]
                style.append(("BACKGROUND", (j, r), (j, r), colors.HexColor(background)))
                style.append(("TEXTCOLOR", (j, r), (j, r), colors.HexColor(ink)))
    widths = _widths(table, len(data[0]))
    out = Table(data, colWidths=widths, repeatRows=top + 1, hAlign="LEFT")
    out.setStyle(TableStyle(style))
    return out


def _widths(table: tables.Table, columns: int) -> list[float]:
    """Numbers get a fixed share (2.4 cm at most), words the rest (7.5 cm a column at most)."""
    words, numbers = table.text_columns, columns - table.text_columns
    number = min(2.4 * cm, (WIDTH - 3.4 * cm * words) / max(numbers, 1))
    text = min(7.5 * cm, (WIDTH - number * numbers) / words)
    return [text] * words + [number] * numbers


def _footer(figures: PackFigures) -> type[Canvas]:
    """A canvas that writes « page n / N » once it knows N."""
    left = f"{content.OBSERVATORY} — {figures.commune.name} — {figures.request.period_label()}"

    class Numbered(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(BOLD, 7)
                self.setFillColor(RESTRICTED_RED)
                self.drawString(MARGIN, 1.15 * cm, content.RESTRICTED)
                self.setFont(FONT, 7)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(MARGIN, 0.8 * cm, left)
                self.drawRightString(A4[0] - MARGIN, 0.8 * cm, f"page {number} / {total}")
                super().showPage()
            super().save()

    return Numbered


def contents(figures: PackFigures) -> list[tuple[str, str]]:
    """(key, title) of each part the contents list, in order."""
    return [
        ("messages", messages.TITLE),
        *content.sections(figures),
        *([SECTION] if figures.actions else []),
        (methods.KEY, f"Annexe : {methods.TITLE}"),
    ]


def _guessed_pages(figures: PackFigures) -> dict[str, int]:
    """A page per part and per action: the first build checks it, a second one corrects it."""
    pages, page = {}, 2
    for key, _title in contents(figures):
        pages[key] = page
        page += len(figures.actions) if key == SECTION[0] else 1
    return pages


class _Mark(Flowable):
    """Where a part starts: nothing drawn, its page noted by the document."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def wrap(self, *_args: Any) -> tuple[float, float]:
        return 0.0, 0.0

    def draw(self) -> None:
        pass


class _Document(SimpleDocTemplate):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.found: dict[str, int] = {}

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Mark):
            self.found.setdefault(flowable.key, self.page)


def _cover(
    figures: PackFigures, s: dict[str, ParagraphStyle], pages: dict[str, int]
) -> list[Flowable]:
    c = figures.commune
    story: list[Flowable] = [
        Spacer(1, 2.2 * cm),
        _p(content.OBSERVATORY, s["cover2"]),
        Spacer(1, 0.4 * cm),
        _p(content.TITLE, s["cover"]),
        Spacer(1, 0.5 * cm),
        _p(f"{c.name} (INSEE {c.code})", s["cover2"]),
        _p(f"Période : {figures.request.period_label()}", s["cover2"]),
        Spacer(1, 0.3 * cm),
        _p(content.produced_text(figures), s["body"]),
        _p(content.RESTRICTED, s["restricted"]),
        _p(content.level_text(figures), s["body"]),
        _p(f"Filtres : {content.filters_text(figures)}", s["body"]),
        _p(content.data_text(figures), s["body"]),
        _p(content.summary_text(figures), s["body"]),
        _table(content.families_table(figures)),
        Spacer(1, 0.5 * cm),
        _p("Sommaire", s["h1"]),
    ]
    story += [_p(f"{title} — page {pages[key]}", s["body"]) for key, title in contents(figures)]
    return story


def _messages(figures: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Page 2: the key messages for the mayor."""
    story: list[Flowable] = [PageBreak(), _p(messages.TITLE, s["h1"]), _Mark("messages")]
    story.append(_p(f"{figures.commune.name}, {content.period_text(figures)}.", s["body"]))
    for heading, sentences in messages.key_messages(figures):
        story.append(_p(heading, s["h2"]))
        story += [_p(text, s["lead"]) for text in sentences]
    return story


def _annex(figures: PackFigures, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [
        PageBreak(),
        _p(f"Annexe : {methods.TITLE}", s["h1"]),
        _Mark(methods.KEY),
    ]
    for heading, text in methods.method_paragraphs(figures):
        story += [_p(heading, s["h2"]), _p(text, s["small"])]
    return story


def _action_pages(
    figures: PackFigures, s: dict[str, ParagraphStyle], charts: list[bytes | None]
) -> list[Flowable]:
    """A page per action: what it is, « en bref », the chart, the tables, the reading."""
    story: list[Flowable] = []
    for number, (page, chart) in enumerate(zip(figures.actions, charts, strict=True)):
        story.append(PageBreak())
        if number == 0:
            story += [_p(SECTION[1], s["h1"]), _Mark(SECTION[0])]
        story += [_p(page.heading, s["h2"]), _p(actionpages.description(page), s["body"])]
        paragraphs = actionpages.reading(page)
        if page.evaluation is not None and chart is not None:
            header, rows = actionpages.counts_rows(page)
            stats = actionpages.statistics_rows(page)
            story += [
                _p(paragraphs[0], s["lead"]),
                _image(chart, WIDTH * 0.62),
                _table(tables.Table(header, rows)),
                Spacer(1, 0.2 * cm),
                _table(tables.Table(["Indicateur", "Valeur"], stats, text_columns=2), 7.5),
                Spacer(1, 0.2 * cm),
            ]
            paragraphs = paragraphs[1:]
        story += [_p(text, s["reading"]) for text in paragraphs]
        story.append(_p(actionpages.NOTE, s["small"]))
    return story


def _story(
    figures: PackFigures,
    s: dict[str, ParagraphStyle],
    pages: dict[str, int],
    images: dict[str, bytes],
    charts: list[bytes | None],
) -> list[Flowable]:
    story = _cover(figures, s, pages) + _messages(figures, s)

    def section(key: str, *flowables: Flowable) -> None:
        title = content.section_title(figures, key)
        story.extend([PageBreak(), _p(title, s["h1"]), _Mark(key), *flowables])

    if figures.comparison is not None:
        section(
            comparison.SECTION[0],
            _p(comparison.comparison_text(figures.comparison, figures.threshold), s["body"]),
            _table(comparison.comparison_table(figures.comparison, figures.threshold), 7.5),
        )
    section(
        "hexagones",
        _p(content.hexagon_text(figures), s["body"]),
        _image(images["hexagons"], WIDTH),
    )
    section(
        "points-chauds",
        _p(content.hotspot_text(figures), s["body"]),
        *[_p(t, s["body"]) for t in [messages.hotspot_detail(figures)] if t],
        _image(images["hotspots"], WIDTH * 0.86),
        _table(content.hotspot_table(figures)),
    )
    section(
        "creneaux",
        _p(content.timeslot_text(figures), s["body"]),
        _image(images["timeslots"], WIDTH),
        Spacer(1, 0.3 * cm),
        _table(content.timeslot_table(figures)),
    )
    section(
        "evolution",
        _image(images["trend"], WIDTH),
        _p(content.trend_text(figures), s["body"]),
        _table(content.trend_table(figures)),
    )
    compstat: list[Flowable] = [_p(content.compstat_text(figures), s["body"])]
    for title, table in content.compstat_tables(figures):
        compstat += [_p(title, s["h2"]), _table(table)]
    section("compstat", *compstat)
    section(
        "qpv",
        _p(content.territory_text(figures), s["body"]),
        _table(content.territory_table(figures)),
    )
    section(
        "etat4001",
        _p(content.etat4001_text(figures), s["body"]),
        *([_table(content.etat4001_table(figures), font_size=7)] if figures.etat4001.rows else []),
    )
    return story + _action_pages(figures, s, charts) + _annex(figures, s)


def render_pdf(figures: PackFigures) -> bytes:
    """The whole PDF pack; built twice when a part runs over a page, so that the contents give
    the pages the parts are really on."""
    _register_fonts()
    s = _styles()
    c = figures.commune
    images = {
        "hexagons": hexagon_map(figures),
        "hotspots": hotspot_map(figures),
        "timeslots": timeslot_chart(figures),
        "trend": trend_chart(figures),
    }
    charts = [
        None if page.evaluation is None else actionpages.action_chart(page)
        for page in figures.actions
    ]
    pages = _guessed_pages(figures)
    for _attempt in range(2):
        out = io.BytesIO()
        doc = _Document(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=f"{content.TITLE} — {c.name} — {figures.request.period_label()}",
            author=content.OBSERVATORY,
            subject=content.RESTRICTED,
            lang="fr-FR",
        )
        doc.build(_story(figures, s, pages, images, charts), canvasmaker=_footer(figures))
        if doc.found == pages:
            break
        pages = doc.found
    return out.getvalue()
