"""How the towns' software spell the nature of a fact, per category of the nomenclature."""

from __future__ import annotations

import unicodedata

import numpy as np

from observatory.categories import CATEGORIES, normalise_label

# aliases of the nomenclature with their accents and apostrophes. Frozen here (not derived from
# observatory.categories) so that the committed sample does not change when aliases are added;
# each spelling must still normalise to a label or an alias of its category (checked when used).
NATURE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "violences_physiques": (
        "Violences physiques",
        "Coups et blessures",
        "Violences",
        "Violence volontaire",
        "Agression",
        "Coups et blessures volontaires",
    ),
    "violences_intrafamiliales": (
        "Violences intrafamiliales",
        "VIF",
        "Violences conjugales",
        "Violence intrafamiliale",
    ),
    "violences_sexuelles": (
        "Violences sexuelles",
        "Agression sexuelle",
        "Harcèlement sexuel",
        "Atteinte sexuelle",
    ),
    "menaces": (
        "Menaces et chantages",
        "Menace",
        "Menaces de mort",
        "Chantage",
    ),
    "vol_violent": (
        "Vol avec violence",
        "Vol avec violences",
        "Vol violent",
        "Arrachage",
        "Vol à l'arraché",
    ),
    "vol_arme": (
        "Vol à main armée",
        "Vol à main armée",
        "Braquage",
        "Vol avec arme",
    ),
    "outrage_agent": (
        "Outrage ou violence envers un agent",
        "Outrage",
        "Rébellion",
        "Outrage à agent",
        "Violence sur agent",
    ),
    "cambriolage_logement": (
        "Cambriolage de logement",
        "Cambriolage",
        "Cambriolage habitation",
        "Cambriolage domicile",
        "Vol par effraction logement",
    ),
    "cambriolage_commerce": (
        "Cambriolage de local commercial",
        "Cambriolage commerce",
        "Cambriolage local professionnel",
        "Cambriolage entreprise",
    ),
    "vol_tire": (
        "Vol à la tire",
        "Pickpocket",
        "Vol à la tire",
    ),
    "vol_etalage": (
        "Vol à l'étalage",
        "Vol étalage",
        "Vol en magasin",
    ),
    "vol_simple": (
        "Autre vol simple",
        "Vol",
        "Vol simple",
        "Autre vol",
    ),
    "vol_vehicule": (
        "Vol de véhicule",
        "Vol de voiture",
        "Vol automobile",
        "Vol VL",
        "Vol de véhicule",
    ),
    "vol_deux_roues": (
        "Vol de deux-roues motorisé",
        "Vol de scooter",
        "Vol de moto",
        "Vol 2 roues",
        "Vol deux roues",
    ),
    "vol_velo": (
        "Vol de vélo",
        "Vol de bicyclette",
        "Vol vélo",
    ),
    "vol_dans_vehicule": (
        "Vol dans un véhicule",
        "Vol à la roulotte",
        "Vol roulotte",
        "Vol dans véhicule",
    ),
    "vol_accessoires": (
        "Vol d'accessoires sur véhicule",
        "Vol d'accessoires",
        "Vol de pièces",
    ),
    "degradation_vehicule": (
        "Dégradation de véhicule",
        "Dégradation véhicule",
        "Véhicule dégradé",
    ),
    "degradation_bien_public": (
        "Dégradation de bien public",
        "Dégradation mobilier urbain",
        "Dégradation bien public",
        "Vandalisme",
    ),
    "degradation_bien_prive": (
        "Dégradation de bien privé",
        "Dégradation",
        "Dégradations",
        "Dégradation bien privé",
    ),
    "incendie_volontaire": (
        "Incendie volontaire",
        "Incendie",
        "Feu de véhicule",
        "Incendie de véhicule",
        "Feu de poubelle",
    ),
    "tags_graffitis": (
        "Tags et graffitis",
        "Tag",
        "Tags",
        "Graffiti",
        "Graffitis",
    ),
    "trafic_stupefiants": (
        "Trafic de stupéfiants",
        "Trafic",
        "Deal",
        "Trafic de stupéfiants",
        "Point de deal",
    ),
    "usage_stupefiants": (
        "Usage de stupéfiants",
        "ILS",
        "Usage",
        "Consommation de stupéfiants",
        "Usage de stupéfiants",
    ),
    "tapage": (
        "Tapage et nuisances sonores",
        "Tapage nocturne",
        "Nuisances sonores",
        "Bruit",
        "Tapage diurne",
    ),
    "rixe": (
        "Rixe",
        "Bagarre",
        "Rixes",
    ),
    "ivresse_publique": (
        "Ivresse publique manifeste",
        "IPM",
        "Ivresse",
        "Ivresse publique",
    ),
    "rodeo_urbain": (
        "Rodéo urbain",
        "Rodéo",
        "Rodéos",
    ),
    "occupation_halls": (
        "Occupation de halls d'immeuble",
        "Occupation de hall",
        "Regroupement",
        "Attroupement",
    ),
    "incivilite": (
        "Incivilité, comportement anti-social",
        "Incivilités",
        "Comportement antisocial",
        "Nuisance",
    ),
    "trouble_ordre_public": (
        "Trouble à l'ordre public",
        "Trouble à l'ordre public",
        "Trouble tranquillité",
    ),
    "depot_sauvage": (
        "Dépôt sauvage",
        "Dépôts sauvages",
        "Encombrants",
        "Déversement",
    ),
    "accident_circulation": (
        "Accident de la circulation",
        "Accident",
        "Accident matériel",
        "Accident corporel",
    ),
    "infraction_routiere": (
        "Infraction routière",
        "Excès de vitesse",
        "Refus d'obtempérer",
        "Conduite dangereuse",
    ),
    "stationnement_genant": (
        "Stationnement gênant ou dangereux",
        "Stationnement",
        "Stationnement gênant",
        "Stationnement illicite",
    ),
    "port_arme": (
        "Port d'arme prohibée",
        "Port d'arme",
        "Détention d'arme",
    ),
    "escroquerie": (
        "Escroquerie",
        "Escroqueries",
        "Arnaque",
        "Fraude",
    ),
    "autre": (
        "Autre fait",
        "Autres",
        "Divers",
    ),
}


def _strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def nature_spellings(code: str) -> tuple[list[str], np.ndarray]:
    """The spellings of a category's nature, and their probabilities.

    The French label in 55 % of the facts, one of the other spellings in 45 %; then 80 % as
    is, 12 % in capitals, 8 % in capitals without accents.
    """
    category = next((c for c in CATEGORIES if c.code == code), None)
    if category is None:
        raise ValueError(f"unknown category code {code!r}")
    names = {normalise_label(name) for name in (category.label, *category.aliases)}
    label, *others = NATURE_SPELLINGS[code]
    for text in (label, *others):
        if normalise_label(text) not in names:
            raise ValueError(f"{text!r} is neither a label nor an alias of {code!r}")
    bases = [(label, 0.55)] + [(text, 0.45 / len(others)) for text in others]
    spellings: list[str] = []
    weights: list[float] = []
    for text, weight in bases:
        for variant, share in (
            (text, 0.80),
            (text.upper(), 0.12),
            (_strip_accents(text).upper(), 0.08),
        ):
            spellings.append(variant)
            weights.append(weight * share)
    probabilities = np.asarray(weights)
    return spellings, probabilities / probabilities.sum()
