"""Which column of an incident file holds which field: header names as people write them.

A header is recognised when its letters and digits alone ("Date des faits" is date_des_faits is
datedesfaits) or its words (observatory.labels: « Nature de l'intervention » is « nature
interventions ») are those of a synonym of a field. The synonyms come from French municipal
police exports and foreign open-data portals: the table of real spellings in
tests/ingest/incidents/header_spellings.csv says where each comes from.
"""

from __future__ import annotations

from collections.abc import Iterable

from observatory.categories import normalise_label
from observatory.labels import word_key

# Synonyms of each target, the preferred first (the first header found takes the field).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "source_ref": (
        "crime id", "reference", "ref", "numero", "num", "no", "n", "id", "identifiant",
        "numero main courante", "numero intervention", "numero fiche", "numero incident",
        "numero dossier", "id incident", "ref incident", "incident id", "n intervention",
        "num intervention", "n fiche", "n incident", "n dossier", "n main courante",
        "n evenement", "numero evenement", "n mc", "numero mc", "n affaire", "numero affaire",
        "n enregistrement", "numero enregistrement", "id intervention", "reference intervention",
        "identifiant intervention", "case number", "incident number", "report number",
        "cmplnt num", "dr no", "num acc",
    ),
    "datetime": (
        "datetime", "date heure", "date et heure", "date heure faits", "date heure des faits",
        "date heure debut", "occurred at", "horodatage", "timestamp", "date et heure des faits",
        "date heure intervention", "date et heure intervention", "date heure appel",
        "date heure evenement", "date heure debut faits", "date time", "incident datetime",
        "offense start datetime", "first occurrence date", "occurred on date",
    ),
    "date": (
        "date", "date faits", "date des faits", "date fait", "date du fait", "date debut",
        "date debut faits", "date intervention", "date de l intervention", "jour", "start date",
        "date appel", "date evenement", "date constat", "date constatation", "date infraction",
        "date debut intervention", "date commission", "incident date", "date occ",
        "cmplnt fr dt", "occurrence date",
    ),
    "time": (
        "heure", "heure faits", "heure des faits", "heure fait", "heure debut",
        "heure debut faits", "heure intervention", "time", "hour", "start time", "heure appel",
        "heure evenement", "heure constat", "heure debut intervention", "incident time",
        "time occ", "cmplnt fr tm", "hrmn",
    ),
    "datetime_end": (
        "end", "fin", "datetime end", "date heure fin", "ended at", "occurred until",
        "date heure fin faits", "date heure fin intervention", "offense end datetime",
        "last occurrence date",
    ),
    "date_end": (
        "date fin", "date fin faits", "date de fin", "end date", "date fin intervention",
        "cmplnt to dt",
    ),
    "time_end": (
        "heure fin", "heure fin faits", "heure de fin", "end time", "heure fin intervention",
        "cmplnt to tm",
    ),
    "month": ("month", "mois"),
    "category": (
        "crime type", "categorie", "category", "nature", "nature faits", "nature des faits",
        "nature fait", "nature intervention", "type fait", "type faits", "type incident",
        "type intervention", "type", "motif", "infraction", "qualification", "nature appel",
        "motif intervention", "motif appel", "nature evenement", "type evenement",
        "categorie fait", "categorie infraction", "nature infraction", "type infraction",
        "libelle nature", "libelle infraction", "qualification faits", "primary type",
        "crm cd desc", "ofns desc", "incident category", "offense description",
        "offense category id",
    ),
    "x": (
        "x", "coord x", "coordonnee x", "x l93", "x lambert93", "x lambert", "lambert x",
        "easting", "x lambert 93", "coordonnee x lambert 93", "x coordinate", "x coord cd",
        "geo x",
    ),
    "y": (
        "y", "coord y", "coordonnee y", "y l93", "y lambert93", "y lambert", "lambert y",
        "northing", "y lambert 93", "coordonnee y lambert 93", "y coordinate", "y coord cd",
        "geo y",
    ),
    "lon": (
        "longitude", "lon", "lng", "long", "long wgs84", "wgs84 lon", "longitude wgs84",
        "gps longitude", "geo lon",
    ),
    "lat": (
        "latitude", "lat", "lat wgs84", "wgs84 lat", "latitude wgs84", "gps latitude", "geo lat",
    ),
    "address": (
        "adresse", "address", "location", "lieu", "adresse faits", "adresse des faits",
        "lieu faits", "lieu des faits", "localisation", "adresse complete", "rue", "voie",
        "lieu intervention", "adresse intervention", "lieu evenement", "adresse evenement",
        "lieu infraction", "localisation faits", "localisation intervention", "adresse lieu",
        "adresse postale", "block", "incident address", "street", "intersection",
        "100 block address", "adr",
    ),
    "commune_code": (
        "code insee", "insee", "code commune", "insee com", "code insee commune", "code geo",
        "dep com", "city code", "codgeo", "code insee faits",
    ),
    "commune_name": (
        "commune", "nom commune", "libelle commune", "lib commune", "ville", "city",
        "commune faits", "commune intervention", "localite", "ville faits",
    ),
}  # fmt: skip


def compact(name: str) -> str:
    """Letters and digits only, lower case, no accents: "Date des faits" -> "datedesfaits"."""
    return normalise_label(name).replace(" ", "")


# Per target, each synonym's two keys: its letters and digits alone, and its words.
KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    target: tuple((compact(s), word_key(s)) for s in synonyms)
    for target, synonyms in SYNONYMS.items()
}


class HeaderIndex:
    """The header names of a file, found by their compact form or by their words."""

    def __init__(self, names: Iterable[str]) -> None:
        self.by_compact: dict[str, str] = {}
        self.by_words: dict[str, str] = {}
        for name in names:
            self.by_compact.setdefault(compact(name), name)
            key = word_key(name)
            if key:
                self.by_words.setdefault(key, name)

    def find(self, name: str) -> str | None:
        """The header that reads as ``name`` (a mapping's column, a synonym)."""
        return self.by_compact.get(compact(name)) or self.by_words.get(word_key(name))

    def recognise(self, targets: Iterable[str], used: set[str]) -> dict[str, str]:
        """Target -> header for the targets whose synonyms name a header not in ``used``."""
        found: dict[str, str] = {}
        taken = set(used)
        for target in targets:
            for letters, words in KEYS[target]:
                candidate = self.by_compact.get(letters) or self.by_words.get(words)
                if candidate is not None and candidate not in taken:
                    found[target] = candidate
                    taken.add(candidate)
                    break
        return found


def recognised_count(names: Iterable[str]) -> int:
    """How many fields a row of cells names: the score of a candidate header row."""
    return len(HeaderIndex(n for n in names if n).recognise(SYNONYMS, set()))
