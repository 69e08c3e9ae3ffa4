"""The HTML pack: one self-contained file, an interactive folium map and the tables.

The map has no base map (``tiles=None``): the commune's outline, the hexagons, the hot spots
and the QPV, with a layer control and a legend. Leaflet is inlined (observatory/reports/
offline.py), the trend chart is a data: URI: the file opens with no network.
"""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Any, cast

import folium
import shapely
from branca.element import MacroElement
from jinja2 import Template
from matplotlib.colors import Normalize, to_hex

from observatory.geojson import cell_feature, collection
from observatory.reports import actionpages, comparison, content, messages, methods, tables
from observatory.reports.charts import HEAT, trend_chart
from observatory.reports.maps import attribution
from observatory.reports.model import PackFigures
from observatory.reports.offline import inline_assets
from observatory.reports.style import (
    CLASS_METHOD,
    COMMUNE_COLOUR,
    GI_CLASSES,
    GI_COLOUR,
    QPV_COLOUR,
    Z_COLOURS,
    colour_of,
    count_classes,
    fr_number,
    fr_signed,
    hidden_text,
)

LAYER_HEXAGONS = "Hexagones : faits de la période"
LAYER_HOTSPOTS = "Points chauds (Gi*)"
LAYER_COMMUNE = "Limite communale"

CSS = """
html, body { height: auto; }
body { font: 15px/1.45 system-ui, "DejaVu Sans", Arial, sans-serif; color: #1b1b1b;
       max-width: 1100px; margin: 0 auto; padding: 0 16px 40px; }
h1 { font-size: 1.7em; margin: 0.6em 0 0.1em; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin: 1.1em 0 0.3em; }
.restreint { color: #a50f15; border: 2px solid #a50f15; padding: 6px 10px; font-weight: 700;
             display: inline-block; margin: 6px 0; }
.sous-titre { font-size: 1.2em; margin: 0; } .note { color: #444; font-size: 0.92em; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 0.9em; }
th, td { border: 1px solid #c8c8c8; padding: 3px 7px; } th { background: #eee; text-align: left; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 700; background: #f6f6f6; }
table.matrice td { padding: 2px 3px; font-size: 0.78em; text-align: right; min-width: 26px; }
.carte { height: 620px; border: 1px solid #bbb; } .leaflet-container { background: #fff; }
.legende { background: rgba(255,255,255,0.93); padding: 6px 8px; font-size: 12px; line-height: 1.35;
           border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 240px; }
.legende i { display: inline-block; width: 14px; height: 11px; margin-right: 5px;
             border: 1px solid #999; vertical-align: -1px; }
.legende b { display: block; margin-top: 3px; }
img.graphique { max-width: 100%; }
.messages p { font-size: 1.1em; margin: 0.4em 0; } .en-bref { font-weight: 600; }
@media print { h2 { page-break-before: always; } .carte { height: 500px; } }
"""

LEGEND_JS = """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
        var div = L.DomUtil.create("div", "legende");
        div.innerHTML = {{ this.legend|tojson }};
        return div;
    };
    legend.addTo(map);
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution({{ this.attribution|tojson }});
})();
{% endmacro %}
"""


class Legend(MacroElement):
    """The map's legend (a Leaflet control) and the attribution of the data."""

    def __init__(self, legend: str, attribution: str) -> None:
        super().__init__()
        self._name = "Legende"
        self._template = Template(LEGEND_JS)
        self.legend = legend
        self.attribution = attribution


def _collection(features: list[str]) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(collection(features)))


def _hexagon_layer(figures: PackFigures) -> tuple[folium.GeoJson, str]:
    layer = figures.hexagons
    classes = count_classes(layer.counts)
    hidden = f"{hidden_text(figures.threshold)} faits (masqué)"
    features = [
        cell_feature(
            cell,
            {
                "h3": f"{cell:x}",
                "faits": hidden if count is None else str(count),
                "couleur": colour_of(classes, count),
            },
        )
        for cell, count in zip(layer.cells.tolist(), layer.counts, strict=True)
    ]
    geojson = _cells_layer(
        features,
        LAYER_HEXAGONS,
        {"fillOpacity": 0.75, "color": "#ffffff", "weight": 0.5},
        {"faits": "Faits", "h3": "Hexagone"},
    )
    items = [(c.colour, c.label()) for c in classes]
    if any(c is None for c in layer.counts):
        items.append(("#bdbdbd", hidden))
    return geojson, _legend(f"{LAYER_HEXAGONS}, classes par {CLASS_METHOD}", items)


