"""Synthetic municipal-police incidents over real geography, and a hand-made messy export.

No French open data set publishes incident-level records, so the project's incident samples
are generated: a seeded, vectorised model of where and when the facts of a municipal police
happen, drawn over a real commune outline and its real QPV. Nothing here touches a database.

Municipal export format (what `write_municipal_csv` writes)
-----------------------------------------------------------
The format most French municipal tools (main courante, CSU, police municipale software)
can export, reduced to its usual columns:

* UTF-8 without BOM, ``;`` separator, one line per fact, ``\\n`` line ends, no quoting (no value
  contains a ``;``);
* header (one line)
  ``numero;date_faits;heure_faits;date_fin;heure_fin;nature;adresse;code_insee;longitude;latitude``;
* ``numero``: the tool's reference of the fact, unique: ``PM`` + département + year of the
  fact + sequence number in that year, e.g. ``PM31-2024-000123``;
* ``date_faits`` ``dd/mm/yyyy`` and ``heure_faits`` ``hh:mm``: local wall-clock time
  (Europe/Paris) of the fact, or of the start of the interval when the fact is only known to
  lie in one (a burglary found in the evening: left at 8:05, back at 18:20);
* ``date_fin`` / ``heure_fin``: end of that interval, empty for a point fact;
* ``nature``: the category as the agent's software spells it: the French label of the
  nomenclature (`observatory.categories`) or one of its aliases, sometimes in capitals, with
  or without accents ("Vol à l'étalage", "VOL A L'ETALAGE", "Vol en magasin", "IPM");
* ``adresse``: a street-like string ("12 rue Bayard"), the nearest of a short list of real
  Toulouse streets (approximate positions), with a synthetic house number;
* ``code_insee``: INSEE code of the commune (31555 for Toulouse);
* ``longitude`` / ``latitude``: WGS84 degrees with a decimal comma and 6 decimals.

The model
---------
Each category of the nomenclature has a share of the facts, a weekday x hour profile (night and
Friday/Saturday-night facts for tapage, rixe and ivresse publique; shop hours for vol à
l'étalage; weekday day time for cambriolage de logement; rush hours for accidents; ...), a mild
seasonality (cosine over the year, peak month per category) with a few special nights (fête de
la musique, 14 juillet, Saint-Sylvestre), an optional slight yearly trend, and a mix of places:
a diffuse background uniform over the commune and Gaussian hotspots around a few dozen centres
(Capitole and the city centre, nightlife streets, Matabiau station, shopping streets, metro
hubs, universities, the hospital, and the QPV: the representative point of every QPV polygon
given, plus the Grand Mirail sub-areas Reynerie, Bellefontaine, Bagatelle). Named centres
that fall outside the commune given are dropped, so the generator works for any commune.
Every point lies inside the commune polygon (rejection sampling with `shapely.contains_xy`,
on the coordinates rounded to the 6 decimals that are written).

About 10 % of the facts are intervals: cambriolage de logement (left ~8h, back ~18h, sometimes
a holiday absence of days), vehicle thefts and damage (parked ~22h, found ~7h), commercial
burglaries (closed in the evening, found at the next opening), bicycle thefts.

Planted signals, for the trend and hotspot analyses to find:

* ``trafic_stupefiants`` rising inside the QPV Empalot (QN03109M; else the first QPV given):
  an extra component drawn inside that QPV whose intensity ramps linearly x9 over the period;
* ``rodeo_urbain``: a new hotspot in the QPV Izards - 3 Cocus - La Vache (QN03110M; else the
  second QPV given) from the 13th month on (an emerging "new" hotspot);
* ``vol_velo`` +15 %/year and ``escroquerie`` +20 %/year city-wide, ``cambriolage_logement``
  -10 %/year.

Local times that do not exist (the spring DST gap, 02:00-02:59 on the last Sunday of March) are
moved one hour later: a clean export has none (the messy sample has one on purpose).

Command line::

    python -m ingest.synthetic --seed 42 --rows 30000 --out data/samples/incidents_toulouse.csv
    python -m ingest.synthetic --messy data/samples/municipal_messy.csv

1,000,000 rows take a few seconds (everything is vectorised numpy/pandas).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from observatory.categories import CATEGORIES, normalise_label

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT / "data" / "samples"
DEFAULT_COMMUNE = SAMPLES / "communes_toulouse.geojson"
DEFAULT_QPV = (SAMPLES / "qpv2024_toulouse.geojson",)
DEFAULT_START = date(2024, 1, 1)
DEFAULT_MONTHS = 24
DEFAULT_SEED = 42
DEFAULT_ROWS = 30_000

MUNICIPAL_COLUMNS = (
    "numero",
    "date_faits",
    "heure_faits",
    "date_fin",
    "heure_fin",
    "nature",
    "adresse",
    "code_insee",
    "longitude",
    "latitude",
)

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0

# ---------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hotspot:
    """A centre of concentration: facts fall around it with a Gaussian spread."""

    name: str
    kind: str
    lon: float
    lat: float
    sigma_m: float
    weight: float = 1.0
    polygon: BaseGeometry | None = None  # for a QPV: its (repaired) outline


# Real places of Toulouse (approximate positions). Kinds: centre, nightlife, station, shops,
# transport, university, hospital, qpv, residential.
NAMED_HOTSPOTS: tuple[Hotspot, ...] = (
    Hotspot("Capitole", "centre", 1.4437, 43.6045, 220, 2.0),
    Hotspot("Esquirol", "centre", 1.4430, 43.6005, 180),
    Hotspot("Jean-Jaurès - Wilson", "centre", 1.4480, 43.6060, 200, 1.5),
    Hotspot("Saint-Georges", "centre", 1.4480, 43.6005, 150),
    Hotspot("Place Saint-Pierre", "nightlife", 1.4365, 43.6035, 120, 2.0),
    Hotspot("Arnaud-Bernard", "nightlife", 1.4400, 43.6105, 130, 1.5),
    Hotspot("Carmes", "nightlife", 1.4440, 43.5975, 130),
    Hotspot("Wilson - Victor Hugo", "nightlife", 1.4480, 43.6070, 150, 1.2),
    Hotspot("Daurade - Prairie des Filtres", "nightlife", 1.4375, 43.6000, 150, 0.8),
    Hotspot("Gare Matabiau", "station", 1.4536, 43.6113, 140, 2.0),
    Hotspot("Jeanne d'Arc", "station", 1.4470, 43.6115, 120, 0.6),
    Hotspot("Rue d'Alsace-Lorraine", "shops", 1.4450, 43.6025, 140, 2.0),
    Hotspot("Saint-Georges (commerces)", "shops", 1.4480, 43.6005, 120),
    Hotspot("Compans-Caffarelli", "shops", 1.4340, 43.6110, 160, 0.8),
    Hotspot("Saint-Cyprien", "shops", 1.4320, 43.5985, 160, 0.8),
    Hotspot("Minimes", "shops", 1.4350, 43.6220, 160, 0.6),
    Hotspot("Purpan (commerces)", "shops", 1.3995, 43.6160, 180, 0.7),
    Hotspot("Basso Cambo", "transport", 1.3920, 43.5700, 150),
    Hotspot("Borderouge", "transport", 1.4530, 43.6410, 150),
    Hotspot("Saint-Michel - Marcel Langer", "transport", 1.4470, 43.5890, 150, 0.7),
    Hotspot("Patte d'Oie", "transport", 1.4240, 43.5960, 130, 0.7),
    Hotspot("Marengo - SNCF", "transport", 1.4580, 43.6080, 150, 0.6),
    Hotspot("Université Jean Jaurès (Mirail)", "university", 1.4040, 43.5780, 220),
    Hotspot("Université Paul Sabatier (Rangueil)", "university", 1.4680, 43.5620, 300, 1.2),
    Hotspot("Arsenal - Capitole", "university", 1.4350, 43.6080, 150, 0.6),
    Hotspot("CHU Purpan", "hospital", 1.3990, 43.6075, 180),
    Hotspot("CHU Rangueil", "hospital", 1.4530, 43.5600, 180, 0.6),
    Hotspot("Reynerie", "qpv", 1.4020, 43.5725, 220, 1.5),
    Hotspot("Bellefontaine", "qpv", 1.3975, 43.5650, 220, 1.2),
    Hotspot("Bagatelle", "qpv", 1.4115, 43.5805, 200, 1.2),
    Hotspot("Lardenne", "residential", 1.3800, 43.5980, 600),
    Hotspot("Saint-Simon", "residential", 1.3740, 43.5620, 600),
    Hotspot("Côte Pavée", "residential", 1.4750, 43.5950, 500),
    Hotspot("Pouvourville", "residential", 1.4550, 43.5600, 500),
    Hotspot("Sept Deniers", "residential", 1.4150, 43.6250, 500),
    Hotspot("Croix-Daurade", "residential", 1.4690, 43.6320, 500),
    Hotspot("Roseraie", "residential", 1.4750, 43.6195, 450),
    Hotspot("Montaudran", "residential", 1.4820, 43.5740, 500),
)

# Real Toulouse streets (approximate positions): a fact gets the nearest one as its address.
STREETS: tuple[tuple[str, float, float], ...] = (
    ("place du Capitole", 1.4437, 43.6045),
    ("rue d'Alsace-Lorraine", 1.4452, 43.6028),
    ("rue de Metz", 1.4445, 43.6003),
    ("rue Saint-Rome", 1.4430, 43.6030),
    ("rue du Taur", 1.4420, 43.6070),
    ("rue Pargaminières", 1.4390, 43.6040),
    ("place Saint-Pierre", 1.4365, 43.6035),
    ("place Arnaud-Bernard", 1.4400, 43.6105),
    ("rue des Filatiers", 1.4420, 43.5990),
    ("place des Carmes", 1.4440, 43.5970),
    ("place Saint-Georges", 1.4480, 43.6005),
    ("boulevard Carnot", 1.4500, 43.6020),
    ("rue de Rémusat", 1.4460, 43.6065),
    ("place Wilson", 1.4480, 43.6060),
    ("allées Jean-Jaurès", 1.4520, 43.6080),
    ("boulevard de Strasbourg", 1.4490, 43.6085),
    ("rue Bayard", 1.4510, 43.6095),
    ("boulevard Pierre-Semard", 1.4530, 43.6112),
    ("rue Matabiau", 1.4470, 43.6110),
    ("avenue de Lyon", 1.4560, 43.6140),
    ("rue du Faubourg Bonnefoy", 1.4620, 43.6150),
    ("rue de la Colombette", 1.4540, 43.6040),
    ("rue Gabriel Péri", 1.4530, 43.6050),
    ("boulevard de Bonrepos", 1.4560, 43.6110),
    ("avenue Camille Pujol", 1.4660, 43.6010),
    ("rue Louis Plana", 1.4650, 43.6060),
    ("avenue de la Gloire", 1.4720, 43.6085),
    ("avenue Jean Chaubet", 1.4830, 43.6120),
    ("route d'Agde", 1.4850, 43.6230),
    ("chemin de Gabardie", 1.4950, 43.6290),
    ("avenue de Castres", 1.4780, 43.5980),
    ("avenue Jean Rieux", 1.4680, 43.5930),
    ("avenue Antoine de Saint-Exupéry", 1.4750, 43.5760),
    ("route de Revel", 1.4900, 43.5800),
    ("avenue de Lespinet", 1.4700, 43.5750),
    ("route de Narbonne", 1.4630, 43.5650),
    ("avenue de Rangueil", 1.4550, 43.5760),
    ("chemin de Pouvourville", 1.4560, 43.5560),
    ("avenue Crampel", 1.4530, 43.5890),
    ("grande rue Saint-Michel", 1.4470, 43.5890),
    ("rue des Récollets", 1.4460, 43.5810),
    ("avenue de l'URSS", 1.4470, 43.5830),
    ("avenue Jean Moulin", 1.4420, 43.5790),
    ("avenue de Muret", 1.4300, 43.5850),
    ("rue de la République", 1.4310, 43.5990),
    ("allées Charles-de-Fitte", 1.4300, 43.5970),
    ("avenue Étienne Billières", 1.4270, 43.5990),
    ("avenue de Grande-Bretagne", 1.4150, 43.6010),
    ("avenue de Lombez", 1.4190, 43.5960),
    ("avenue Paul Séjourné", 1.4230, 43.5930),
    ("rue de Cugnaux", 1.4220, 43.5880),
    ("boulevard Déodat de Séverac", 1.4180, 43.5880),
    ("avenue Frédéric Estèbe", 1.4100, 43.5870),
    ("rue Henri Desbals", 1.4150, 43.5810),
    ("avenue du Général Eisenhower", 1.4200, 43.5740),
    ("avenue de Reynerie", 1.4010, 43.5720),
    ("allée de Bellefontaine", 1.3990, 43.5660),
    ("route de Seysses", 1.4080, 43.5620),
    ("route de Saint-Simon", 1.3800, 43.5610),
    ("chemin de Basso Cambo", 1.3910, 43.5700),
    ("avenue de Lardenne", 1.3830, 43.5960),
    ("avenue de Casselardit", 1.4100, 43.6100),
    ("place du Docteur Baylac", 1.3990, 43.6070),
    ("route de Blagnac", 1.4070, 43.6230),
    ("boulevard de Suisse", 1.4230, 43.6190),
    ("boulevard de l'Embouchure", 1.4260, 43.6130),
    ("boulevard Lascrosses", 1.4345, 43.6100),
    ("avenue des Minimes", 1.4330, 43.6230),
    ("avenue des États-Unis", 1.4320, 43.6300),
    ("avenue de Fronton", 1.4410, 43.6300),
    ("chemin des Izards", 1.4450, 43.6400),
    ("chemin de Lalande", 1.4380, 43.6540),
    ("route de Launaguet", 1.4530, 43.6480),
    ("boulevard André Netwiller", 1.4530, 43.6410),
    ("route d'Albi", 1.4600, 43.6300),
    ("chemin de Ginestous", 1.4130, 43.6500),
)

# ---------------------------------------------------------------------------------------------
# Time profiles
# ---------------------------------------------------------------------------------------------

_HOUR_OF_DAY = np.arange(24, dtype=float)


def _bumps(*bumps: tuple[float, float, float], base: float = 0.05) -> tuple[float, ...]:
    """24 hourly weights: a baseline plus circular Gaussian bumps (centre h, width h, height)."""
    weights = np.full(24, base)
    for centre, width, height in bumps:
        distance = np.abs(_HOUR_OF_DAY - centre)
        distance = np.minimum(distance, 24 - distance)
        weights += height * np.exp(-0.5 * (distance / width) ** 2)
    return tuple(float(w) for w in weights)


def _window(start: int, end: int, peak: float, width: float) -> tuple[float, ...]:
    """Weights inside opening hours [start, end) with a bump at `peak`, almost none outside."""
    hour = _HOUR_OF_DAY
    inside = (hour >= start) & (hour < end)
    bump = np.exp(-0.5 * ((hour - peak) / width) ** 2)
    return tuple(float(w) for w in np.where(inside, 0.5 + bump, 0.01))


NIGHT = _bumps((0.5, 2.3, 1.0), (22.0, 1.5, 0.3), base=0.03)
LATE_EVENING = _bumps((22.0, 2.5, 1.0), base=0.06)
EVENING = _bumps((19.0, 3.0, 1.0), base=0.06)
SHOP = _window(9, 20, 17.0, 2.5)
DAY = _bumps((14.5, 3.0, 1.0), (10.5, 1.5, 0.4), base=0.02)
OFFICE = _window(8, 19, 11.0, 3.0)
RUSH = _bumps((8.2, 1.0, 1.0), (17.8, 1.3, 1.2), (12.7, 1.3, 0.4), base=0.05)
DAYTIME = _bumps((15.0, 4.0, 1.0), base=0.05)
WEEKEND_DAY = _bumps((16.0, 4.5, 1.0), (1.0, 2.0, 0.3), base=0.05)
SPREAD = _bumps((16.0, 6.0, 1.0), base=0.25)
DOMESTIC = _bumps((21.0, 3.0, 1.0), (1.5, 2.0, 0.5), base=0.1)
NIGHT_VEHICLE = _bumps((2.0, 3.0, 1.0), (23.0, 1.5, 0.4), base=0.05)
PARKING = _window(8, 20, 10.5, 2.5)

ALL_DAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
NIGHTLIFE_DAYS = (0.8, 0.8, 0.9, 1.2, 1.3, 1.4, 1.0)
SHOP_DAYS = (1.0, 1.0, 1.05, 1.0, 1.1, 1.45, 0.12)
WORKDAYS = (1.1, 1.05, 1.05, 1.05, 1.1, 0.55, 0.35)
WEEKEND_DAYS = (0.85, 0.85, 0.9, 0.95, 1.05, 1.3, 1.35)

FETE_MUSIQUE = (6, 21)
QUATORZE_JUILLET = (7, 14)
SAINT_SYLVESTRE = (12, 31)
NOUVEL_AN = (1, 1)


@dataclass(frozen=True)
class Component:
    """One source of facts of one category: when, where, how often.

    share: fraction of all facts (components are normalised together).
    hours / weekend_hours: 24 hourly weights for Monday-Friday / Saturday-Sunday.
    days: 7 weekday multipliers, Monday first.
    night_boost: multiplier of Friday and Saturday nights (20h-23h, and 0h-6h the next day);
        Thursday night (student night) gets a third of it.
    season_amp, season_peak: cosine seasonality, amplitude and peak month (1-12).
    trend: relative change per year (exponential).
    ramp: (first, last) linear intensity multiplier from the start to the end of the period.
    from_month: no fact before this month index (0 = the first month).
    special: ((month, day), multiplier) for special days.
    places: kind -> weight ("background" is the uniform diffuse part); or
    anchor: "qpv:<code or name part>" to draw every fact inside that QPV around its centre.
    interval: kind of interval fact ("absence", "night", "closed", "parked"), interval_share.
    """

    code: str
    share: float
    hours: tuple[float, ...]
    places: tuple[tuple[str, float], ...]
    days: tuple[float, ...] = ALL_DAYS
    weekend_hours: tuple[float, ...] | None = None
    night_boost: float = 1.0
    season_amp: float = 0.08
    season_peak: float = 7.0
    trend: float = 0.0
    ramp: tuple[float, float] | None = None
    from_month: int = 0
    special: tuple[tuple[tuple[int, int], float], ...] = ()
    anchor: tuple[str, ...] = ()
    interval: str | None = None
    interval_share: float = 0.0


def _p(**weights: float) -> tuple[tuple[str, float], ...]:
    return tuple(weights.items())


PARTY = ((FETE_MUSIQUE, 4.0), (QUATORZE_JUILLET, 2.0), (SAINT_SYLVESTRE, 3.0), (NOUVEL_AN, 3.0))
FIRES = ((SAINT_SYLVESTRE, 6.0), (NOUVEL_AN, 6.0), (QUATORZE_JUILLET, 3.0))

COMPONENTS: tuple[Component, ...] = (
    # personnes
    Component(
        "violences_physiques",
        0.035,
        LATE_EVENING,
        _p(background=0.35, centre=0.2, nightlife=0.2, qpv=0.15, station=0.1),
        NIGHTLIFE_DAYS,
        night_boost=1.6,
        special=PARTY,
    ),
    Component(
        "violences_intrafamiliales",
        0.015,
        DOMESTIC,
        _p(background=0.6, qpv=0.25, residential=0.15),
        WEEKEND_DAYS,
        special=((NOUVEL_AN, 2.0),),
    ),
    Component(
        "violences_sexuelles",
        0.005,
        NIGHT,
        _p(background=0.4, nightlife=0.3, centre=0.15, transport=0.15),
        NIGHTLIFE_DAYS,
        night_boost=1.5,
    ),
    Component("menaces", 0.015, DAYTIME, _p(background=0.5, centre=0.2, qpv=0.2, shops=0.1)),
    Component(
        "vol_violent",
        0.015,
        EVENING,
        _p(background=0.25, centre=0.25, transport=0.2, station=0.15, nightlife=0.15),
        season_amp=0.15,
        season_peak=12.0,
    ),
    Component("vol_arme", 0.002, EVENING, _p(background=0.5, shops=0.3, centre=0.2)),
    Component(
        "outrage_agent",
        0.012,
        LATE_EVENING,
        _p(background=0.2, centre=0.25, nightlife=0.25, qpv=0.2, station=0.1),
        NIGHTLIFE_DAYS,
        night_boost=1.4,
    ),
    # vols
    Component(
        "cambriolage_logement",
        0.05,
        DAY,
        _p(background=0.65, residential=0.3, qpv=0.05),
        WORKDAYS,
        season_amp=0.2,
        season_peak=12.0,
        trend=-0.10,
        interval="absence",
        interval_share=0.5,
    ),
    Component(
        "cambriolage_commerce",
        0.015,
        NIGHT,
        _p(background=0.35, shops=0.35, centre=0.3),
        (1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 1.3),
        interval="closed",
        interval_share=0.5,
    ),
    Component(
        "vol_tire",
        0.03,
        DAYTIME,
        _p(background=0.05, centre=0.35, shops=0.25, station=0.2, transport=0.15),
        SHOP_DAYS,
        season_amp=0.2,
        season_peak=12.0,
        weekend_hours=WEEKEND_DAY,
    ),
    Component(
        "vol_etalage",
        0.05,
        SHOP,
        _p(background=0.1, shops=0.65, centre=0.25),
        SHOP_DAYS,
        season_amp=0.2,
        season_peak=12.0,
    ),
    Component(
        "vol_simple",
        0.05,
        SPREAD,
        _p(background=0.45, centre=0.2, shops=0.1, university=0.1, hospital=0.05, station=0.1),
    ),
    # véhicules
    Component(
        "vol_vehicule",
        0.015,
        NIGHT_VEHICLE,
        _p(background=0.75, residential=0.15, qpv=0.1),
        interval="night",
        interval_share=0.6,
    ),
    Component(
        "vol_deux_roues",
        0.015,
        NIGHT_VEHICLE,
        _p(background=0.6, centre=0.15, qpv=0.15, university=0.1),
        season_amp=0.25,
        season_peak=7.0,
        interval="night",
        interval_share=0.5,
    ),
    Component(
        "vol_velo",
        0.035,
        PARKING,
        _p(background=0.3, centre=0.25, university=0.25, station=0.1, transport=0.1),
        (1.1, 1.1, 1.1, 1.1, 1.0, 0.8, 0.7),
        season_amp=0.25,
        season_peak=9.0,
        trend=0.15,
        interval="parked",
        interval_share=0.3,
    ),
    Component(
        "vol_dans_vehicule",
        0.04,
        NIGHT_VEHICLE,
        _p(background=0.55, centre=0.1, residential=0.15, hospital=0.05, transport=0.15),
        interval="night",
        interval_share=0.5,
    ),
    Component(
        "vol_accessoires",
        0.01,
        NIGHT_VEHICLE,
        _p(background=0.75, residential=0.15, qpv=0.1),
        interval="night",
        interval_share=0.6,
    ),
    # dégradations
    Component(
        "degradation_vehicule",
        0.035,
        NIGHT_VEHICLE,
        _p(background=0.55, qpv=0.2, nightlife=0.1, residential=0.15),
        NIGHTLIFE_DAYS,
        night_boost=1.5,
        special=FIRES,
        interval="night",
        interval_share=0.4,
    ),
    Component(
        "degradation_bien_public",
        0.025,
        NIGHT,
        _p(background=0.45, qpv=0.25, centre=0.15, transport=0.15),
        NIGHTLIFE_DAYS,
        night_boost=1.3,
        interval="night",
        interval_share=0.1,
    ),
    Component(
        "degradation_bien_prive",
        0.025,
        LATE_EVENING,
        _p(background=0.6, centre=0.2, nightlife=0.2),
        NIGHTLIFE_DAYS,
        night_boost=1.3,
    ),
    Component(
        "incendie_volontaire",
        0.01,
        NIGHT,
        _p(background=0.3, qpv=0.7),
        WEEKEND_DAYS,
        season_amp=0.2,
        season_peak=7.0,
        special=FIRES,
    ),
    Component(
        "tags_graffitis",
        0.02,
        NIGHT,
        _p(background=0.35, centre=0.3, university=0.2, transport=0.15),
        interval="night",
        interval_share=0.15,
    ),
    # stupéfiants
    Component(
        "trafic_stupefiants",
        0.025,
        LATE_EVENING,
        _p(background=0.1, qpv=0.7, nightlife=0.1, station=0.1),
        WEEKEND_DAYS,
    ),
    Component(
        "usage_stupefiants",
        0.03,
        LATE_EVENING,
        _p(background=0.2, qpv=0.3, nightlife=0.25, university=0.1, centre=0.15),
        NIGHTLIFE_DAYS,
        night_boost=1.3,
    ),
    # tranquillité publique
    Component(
        "tapage",
        0.09,
        NIGHT,
        _p(background=0.45, nightlife=0.25, centre=0.15, university=0.05, qpv=0.1),
        NIGHTLIFE_DAYS,
        night_boost=2.5,
        season_amp=0.3,
        season_peak=7.0,
        special=PARTY,
    ),
    Component(
        "rixe",
        0.025,
        NIGHT,
        _p(background=0.15, nightlife=0.45, centre=0.2, qpv=0.1, station=0.1),
        NIGHTLIFE_DAYS,
        night_boost=3.0,
        season_amp=0.25,
        season_peak=7.0,
        special=PARTY,
    ),
    Component(
        "ivresse_publique",
        0.05,
        NIGHT,
        _p(background=0.1, nightlife=0.5, centre=0.25, station=0.15),
        NIGHTLIFE_DAYS,
        night_boost=3.0,
        season_amp=0.2,
        season_peak=6.5,
        special=PARTY,
    ),
    Component(
        "rodeo_urbain",
        0.01,
        EVENING,
        _p(background=0.2, qpv=0.8),
        WEEKEND_DAYS,
        season_amp=0.45,
        season_peak=7.0,
    ),
    Component(
        "occupation_halls",
        0.015,
        LATE_EVENING,
        _p(background=0.1, qpv=0.9),
        WEEKEND_DAYS,
        season_amp=0.15,
        season_peak=1.0,
    ),
    Component(
        "incivilite",
        0.05,
        SPREAD,
        _p(background=0.5, centre=0.2, transport=0.1, qpv=0.1, station=0.1),
    ),
    Component(
        "trouble_ordre_public",
        0.02,
        LATE_EVENING,
        _p(background=0.3, centre=0.3, nightlife=0.25, station=0.15),
        NIGHTLIFE_DAYS,
        night_boost=1.8,
        special=PARTY,
    ),
    Component(
        "depot_sauvage",
        0.04,
        OFFICE,
        _p(background=0.7, qpv=0.2, residential=0.1),
        WORKDAYS,
        interval="night",
        interval_share=0.1,
    ),
    # route
    Component(
        "accident_circulation",
        0.035,
        RUSH,
        _p(background=0.7, centre=0.1, transport=0.2),
        WORKDAYS,
        weekend_hours=DAYTIME,
        season_amp=0.1,
        season_peak=11.0,
    ),
    Component(
        "infraction_routiere",
        0.035,
        DAYTIME,
        _p(background=0.8, transport=0.1, qpv=0.1),
        WORKDAYS,
    ),
    Component(
        "stationnement_genant",
        0.1,
        OFFICE,
        _p(background=0.5, centre=0.3, shops=0.1, hospital=0.05, station=0.05),
        SHOP_DAYS,
    ),
    # autres
    Component(
        "port_arme",
        0.006,
        LATE_EVENING,
        _p(background=0.2, nightlife=0.3, qpv=0.3, station=0.2),
        NIGHTLIFE_DAYS,
        night_boost=1.5,
    ),
    Component("escroquerie", 0.008, OFFICE, _p(background=0.8, centre=0.2), WORKDAYS, trend=0.2),
    Component("autre", 0.02, SPREAD, _p(background=0.7, centre=0.3)),
    # planted signals
    Component(
        "trafic_stupefiants",
        0.008,
        LATE_EVENING,
        (),
        WEEKEND_DAYS,
        ramp=(0.2, 1.8),
        anchor=("QN03109M", "Empalot"),
    ),
    Component(
        "rodeo_urbain",
        0.004,
        EVENING,
        (),
        WEEKEND_DAYS,
        season_amp=0.3,
        from_month=12,
        anchor=("QN03110M", "Izards"),
    ),
)

# ---------------------------------------------------------------------------------------------
# Nature spellings
# ---------------------------------------------------------------------------------------------

# How the towns' software spell each category: the French label first, then the usual
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


# ---------------------------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Area:
    code_insee: str
    polygon: BaseGeometry
    hotspots: tuple[Hotspot, ...]
    qpv: tuple[Hotspot, ...]


def _read_features(path: Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    features: list[dict[str, Any]] = data["features"]
    return features


def _load_area(commune_geojson: Path, qpv_geojson: Sequence[Path]) -> _Area:
    features = _read_features(commune_geojson)
    if len(features) != 1:
        raise ValueError(f"{commune_geojson}: expected one commune, found {len(features)}")
    props = features[0]["properties"]
    code = next(
        (
            str(props[k])
            for k in ("code_commune", "code_insee", "insee_com", "codgeo")
            if k in props
        ),
        None,
    )
    if code is None:
        raise ValueError(f"{commune_geojson}: no INSEE code property")
    polygon = shapely.make_valid(shape(features[0]["geometry"]))
    shapely.prepare(polygon)

    def inside(lon: float, lat: float) -> bool:
        return bool(shapely.contains_xy(polygon, lon, lat))

    named = tuple(h for h in NAMED_HOTSPOTS if inside(h.lon, h.lat))
    qpv: list[Hotspot] = []
    for path in qpv_geojson:
        for feature in _read_features(path):
            p = feature["properties"]
            outline = shapely.make_valid(shape(feature["geometry"]))
            point = outline.point_on_surface()
            if not inside(point.x, point.y):
                continue
            area_m2 = outline.area * _M_PER_DEG_LAT * _M_PER_DEG_LON_EQUATOR
            area_m2 *= math.cos(math.radians(point.y))
            sigma = min(350.0, max(120.0, 0.35 * math.sqrt(area_m2)))
            name = f"{p.get('code_qp', '')} {p.get('lib_qp') or p.get('nom_qp') or ''}".strip()
            qpv.append(Hotspot(name, "qpv", point.x, point.y, sigma, 1.0, outline))
    qpv.sort(key=lambda h: h.name)
    # A QPV centre closer than 400 m to a named centre (or to another QPV, e.g. the same
    # neighbourhood in two generations) adds no new place.
    kept: list[Hotspot] = []
    for h in qpv:
        if all(_distance_m(h, other) > 400 for other in (*named, *kept)):
            kept.append(h)
    if not any(h.kind == "centre" for h in named):
        point = polygon.representative_point()
        named = (*named, Hotspot("centre", "centre", point.x, point.y, 400.0))
    return _Area(code, polygon, (*named, *kept), tuple(qpv))


def _distance_m(a: Hotspot, b: Hotspot) -> float:
    dx = (a.lon - b.lon) * _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(a.lat))
    dy = (a.lat - b.lat) * _M_PER_DEG_LAT
    return math.hypot(dx, dy)


def _anchor(area: _Area, keys: tuple[str, ...], fallback: int) -> Hotspot:
    for key in keys:
        for h in area.qpv:
            if key.lower() in h.name.lower():
                return h
    if area.qpv:
        return area.qpv[min(fallback, len(area.qpv) - 1)]
    return next(h for h in area.hotspots if h.kind == "centre")


def _sample_points(
    rng: np.random.Generator,
    n: int,
    sources: list[Hotspot | None],
    probabilities: np.ndarray,
    polygon: BaseGeometry,
    within: BaseGeometry | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """n points (lon, lat rounded to 1e-6) inside the polygon: each from a source drawn with the
    given probabilities, a hotspot (Gaussian around its centre) or None (uniform)."""
    west, south, east, north = polygon.bounds
    source = rng.choice(len(sources), size=n, p=probabilities)
    centre_lon = np.array([h.lon if h else np.nan for h in sources])[source]
    centre_lat = np.array([h.lat if h else np.nan for h in sources])[source]
    sigma = np.array([h.sigma_m if h else np.nan for h in sources])[source]
    diffuse = np.isnan(sigma)
    metres_per_deg_lon = _M_PER_DEG_LON_EQUATOR * np.cos(np.radians((south + north) / 2))
    lon = np.empty(n)
    lat = np.empty(n)
    todo = np.arange(n)
    for attempt in range(60):
        if attempt == 40:  # a hotspot hard against the border: the rest becomes diffuse
            diffuse[todo] = True
        m = todo.size
        d = diffuse[todo]
        gx = rng.standard_normal(m) * np.nan_to_num(sigma[todo]) / metres_per_deg_lon
        gy = rng.standard_normal(m) * np.nan_to_num(sigma[todo]) / _M_PER_DEG_LAT
        ux = rng.uniform(west, east, m)
        uy = rng.uniform(south, north, m)
        x = np.round(np.where(d, ux, centre_lon[todo] + gx), 6)
        y = np.round(np.where(d, uy, centre_lat[todo] + gy), 6)
        ok = shapely.contains_xy(polygon, x, y)
        if within is not None:
            ok &= shapely.contains_xy(within, x, y) | d
        lon[todo[ok]] = x[ok]
        lat[todo[ok]] = y[ok]
        todo = todo[~ok]
        if todo.size == 0:
            return lon, lat
    raise RuntimeError("could not place points inside the commune")  # pragma: no cover


def _addresses(rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The nearest listed street and a house number: "12 rue Bayard", sometimes in capitals."""
    streets = np.array([s[0] for s in STREETS], dtype=object)
    s_lon = np.array([s[1] for s in STREETS])
    s_lat = np.array([s[2] for s in STREETS])
    scale = math.cos(math.radians(float(np.mean(s_lat))))
    nearest = np.empty(lon.size, dtype=np.intp)
    for i in range(0, lon.size, 200_000):
        dx = (lon[i : i + 200_000, None] - s_lon[None, :]) * scale
        dy = lat[i : i + 200_000, None] - s_lat[None, :]
        nearest[i : i + 200_000] = np.argmin(dx * dx + dy * dy, axis=1)
    number = np.minimum(rng.geometric(0.045, lon.size), 199).astype(str).astype(object)
    text = number + " " + streets[nearest]
    bare = rng.random(lon.size) < 0.06
    text[bare] = streets[nearest[bare]]
    upper = rng.random(lon.size) < 0.08
    text[upper] = np.array([t.upper() for t in text[upper]], dtype=object)
    return text


