"""The 107 index of the état 4001: published label, display label, unit of count, families.

The data is ``nomenclature.csv`` beside this module, one line per index:

- ``published_label``: the label exactly as the national workbook publishes it (data.gouv.fr,
  « Crimes et délits enregistrés par les services de gendarmerie et de police depuis 2012 »,
  2012–2020 edition), typos and double spaces included (« malfaireurs », « Sequestrations »,
  « Camb.de  locaux », « frêt », « d''accessoires », « deslocaux », « er dégradations »,
  « illicittes », …): an importer compares what it reads with it.
- ``label``: the same label corrected for display (spelling, spacing, abbreviations).
- ``unit``: what one unit of the count is. The état 4001 does not count the same thing in every
  index, and figures of different units are never added together (the SSMSI: « il n'est pas
  pertinent de constituer des agrégats regroupant des index n'ayant pas la même unité de
  compte », Interstats, « État historique 4001 »).
- ``indicator``: the SSMSI indicator the index belongs to, when it belongs to one.
- ``family``: one coarse family per index (every index in exactly one).
- ``unused``: the index « non utilisé » (96, 97, 99, 100), kept so that a sheet reads whole.

Sources and judgement calls:

- Units. Stated by the SSMSI (Interstats, « État historique 4001 » and the unité.de.compte
  column of its départemental base, data/ssmsi in the shared data): victims for sexual violence
  (46–49) and for homicides and assault (the indicators « Homicides », « Coups et blessures
  volontaires »: victime); the person mis en cause for drug use and dealing (55–57); vehicles
  for vehicle thefts (34–38: véhicule); the cheque for index 89; infractions for armed and
  violent thefts (15–26), burglaries (27–28) and damage (62–68); « victime entendue » (the
  complainant heard) for thefts without violence against persons (32, 42, 43). Judgement calls
  (no published statement found): the other offences against persons (8–14, 50, 52–54) and
  offences against officers (72–73) in victims, as the rest of that chapter; index 58 (other
  drug offences) and 69–71 (immigration law), revealed by the services like 55–57, in persons
  mis en cause; every other index in « faits » (infractions). Unused index: « sans objet ».
- Indicators. The 14 classes of the SSMSI départemental base (2016–2022) anchor them, with the
  index composition the SSMSI gives for the état 4001 era: homicides (1, 2, 3, 6, 51), coups et
  blessures volontaires (7; the split « intrafamiliaux / autres » of the base comes from the
  procedures, not from the état 4001, and cannot be made here), violences sexuelles (46–49),
  vols avec armes (15–22), vols violents sans arme (23–26), vols sans violence contre des
  personnes (32, 42, 43), cambriolages de logement (27, 28), vols de véhicules (34–36), vols
  dans les véhicules (37), vols d'accessoires sur véhicules (38), destructions et dégradations
  volontaires (62–68), trafic de stupéfiants (55, 56), usage de stupéfiants (57). Each
  indicator has a single unit (the tests check it).
- Families (coarse, every index in one): atteintes aux personnes (1–14, 45–54, 72, 73; armed
  and violent thefts count as thefts, as in the SSMSI's yearly report), atteintes aux biens
  (15–43, 62–68), escroqueries et infractions économiques et financières (84–92, 98, 101–106),
  infractions révélées par l'action des services (44, 55–58, 69–71, 74, 81–83, 93–95: the
  ONDRP's « IRAS », counted when a service finds them, not on a complaint), autres (59–61,
  75–80, 107 and the unused index). A family mixes units: its series are given per unit.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("nomenclature.csv")
INDEX_COUNT = 107
UNUSED_LABEL = "Index non utilisé"

UNITS: dict[str, str] = {
    "victimes": "victimes",
    "victimes_entendues": "victimes entendues (plaignants)",
    "faits": "faits (infractions)",
    "vehicules": "véhicules",
    "mis_en_cause": "personnes mises en cause",
    "cheques": "chèques",
    "sans_objet": "sans objet (index non utilisé)",
}

FAMILIES: dict[str, str] = {
    "atteintes_personnes": "Atteintes aux personnes",
    "atteintes_biens": "Atteintes aux biens",
    "escroqueries_economiques": "Escroqueries et infractions économiques et financières",
    "iras": "Infractions révélées par l'action des services",
    "autres": "Autres infractions",
}

INDICATORS: dict[str, str] = {
    "homicides": "Homicides",
    "coups_blessures_volontaires": "Coups et blessures volontaires",
    "violences_sexuelles": "Violences sexuelles",
    "vols_avec_armes": "Vols avec armes",
    "vols_violents_sans_arme": "Vols violents sans arme",
    "vols_sans_violence_personnes": "Vols sans violence contre des personnes",
    "cambriolages_logement": "Cambriolages de logement",
    "vols_vehicules": "Vols de véhicules",
    "vols_dans_vehicules": "Vols dans les véhicules",
    "vols_accessoires_vehicules": "Vols d'accessoires sur véhicules",
    "destructions_degradations": "Destructions et dégradations volontaires",
    "trafic_stupefiants": "Trafic de stupéfiants",
    "usage_stupefiants": "Usage de stupéfiants",
}


@dataclass(frozen=True)
class IndexEntry:
    index: int
    published_label: str
    label: str
    unit: str
    indicator: str | None
    family: str
    unused: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "published_label": self.published_label,
            "label": self.label,
            "unit": self.unit,
            "unit_label": UNITS[self.unit],
            "indicator": self.indicator,
            "indicator_label": INDICATORS.get(self.indicator or ""),
            "family": self.family,
            "family_label": FAMILIES[self.family],
            "unused": self.unused,
        }


@cache
def entries() -> tuple[IndexEntry, ...]:
    """The 107 index, in order, read from nomenclature.csv."""
    with open(DATA, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = tuple(
        IndexEntry(
            index=int(row["index"]),
            published_label=row["published_label"],
            label=row["label"],
            unit=row["unit"],
            indicator=row["indicator"] or None,
            family=row["family"],
            unused=row["unused"] == "1",
        )
        for row in rows
    )
    if [e.index for e in found] != list(range(1, INDEX_COUNT + 1)):
        raise RuntimeError(f"{DATA.name} doit décrire les index 1 à {INDEX_COUNT}, dans l'ordre.")
    return found


def entry(index: int) -> IndexEntry:
    return entries()[index - 1]


def units_of(indexes: list[int] | tuple[int, ...]) -> dict[str, list[int]]:
    """Unit -> the given index counted in it."""
    found: dict[str, list[int]] = {}
    for index in indexes:
        found.setdefault(entry(index).unit, []).append(index)
    return found


def describe() -> dict[str, object]:
    """The nomenclature as the API gives it."""
    return {
        "units": [{"code": k, "label": v} for k, v in UNITS.items()],
        "families": [{"code": k, "label": v} for k, v in FAMILIES.items()],
        "indicators": [
            {
                "code": code,
                "label": label,
                "unit": entries_of_indicator(code)[0].unit,
                "index": [e.index for e in entries_of_indicator(code)],
            }
            for code, label in INDICATORS.items()
        ],
        "index": [e.as_dict() for e in entries()],
    }


def entries_of_indicator(code: str) -> list[IndexEntry]:
    return [e for e in entries() if e.indicator == code]


def index_rows() -> list[dict[str, object]]:
    """The 107 index as rows of ``etat4001_index`` (observatory.db.seed_reference stores them)."""
    return [asdict(e) for e in entries()]