def _hotspot_layer(figures: PackFigures) -> tuple[folium.GeoJson | None, str]:
    layer = figures.hotspots
    if layer is None:
        return None, ""
    features = []
    for i, cell in enumerate(layer.cells.tolist()):
        if layer.codes[i] == "not_significant":
            continue  # the map shows where Gi* says something; the table counts the rest
        count = layer.counts[i]
        features.append(
            cell_feature(
                cell,
                {
                    "classe": layer.labels[i],
                    "z": fr_signed(float(layer.z[i]), 2),
                    "p": fr_number(float(layer.p[i]), 4),
                    "faits": hidden_text(figures.threshold) if count is None else str(count),
                    "couleur": GI_COLOUR[layer.codes[i]],
                },
            )
        )
    geojson = _cells_layer(
        features,
        LAYER_HOTSPOTS,
        {"fillOpacity": 0.8, "color": "#7f0000", "weight": 0.6},
        {"classe": "Classe", "z": "z de Gi*", "p": "p", "faits": "Faits"},
        show=False,
    )
    present = set(layer.codes) - {"not_significant"}
    items = [(colour, label) for code, label, colour in GI_CLASSES if code in present]
    return geojson, _legend(LAYER_HOTSPOTS, items)


def _cells_layer(
    features: list[str], name: str, style: dict[str, Any], tooltip: dict[str, str], **options: Any
) -> folium.GeoJson:
    """H3 cells filled with the colour of their « couleur » property, ``tooltip`` naming the
    properties shown and their labels."""
    return folium.GeoJson(
        _collection(features),
        name=name,
        style_function=lambda f: {"fillColor": f["properties"]["couleur"], **style},
        # folium checks the tooltip's fields against the features: none without features.
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip), aliases=list(tooltip.values()))
        if features
        else None,
        **options,
    )


def _legend(title: str, items: list[tuple[str, str]]) -> str:
    """A layer's part of the legend: its title, then a swatch and a label per (colour, label)."""
    return f"<b>{escape(title)}</b>" + "".join(
        f'<i style="background:{colour}"></i>{escape(label)}<br>' for colour, label in items
    )


def _map(figures: PackFigures) -> folium.Map:
    west, south, east, north = shapely.bounds(figures.commune.geometry).tolist()
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        width="100%",
        height="100%",
    )
    # Leaflet only, by file name: observatory/reports/offline.py writes it into the page.
    m.default_js = [("leaflet", "leaflet.js")]
    m.default_css = [("leaflet_css", "leaflet.css")]
    folium.GeoJson(
        shapely.geometry.mapping(figures.commune.drawn()),
        name=LAYER_COMMUNE,
        style_function=lambda _f: {"fill": False, "color": COMMUNE_COLOUR, "weight": 2},
    ).add_to(m)
    hexagons, legend = _hexagon_layer(figures)
    hexagons.add_to(m)
    hot, hot_legend = _hotspot_layer(figures)
    if hot is not None:
        hot.add_to(m)
        legend += hot_legend
    if figures.qpvs:
        qpv = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    # folium's tooltip writes properties as HTML: stored text escaped.
                    "properties": {"code": escape(q.code), "nom": escape(q.name)},
                    "geometry": shapely.geometry.mapping(q.drawn()),
                }
                for q in figures.qpvs
            ],
        }
        folium.GeoJson(
            qpv,
            name=f"QPV {figures.request.generation}",
            style_function=lambda _f: {
                "fill": False,
                "color": QPV_COLOUR,
                "weight": 2,
                "dashArray": "5 4",
            },
            tooltip=folium.GeoJsonTooltip(fields=["nom", "code"], aliases=["QPV", "Code"]),
        ).add_to(m)
        legend += (
            f'<b>QPV {figures.request.generation}</b><i style="border:2px dashed '
            f'{QPV_COLOUR};background:none"></i>contour<br>'
        )
    m.fit_bounds([[south, west], [north, east]])
    folium.LayerControl(collapsed=False).add_to(m)
    Legend(legend, attribution(figures, projection=None)).add_to(m)
    return m