# ---------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------


def _add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1)


def _last_sunday_of_march(year: int) -> np.datetime64:
    day = date(year, 3, 31)
    return np.datetime64(date.fromordinal(day.toordinal() - (day.weekday() + 1) % 7), "s")


def _skip_dst_gap(moments: np.ndarray) -> np.ndarray:
    """Move local times in the spring-forward gap (02:00-02:59) one hour later."""
    valid = ~np.isnat(moments)
    if not valid.any():
        return moments
    years = moments[valid].astype("datetime64[Y]").astype(int) + 1970
    out = moments.copy()
    for year in range(int(years.min()), int(years.max()) + 1):
        gap = _last_sunday_of_march(year) + np.timedelta64(2, "h")
        in_gap = valid & (moments >= gap) & (moments < gap + np.timedelta64(1, "h"))
        out[in_gap] = moments[in_gap] + np.timedelta64(1, "h")
    return out


def _hour_of_week(c: Component) -> np.ndarray:
    """7 x 24 weights, Monday first."""
    weekday_hours = np.asarray(c.hours)
    weekend_hours = np.asarray(c.weekend_hours if c.weekend_hours else c.hours)
    matrix = np.vstack([weekday_hours] * 5 + [weekend_hours] * 2) * np.asarray(c.days)[:, None]
    boost = np.ones((7, 24))
    evening, morning = slice(20, 24), slice(0, 7)
    boost[4, evening] = boost[5, evening] = c.night_boost  # Friday, Saturday evenings
    boost[5, morning] = boost[6, morning] = c.night_boost  # ... and the small hours after
    thursday = 1.0 + (c.night_boost - 1.0) / 3.0
    boost[3, evening] = boost[4, morning] = thursday
    return matrix * boost


