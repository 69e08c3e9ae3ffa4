"""The model: one component per source of facts of a category (when, where, how often)."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.synthetic.time_profiles import (
    ALL_DAYS,
    DAY,
    DAYTIME,
    DOMESTIC,
    EVENING,
    FIRES,
    LATE_EVENING,
    NIGHT,
    NIGHT_VEHICLE,
    NIGHTLIFE_DAYS,
    NOUVEL_AN,
    OFFICE,
    PARKING,
    PARTY,
    RUSH,
    SHOP,
    SHOP_DAYS,
    SPREAD,
    WEEKEND_DAY,
    WEEKEND_DAYS,
    WORKDAYS,
)


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
