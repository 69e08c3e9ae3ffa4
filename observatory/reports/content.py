"""The words and tables of a pack, written once for the HTML and the PDF."""

from __future__ import annotations

from observatory.figures.change import Change
from observatory.figures.territories import TerritoryRow
from observatory.figures.timeslots import WEEKDAYS
from observatory.french import fr_percent
from observatory.reports.comparison import SECTION as COMPARISON
from observatory.reports.messages import HOT, hot_groups
from observatory.reports.model import PackFigures
from observatory.reports.request import MONTHS_FR, day_label
from observatory.reports.style import (
    DASH,
    GI_CLASSES,
    NBSP,
    count_text,
    fr_int,
    fr_number,
    fr_share,
    fr_signed,
    hidden_text,
)
from observatory.reports.tables import Table

TITLE = "Pack de réunion du CLSPD"
OBSERVATORY = "Observatoire de la tranquillité publique"
RESTRICTED = "Document de travail — diffusion restreinte"
TREND_WORDS = {"hausse": "en hausse", "baisse": "en baisse", "stable": "sans tendance nette"}

SECTIONS = (
    ("hexagones", "Carte des faits par hexagone"),
    ("points-chauds", "Points chauds"),
    ("creneaux", "Créneaux horaires"),
    ("evolution", "Évolution mensuelle"),
    ("compstat", "Tableau CompStat"),
    ("qpv", "QPV et reste de la commune"),
    ("etat4001", "État 4001 des services de la commune"),
)
SECTION_TITLE = dict([*SECTIONS, COMPARISON])
# The same sections in a pack of several communes (a group, a scope).
GROUP_TITLE = {
    "qpv": "QPV et reste des communes",
    "etat4001": "État 4001 des services des communes",
}


def section_title(figures: PackFigures, key: str) -> str:
    """A section's title, in the plural for a pack of several communes."""
    if figures.request.group and key in GROUP_TITLE:
        return GROUP_TITLE[key]
    return SECTION_TITLE[key]


def sections(figures: PackFigures) -> list[tuple[str, str]]:
    """The statistics' sections of this pack: a pack of several communes compares them first."""
    keys = [*([COMPARISON[0]] if figures.comparison is not None else []), *dict(SECTIONS)]
    return [(key, section_title(figures, key)) for key in keys]


def _change_cells(change: Change, threshold: int | None) -> list[str]:
    return [
        count_text(change.current, threshold),
        count_text(change.previous, threshold, hidden=change.previous_hidden),
        fr_percent(change.percent),
        fr_signed(change.z, 2),
    ]


def period_text(figures: PackFigures) -> str:
    r = figures.request
    return f"du {day_label(r.first)} au {day_label(r.last)}"


def filters_text(figures: PackFigures) -> str:
    """The filters, stated as a reader of the paper needs them."""
    c = figures.commune
    place = f"Commune de {c.name} (INSEE {c.code})"
    if figures.request.group:
        place = f"{c.name} : communes {', '.join(c.communes)} (INSEE) ensemble"
    return (
        f"{place} ; faits commencés {period_text(figures)} "
        f"(jours et heures en heure locale, {figures.timezone}) ; toutes catégories ; "
        f"toutes heures et tous jours ; géographie prioritaire {figures.request.generation}."
    )


def level_text(figures: PackFigures) -> str:
    if figures.threshold is None:
        return "Version complète (analystes) : tous les comptes sont donnés."
    t = figures.threshold
    return (
        f"Version partenaires (secret statistique) : tout compte de 1 à {t - 1} est masqué "
        f"({hidden_text(t)}) ; les totaux n'additionnent que les comptes affichés."
    )


def produced_text(figures: PackFigures) -> str:
    at = figures.produced_at
    return f"Produit le {day_label(at.date())} à {at:%H:%M} ({figures.timezone})."


def data_text(figures: PackFigures) -> str:
    if figures.data_range is None:
        return "La base ne contient encore aucun fait."
    first, last = figures.data_range
    text = f"Faits présents dans la base : du {day_label(first)} au {day_label(last)}."
    if last < figures.request.last:
        text += (
            " La période va au-delà : ses derniers jours ne comptent que les faits déjà importés."
        )
    return text


def summary_text(figures: PackFigures) -> str:
    total = figures.total
    count = total.current or 0
    text = f"{fr_int(count)} fait{'s' if count > 1 else ''} sur la période"
    if total.previous is not None:
        text += (
            f", contre {fr_int(total.previous)} un an plus tôt ({fr_percent(total.percent)}, "
            f"z = {fr_signed(total.z, 2)})"
        )
    return text + "."


def families_table(figures: PackFigures) -> Table:
    rows = [[label, count_text(n, figures.threshold)] for label, n in figures.families]
    return Table(["Famille de faits", "Faits"], rows)