def _day_weights(c: Component, days: np.ndarray) -> np.ndarray:
    """Relative intensity of each day (datetime64[D] array) for a component."""
    n = days.size
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(int) + 1
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int)
    peak_day = (c.season_peak - 0.5) * 365.25 / 12
    weights = 1.0 + c.season_amp * np.cos(2 * np.pi * (day_of_year - peak_day) / 365.25)
    years = np.arange(n) / 365.25
    weights *= (1.0 + c.trend) ** years
    if c.ramp:
        weights *= np.linspace(c.ramp[0], c.ramp[1], n)
    if c.from_month:
        first = days[0].astype("datetime64[M]") + np.timedelta64(c.from_month, "M")
        weights *= days >= first.astype("datetime64[D]")
    for (m, d), factor in c.special:
        weights *= np.where((month == m) & (day_of_month == d), factor, 1.0)
    return np.asarray(weights, dtype=float)


def _clipped_minutes(
    rng: np.random.Generator, n: int, mean_h: float, sd_h: float, lo_h: float, hi_h: float
) -> np.ndarray:
    minutes = rng.normal(mean_h * 60, sd_h * 60, n)
    return np.clip(np.round(minutes), lo_h * 60, hi_h * 60).astype("int64")


def _intervals(
    rng: np.random.Generator, kind: str, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) local datetimes of interval facts beginning on the given days."""
    n = days.size
    minute = np.timedelta64(1, "m")
    one_day = np.timedelta64(1, "D")
    base = days.astype("datetime64[m]")
    if kind == "absence":  # left home in the morning, found in the evening; or a holiday
        start = base + _clipped_minutes(rng, n, 8.0, 0.7, 6.5, 10.0) * minute
        end = base + _clipped_minutes(rng, n, 18.25, 1.0, 16.0, 21.5) * minute
        holiday = rng.random(n) < 0.15
        away = rng.integers(2, 16, n)
        late = base + away * one_day + _clipped_minutes(rng, n, 19.0, 2.0, 9.0, 23.0) * minute
        end = np.where(holiday, late, end)
    elif kind == "night":  # parked in the evening, found in the morning
        start = base + _clipped_minutes(rng, n, 21.75, 1.2, 18.0, 23.98) * minute
        end = base + one_day + _clipped_minutes(rng, n, 7.1, 0.8, 5.0, 10.0) * minute
    elif kind == "closed":  # closed in the evening, found at the next opening
        weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        reopen = np.where(weekday == 5, 2, 1) * one_day  # closed on Sundays
        start = base + _clipped_minutes(rng, n, 19.75, 0.6, 18.5, 22.0) * minute
        end = base + reopen + _clipped_minutes(rng, n, 8.25, 0.5, 6.5, 10.0) * minute
    elif kind == "parked":  # a bicycle: parked for the day, or for the night
        day_start = base + _clipped_minutes(rng, n, 8.5, 0.75, 7.0, 11.0) * minute
        day_end = base + _clipped_minutes(rng, n, 18.0, 1.0, 15.0, 21.0) * minute
        night_start, night_end = _intervals(rng, "night", days)
        at_night = rng.random(n) < 0.5
        start = np.where(at_night, night_start, day_start)
        end = np.where(at_night, night_end, day_end)
    else:
        raise ValueError(f"unknown interval kind {kind!r}")
    return start.astype("datetime64[s]"), end.astype("datetime64[s]")


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def generate_incidents(
    n_rows: int,
    seed: int,
    start: date = DEFAULT_START,
    months: int = DEFAULT_MONTHS,
    commune_geojson: Path = DEFAULT_COMMUNE,
    qpv_geojson: Sequence[Path] = DEFAULT_QPV,
) -> pd.DataFrame:
    """Exactly `n_rows` synthetic incidents, the same for the same arguments.

    Returns one row per fact, in chronological order, with the columns: numero (str, unique),
    occurred_at (datetime64[s], local wall-clock time), occurred_until (datetime64[s], NaT for
    a point fact), category (nomenclature code), nature (str, as written), adresse (str),
    code_insee (str), longitude, latitude (float, rounded to 6 decimals).
    """
    if n_rows < 0 or months < 1:
        raise ValueError("n_rows must be >= 0 and months >= 1")
    known = {c.code for c in CATEGORIES}
    unknown = {c.code for c in COMPONENTS} - known
    if unknown:  # pragma: no cover - a programming error
        raise ValueError(f"unknown category codes {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    area = _load_area(commune_geojson, qpv_geojson)
    first = np.datetime64(start.replace(day=1), "D")
    days = np.arange(first, np.datetime64(_add_months(start.replace(day=1), months), "D"))
    weekday = (days.astype("int64") + 3) % 7

    shares = np.array([c.share for c in COMPONENTS])
    counts = rng.multinomial(n_rows, shares / shares.sum())
    parts: list[dict[str, np.ndarray]] = []
    for index, (component, count) in enumerate(zip(COMPONENTS, counts, strict=True)):
        if count == 0:
            continue
        # when
        cell = _day_weights(component, days)[:, None] * _hour_of_week(component)[weekday]
        drawn = rng.choice(cell.size, size=count, p=(cell / cell.sum()).ravel())
        day = days[drawn // 24]
        minute = rng.integers(0, 60, count)
        rounded = rng.random(count)
        minute = np.where(rounded < 0.25, minute // 5 * 5, minute)
        minute = np.where(rounded < 0.10, minute // 15 * 15, minute)
        occurred_at = (
            day.astype("datetime64[s]")
            + (drawn % 24) * np.timedelta64(1, "h")
            + minute * np.timedelta64(1, "m")
        )
        occurred_until = np.full(count, np.datetime64("NaT"), dtype="datetime64[s]")
        if component.interval:
            is_interval = rng.random(count) < component.interval_share
            begin, end = _intervals(rng, component.interval, day[is_interval])
            occurred_at[is_interval] = begin
            occurred_until[is_interval] = end
        # where
        within: BaseGeometry | None = None
        if component.anchor:
            hotspot = _anchor(area, component.anchor, fallback=index % 2)
            sources: list[Hotspot | None] = [hotspot]
            probabilities = np.ones(1)
            within = hotspot.polygon
        else:
            sources, probabilities = _sources(component, area)
        lon, lat = _sample_points(rng, count, sources, probabilities, area.polygon, within)
        # how the software spells it
        spellings, spelling_p = nature_spellings(component.code)
        nature = np.array(spellings, dtype=object)[
            rng.choice(len(spellings), size=count, p=spelling_p)
        ]
        parts.append(
            {
                "occurred_at": _skip_dst_gap(occurred_at),
                "occurred_until": _skip_dst_gap(occurred_until),
                "category": np.full(count, component.code, dtype=object),
                "nature": nature,
                "longitude": lon,
                "latitude": lat,
            }
        )
    columns = ("occurred_at", "occurred_until", "category", "nature", "longitude", "latitude")
    if parts:
        data = {k: np.concatenate([p[k] for p in parts]) for k in columns}
    else:
        data = {
            "occurred_at": np.array([], dtype="datetime64[s]"),
            "occurred_until": np.array([], dtype="datetime64[s]"),
            "category": np.array([], dtype=object),
            "nature": np.array([], dtype=object),
            "longitude": np.array([], dtype=float),
            "latitude": np.array([], dtype=float),
        }
    order = np.argsort(data["occurred_at"], kind="stable")
    data = {k: v[order] for k, v in data.items()}
    addresses = _addresses(rng, data["longitude"], data["latitude"])
    numero = _references(data["occurred_at"], area.code_insee[:2])
    frame = pd.DataFrame(
        {
            "numero": pd.array(numero, dtype="str"),
            "occurred_at": data["occurred_at"],
            "occurred_until": data["occurred_until"],
            "category": pd.array(data["category"], dtype="str"),
            "nature": pd.array(data["nature"], dtype="str"),
            "adresse": pd.array(addresses, dtype="str"),
            "code_insee": pd.array(np.full(len(order), area.code_insee), dtype="str"),
            "longitude": data["longitude"],
            "latitude": data["latitude"],
        }
    )
    return frame


def _sources(component: Component, area: _Area) -> tuple[list[Hotspot | None], np.ndarray]:
    """The places of a component and their probabilities; absent kinds go to the background."""
    sources: list[Hotspot | None] = [None]
    weights = [0.0]
    for kind, weight in component.places:
        members = [h for h in area.hotspots if h.kind == kind]
        if kind == "background" or not members:
            weights[0] += weight
            continue
        total = sum(h.weight for h in members)
        for h in members:
            sources.append(h)
            weights.append(weight * h.weight / total)
    probabilities = np.asarray(weights)
    return sources, probabilities / probabilities.sum()


def _references(occurred_at: np.ndarray, department: str) -> np.ndarray:
    """PM<dep>-<year>-<sequence in the year>, occurred_at being sorted."""
    years = occurred_at.astype("datetime64[Y]").astype("int64") + 1970
    first_of_year = np.searchsorted(years, years, side="left")
    sequence = np.arange(years.size) - first_of_year + 1
    seq_text = pd.Series(sequence.astype(str), dtype=object).str.zfill(6)
    text = f"PM{department}-" + pd.Series(years.astype(str), dtype=object) + "-" + seq_text
    return text.to_numpy(dtype=object)


# ---------------------------------------------------------------------------------------------
# Writing the municipal CSV
# ---------------------------------------------------------------------------------------------


def _format_dates(moments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dd/mm/yyyy and hh:mm strings ('' for NaT), via small lookup tables."""
    n = moments.size
    dates = np.full(n, "", dtype=object)
    times = np.full(n, "", dtype=object)
    valid = ~np.isnat(moments)
    if not valid.any():
        return dates, times
    day = moments[valid].astype("datetime64[D]")
    unique_days, day_index = np.unique(day, return_inverse=True)
    day_text = np.array([d.item().strftime("%d/%m/%Y") for d in unique_days], dtype=object)
    minutes = ((moments[valid] - day.astype("datetime64[s]")).astype("int64") // 60).astype(int)
    minute_text = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)], dtype=object)
    dates[valid] = day_text[day_index]
    times[valid] = minute_text[minutes]
    return dates, times


