"""Population tables: INSEE legal populations per commune, INSEE figures per QPV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ingest.boundaries.populations import read_insee_populations, read_qpv_populations
from observatory.errors import InvalidInput
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA
INSEE_POPULATIONS = DATA / "communes" / "insee_populations_legales_communes.csv"
QPV_2015_INSEE = DATA / "qpv" / "qpv2015_occitanie_insee.csv"


def test_real_insee_file_codes_and_whole_cities() -> None:
    table = pd.read_csv(INSEE_POPULATIONS, sep=";", dtype=str, encoding="utf-8")
    table["PMUN"] = table.PMUN.astype(int)

    def pmun(dep: str, com: str) -> int:
        return int(table.loc[table.CODDEP.eq(dep) & table.CODCOM.eq(com), "PMUN"].iloc[0])

    populations = read_insee_populations(INSEE_POPULATIONS)

    assert len(populations) == len(table) + 3  # plus Paris, Lyon and Marseille as a whole
    assert all(len(code) == 5 for code in populations)
    assert populations["31555"] == pmun("31", "555")
    assert populations["01001"] == pmun("01", "001")
    assert populations["2A004"] == pmun("2A", "004")
    assert populations["97101"] == pmun("971", "101")  # overseas: CODDEP[:2] + CODCOM
    assert "971101" not in populations
    paris = table.loc[table.CODDEP == "75", "PMUN"].sum()
    assert populations["75056"] == paris == sum(populations[f"751{n:02d}"] for n in range(1, 21))
    lyon = table.loc[table.COM.str.startswith("Lyon ") & (table.CODDEP == "69"), "PMUN"].sum()
    assert populations["69123"] == lyon
    marseille = table.loc[table.COM.str.startswith("Marseille "), "PMUN"].sum()
    assert populations["13055"] == marseille


def test_windows_1252_file_with_a_whole_city_row_kept(tmp_path: Path) -> None:
    path = tmp_path / "populations.csv"
    path.write_bytes(
        "CODREG;REG;CODDEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT\n"
        "11;Île-de-France;75;1;;101;Paris 1er Arrondissement;15 917;138;16055\n"
        "11;Île-de-France;75;1;;102;Paris 2e Arrondissement;21595;140;21735\n"
        "11;Île-de-France;75;1;;056;Paris;2000000;0;2000000\n"
        "84;Auvergne-Rhône-Alpes;69;1;00;381;Lyon 1er Arrondissement;29641;782;30423\n"
        "84;Auvergne-Rhône-Alpes;69;1;00;382;Lyon 2e Arrondissement;31303;386;31689\n"
        "02;Martinique;972;1;01;209;Fort-de-France;78126;1000;79126\n"
        "94;Corse;2B;1;01;33;Bastia;48503;;48503\n"
        "76;Occitanie;9;1;01;122;Foix;9731;;9731\n"
        "76;Occitanie;31;3;99;555;Toulouse;secret;;\n".encode("cp1252")
    )

    populations = read_insee_populations(path)

    assert populations == {
        "75101": 15917,
        "75102": 21595,
        "75056": 2_000_000,  # the commune row wins over the sum of its arrondissements
        "69381": 29641,
        "69382": 31303,
        "69123": 29641 + 31303,
        "97209": 78126,
        "2B033": 48503,
        "09122": 9731,
    }


def test_code_column_variant(tmp_path: Path) -> None:
    path = tmp_path / "donnees_communes.csv"
    path.write_text("REG;Région;DEP;COM;Commune;PMUN\n76;Occitanie;31;31555;Toulouse;504078\n")

    assert read_insee_populations(path) == {"31555": 504078}


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("a,b\n1,2\n")

    with pytest.raises(InvalidInput, match="PMUN"):
        read_insee_populations(path)
    with pytest.raises(InvalidInput, match="code_qp et pop_mun"):
        read_qpv_populations(path)


def test_real_qpv_figures() -> None:
    table = pd.read_csv(QPV_2015_INSEE, encoding="utf-8-sig", dtype={"code_qp": str})

    populations = read_qpv_populations(QPV_2015_INSEE)

    assert populations == dict(zip(table.code_qp, table.pop_mun.astype(int), strict=True))
    assert len(populations) == 105