def hexagon_text(figures: PackFigures) -> str:
    layer = figures.hexagons
    shown = [c for c in layer.counts if c is not None]
    text = (
        f"{fr_int(len(layer.counts))} hexagones H3 de résolution {layer.resolution} ont au "
        f"moins un fait sur la période (le plus chargé : {fr_int(max(shown, default=0))})."
    )
    hidden = len(layer.counts) - len(shown)
    if hidden:
        text += f" {fr_int(hidden)} hexagones ont moins de {figures.threshold} faits : masqués."
    return text + " Classes par seuils naturels (Jenks), comme la carte de l'observatoire."


def hotspot_text(figures: PackFigures) -> str:
    """The hot-spot page's lead, in plain French (the method is in the annex)."""
    layer = figures.hotspots
    if layer is None:
        return figures.hotspots_note or "Pas de points chauds."
    groups = hot_groups(layer)
    hot = [i for i, code in enumerate(layer.codes) if code in HOT]
    cold = sum(1 for code in layer.codes if code in ("cold_95", "cold_99"))
    if groups:
        shown = [n for n in layer.counts if n is not None]
        inside = [layer.counts[i] for i in hot]
        known = [n for n in inside if n is not None]
        share = (
            fr_share(sum(known) / sum(shown))
            if shown and sum(shown) and len(known) == len(inside)
            else "une part masquée"
        )
        zones = f"{len(groups)} zone{'s' if len(groups) > 1 else ''} chaude"
        zones += "s" if len(groups) > 1 else ""
        text = (
            f"Les faits se concentrent nettement : {zones} au seuil de 95{NBSP}% "
            f"({fr_int(len(hot))} hexagones), qui regroupe{'nt' if len(groups) > 1 else ''} "
            f"{share} des faits {'des communes' if figures.request.group else 'de la commune'} "
            f"sur {fr_share(len(hot) / layer.cells.size)} de "
            f"{'leur' if figures.request.group else 'sa'} surface."
        )
    else:
        text = (
            f"Pas de concentration nette : aucun hexagone n'est chaud au seuil de 95{NBSP}% ; "
            "aucun regroupement de faits ne se distingue du hasard."
        )
    if cold:
        text += (
            f" {fr_int(cold)} hexagones sont des zones froides (nettement moins de faits que "
            "leurs voisins ne le laisseraient attendre)."
        )
    return text + " La méthode (Gi* de Getis–Ord, choix de la grille) est en annexe."


def hotspot_table(figures: PackFigures) -> Table:
    layer = figures.hotspots
    found = layer.classes() if layer is not None else {}
    rows = [[label, fr_int(found.get(code, 0))] for code, label, _c in GI_CLASSES]
    return Table(["Classe", "Hexagones"], rows)


def hours_text(spec: str) -> str:
    """« 22-6 » as « 22 h – 6 h », « 7-9,17-19 » as « 7 h – 9 h, 17 h – 19 h »."""
    parts = []
    for item in spec.split(","):
        bounds = [b.strip() for b in item.split("-")]
        parts.append(" – ".join(f"{b}{NBSP}h" for b in bounds))
    return ", ".join(parts)


def timeslot_table(figures: PackFigures) -> Table:
    slots = figures.timeslots.slots
    rows = [
        [
            s.name,
            hours_text(s.hours),
            count_text(None if s.value is None else round(s.value), figures.threshold),
            fr_share(s.share),
        ]
        for s in slots
    ]
    return Table(["Créneau", "Heures", "Faits", "Part"], rows)


def timeslot_text(figures: PackFigures) -> str:
    total = figures.timeslots.total
    shown = hidden_text(figures.threshold) if total is None else fr_int(total)
    return (
        f"{shown} faits répartis selon le jour et l'heure locale où "
        "ils ont commencé. Un fait connu seulement dans un intervalle (un cambriolage constaté "
        "le matin) est partagé à parts égales entre les heures qu'il couvre (méthode "
        "aoristique) : les valeurs peuvent être décimales."
    )


def matrix_table(figures: PackFigures) -> Table:
    rows = [
        [day.capitalize()]
        + [hidden_text(figures.threshold) if v is None else fr_number(v, 0) for v in row]
        for day, row in zip(WEEKDAYS, figures.timeslots.matrix, strict=True)
    ]
    return Table(["Jour", *[f"{h}h" for h in range(24)]], rows)


def trend_table(figures: PackFigures) -> Table:
    t = figures.threshold
    rows = [
        [f"{MONTHS_FR[p.start.month - 1]} {p.start.year}", *_change_cells(p.change, t)]
        for p in figures.trend.months
    ]
    rows.append(["Période", *_change_cells(figures.trend.total, t)])
    return Table(
        ["Mois", "Faits", "Un an plus tôt", "Évolution", "z"],
        rows,
        strong={len(rows) - 1},
        z_columns={4},
    )


def trend_text(figures: PackFigures) -> str:
    test = figures.trend.mann_kendall
    if test.n < 3:
        return "Trop peu de mois pour un test de tendance (il en faut 3 au moins)."
    slope = fr_signed(test.slope, 1)
    return (
        f"Test de Mann–Kendall sur les {test.n} mois de la période : "
        f"{TREND_WORDS.get(test.trend, test.trend)} (p = {fr_number(test.p, 3)} ; "
        f"pente de Sen : {slope} faits par mois). z = 2(√C − √P) compare chaque mois au même "
        "mois un an plus tôt : au-delà de ±2, l'écart est peu vraisemblable sous un même rythme."
    )


