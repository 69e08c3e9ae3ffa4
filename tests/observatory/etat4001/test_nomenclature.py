"""The état 4001 nomenclature, values and series: no database."""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime

import pytest

from observatory.errors import InvalidInput
from observatory.etat4001.nomenclature import (
    DATA,
    FAMILIES,
    INDICATORS,
    UNITS,
    describe,
    entries,
    entry,
    units_of,
)
from observatory.etat4001.series import poisson_z, yearly_points
from observatory.etat4001.values import department_code, index_list, perimeter_code, period_code
from tests.conftest import SHARED_DATA

SHARED = SHARED_DATA
SSMSI = "donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv"


def test_the_107_index_each_in_exactly_one_family_with_a_unit() -> None:
    found = entries()
    assert [e.index for e in found] == list(range(1, 108))
    assert all(e.family in FAMILIES for e in found)
    assert all(e.unit in UNITS for e in found)
    assert all(e.indicator is None or e.indicator in INDICATORS for e in found)
    assert {f for f in FAMILIES} == {e.family for e in found}


def test_unused_index_are_96_97_99_100_and_nothing_else() -> None:
    assert [e.index for e in entries() if e.unused] == [96, 97, 99, 100]
    for index in (96, 97, 99, 100):
        assert entry(index).published_label == "Index non utilisé"
        assert entry(index).unit == "sans_objet"
        assert entry(index).indicator is None


def test_every_indicator_has_one_unit_so_its_series_adds_like_with_like() -> None:
    for code in INDICATORS:
        members = [e for e in entries() if e.indicator == code]
        assert members, code
        assert len({e.unit for e in members}) == 1, code


def test_units_stated_by_the_ssmsi() -> None:
    """Interstats: victims for sexual violence (46–49), the mis en cause for drug use (56, 57),
    the cheque for index 89, the vehicle for vehicle thefts (34–38)."""
    assert {entry(i).unit for i in range(46, 50)} == {"victimes"}
    assert {entry(i).unit for i in (56, 57)} == {"mis_en_cause"}
    assert entry(89).unit == "cheques"
    assert {entry(i).unit for i in range(34, 39)} == {"vehicules"}
    assert units_of([27, 35]) == {"faits": [27], "vehicules": [35]}


def test_indicators_match_the_units_of_the_ssmsi_base() -> None:
    """The unité.de.compte of the SSMSI départemental base, class by class."""
    path = SHARED / "ssmsi" / SSMSI
    with open(path, encoding="utf-8-sig", newline="") as handle:
        units = {r["classe"]: r["unité.de.compte"] for r in csv.DictReader(handle, delimiter=";")}
    expected = {
        "cambriolages_logement": ("Cambriolages de logement", "faits"),
        "vols_avec_armes": ("Vols avec armes", "faits"),
        "vols_violents_sans_arme": ("Vols violents sans arme", "faits"),
        "vols_vehicules": ("Vols de véhicules", "vehicules"),
        "vols_dans_vehicules": ("Vols dans les véhicules", "vehicules"),
        "vols_accessoires_vehicules": ("Vols d'accessoires sur véhicules", "vehicules"),
        "vols_sans_violence_personnes": (
            "Vols sans violence contre des personnes",
            "victimes_entendues",
        ),
        "violences_sexuelles": ("Violences sexuelles", "victimes"),
        "coups_blessures_volontaires": ("Coups et blessures volontaires", "victimes"),
        "destructions_degradations": ("Destructions et dégradations volontaires", "faits"),
        "trafic_stupefiants": ("Trafic de stupéfiants", "mis_en_cause"),
        "usage_stupefiants": ("Usage de stupéfiants", "mis_en_cause"),
    }
    ssmsi_words = {
        "infraction": "faits",
        "véhicule": "vehicules",
        "victime entendue": "victimes_entendues",
        "victime": "victimes",
        "Mis en cause": "mis_en_cause",
    }
    for code, (classe, unit) in expected.items():
        assert INDICATORS[code] == classe
        assert ssmsi_words[units[classe]] == unit
        assert {e.unit for e in entries() if e.indicator == code} == {unit}


