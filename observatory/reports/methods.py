"""The pack's annex « Méthodes »: what the pages read in plain French rest on, for whoever checks.

The pages lead with what a coordinator understands; the statistics' names, formulas and
settings (Gi*, k, Moran's I, RES, WDQ…) are here, once, at the end.
"""

from __future__ import annotations

from observatory.analytics import evaluation as ev
from observatory.reports.messages import CHANGE_WINDOW, SLOT_HOURS, Z_NET
from observatory.reports.model import PackFigures
from observatory.reports.style import NBSP, fr_int

TITLE = "Méthodes"
KEY = "methodes"


def hotspot_method(figures: PackFigures) -> str:
    layer = figures.hotspots
    if layer is None:
        return f"Points chauds : {figures.hotspots_note or 'aucun calcul.'}"
    return (
        f"Points chauds : Gi* de Getis–Ord sur les {fr_int(layer.cells.size)} hexagones dont le "
        f"centre est dans la commune (vides compris), poids binaires sur {layer.k} anneau(x) "
        "autour de chaque hexagone, lui compris ; p bilatéral de la loi normale ; classes à 90, "
        f"95 et 99{NBSP}% de confiance corrigées du taux de fausses découvertes "
        "(Benjamini–Hochberg). Une « zone chaude » est un groupe d'hexagones chauds à 95 % ou "
        "plus qui se touchent. Choix de la grille (d'après l'analyse optimisée des points chauds "
        f"d'Esri) : {layer.reason}."
    )


def method_paragraphs(figures: PackFigures) -> list[tuple[str, str]]:
    """(heading, paragraph) of each method the pack uses."""
    window = "28 jours" if not figures.partner else "3 mois"
    out = [
        (
            "Messages clés",
            f"Les trois évolutions retenues sont celles des familles de faits du tableau "
            f"CompStat (période de {window}, période n°{CHANGE_WINDOW + 1} du tableau) dont "
            "l'écart à l'année précédente est le plus fort au sens du z de Poisson (en version "
            "partenaires, dont les comptes sont bruités : la plus forte différence). Le créneau "
            f"le plus chargé est la suite de {SLOT_HOURS} heures consécutives (minuit compris) "
            "qui compte le plus de faits dans la matrice jour × heure.",
        ),
        (
            "Comparaisons d'une année sur l'autre",
            "z = 2(√C − √P), où C est le compte de la période et P celui des mêmes dates un an "
            "plus tôt : sous un même rythme (loi de Poisson), z suit à peu près une loi normale "
            f"centrée réduite. Au-delà de ±{Z_NET:g}, l'écart est dit significatif ; en deçà, "
            "il reste dans les variations habituelles.",
        ),
        ("Points chauds", hotspot_method(figures)),
        (
            "Créneaux horaires",
            "Un fait connu seulement dans un intervalle (un cambriolage constaté le matin) est "
            "partagé à parts égales entre les heures qu'il couvre (méthode aoristique) : les "
            "valeurs peuvent être décimales.",
        ),
    ]
    if figures.actions:
        out += [
            (
                "Évaluation des actions : effet relatif",
                f"{ev.direction_text()} Intervalle de confiance à 95{NBSP}% : "
                "exp(ln RES ± 1,96·√(1/a + 1/b + 1/c + 1/d)) ; p bilatéral du z = ln RES / "
                "erreur type (Farrington et Welsh). L'effet n'est dit mesurable que si chacun "
                f"des quatre comptes vaut au moins {ev.MIN_COUNT} et si l'intervalle ne s'étend "
                f"pas sur plus d'un facteur {ev.MAX_CI_RATIO:g} ; significatif si p < "
                f"{str(ev.ALPHA).replace('.', ',')}.",
            ),
            (
                "Évaluation des actions : déplacement",
                "Quotient de déplacement pondéré (WDQ, Bowers et Johnson 2003) : mesure de "
                "succès S = Ta/Ca − Tb/Cb (zone traitée T, zone témoin C, b avant, a après), "
                "mesure de l'anneau D = Ba/Ca − Bb/Cb, WDQ = D / S. Il ne se lit que si la zone "
                "traitée a baissé significativement par rapport à la zone témoin : sinon S n'est "
                "que du bruit autour de zéro et le quotient peut prendre n'importe quelle valeur "
                "(« déplacement non interprétable : pas d'effet direct mesuré »). WDQ > 1 : "
                "diffusion des bénéfices plus forte que l'effet direct ; entre 0 et 1 : "
                "diffusion ; entre −1 et 0 : déplacement partiel ; < −1 : déplacement supérieur "
                "à l'effet direct. Effet net total (Guerette 2009) : [Tb·Ca/Cb − Ta] + "
                "[Bb·Ca/Cb − Ba], lu aux mêmes conditions.",
            ),
            (
                "Évaluation des actions : régression vers la moyenne",
                f"Quand les mois précédant l'action dépassent {ev.RTM_SHARE:.0%} des périodes "
                "de même durée des trois années d'avant".replace("%", f"{NBSP}%")
                + f" (il en faut {ev.RTM_MIN_WINDOWS} au moins), le lieu a pu être choisi pour "
                "un pic qui se serait résorbé de lui-même : la lecture le signale.",
            ),
        ]
    return out