def _decimal_comma(values: np.ndarray) -> np.ndarray:
    """Fixed 6-decimal text with a decimal comma: 1.443712 -> '1,443712' (vectorised)."""
    micro = np.round(np.asarray(values, dtype=float) * 1_000_000).astype("int64")
    sign = np.where(micro < 0, "-", "").astype(object)
    micro = np.abs(micro)
    whole = (micro // 1_000_000).astype(str).astype(object)
    # 1xxxxxx -> drop the leading 1: the six decimals with their leading zeros
    padded = (micro % 1_000_000 + 1_000_000).astype("U7")
    fraction = np.ascontiguousarray(padded.view("U1").reshape(-1, 7)[:, 1:]).view("U6")
    result: np.ndarray = sign + whole + "," + fraction.reshape(-1).astype(object)
    return result


def municipal_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame of `generate_incidents` as a French municipal export (see the module doc)."""
    start_date, start_time = _format_dates(frame["occurred_at"].to_numpy("datetime64[s]"))
    end_date, end_time = _format_dates(frame["occurred_until"].to_numpy("datetime64[s]"))
    fields = [
        frame["numero"].to_numpy(dtype=object),
        start_date,
        start_time,
        end_date,
        end_time,
        frame["nature"].to_numpy(dtype=object),
        frame["adresse"].to_numpy(dtype=object),
        frame["code_insee"].to_numpy(dtype=object),
        _decimal_comma(frame["longitude"].to_numpy()),
        _decimal_comma(frame["latitude"].to_numpy()),
    ]
    n = len(frame)
    body = "".join(f"{line}\n" for line in map(";".join, zip(*fields, strict=True)))
    if body.count(";") != 9 * n or body.count("\n") != n:
        raise ValueError("a value contains the separator or a line break")
    return (";".join(MUNICIPAL_COLUMNS) + "\n" + body).encode("utf-8")


def write_municipal_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the frame of `generate_incidents` as a French municipal CSV export."""
    Path(path).write_bytes(municipal_csv_bytes(frame))


# ---------------------------------------------------------------------------------------------
# The messy sample
# ---------------------------------------------------------------------------------------------

MESSY_HEADER = (
    "N° intervention",
    "Date",
    "Heure",
    "Nature des faits",
    "Adresse",
    "Commune",
    "X",
    "Y",
)
"""Columns of data/samples/municipal_messy.csv."""

# One tuple per file line after the header (None: an empty line). Hand-curated: real places of
# Toulouse in Lambert-93 (EPSG:2154) metres with a decimal comma. The quirks are listed, with
# their file line numbers, in MESSY_QUIRKS and in data/samples/README.md.
MESSY_ROWS: tuple[tuple[str, str, str, str, str, str, str, str] | None, ...] = (
    (
        "25-00101",
        "03/01/2025",
        "23:40",
        "Tapage nocturne",
        "14 rue Pargaminières",
        "TOULOUSE",
        "573953,62",
        "6279586,48",
    ),
    (
        "25-00102",
        "04/01/2025",
        "01:15",
        "IVRESSE PUBLIQUE",
        "Place Saint-Pierre",
        "TOULOUSE",
        "573744,47",
        "6279508,35",
    ),
    (
        "25-00103",
        "07/01/2025",
        "10:20",
        "VOL A L'ETALAGE",
        "45 rue d'Alsace-Lorraine",
        "TOULOUSE",
        "574427,75",
        "6279420,38",
    ),
    (
        "25-00104",
        "09/01/2025",
        "18:45",
        "Cambriolage",
        "8 chemin de Pouvourville",
        "TOULOUSE",
        "575210,85",
        "6274232,59",
    ),
    (
        "25-00105",
        "13/01/2025",
        "08:10",
        "Stationnement gênant",
        "3 rue Bayard",
        "TOULOUSE",
        "574903,46",
        "6280156,92",
    ),
    (
        "25-00106",
        "17/01/2025",
        "22:30",
        "Rixe",
        "Place Arnaud-Bernard",
        "TOULOUSE",
        "574040,82",
        "6280279,51",
    ),
    (
        "25-00107",
        "18/01/2025",
        "02:05",
        "dégradation",
        "27 avenue de Reynerie",
        "TOULOUSE",
        "570810,84",
        "6276094,36",
    ),
    (
        "25-00108",
        "21/01/2025",
        "15:30",
        "Vol à l’étalage",
        "12 rue de Metz",
        "TOULOUSE",
        "574383,15",
        "6279165,59",
    ),
    (
        "25-00109",
        "25/01/2025",
        "00:50",
        "Bagarre",
        "5 place Saint-Pierre",
        "TOULOUSE",
        "573750,43",
        "6279523,80",
    ),
    (
        "25-00109",
        "25/01/2025",
        "00:50",
        "Bagarre",
        "5 place Saint-Pierre",
        "TOULOUSE",
        "573750,43",
        "6279523,80",
    ),  # exact duplicate of the line above
    (
        "25-00110",
        "02/02/2025",
        "19:05",
        "Trafic de stupéfiants",
        "Avenue Jean Moulin",
        "TOULOUSE",
        "574101,25",
        "6276793,38",
    ),
    (
        "25-00111",
        "05/02/2025",
        "09:40",
        "Dépôt sauvage",
        "102 route de Seysses",
        "TOULOUSE",
        "571347,77",
        "6274944,06",
    ),
    (
        "25-00112",
        "08/02/2025",
        "23:55",
        "TAPAGE NOCTURNE",
        "2 place des Carmes",
        "TOULOUSE",
        "574323,46",
        "6278801,04",
    ),
    (
        "25-00113",
        "12/02/2025",
        "17:20",
        "Vol à la tire",
        "Gare Matabiau, boulevard Pierre-Sémard",
        "TOULOUSE",
        "575131,97",
        "6280359,20",
    ),
    (
        "25-00114",
        "14/02/2025",
        "07:50",
        "Vol roulotte",
        "33 avenue de Lardenne",
        "TOULOUSE",
        "569389,36",
        "6278789,03",
    ),
    (
        "25-00115",
        "19/02/2025",
        "16:10",
        "vol en magasin",
        "CC Saint-Georges",
        "TOULOUSE",
        "574659,46",
        "6279166,82",
    ),
    (
        "25-00116",
        "22/02/2025",
        "03:20",
        "Ivresse",
        "Allées Jean-Jaurès",
        "TOULOUSE",
        "575006,38",
        "6280009,28",
    ),
    (
        "25-00117",
        "31/02/2025",
        "14:20",
        "Vol simple",
        "7 rue du Taur",
        "TOULOUSE",
        "574187,49",
        "6279894,22",
    ),
    (
        "25-00118",
        "04/03/2025",
        "12:35",
        "Accident matériel",
        "Avenue de l'URSS / avenue Crampel",
        "TOULOUSE",
        "574583,12",
        "6277461,98",
    ),
    (
        "25-00119",
        "07/03/2025",
        "21:15",
        "Rodéo",
        "Chemin des Izards",
        "TOULOUSE",
        "574477,69",
        "6283554,56",
    ),
    (
        "25-00120",
        "11/03/2025",
        "18:30",
        "Cambriolage",
        "15 rue Louis Plana",
        "TOULOUSE",
        "576038,40",
        "6279746,80",
    ),
    (
        "25-00121",
        "15/03/2025",
        "01:40",
        "Tapage nocturne",
        "9 rue des Filatiers",
        "TOULOUSE",
        "574170,95",
        "6279015,26",
    ),
    (
        "25-00122",
        "20/03/2025",
        "10:05",
        "Chien errant",
        "Parc de la Reynerie",
        "TOULOUSE",
        "570959,86",
        "6275989,07",
    ),
    (
        "25-00123",
        "22/03/2025",
        "23:10",
        "Nuisances sonores",
        "18 grande rue Saint-Michel",
        "TOULOUSE",
        "574551,58",
        "6277912,81",
    ),
    (
        "25-00124",
        "30/03/2025",
        "02:30",
        "Tapage nocturne",
        "4 place Saint-Pierre",
        "TOULOUSE",
        "573739,87",
        "6279520,67",
    ),
    (
        "25-00125",
        "03/04/2025",
        "08:55",
        "Stationnement gênant",
        "Place du Docteur Baylac",
        "TOULOUSE",
        "570715,15",
        "6279984,81",
    ),
    (
        "25-00126",
        "08/04/2025",
        "14:45",
        "Vol de vélo",
        "Université Paul Sabatier, route de Narbonne",
        "TOULOUSE",
        "576188,62",
        "6274874,97",
    ),
    (
        "25-00127",
        "12/04/2025",
        "00:20",
        "Rixe",
        "Rue Pargaminières",
        "TOULOUSE",
        "573935,50",
        "6279569,05",
    ),
    (
        "25-00128",
        "16/04/2025",
        "11:30",
        "Dégradation de bien public",
        "Allée de Bellefontaine",
        "TOULOUSE",
        "570621,64",
        "6275413,41",
    ),
    (
        "25-00129",
        "19/04/2025",
        "22:40",
        "ILS",
        "Place Abbal",
        "TOULOUSE",
        "571721,27",
        "6276955,30",
    ),
    None,  # an empty line
    (
        "25-00130",
        "24/04/2025",
        "16:00",
        "vol a l etalage",
        "Rue d’Alsace-Lorraine",
        "TOULOUSE",
        "574435,70",
        "6279454,69",
    ),
    (
        "25-00131",
        "29/04/2025",
        "07:30",
        "Dégradation véhicule",
        "12 avenue Jean Chaubet",
        "TOULOUSE",
        "577507,95",
        "6280389,81",
    ),
    (
        "25-00132",
        "03/05/2025",
        "02:10",
        "IVRESSE PUBLIQUE MANIFESTE",
        "Place Wilson",
        "TOULOUSE",
        "574669,18",
        "6279784,69",
    ),
    (
        "25-00133",
        "09/05/2025",
        "13:25",
        "Coups et blessures volontaires",
        "Station Basso Cambo",
        "TOULOUSE",
        "570061,98",
        "6275875,01",
    ),
    (
        "25-00134",
        "14/05/2025",
        "19:50",
        "Occupation de hall",
        "6 allée de Bellefontaine",
        "TOULOUSE",
        "",
        "",
    ),
    (
        "25-00135",
        "17/05/2025",
        "23:35",
        "Tapage nocturne",
        "21 rue de la Colombette",
        "TOULOUSE",
        "575146,05",
        "6279551,90",
    ),
    (
        "25-00136",
        "23/05/2025",
        "09:15",
        "Cambriolage",
        "4 chemin de Lalande",
        "Toulouse",
        "573967,94",
        "6285128,62",
    ),
    (
        "25-00137",
        "28/05/2025",
        "17:45",
        "Accident corporel",
        "Route de Narbonne",
        "Toulouse",
        "575791,67",
        "6275205,06",
    ),
    (
        "25-00138",
        "03/06/2025",
        "10:40",
        "Dépôts sauvages",
        "Chemin de Ginestous",
        "Toulouse",
        "571938,16",
        "6284730,02",
    ),
    (
        "25-00139",
        "07/06/2025",
        "01:55",
        "Bagarre",
        "Place Saint-Pierre",
        "Toulouse",
        "573742,92",
        "6279511,72",
    ),
    (
        "25-00140",
        "13/06/2025",
        "15:10",
        "VOL A L'ETALAGE",
        "Rue Saint-Rome",
        "Toulouse",
        "574258,05",
        "6279458,19",
    ),
    (
        "25-00141",
        "21/06/2025",
        "23:50",
        "Tapage nocturne",
        "Place du Capitole",
        "Toulouse",
        "574318,58",
        "6279619,29",
    ),
    (
        "25-00142",
        "22/06/2025",
        "00:45",
        "Ivresse",
        "Place du Capitole",
        "Toulouse",
        "574339,86",
        "6279633,32",
    ),
    (
        "25-00129",
        "19/04/2025",
        "22:40",
        "ILS",
        "Place Abbal",
        "TOULOUSE",
        "571721,27",
        "6276955,30",
    ),  # exact duplicate of 25-00129
    (
        "25-00143",
        "04/07/2025",
        "22:20",
        "Rodéo urbain",
        "Avenue de Fronton",
        "Toulouse",
        "574156,62",
        "6282462,64",
    ),
    (
        "25-00144",
        "14/07/2025",
        "23:30",
        "Incendie de véhicule",
        "Avenue de Reynerie",
        "Toulouse",
        "570798,36",
        "6276076,82",
    ),
    (
        "25-00145",
        "19/07/2025",
        "14:05",
        "Vol à la tire",
        "Place du Capitole",
        "Toulouse",
        "574310,29",
        "6279608,34",
    ),
    ("25-00146", "26/07/2025", "03:10", "dégradation", "Rue des Récollets", "Toulouse", "", ""),
    (
        "25-00147",
        "06/08/2025",
        "11:20",
        "Cambriolage",
        "Avenue de Castres",
        "TOULOUSE",
        "577074,29",
        "6278843,02",
    ),
    (
        "25-00148",
        "16/08/2025",
        "00:30",
        "Rixe",
        "Quai de la Daurade",
        "TOULOUSE",
        "573928,29",
        "6279285,73",
    ),
    (
        "25-00149",
        "02/09/2025",
        "18:15",
        "Vol de vélo",
        "Boulevard de Strasbourg",
        "TOULOUSE",
        "574754,46",
        "6280055,36",
    ),
    ("25-00150", "12/09/2025", "21:05", "Menaces de mort", "", "TOULOUSE", "", ""),
    (
        "25-00151",
        "20/09/2025",
        "02:25",
        "TAPAGE NOCTURNE",
        "Place Arnaud-Bernard",
        "TOULOUSE",
        "574033,88",
        "6280296,32",
    ),
    (
        "25-00152",
        "01/10/2025",
        "13:00",
        "Stationnement gênant",
        "Rue Matabiau",
        "TOULOUSE",
        "574599,25",
        "6280336,31",
    ),
    (
        "25-00153",
        "10/10/2025",
        "20:40",
        "Trafic de stupéfiants",
        "Chemin des Izards",
        "TOULOUSE",
        "574426,07",
        "6283434,41",
    ),
    (
        "25-00154",
        "18/10/2025",
        "16:35",
        "Escroquerie",
        "Place Esquirol",
        "TOULOUSE",
        "2874512,35",
        "4512087,90",
    ),
    (
        "25-00155",
        "26/10/2025",
        "02:30",
        "Ivresse publique",
        "Rue Pargaminières",
        "TOULOUSE",
        "573946,57",
        "6279597,73",
    ),
    (
        "25-00156",
        "08/11/2025",
        "18:50",
        "Cambriolage",
        "Avenue de la Gloire",
        "TOULOUSE",
        "576609,19",
        "6280023,64",
    ),
    (
        "25-00157",
        "21/11/2025",
        "08:05",
        "Accident",
        "Avenue de Muret",
        "TOULOUSE",
        "573169,37",
        "6277479,93",
    ),
    (
        "25-00158",
        "05/12/2025",
        "17:30",
        "VOL A L'ETALAGE",
        "Rue d'Alsace-Lorraine",
        "TOULOUSE",
        "574414,85",
        "6279339,49",
    ),
    (
        "25-00159",
        "31/12/2025",
        "23:55",
        "Feu de poubelle",
        "Avenue de Reynerie",
        "TOULOUSE",
        "570877,46",
        "6276190,83",
    ),
)

MESSY_QUIRKS: dict[str, tuple[int, ...]] = {
    "exact duplicate of an earlier line (same N°)": (11, 46),
    "address but no coordinates": (37, 50),
    "neither address nor coordinates": (54,),
    "unknown nature (Chien errant)": (24,),
    "impossible date (31/02/2025)": (19,),
    "local time in the spring DST gap (30/03/2025 02:30)": (26,),
    "local time in the repeated autumn hour (26/10/2025 02:30)": (59,),
    "point outside France (X/Y far away)": (58,),
    "empty line": (32,),
    "typographic apostrophe (Windows-1252 0x92)": (9, 33),
}
"""File line numbers (header = line 1) of the deliberate quirks of the messy sample."""


def messy_sample_bytes() -> bytes:
    """The messy municipal export: Windows-1252, `;`, CRLF, Lambert-93 X/Y, decimal commas."""
    lines = [";".join(MESSY_HEADER)]
    lines += ["" if row is None else ";".join(row) for row in MESSY_ROWS]
    return "".join(f"{line}\r\n" for line in lines).encode("cp1252")


def write_messy_sample(path: Path) -> None:
    """Write data/samples/municipal_messy.csv (deterministic: always the same bytes)."""
    Path(path).write_bytes(messy_sample_bytes())


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.synthetic",
        description="Generate synthetic municipal incidents (or the messy sample export).",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (42)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of facts (30000)")
    parser.add_argument(
        "--start", type=date.fromisoformat, default=DEFAULT_START, help="first day (2024-01-01)"
    )
    parser.add_argument("--months", type=int, default=DEFAULT_MONTHS, help="months covered (24)")
    parser.add_argument("--commune", type=Path, default=DEFAULT_COMMUNE, help="commune GeoJSON")
    parser.add_argument(
        "--qpv",
        type=Path,
        action="append",
        help="QPV GeoJSON (repeatable; default: data/samples/qpv2024_toulouse.geojson)",
    )
    parser.add_argument("--out", type=Path, help="CSV to write (default: standard output)")
    parser.add_argument(
        "--messy",
        type=Path,
        metavar="PATH",
        help="write the hand-made messy sample to PATH instead",
    )
    args = parser.parse_args(argv)
    if args.messy:
        write_messy_sample(args.messy)
        return 0
    if args.rows < 0 or args.months < 1:
        parser.error("--rows must be >= 0 and --months >= 1")
    frame = generate_incidents(
        args.rows,
        args.seed,
        args.start,
        args.months,
        args.commune,
        tuple(args.qpv) if args.qpv else DEFAULT_QPV,
    )
    if args.out:
        write_municipal_csv(frame, args.out)
    else:
        sys.stdout.buffer.write(municipal_csv_bytes(frame))
    return 0


if __name__ == "__main__":
    sys.exit(main())
