"""The CLSPD's actions: the layer, one action, its before/after evaluation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Number
from api.schemas.geojson import Feature, FeatureCollection, Geometry

# -- the layer ---------------------------------------------------------------------------------


class ActionProperties(BaseModel):
    """Une action de la stratégie territoriale (fiche action)."""

    id: int = Field(description="Numéro de l'action")
    title: str = Field(description="Intitulé")
    reference: str | None = Field(description="Référence de la fiche action")
    kind: str = Field(description="Code de la nature de l'action")
    kind_label: str = Field(description="Nature de l'action, en clair")
    start: str = Field(description="Début (AAAA-MM-JJ)")
    end: str | None = Field(description="Fin (AAAA-MM-JJ) ; null : en cours")
    ongoing: bool = Field(description="Action en cours (sans fin)")
    place_kind: str = Field(description="Lieu donné par un point, une ligne ou un polygone")
    place_buffer_m: Number | None = Field(description="Rayon ou tampon du lieu, en mètres")
    categories: list[str] = Field(description="Codes des catégories visées ; vide : toutes")
    category_labels: list[str] = Field(description="Libellés des catégories visées")
    note: str | None = Field(description="Note libre")
    commune: str | None = Field(description="Code INSEE de la commune de la zone traitée")
    commune_name: str | None = Field(description="Nom de cette commune")
    control_area: bool = Field(description="Une zone témoin a été choisie pour l'action")
    control_geometry: dict[str, Any] | None = Field(
        default=None, description="La zone témoin choisie (GeoJSON, WGS84) ; null : la commune"
    )
    area_m2: Number = Field(description="Surface de la zone traitée, en m²")
    created_at: str = Field(description="Enregistrée le (ISO 8601)")
    created_by: str | None = Field(description="Enregistrée par (nom du jeton)")


class ActionFeature(Feature[ActionProperties, Geometry]):
    """Une action et sa zone traitée (polygone)."""


class ActionsMetadata(BaseModel):
    """Les natures d'action et le nombre d'actions."""

    kinds: dict[str, str] = Field(description="Les natures d'action : code → libellé")
    count: int = Field(description="Nombre d'actions de la couche")


class ActionsLayer(FeatureCollection[ActionFeature]):
    """Les actions, la plus récente d'abord."""

    metadata: ActionsMetadata = Field(description="Natures et nombre d'actions")


# -- the evaluation ----------------------------------------------------------------------------


class ControlArea(BaseModel):
    """La zone témoin."""

    kind: str = Field(description="commune, qpv, action (zone choisie) ou default (la commune)")
    code: str | None = Field(description="Code INSEE ou de QPV ; null pour une zone dessinée")
    label: str = Field(description="La zone témoin, en clair")


class EvaluationParameters(BaseModel):
    """Les paramètres de l'évaluation."""

    months: int = Field(description="Durée de chaque période, en mois")
    buffer_m: Number = Field(description="Largeur de l'anneau autour de la zone, en mètres")
    after_from: str = Field(description="La période après part du début (start) ou de la fin (end)")
    control: ControlArea = Field(description="La zone témoin")


class Window(BaseModel):
    """Une période de jours locaux, bornes comprises."""

    model_config = ConfigDict(populate_by_name=True)

    first: str = Field(alias="from", description="Premier jour (AAAA-MM-JJ)")
    to: str = Field(description="Dernier jour (AAAA-MM-JJ)")
    days: int = Field(description="Nombre de jours")


class EvaluationPeriods(BaseModel):
    """Les deux périodes comparées."""

    before: Window = Field(description="La période avant")
    after: Window = Field(description="La période après")
    seasonal: bool = Field(description="Mêmes jours de l'année avant et après")
    years_apart: int | None = Field(description="Années entre les deux périodes, si saisonnières")
    truncated: bool = Field(description="Période après coupée à la fin des données")
    after_from: str = Field(description="La période après part du début (start) ou de la fin (end)")
    months: int = Field(description="Durée de chaque période, en mois")


class AreaCounts(BaseModel):
    """Les faits d'une zone avant et après."""

    before: int = Field(description="Faits de la période avant")
    after: int = Field(description="Faits de la période après")
    change: Number | None = Field(
        description="Évolution (après − avant) / avant ; null si avant = 0"
    )
    area_m2: Number = Field(description="Surface de la zone, en m²")


class EvaluationAreas(BaseModel):
    """La zone traitée, l'anneau autour et la zone témoin."""

    treated: AreaCounts = Field(description="La zone traitée")
    buffer: AreaCounts = Field(description="L'anneau autour de la zone traitée")
    control: AreaCounts = Field(description="La zone témoin")


class RelativeEffect(BaseModel):
    """Rapport des cotes (RES) de Farrington et Welsh d'une zone contre la zone témoin."""

    before: int = Field(description="Faits de la zone, période avant")
    after: int = Field(description="Faits de la zone, période après")
    control_before: int = Field(description="Faits de la zone témoin, période avant")
    control_after: int = Field(description="Faits de la zone témoin, période après")
    odds_ratio: Number | None = Field(description="RES : au-dessus de 1, la zone a fait mieux")
    log_odds_ratio: Number | None = Field(description="Logarithme du RES")
    standard_error: Number | None = Field(description="Erreur type du logarithme du RES")
    ci_low: Number | None = Field(description="Borne basse de l'intervalle à 95 % du RES")
    ci_high: Number | None = Field(description="Borne haute de l'intervalle à 95 % du RES")
    z: Number | None = Field(description="z du logarithme du RES")
    p: Number | None = Field(description="p bilatéral")
    relative_change: Number | None = Field(description="Évolution relative : 1/RES − 1")
    relative_change_low: Number | None = Field(description="Borne basse de l'évolution relative")
    relative_change_high: Number | None = Field(description="Borne haute de l'évolution relative")
    corrected: bool = Field(description="0,5 ajouté à chaque case, l'une d'elles valant 0")
    measurable: bool = Field(description="Effectifs suffisants et intervalle assez étroit")
    significant: bool = Field(description="p < 0,05")