def test_display_labels_correct_the_published_typos() -> None:
    assert entry(1).published_label == "Règlements de compte entre malfaireurs"
    assert entry(1).label == "Règlements de comptes entre malfaiteurs"
    assert entry(29).published_label == "Camb.de  locaux industriels, commerciaux ou financiers"
    assert entry(38).published_label == "Vols d''accessoires sur véhicules à moteur immatriculés"
    assert entry(38).label == "Vols d'accessoires sur véhicules à moteur immatriculés"
    for e in entries():
        assert "  " not in e.label and "''" not in e.label, e.index
        assert not re.search(r"\ber\b|illicittes|malfaireurs|deslocaux", e.label), e.index


def test_nomenclature_file_and_description() -> None:
    with open(DATA, encoding="utf-8") as handle:
        assert handle.readline().strip() == (
            "index,published_label,label,unit,indicator,family,unused"
        )
    body = describe()
    assert len(body["index"]) == 107  # type: ignore[arg-type]
    indicators = {i["code"]: i for i in body["indicators"]}  # type: ignore[union-attr,index]
    assert indicators["cambriolages_logement"]["index"] == [27, 28]


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [("01", "01"), ("1", "01"), (1, "01"), ("2A", "2A"), ("2b", "2B"), ("971", "971"),
     ("988", "988"), ("31 - Haute-Garonne", "31"), ("20", None), ("99", None), ("", None),
     (None, None), ("Haute-Garonne", None)],
)  # fmt: skip
def test_department_codes(raw: object, code: str | None) -> None:
    assert department_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "period"),
    [("2024", "2024"), (2024, "2024"), ("2024-01", "2024-01"), ("01/2024", "2024-01"),
     ("2024/3", "2024-03"), ("janvier 2024", "2024-01"), ("Janv. 2024", "2024-01"),
     ("févr.-24", "2024-02"), ("août 2023", "2023-08"), (datetime(2024, 12, 1), "2024-12"),
     ("2024-13", None), ("13/2024", None), ("Total", None), ("", None), (1850, None)],
)  # fmt: skip
def test_periods(raw: object, period: str | None) -> None:
    assert period_code(raw) == period


def test_perimeters_and_index_lists() -> None:
    assert perimeter_code("Police nationale") == "PN"
    assert perimeter_code("gendarmerie") == "GN"
    assert perimeter_code("PM") is None
    assert index_list("27,28, 34-36") == [27, 28, 34, 35, 36]
    with pytest.raises(InvalidInput, match="sort des index 1 à 107"):
        index_list("100-108")
    with pytest.raises(InvalidInput, match="ni un index ni un intervalle"):
        index_list("vols")


# -- series -----------------------------------------------------------------------------------


def test_poisson_z_is_twice_the_difference_of_square_roots() -> None:
    assert poisson_z(100, 81) == pytest.approx(2.0)
    assert poisson_z(0, 4) == pytest.approx(-4.0)


def test_complete_years_compare_with_the_year_before() -> None:
    points = yearly_points({2019: {0: 81}, 2020: {0: 100}, 2022: {0: 50}})
    assert [p["previous"] for p in points] == [None, 81, None]  # 2021 missing: no comparison
    second = points[1]
    assert second["change"] == 19 and second["change_pct"] == pytest.approx(23.5)
    assert second["z"] == pytest.approx(2.0)
    assert all(p["complete"] and p["months"] == 12 for p in points)


def test_a_part_of_a_year_compares_with_the_same_months_of_the_year_before() -> None:
    before = {m: 10 for m in range(1, 13)}
    now = {1: 16, 2: 9, 3: 11}
    points = yearly_points({2023: before, 2024: now})
    assert points[1]["months"] == 3 and not points[1]["complete"]
    assert points[1]["previous"] == 30
    assert points[1]["z"] == pytest.approx(round(2 * (math.sqrt(36) - math.sqrt(30)), 2))


def test_annual_and_partial_years_are_not_compared() -> None:
    points = yearly_points({2020: {0: 1200}, 2021: {1: 100, 2: 90}})
    assert points[1]["previous"] is None and points[1]["z"] is None
    assert points[1]["count"] == 190
    assert yearly_points({2023: {1: 5}, 2024: {1: 0}})[1]["change_pct"] == -100.0
    assert yearly_points({2023: {1: 0}, 2024: {1: 3}})[1]["change_pct"] is None  # from zero
