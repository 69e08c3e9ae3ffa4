"""The incident nomenclature: categories of municipal police facts, in families.

Each category is linked to the état 4001 index whose meaning it matches, where one does; facts
that the état 4001 does not count (noise, rodeos, parking) have no index. Aliases are the usual
ways the towns' tools spell a category; matching ignores case, accents and punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from observatory.models import Category

FAMILIES: dict[str, str] = {
    "personnes": "Atteintes aux personnes",
    "vols": "Vols et cambriolages",
    "vehicules": "Vols liés aux véhicules",
    "degradations": "Destructions et dégradations",
    "stupefiants": "Stupéfiants",
    "tranquillite": "Tranquillité publique et incivilités",
    "route": "Sécurité routière",
    "autres": "Autres faits",
}


@dataclass(frozen=True)
class CategorySeed:
    code: str
    label: str
    family: str
    etat4001_index: int | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed(
        "violences_physiques",
        "Violences physiques",
        "personnes",
        7,
        (
            "coups et blessures",
            "violences",
            "violence volontaire",
            "agression",
            "coups et blessures volontaires",
        ),
    ),
    CategorySeed(
        "violences_intrafamiliales",
        "Violences intrafamiliales",
        "personnes",
        None,
        ("vif", "violences conjugales", "violence intrafamiliale"),
    ),
    CategorySeed(
        "violences_sexuelles",
        "Violences sexuelles",
        "personnes",
        48,
        ("agression sexuelle", "harcelement sexuel", "atteinte sexuelle"),
    ),
    CategorySeed(
        "menaces",
        "Menaces et chantages",
        "personnes",
        12,
        ("menace", "menaces de mort", "chantage"),
    ),
    CategorySeed(
        "vol_violent",
        "Vol avec violence",
        "personnes",
        26,
        ("vol avec violences", "vol violent", "arrachage", "vol a l arrache"),
    ),
    CategorySeed(
        "vol_arme",
        "Vol à main armée",
        "personnes",
        19,
        ("vol a main armee", "braquage", "vol avec arme"),
    ),
    CategorySeed(
        "outrage_agent",
        "Outrage ou violence envers un agent",
        "personnes",
        72,
        ("outrage", "rebellion", "outrage a agent", "violence sur agent"),
    ),
    CategorySeed(
        "cambriolage_logement",
        "Cambriolage de logement",
        "vols",
        27,
        (
            "cambriolage",
            "cambriolage habitation",
            "cambriolage domicile",
            "vol par effraction logement",
        ),
    ),
    CategorySeed(
        "cambriolage_commerce",
        "Cambriolage de local commercial",
        "vols",
        29,
        ("cambriolage commerce", "cambriolage local professionnel", "cambriolage entreprise"),
    ),
    CategorySeed("vol_tire", "Vol à la tire", "vols", 32, ("pickpocket", "vol a la tire")),
    CategorySeed("vol_etalage", "Vol à l'étalage", "vols", 33, ("vol etalage", "vol en magasin")),
    CategorySeed("vol_simple", "Autre vol simple", "vols", 43, ("vol", "vol simple", "autre vol")),
    CategorySeed(
        "vol_vehicule",
        "Vol de véhicule",
        "vehicules",
        35,
        ("vol de voiture", "vol automobile", "vol vl", "vol de vehicule"),
    ),
    CategorySeed(
        "vol_deux_roues",
        "Vol de deux-roues motorisé",
        "vehicules",
        36,
        ("vol de scooter", "vol de moto", "vol 2 roues", "vol deux roues"),
    ),
    CategorySeed("vol_velo", "Vol de vélo", "vehicules", None, ("vol de bicyclette", "vol velo")),
    CategorySeed(
        "vol_dans_vehicule",
        "Vol dans un véhicule",
        "vehicules",
        37,
        ("vol a la roulotte", "vol roulotte", "vol dans vehicule"),
    ),
    CategorySeed(
        "vol_accessoires",
        "Vol d'accessoires sur véhicule",
        "vehicules",
        38,
        ("vol d accessoires", "vol de pieces"),
    ),
    CategorySeed(
        "degradation_vehicule",
        "Dégradation de véhicule",
        "degradations",
        68,
        ("degradation vehicule", "vehicule degrade"),
    ),
    CategorySeed(
        "degradation_bien_public",
        "Dégradation de bien public",
        "degradations",
        66,
        ("degradation mobilier urbain", "degradation bien public", "vandalisme"),
    ),
    CategorySeed(
        "degradation_bien_prive",
        "Dégradation de bien privé",
        "degradations",
        67,
        ("degradation", "degradations", "degradation bien prive"),
    ),
    CategorySeed(
        "incendie_volontaire",
        "Incendie volontaire",
        "degradations",
        63,
        ("incendie", "feu de vehicule", "incendie de vehicule", "feu de poubelle"),
    ),
    CategorySeed(
        "tags_graffitis",
        "Tags et graffitis",
        "degradations",
        None,
        ("tag", "tags", "graffiti", "graffitis"),
    ),
    CategorySeed(
        "trafic_stupefiants",
        "Trafic de stupéfiants",
        "stupefiants",
        55,
        ("trafic", "deal", "trafic de stupefiants", "point de deal"),
    ),
    CategorySeed(
        "usage_stupefiants",
        "Usage de stupéfiants",
        "stupefiants",
        57,
        ("ils", "usage", "consommation de stupefiants", "usage de stupefiants"),
    ),
    CategorySeed(
        "tapage",
        "Tapage et nuisances sonores",
        "tranquillite",
        None,
        ("tapage nocturne", "nuisances sonores", "bruit", "tapage diurne"),
    ),
    CategorySeed("rixe", "Rixe", "tranquillite", None, ("bagarre", "rixes")),
    CategorySeed(
        "ivresse_publique",
        "Ivresse publique manifeste",
        "tranquillite",
        None,
        ("ipm", "ivresse", "ivresse publique"),
    ),
    CategorySeed("rodeo_urbain", "Rodéo urbain", "tranquillite", None, ("rodeo", "rodeos")),
    CategorySeed(
        "occupation_halls",
        "Occupation de halls d'immeuble",
        "tranquillite",
        None,
        ("occupation de hall", "regroupement", "attroupement"),
    ),
    CategorySeed(
        "incivilite",
        "Incivilité, comportement anti-social",
        "tranquillite",
        None,
        ("incivilites", "comportement antisocial", "nuisance"),
    ),
    CategorySeed(
        "trouble_ordre_public",
        "Trouble à l'ordre public",
        "tranquillite",
        None,
        ("trouble a l ordre public", "trouble tranquillite"),
    ),
    CategorySeed(
        "depot_sauvage",
        "Dépôt sauvage",
        "tranquillite",
        None,
        ("depots sauvages", "encombrants", "deversement"),
    ),
    CategorySeed(
        "accident_circulation",
        "Accident de la circulation",
        "route",
        None,
        ("accident", "accident materiel", "accident corporel"),
    ),
    CategorySeed(
        "infraction_routiere",
        "Infraction routière",
        "route",
        None,
        ("exces de vitesse", "refus d obtemperer", "conduite dangereuse"),
    ),
    CategorySeed(
        "stationnement_genant",
        "Stationnement gênant ou dangereux",
        "route",
        None,
        ("stationnement", "stationnement genant", "stationnement illicite"),
    ),
    CategorySeed(
        "port_arme", "Port d'arme prohibée", "autres", 74, ("port d arme", "detention d arme")
    ),
    CategorySeed("escroquerie", "Escroquerie", "autres", 91, ("escroqueries", "arnaque", "fraude")),
    CategorySeed("autre", "Autre fait", "autres", None, ("autres", "divers")),
)


def normalise_label(value: str) -> str:
    """Lower case, no accents, punctuation as spaces: "Vol à l'Étalage" -> 'vol a l etalage'."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def category_rows() -> list[dict[str, object]]:
    """The nomenclature as rows of ``category`` (observatory.db.seed_reference stores them)."""
    return [{**asdict(c), "aliases": list(c.aliases)} for c in CATEGORIES]


def category_lookup(session: Session | Connection) -> dict[str, str]:
    """Normalised code, label and alias -> category code, from the database."""
    lookup: dict[str, str] = {}
    for code, label, aliases in session.execute(
        select(Category.code, Category.label, Category.aliases)
    ):
        for name in (code, label, *(aliases or ())):
            lookup.setdefault(normalise_label(name), code)
    return lookup