class Displacement(BaseModel):
    """Déplacement ou diffusion dans l'anneau : les mesures de Bowers et Johnson."""

    success_measure: Number | None = Field(description="Mesure de succès de la zone traitée")
    buffer_measure: Number | None = Field(description="Mesure de l'anneau")
    wdq: Number | None = Field(
        description="Quotient de déplacement pondéré (WDQ) ; null s'il ne se lit pas (pas de "
        "baisse significative dans la zone traitée)"
    )
    total_net_effect: Number | None = Field(
        description="Effet net total, en faits ; null s'il ne se lit pas"
    )
    interpretation: str = Field(description="Code de la lecture du WDQ")
    interpretation_label: str = Field(description="La lecture du WDQ, en français")
    readable: bool = Field(description="Le WDQ se lit : baisse significative dans la zone traitée")
    wdq_text: str = Field(description="Le WDQ tel qu'affiché (« non interprétable » sinon)")
    net_effect_text: str = Field(description="L'effet net total tel qu'affiché")


class RegressionToMean(BaseModel):
    """La zone traitée était-elle à un pic juste avant l'action ?"""

    recent: int = Field(description="Faits des mois précédant l'action")
    windows: int = Field(description="Périodes de même durée des trois années d'avant")
    mean: Number | None = Field(description="Moyenne de ces périodes ; null si trop peu")
    share_below: Number | None = Field(description="Part de ces périodes sous le compte récent")
    judged: bool = Field(description="Assez de périodes pour en juger")
    warning: bool = Field(description="Avertissement de régression vers la moyenne")
    recent_from: str = Field(description="Début des mois précédant l'action (JJ/MM/AAAA)")
    recent_to: str = Field(description="Fin des mois précédant l'action (JJ/MM/AAAA)")


class EvaluationWarning(BaseModel):
    """Un avertissement sur la lecture de l'évaluation."""

    code: str = Field(description="Code de l'avertissement")
    message: str = Field(description="L'avertissement, en français")


class EvaluationRules(BaseModel):
    """Les règles de lecture appliquées."""

    min_count: int = Field(description="Faits requis dans chaque case pour mesurer un effet")
    max_ci_ratio: Number = Field(description="Rapport maximal entre les bornes de l'intervalle")
    alpha: Number = Field(description="Seuil de significativité")
    regression_share: Number = Field(description="Part des périodes passées qui signale un pic")
    regression_min_windows: int = Field(description="Périodes passées requises pour en juger")


class EvaluationChanges(BaseModel):
    """L'évolution propre de chaque zone, écrite en français."""

    treated: str = Field(description="Évolution de la zone traitée (« +4 % », jamais « −0 % »)")
    buffer: str = Field(description="Évolution de l'anneau")
    control: str = Field(description="Évolution de la zone témoin")


class EvaluationDisplay(BaseModel):
    """Les chiffres tels que la page les affiche, écrits par le serveur."""

    verdict: str = Field(description="« En bref » : l'évaluation en une phrase")
    changes: EvaluationChanges = Field(description="L'évolution de chaque zone")
    treated_effect: str = Field(description="Évolution relative de la zone traitée et son IC")
    treated_verdict: str = Field(description="RES et p de la zone traitée")
    buffer_effect: str = Field(description="Évolution relative de l'anneau et son IC")
    buffer_verdict: str = Field(description="RES et p de l'anneau")
    wdq: str = Field(description="Le WDQ affiché, ou « non interprétable »")
    net_effect: str = Field(description="L'effet net total affiché, ou « non interprétable »")
    direct_effect: bool = Field(description="Baisse significative dans la zone traitée")


class ActionEvaluation(BaseModel):
    """L'évaluation avant/après d'une action, avec zone témoin et anneau."""

    action: ActionProperties = Field(description="L'action évaluée")
    parameters: EvaluationParameters = Field(description="Les paramètres de l'évaluation")
    periods: EvaluationPeriods = Field(description="Les deux périodes comparées")
    areas: EvaluationAreas = Field(description="Les comptes de chaque zone")
    relative_effect: RelativeEffect = Field(description="L'effet dans la zone traitée")
    buffer_effect: RelativeEffect = Field(description="L'effet dans l'anneau autour")
    displacement: Displacement = Field(description="Déplacement ou diffusion des bénéfices")
    regression_to_mean: RegressionToMean = Field(description="Le contrôle du pic avant l'action")
    measurable: bool = Field(description="L'effet dans la zone traitée est mesurable")
    direction: str = Field(description="Comment lire le rapport des cotes")
    warnings: list[EvaluationWarning] = Field(description="Les avertissements")
    reading: list[str] = Field(description="La lecture en français, phrase par phrase")
    display: EvaluationDisplay = Field(description="Les chiffres affichés, écrits en français")
    buffer_geometry: dict[str, Any] | None = Field(
        description="L'anneau autour de la zone (géométrie GeoJSON, WGS84)"
    )
    data_version: int = Field(description="Version des données (change à chaque import)")
    rules: EvaluationRules = Field(description="Les règles de lecture appliquées")