def _table(table: tables.Table, css_class: str = "") -> str:
    head = ""
    if table.groups:
        head += "<tr>" + "".join(
            f'<th colspan="{span}">{escape(title)}</th>' for title, span in table.groups
        )
        head += "</tr>"
    head += "<tr>" + "".join(
        f"<th{'' if j < table.text_columns else ' class=n'}>{escape(h)}</th>"
        for j, h in enumerate(table.header)
    )
    body = []
    for i, row in enumerate(table.rows):
        cells = []
        for j, value in enumerate(row):
            classes = [] if j < table.text_columns else ["n"]
            if j in table.z_columns and (level := tables.z_level(value)):
                classes.append(z_class(level))
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{escape(value)}</td>")
        total = ' class="total"' if i in table.strong else ""
        body.append(f"<tr{total}>{''.join(cells)}</tr>")
    cls = f' class="{css_class}"' if css_class else ""
    return f"<table{cls}><thead>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _z_css() -> str:
    return "".join(
        f"td.{z_class(level)} {{ background: {bg}; color: {ink}; }}\n"
        for level, (bg, ink) in Z_COLOURS.items()
    )


def z_class(level: int) -> str:
    """z-p2 for +2, z-m3 for −3: the front end's names."""
    return f"z-{'p' if level > 0 else 'm'}{abs(level)}"