def compstat_tables(figures: PackFigures) -> list[tuple[str, Table]]:
    """One table per CompStat period: each family against the same dates a year before."""
    cs = figures.compstat
    out = []
    for i, (name, start, end, _ps, _pe) in enumerate(cs.windows):
        rows = [[row.label, *_change_cells(row.changes[i], figures.threshold)] for row in cs.rows]
        title = f"{name.capitalize()} (du {start:%d/%m/%Y} au {end:%d/%m/%Y})"
        out.append(
            (
                title,
                Table(
                    ["Famille", "Faits", "Un an plus tôt", "Évolution", "z"],
                    rows,
                    strong={0},
                    z_columns={4},
                ),
            )
        )
    return out


def compstat_text(figures: PackFigures) -> str:
    cs = figures.compstat
    if cs.at is None:
        return "Aucun fait dans la base jusqu'à la fin de la période : pas de tableau CompStat."
    spans = " ; ".join(
        f"{name} : du {s:%d/%m/%Y} au {e:%d/%m/%Y} contre du {ps:%d/%m/%Y} au {pe:%d/%m/%Y}"
        for name, s, e, ps, pe in cs.windows
    )
    return (
        f"Périodes arrêtées au {day_label(cs.at)}, comparées aux mêmes dates un an plus tôt "
        f"({spans}). z = 2(√C − √P) : |z| > 2 mérite un regard, quelle que soit la taille des "
        "comptes."
    )


def territory_table(figures: PackFigures) -> Table:
    """Each QPV, the rest of the commune, then the whole commune (in bold)."""
    places = figures.territories
    named = [(f"{q.name} ({q.code})", q) for q in places.qpvs]
    rest = "Reste des communes (hors QPV)" if figures.request.group else places.outside_qpv.name
    named += [(rest, places.outside_qpv)]
    whole = "Ensemble des communes" if figures.request.group else "Commune entière"
    named += [(f"{whole} ({places.whole.name})", places.whole)]
    rows = []
    for name, row in named:
        rows.append(
            [
                name,
                # A row hidden to protect another may hold more than the threshold.
                count_text(row.count, None, hidden=row.count is None)
                if figures.threshold
                else count_text(row.count, None),
                fr_share(row.share),
                _population_text(row, row is places.outside_qpv),
                fr_number(row.rate_per_1000, 1),
            ]
        )
    return Table(
        ["Territoire", "Faits", "Part", "Population", "Pour 1 000 hab."],
        rows,
        strong={len(rows) - 1},
    )


def _population_text(row: TerritoryRow, rest: bool) -> str:
    """The population, marked when borrowed from another QPV generation; why it is missing."""
    if row.population is None:
        return "non calculable" if rest else "non chargée"
    borrowed = f" (population {row.population_from})" if row.population_from else ""
    return fr_int(row.population) + borrowed


def territory_text(figures: PackFigures) -> str:
    return (
        f"Quartiers prioritaires de la géographie {figures.request.generation} : tous les faits "
        "de chaque QPV, même quand il déborde sur une commune voisine ; le reste de la commune "
        "est hors de tout QPV. Taux pour 1 000 habitants là où la population est connue (les "
        "fichiers des QPV 2024 n'en donnent pas : un QPV 2024 reprend alors celle du QPV 2015 "
        "de même nom, marquée « population 2015 », périmètre peut-être changé ; la population "
        "hors QPV n'est donnée que si celle de chaque QPV l'est). Une population « non "
        "chargée » se charge par « observatory import qpv CONTOURS.geojson --generation "
        f"{figures.request.generation} --population INSEE.csv »."
        + (
            f" Secret statistique : un territoire de moins de {figures.threshold} faits est "
            "masqué. Les comptes de cette version sont ceux de la diffusion partenaires, "
            "bruités : la commune moins les autres territoires ne redonne pas un compte exact."
            if figures.threshold
            else ""
        )
    )


def etat4001_table(figures: PackFigures) -> Table:
    t = figures.threshold
    rows = [
        [
            r.family,
            r.unit,
            str(r.year),
            "12" if r.complete else str(r.months),
            *_change_cells(r.change, t),
        ]
        for r in figures.etat4001.rows
    ]
    return Table(
        ["Famille", "Unité", "Année", "Mois", "Chiffre", "Année préc.", "Évolution", "z"],
        rows,
        z_columns={7},
        text_columns=2,
    )


def etat4001_text(figures: PackFigures) -> str:
    table = figures.etat4001
    if not table.rows and table.note:
        return table.note  # the partners' version: why there is no table, nothing else
    services = ", ".join(table.services) if table.services else DASH
    return (
        f"Services rattachés à la commune : {services}. Chiffres annuels par famille "
        "d'indicateurs et par unité de compte, comparés à l'année précédente (aux mêmes mois "
        f"pour une année incomplète). {table.note}"
    )
