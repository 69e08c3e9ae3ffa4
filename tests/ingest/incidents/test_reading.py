"""Reading incident files (CSV dialects, row numbers, XLSX, GeoJSON, GeoPackage) and mappings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from pyproj import Transformer

from ingest.incidents.mapping import Mapping, available_profiles, load_mapping, load_profile
from ingest.incidents.reading import RawChunk, read_table, sniff_csv
from observatory.errors import InvalidInput

CAPITOLE = (1.4442, 43.6045)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, mapping: Mapping | None = None, chunk_size: int = 100_000) -> RawChunk:
    """All chunks of a file glued together."""
    chunks = list(read_table(path, mapping or Mapping(), chunk_size=chunk_size))
    assert chunks, "at least one chunk, even for a file without rows"
    extra = [c.extra_fields for c in chunks]
    return RawChunk(
        frame=pd.concat([c.frame for c in chunks], ignore_index=True),
        row_numbers=np.concatenate([c.row_numbers for c in chunks]),
        geometry_lonlat=None,
        extra_fields=(
            None
            if all(e is None for e in extra)
            else np.concatenate(
                [
                    e if e is not None else np.full(len(c.frame), None)
                    for e, c in zip(extra, chunks, strict=True)
                ]
            )
        ),
    )


FRENCH = "Numéro;Date;Nature;X;Y\n1;15/01/2024 22:30;Dégradation;574321,5;6279620,7\n"


def test_cp1252_semicolon_with_accents(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", FRENCH.encode("cp1252"))
    assert sniff_csv(path, Mapping()) == ("cp1252", ";")
    chunk = read_all(path)
    assert list(chunk.frame.columns) == ["Numéro", "Date", "Nature", "X", "Y"]
    assert chunk.frame.iloc[0].tolist() == [
        "1",
        "15/01/2024 22:30",
        "Dégradation",
        "574321,5",
        "6279620,7",
    ]
    assert chunk.row_numbers.tolist() == [2]
    assert chunk.row_numbers.dtype == np.int64
    assert chunk.geometry_lonlat is None


def test_utf8_bom_crlf(tmp_path: Path) -> None:
    data = "\ufeffDate,Nature\r\n15/01/2024,Tapage\r\n16/01/2024,Rixe\r\n".encode()
    path = write(tmp_path, "bom.csv", data)
    assert sniff_csv(path, Mapping()) == ("utf-8-sig", ",")
    chunk = read_all(path)
    assert list(chunk.frame.columns) == ["Date", "Nature"]
    assert chunk.frame["Nature"].tolist() == ["Tapage", "Rixe"]
    assert chunk.row_numbers.tolist() == [2, 3]


def test_cr_only_line_ends_and_tabs(tmp_path: Path) -> None:
    path = write(tmp_path, "mac.tsv", b"Date\tNature\r15/01/2024\tTapage\r16/01/2024\tRixe\r")
    assert sniff_csv(path, Mapping()) == ("utf-8", "\t")
    chunk = read_all(path)
    assert chunk.frame.to_dict("list") == {
        "Date": ["15/01/2024", "16/01/2024"],
        "Nature": ["Tapage", "Rixe"],
    }
    assert chunk.row_numbers.tolist() == [2, 3]


def test_header_names_are_cleaned(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", b" Date , ,Date\n1,2,3\n")
    assert list(read_all(path).frame.columns) == ["Date", "colonne 2", "Date (2)"]


def test_blank_lines_do_not_shift_row_numbers(tmp_path: Path) -> None:
    data = b"Date;Nature\n\n15/01/2024;Tapage\n\n;\n  \n16/01/2024;Rixe\n\n"
    chunk = read_all(write(tmp_path, "blank.csv", data))
    assert chunk.frame["Nature"].tolist() == ["Tapage", "Rixe"]
    assert chunk.row_numbers.tolist() == [3, 7]


def test_quoted_line_breaks_keep_editor_lines(tmp_path: Path) -> None:
    data = b'Date,Nature,Note\n15/01/2024,Tapage,"deux\nlignes"\n16/01/2024,"Rixe","a,b"\n'
    chunk = read_all(write(tmp_path, "multi.csv", data))
    assert chunk.frame["Note"].tolist() == ["deux\nlignes", "a,b"]
    assert chunk.row_numbers.tolist() == [2, 4]


def test_empty_cells_are_none_and_values_stripped(tmp_path: Path) -> None:
    chunk = read_all(write(tmp_path, "e.csv", b"Date,Nature,Adresse\n 15/01/2024 ,, \n"))
    assert chunk.frame.iloc[0].tolist() == ["15/01/2024", None, None]
    assert chunk.frame["Adresse"].dtype == object


def test_rows_stream_in_chunks_with_running_numbers(tmp_path: Path) -> None:
    lines = "\n".join(f"{d:02d}/01/2024,Tapage" for d in range(1, 8))
    path = write(tmp_path, "c.csv", ("Date,Nature\n" + lines + "\n").encode())
    chunks = list(read_table(path, Mapping(), chunk_size=3))
    assert len(chunks) == 3
    assert all(0 < len(c.frame) <= 3 for c in chunks)
    assert np.concatenate([c.row_numbers for c in chunks]).tolist() == list(range(2, 9))


def test_surplus_fields_are_kept_aside(tmp_path: Path) -> None:
    data = b"Date;Nature;Adresse\n15/01/2024;Vol;12; rue X\n16/01/2024;Rixe\n17/01/2024;Vol;A;;\n"
    chunk = read_all(write(tmp_path, "s.csv", data))
    assert chunk.frame.iloc[0].tolist() == ["15/01/2024", "Vol", "12"]
    assert chunk.frame.iloc[1].tolist() == ["16/01/2024", "Rixe", None]
    assert chunk.extra_fields is not None
    assert chunk.extra_fields.tolist() == [("rue X",), None, None]  # empty surplus is no surplus


def test_separator_and_encoding_from_the_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "m.txt", "Date|Nature\n15/01/2024|Dégradation\n".encode("cp1252"))
    mapping = Mapping(separator="|", encoding="cp1252")
    assert sniff_csv(path, mapping) == ("cp1252", "|")
    assert read_all(path, mapping).frame["Nature"].tolist() == ["Dégradation"]


def test_header_only_file_gives_one_empty_chunk(tmp_path: Path) -> None:
    chunks = list(read_table(write(tmp_path, "h.csv", b"Date,Nature\n"), Mapping()))
    assert len(chunks) == 1
    assert list(chunks[0].frame.columns) == ["Date", "Nature"]
    assert len(chunks[0].frame) == 0 == len(chunks[0].row_numbers)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("vide.csv", b"", "est vide : attendu une ligne d'en-tête"),
        ("blanc.csv", b"\n\n", "ne contient aucune ligne"),
        ("notes.doc", b"x", "Format non reconnu"),
        ("vieux.xls", b"x", "enregistrez-le en .xlsx ou en .csv"),
        ("faux.xlsx", b"not a zip", "pas un classeur Excel lisible"),
        ("faux.geojson", b"{not json", "Fichier géographique illisible"),
        ("quote.csv", b'Date,Nature\n15/01/2024,"Vol\n16/01/2024,Rixe\n', "jamais refermé"),
    ],
)
def test_unusable_files_are_refused_in_french(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(InvalidInput, match=message):
        list(read_table(path, Mapping()))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Fichier introuvable"):
        list(read_table(tmp_path / "absent.csv", Mapping()))


def test_xlsx_written_by_openpyxl(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Autre"
    sheet = book.create_sheet("Faits")
    sheet.append([None])  # the header may start lower
    sheet.append(["Date", "Heure", "Nature", "X", "Code INSEE", None])
    sheet.append([dt.datetime(2024, 1, 15), dt.time(22, 30), "Tapage", 574321.5, 1004])
    sheet.append([])
    sheet.append([45310.5, None, " Vol ", 574321, "31555", "en trop"])
    sheet.append([dt.datetime(2024, 1, 16, 8, 5), None, "Rixe", None, None])
    path = tmp_path / "faits.xlsx"
    book.save(path)

    chunk = read_all(path, Mapping(sheet="Faits"))
    assert list(chunk.frame.columns) == ["Date", "Heure", "Nature", "X", "Code INSEE"]
    assert chunk.frame.to_dict("records") == [
        {"Date": "2024-01-15", "Heure": "22:30:00", "Nature": "Tapage", "X": "574321.5",
         "Code INSEE": "1004"},
        {"Date": "45310.5", "Heure": None, "Nature": "Vol", "X": "574321", "Code INSEE": "31555"},
        {"Date": "2024-01-16 08:05:00", "Heure": None, "Nature": "Rixe", "X": None,
         "Code INSEE": None},
    ]  # fmt: skip
    assert chunk.row_numbers.tolist() == [3, 5, 6]
    assert chunk.extra_fields is not None
    assert chunk.extra_fields.tolist() == [None, ("en trop",), None]
    assert read_all(path, Mapping(sheet=1)).frame.equals(chunk.frame)
    with pytest.raises(InvalidInput, match="Feuille « Incidents » absente"):
        list(read_table(path, Mapping(sheet="Incidents")))


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_vector_files_reprojected_from_lambert93(tmp_path: Path, suffix: str) -> None:
    import geopandas as gpd
    import shapely

    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(*CAPITOLE)
    frame = gpd.GeoDataFrame(
        {
            "date": ["15/01/2024 22:30", "16/01/2024", "17/01/2024"],
            "nature": ["Tapage", "Rixe", None],
            "victimes": [1, 2, None],
        },
        geometry=[shapely.Point(x, y), None, shapely.Point(x + 1000, y)],
        crs=2154,
    )
    path = tmp_path / f"faits.{suffix}"
    frame.to_file(path)
    chunk = read_all_vector(path)
    assert chunk.row_numbers.tolist() == [1, 2, 3]
    assert chunk.frame["date"].tolist() == ["15/01/2024 22:30", "16/01/2024", "17/01/2024"]
    assert chunk.frame["nature"].tolist() == ["Tapage", "Rixe", None]
    assert chunk.frame["victimes"].tolist() == ["1", "2", None]
    lonlat = chunk.geometry_lonlat
    assert lonlat is not None and lonlat.shape == (3, 2) and lonlat.dtype == np.float64
    assert_allclose(lonlat[0], CAPITOLE, atol=1e-8)
    assert np.isnan(lonlat[1]).all()
    assert 1.456 < lonlat[2, 0] < 1.457  # 1 km east


def test_shapefile_without_projection_is_detected(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(*CAPITOLE)
    frame = gpd.GeoDataFrame({"nature": ["Tapage"]}, geometry=[shapely.Point(x, y)], crs=2154)
    path = tmp_path / "faits.shp"
    frame.to_file(path)
    path.with_suffix(".prj").unlink()
    lonlat = read_all_vector(path).geometry_lonlat
    assert lonlat is not None
    assert_allclose(lonlat[0], CAPITOLE, atol=1e-8)


def read_all_vector(path: Path) -> RawChunk:
    chunks = list(read_table(path, Mapping(), chunk_size=2))
    lonlat = [c.geometry_lonlat for c in chunks]
    assert all(g is not None for g in lonlat)
    return RawChunk(
        frame=pd.concat([c.frame for c in chunks], ignore_index=True),
        row_numbers=np.concatenate([c.row_numbers for c in chunks]),
        geometry_lonlat=np.concatenate([g for g in lonlat if g is not None]),
    )


# --- mapping files and profiles ----------------------------------------------------------------


def test_profiles_shipped() -> None:
    assert {"municipal", "police-uk"} <= set(available_profiles())
    uk = load_profile("police-uk")
    assert uk.source == "police-uk" and uk.timezone == "Europe/London"
    assert uk.territory == (-8.7, 49.8, 1.8, 60.9)
    assert uk.columns == {
        "source_ref": "Crime ID",
        "month": "Month",
        "category": "Crime type",
        "lon": "Longitude",
        "lat": "Latitude",
        "address": "Location",
    }
    assert len(uk.categories) == 14
    assert uk.categories["Anti-social behaviour"] == "incivilite"
    assert uk.categories["Violence and sexual offences"] == "violences_physiques"
    municipal = load_profile("municipal")
    assert municipal.columns == {} and municipal.source == "police-municipale"


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match=r"Profil inconnu : « gendarmerie ».*police-uk"):
        load_profile("gendarmerie")


def test_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "ville.toml"
    path.write_text(
        'source = "csu"\ncrs = 2154\ndate_order = "DMY"\nseparator = "tab"\n'
        "territory = [1.35, 43.53, 1.51, 43.67]\nmonth_is_interval = false\nsheet = 0\n"
        '[columns]\ndatetime = "Horodatage"\n[categories]\n"Tapage nocturne" = "tapage"\n',
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping == Mapping(
        columns={"datetime": "Horodatage"},
        date_order="dmy",
        crs=2154,
        separator="\t",
        categories={"Tapage nocturne": "tapage"},
        territory=(1.35, 43.53, 1.51, 43.67),
        source="csu",
        month_is_interval=False,
        sheet=0,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colonnes = 1\n", "clé\\(s\\) inconnue\\(s\\) : colonnes"),
        ('date_order = "jma"\n', "date_order"),
        ("crs = 99999999\n", "code EPSG inconnu"),
        ('timezone = "Europe/Atlantis"\n', "fuseau horaire inconnu"),
        ("territory = [10, 0, 5, 1]\n", "territory"),
        ('encoding = "klingon"\n', "encodage inconnu"),
        ('[columns]\nquand = "Date"\n', "champ\\(s\\) inconnu\\(s\\) quand"),
        ('[categories]\n"Tapage" = "bruit"\n', "code\\(s\\) de catégorie inconnu\\(s\\) bruit"),
        ("source = \n", "TOML invalide"),
    ],
)
def test_bad_mapping_files_are_refused_in_french(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_mapping(path)