def _matrix(figures: PackFigures) -> str:
    """The weekday × hour matrix as a table whose cells are coloured by their value."""
    table = content.matrix_table(figures)
    values = [v for row in figures.timeslots.matrix for v in row if v is not None]
    norm = Normalize(min(values, default=0), max(values, default=1))
    rows = []
    for day, raw in zip(table.rows, figures.timeslots.matrix, strict=True):
        cells = [f"<th>{escape(day[0])}</th>"]
        for text, value in zip(day[1:], raw, strict=True):
            colour = "#bdbdbd" if value is None else to_hex(HEAT(norm(value)))
            ink = "#fff" if value is not None and norm(value) > 0.7 else "#1b1b1b"
            cells.append(f'<td style="background:{colour};color:{ink}">{escape(text)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    return f'<table class="matrice"><tr>{head}</tr>{"".join(rows)}</table>'


def _p(text: str, css_class: str = "") -> str:
    cls = f' class="{css_class}"' if css_class else ""
    return f"<p{cls}>{escape(text)}</p>"


def _intro(figures: PackFigures) -> str:
    c = figures.commune
    sections = [
        ("messages", messages.TITLE),
        *content.sections(figures),
        *([actionpages.SECTION] if figures.actions else []),
        (methods.KEY, f"Annexe : {methods.TITLE}"),
    ]
    toc = "".join(f'<li><a href="#{key}">{escape(title)}</a></li>' for key, title in sections)
    return (
        f"<header><p class=sous-titre>{escape(content.OBSERVATORY)}</p>"
        f"<h1>{escape(content.TITLE)} — {escape(c.name)} (INSEE {escape(c.code)})</h1>"
        f"<p class=sous-titre>Période : {escape(figures.request.period_label())}</p>"
        f"<p class=restreint>{escape(content.RESTRICTED)}</p>"
        + _p(content.produced_text(figures))
        + _p(content.level_text(figures))
        + _p(f"Filtres : {content.filters_text(figures)}")
        + _p(content.data_text(figures), "note")
        + _p(content.summary_text(figures))
        + _table(content.families_table(figures))
        + f"<nav><b>Sommaire</b><ol>{toc}</ol></nav></header>"
        + _messages(figures)
        + _comparison(figures)
        + f'<h2 id="hexagones">{escape(content.section_title(figures, "hexagones"))}</h2>'
        + _p(content.hexagon_text(figures))
        + _p(
            "Carte interactive sans fond de carte : cochez les couches (hexagones, points "
            "chauds, QPV, limite communale) dans le sélecteur en haut à droite ; survolez un "
            "hexagone pour lire ses chiffres.",
            "note",
        )
        + '<div class="carte">'
    )


def _comparison(figures: PackFigures) -> str:
    """A pack of several communes: each of them side by side."""
    if figures.comparison is None:
        return ""
    key, title = comparison.SECTION
    return (
        f'<h2 id="{key}">{escape(title)}</h2>'
        + _p(comparison.comparison_text(figures.comparison, figures.threshold))
        + _table(comparison.comparison_table(figures.comparison, figures.threshold))
    )


def _messages(figures: PackFigures) -> str:
    """The key messages for the mayor, first after the contents."""
    parts = [f'<section id="messages" class="messages"><h2>{escape(messages.TITLE)}</h2>']
    for heading, sentences in messages.key_messages(figures):
        parts.append(f"<h3>{escape(heading)}</h3>")
        parts += [_p(text) for text in sentences]
    return "".join(parts) + "</section>"


def _sections(figures: PackFigures) -> str:
    method_texts = methods.method_paragraphs(figures)
    trend_png = base64.b64encode(trend_chart(figures)).decode("ascii")
    parts = [
        "</div>",
        f'<h2 id="points-chauds">{escape(content.section_title(figures, "points-chauds"))}</h2>',
        _p(content.hotspot_text(figures)),
        *[_p(t) for t in [messages.hotspot_detail(figures)] if t],
        _p(f"Sur la carte : couche « {LAYER_HOTSPOTS} » (hexagones significatifs).", "note"),
        _table(content.hotspot_table(figures)),
        f'<h2 id="creneaux">{escape(content.section_title(figures, "creneaux"))}</h2>',
        _p(content.timeslot_text(figures)),
        _matrix(figures),
        _table(content.timeslot_table(figures)),
        f'<h2 id="evolution">{escape(content.section_title(figures, "evolution"))}</h2>',
        f'<img class="graphique" alt="Faits par mois, période et un an plus tôt" '
        f'src="data:image/png;base64,{trend_png}">',
        _p(content.trend_text(figures)),
        _table(content.trend_table(figures)),
        f'<h2 id="compstat">{escape(content.section_title(figures, "compstat"))}</h2>',
        _p(content.compstat_text(figures)),
    ]
    for title, table in content.compstat_tables(figures):
        parts += [f"<h3>{escape(title)}</h3>", _table(table)]
    parts += [
        f'<h2 id="qpv">{escape(content.section_title(figures, "qpv"))}</h2>',
        _p(content.territory_text(figures)),
        _table(content.territory_table(figures)),
        f'<h2 id="etat4001">{escape(content.section_title(figures, "etat4001"))}</h2>',
        _p(content.etat4001_text(figures)),
        *([_table(content.etat4001_table(figures))] if figures.etat4001.rows else []),
        *actionpages.html_section(figures.actions, _table, _p),
        f'<h2 id="{methods.KEY}">Annexe : {escape(methods.TITLE)}</h2>',
        *(f"<h3>{escape(head)}</h3>{_p(text, 'note')}" for head, text in method_texts),
        f"<footer>{_p(content.RESTRICTED, 'restreint')}</footer>",
    ]
    return "".join(parts)


def render_html(figures: PackFigures) -> bytes:
    """The whole HTML pack, self-contained."""
    m = _map(figures)
    page = m.get_root().render()
    map_div = f'<div class="folium-map" id="{m.get_name()}" ></div>'
    if page.count(map_div) != 1 or page.count("<body>") != 1:
        raise RuntimeError("gabarit folium inattendu : la carte ne peut pas être placée")
    title = (
        f"<title>{escape(content.TITLE)} — {escape(figures.commune.name)} — "
        f"{escape(figures.request.period_label())}</title>"
    )
    page = page.replace("<head>", f'<head>\n<meta charset="utf-8">{title}', 1)
    page = page.replace("</head>", f"<style>{CSS}{_z_css()}</style>\n</head>", 1)
    page = page.replace("<html>", '<html lang="fr">', 1)
    page = page.replace("<body>", "<body>" + _intro(figures), 1)
    page = page.replace(map_div, map_div + _sections(figures), 1)
    return inline_assets(page).encode("utf-8")
