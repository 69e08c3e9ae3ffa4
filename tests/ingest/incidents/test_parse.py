"""Mapping files, column recognition and chunk parsing, on hand-made and real police.uk files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from pyproj import Transformer

from ingest.incidents.mapping import Mapping, load_profile
from ingest.incidents.parse import ROW_COLUMNS, ParsedChunk, _records, parse_chunk, resolve_columns
from ingest.incidents.reading import RawChunk, read_table
from observatory.errors import InvalidInput
from tests.conftest import SHARED_DATA

POLICE_UK = SHARED_DATA / "incidents" / "police_uk_city_of_london"
CAPITOLE = (1.4442, 43.6045)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def chunk_of(records: list[dict[str, str | None]], geometry: np.ndarray | None = None) -> RawChunk:
    frame = pd.DataFrame(records, dtype=object)
    frame = frame.where(frame.notna(), None)
    return RawChunk(frame, np.arange(2, len(frame) + 2, dtype="int64"), geometry)


def parse(
    records: list[dict[str, str | None]],
    mapping: Mapping | None = None,
    geometry: np.ndarray | None = None,
    **kwargs: object,
) -> ParsedChunk:
    mapping = mapping or Mapping()
    chunk = chunk_of(records, geometry)
    columns = resolve_columns(list(chunk.frame.columns), mapping, geometry is not None)
    parsed = parse_chunk(chunk, columns, mapping, timezone="Europe/Paris", **kwargs)  # type: ignore[arg-type]
    assert len(parsed.rows) + len(parsed.rejects) == len(chunk.frame)
    assert not set(parsed.rows["row_number"]) & set(parsed.rejects["row_number"])
    return parsed


def parse_file(path: Path, mapping: Mapping, chunk_size: int = 100_000) -> tuple[int, ParsedChunk]:
    """Rows read and the parsed chunks of a whole file, concatenated."""
    read, parts = 0, []
    columns = None
    for chunk in read_table(path, mapping, chunk_size=chunk_size):
        if columns is None:
            columns = resolve_columns(
                list(chunk.frame.columns), mapping, chunk.geometry_lonlat is not None
            )
        parts.append(parse_chunk(chunk, columns, mapping, timezone="Europe/Paris"))
        read += len(chunk.frame)
    return read, ParsedChunk(
        rows=pd.concat([p.rows for p in parts], ignore_index=True),
        rejects=pd.concat([p.rejects for p in parts], ignore_index=True),
    )


# --- column recognition ------------------------------------------------------------------------


def test_french_names_recognised_without_case_accents_or_spaces() -> None:
    header = [
        "N°",
        "Date des faits",
        "HEURE",
        "Catégorie",
        "X",
        "Y",
        "Adresse",
        "Code INSEE",
        "Obs",
    ]
    columns = resolve_columns(header, Mapping(), has_geometry=False)
    assert columns.columns == {
        "source_ref": "N°",
        "date": "Date des faits",
        "time": "HEURE",
        "category": "Catégorie",
        "x": "X",
        "y": "Y",
        "address": "Adresse",
        "commune_code": "Code INSEE",
    }


def test_english_names_and_mapping_override() -> None:
    header = ["Crime ID", "Month", "Crime type", "Longitude", "Latitude", "Location", "Type"]
    columns = resolve_columns(header, Mapping(columns={"category": "type"}), has_geometry=False)
    assert columns.get("category") == "Type"
    assert columns.get("month") == "Month"
    assert columns.get("lon") == "Longitude" and columns.get("source_ref") == "Crime ID"
    assert "crime type" not in {v.lower() for v in columns.columns.values()}


def test_missing_columns_are_named_with_what_was_seen() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_columns(["Quand", "Quoi"], Mapping(), has_geometry=False)
    message = str(caught.value)
    assert "une date" in message and "une catégorie" in message and "un lieu" in message
    assert '"Quand", "Quoi"' in message
    with pytest.raises(InvalidInput, match='Colonne "Horodatage"'):
        resolve_columns(["Date"], Mapping(columns={"datetime": "Horodatage"}), False)


def test_geometry_is_a_place() -> None:
    columns = resolve_columns(["date", "nature"], Mapping(), has_geometry=True)
    assert columns.columns == {"date": "date", "category": "nature"}


# --- parsing -----------------------------------------------------------------------------------


def test_a_french_municipal_row() -> None:
    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(*CAPITOLE)
    parsed = parse(
        [
            {
                "Numéro": " MC-42 ",
                "Date": "15/01/2024",
                "Heure": "22h30",
                "Nature": " Tapage nocturne ",
                "X": f"{x:.4f}".replace(".", ","),
                "Y": f"{y:.4f}".replace(".", ","),
                "Adresse": "Place du Capitole",
                "Commune": "Toulouse",
                "Code INSEE": "31555",
                "Équipage": "CSU 2",
                "Suite": None,
            }
        ]
    )
    assert parsed.rejects.empty
    assert list(parsed.rows.columns) == list(ROW_COLUMNS)
    row = parsed.rows.iloc[0]
    assert row["row_number"] == 2
    assert row["source_ref"] == "MC-42"
    assert row["occurred_at"] == utc("2024-01-15T21:30:00")
    assert pd.isna(row["occurred_until"])
    assert row["category_raw"] == "Tapage nocturne"
    assert_allclose([row["lon"], row["lat"]], CAPITOLE, atol=1e-7)
    assert row["commune_code"] == "31555"
    assert row["address"] == "Place du Capitole"
    assert row["attributes"] == {"Commune": "Toulouse", "Équipage": "CSU 2"}


def test_dtypes_are_the_contract() -> None:
    parsed = parse(
        [
            {"date": "15/01/2024", "nature": "Rixe", "lon": "1.4442", "lat": "43.6045"},
            {"date": "x", "nature": "Rixe", "lon": "1.4442", "lat": "43.6045"},
        ]
    )
    dtypes = parsed.rows.dtypes.astype(str).to_dict()
    assert dtypes == {
        "row_number": "int64",
        "source_ref": "object",
        "occurred_at": "datetime64[us, UTC]",
        "occurred_until": "datetime64[us, UTC]",
        "category_raw": "object",
        "lon": "float64",
        "lat": "float64",
        "commune_code": "object",
        "address": "object",
        "attributes": "object",
    }
    assert parsed.rows["source_ref"].iloc[0] is None
    assert parsed.rows["commune_code"].iloc[0] is None
    assert parsed.rejects.dtypes.astype(str).to_dict() == {
        "row_number": "int64",
        "raw": "object",
        "reason": "object",
    }


def test_empty_chunk() -> None:
    chunk = RawChunk(pd.DataFrame(columns=["date", "nature", "adresse"], dtype=object),
                     np.array([], dtype="int64"), None)  # fmt: skip
    columns = resolve_columns(list(chunk.frame.columns), Mapping(), False)
    parsed = parse_chunk(chunk, columns, Mapping(), timezone="Europe/Paris")
    assert parsed.rows.empty and parsed.rejects.empty
    assert list(parsed.rows.columns) == list(ROW_COLUMNS)


def test_commune_codes() -> None:
    records = [
        {"date": "15/01/2024", "nature": "Vol", "lon": "1.44", "lat": "43.6", "insee": code}
        for code in ("1004", "2a004", "31555", "315", "Toulouse", None)
    ]
    parsed = parse(records)
    assert parsed.rows["commune_code"].tolist() == ["01004", "2A004", "31555", None, None, None]
    assert parsed.rows["attributes"].tolist() == [
        {},
        {},
        {},
        {"insee": "315"},  # not a code: kept with the row
        {"insee": "Toulouse"},
        {},
    ]


def test_commune_column_holding_codes() -> None:
    parsed = parse([{"date": "15/01/2024", "nature": "Vol", "lon": "1.44", "lat": "43.6",
                     "commune": "31555"}])  # fmt: skip
    assert parsed.rows["commune_code"].tolist() == ["31555"]


def test_every_problem_of_a_row_in_one_reason() -> None:
    parsed = parse(
        [
            {"id": "1", "date": "31/02/2024", "nature": None, "adresse": "12 rue du Taur",
             "lon": None, "lat": None},
            {"id": "2", "date": "15/01/2024", "nature": "Vol", "adresse": None,
             "lon": "-0.1276", "lat": "51.5072"},
        ]
    )  # fmt: skip
    assert parsed.rows.empty
    assert parsed.rejects["row_number"].tolist() == [2, 3]
    assert parsed.rejects["reason"].tolist() == [
        'Date illisible : "31/02/2024" (date ou heure inexistante ; attendu JJ/MM/AAAA hh:mm '
        "ou AAAA-MM-JJ) ; catégorie manquante",
        "point hors de France (-0.1276, 51.5072)",
    ]
    assert parsed.rejects["raw"].tolist() == [
        {"id": "1", "date": "31/02/2024", "adresse": "12 rue du Taur"},
        {"id": "2", "date": "15/01/2024", "nature": "Vol", "lon": "-0.1276", "lat": "51.5072"},
    ]


def test_surplus_values_are_rejected_with_them(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"date;nature;adresse;x;y\n15/01/2024;Vol;12; rue X;1.44;43.6\n")
    read, parsed = parse_file(path, Mapping())
    assert read == 1 and parsed.rows.empty
    assert (
        parsed.rejects["reason"]
        .iloc[0]
        .startswith("ligne de 6 valeurs pour 5 colonnes d'en-tête (en trop : '43.6')")
    )
    assert parsed.rejects["raw"].iloc[0]["(valeur en trop 1)"] == "43.6"


def test_mapping_timezone_wins_and_caller_box_applies() -> None:
    records = [{"date": "15/01/2024 22:30", "nature": "Vol", "lon": "-52.33", "lat": "4.94"}]
    parsed = parse(records, Mapping(timezone="America/Cayenne"))
    assert parsed.rows["occurred_at"].tolist() == [utc("2024-01-16T01:30:00")]
    parsed = parse(records, territory_bbox=(1.35, 43.53, 1.51, 43.67))
    assert parsed.rejects["reason"].tolist() == [
        "point hors du territoire configuré (-52.33, 4.94)"
    ]


def test_geometry_first_then_columns() -> None:
    geometry = np.array([[1.4442, 43.6045], [np.nan, np.nan], [np.nan, np.nan]])
    parsed = parse(
        [
            {"date": "15/01/2024", "nature": "Vol", "lon": "2.35", "lat": "48.85"},
            {"date": "15/01/2024", "nature": "Vol", "lon": "2.35", "lat": "48.85"},
            {"date": "15/01/2024", "nature": "Vol", "lon": None, "lat": None},
        ],
        geometry=geometry,
    )
    assert parsed.rows["lon"].tolist() == [1.4442, 2.35]
    assert parsed.rejects["reason"].tolist() == [
        "aucune coordonnée ni adresse (géométrie absente ou autre qu'un point)"
    ]


def test_french_export_end_to_end(tmp_path: Path) -> None:
    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(*CAPITOLE)
    x_text, y_text = f"{x:.1f}".replace(".", ","), f"{y:.1f}".replace(".", ",")
    text = (
        "N° intervention;Date début;Heure début;Date fin;Heure fin;Nature;X;Y;Adresse\r\n"
        f"A1;14/01/2024;22:00;15/01/2024;07:00;Cambriolage;{x_text};{y_text};Capitole\r\n"
        f"A2;31/03/2024;02:30;;;Tapage;{x_text};{y_text};Capitole\r\n"
        f"A3;27/10/2024;02:30;;;Rixe;{x_text};{y_text};Capitole\r\n"
        "A4;28/10/2024;;;;Dépôt sauvage;;;Rue du Taur\r\n"
    )
    path = tmp_path / "interventions.csv"
    path.write_bytes(text.encode("cp1252"))
    read, parsed = parse_file(path, load_profile("municipal"))
    assert read == 4
    # A4 has an address and no point: kept without one, for the geocoder (no reject here).
    assert parsed.rows["source_ref"].tolist() == ["A1", "A2", "A3", "A4"]
    assert np.isnan(parsed.rows["lon"].iloc[3]) and parsed.rows["address"].iloc[3] == "Rue du Taur"
    assert parsed.rows["occurred_at"].tolist() == [
        utc("2024-01-14T21:00:00"),
        utc("2024-03-31T01:30:00"),
        utc("2024-10-27T00:30:00"),
        utc("2024-10-27T23:00:00"),
    ]
    assert parsed.rows["occurred_until"].iloc[0] == utc("2024-01-15T06:00:00")
    assert parsed.rejects.empty


# --- real files --------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["01", "02", "03"])
def test_police_uk_files_all_rows_accounted(month: str) -> None:
    path = POLICE_UK / f"2024-{month}-city-of-london-street.csv"
    with path.open("rb") as f:
        lines = sum(1 for _ in f)
    read, parsed = parse_file(path, load_profile("police-uk"), chunk_size=250)
    assert read == lines - 1
    assert len(parsed.rows) + len(parsed.rejects) == read
    assert sorted([*parsed.rows["row_number"], *parsed.rejects["row_number"]]) == list(
        range(2, lines + 1)
    )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    no_place = raw.index[(raw["Longitude"] == "") | (raw["Latitude"] == "")] + 2
    assert sorted(parsed.rejects["row_number"]) == sorted(no_place)
    assert set(parsed.rejects["reason"]) == {"aucune coordonnée ni adresse"}  # "No Location"
    start = pd.Timestamp(f"2024-{month}-01", tz="Europe/London")
    until = start + pd.offsets.MonthBegin(1) - pd.Timedelta(seconds=1)
    assert (parsed.rows["occurred_at"] == start.tz_convert("UTC")).all()
    assert (parsed.rows["occurred_until"] == until.tz_convert("UTC")).all()
    assert set(parsed.rows["category_raw"]) <= set(load_profile("police-uk").categories)
    assert (
        parsed.rows["lon"].between(-0.2, 0.0).all() and parsed.rows["lat"].between(51.4, 51.6).all()
    )
    refs = [ref or None for ref in raw.loc[parsed.rows["row_number"] - 2, "Crime ID"]]
    assert parsed.rows["source_ref"].tolist() == refs
    assert None in refs  # some records have no Crime ID


# --- property: corrupted files never break the accounting --------------------------------------

HEADER = ["numero", "date", "heure", "nature", "x", "y", "adresse"]
VALID_ROW = ["17", "15/01/2024", "22:30", "Tapage", "574321,5", "6279620,7", "Place du Capitole"]
GARBAGE = st.binary(min_size=1, max_size=6).filter(lambda b: not set(b) & set(b'"\r\n'))
EDIT = st.tuples(
    st.integers(0, 7),
    st.integers(0, len(HEADER) - 1),
    st.sampled_from(["truncate", "garbage", "empty", "swap"]),
    GARBAGE,
    st.integers(0, len(HEADER) - 1),
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(EDIT, max_size=25))
def test_corrupted_cells_never_raise_and_every_row_is_accounted(
    tmp_path: Path, edits: list[tuple[int, int, str, bytes, int]]
) -> None:
    cells = [[v.encode() for v in VALID_ROW] for _ in range(8)]
    for row, col, kind, garbage, other in edits:
        if kind == "truncate":
            cells[row][col] = cells[row][col][: len(garbage)]
        elif kind == "garbage":
            cells[row][col] = cells[row][col][:1] + garbage
        elif kind == "empty":
            cells[row][col] = b""
        else:
            cells[row][col], cells[row][other] = cells[row][other], cells[row][col]
    data = b"\n".join([";".join(HEADER).encode()] + [b";".join(r) for r in cells]) + b"\n"
    path = tmp_path / "corrompu.csv"
    path.write_bytes(data)
    read, parsed = parse_file(path, load_profile("municipal"), chunk_size=5)
    assert len(parsed.rows) + len(parsed.rejects) == read
    numbers = [*parsed.rows["row_number"], *parsed.rejects["row_number"]]
    assert len(set(numbers)) == len(numbers) and set(numbers) <= set(range(2, 10))
    # A line with no value at all may be skipped; one holding a letter or digit never is.
    visible = {
        i + 2 for i, row in enumerate(cells) if any(chr(b).isalnum() for c in row for b in c)
    }
    assert visible <= set(numbers)
    assert parsed.rejects["reason"].map(lambda r: isinstance(r, str) and r != "").all()


# --- the fast paths agree with the general ones -----------------------------------------------


def big_chunk(seed: int, n: int = 12_000) -> RawChunk:
    """Many rows of repeated, partly broken values: the parser works once per distinct value."""
    rng = np.random.default_rng(seed)
    pools: dict[str, list[str | None]] = {
        "numero": [f"A{i}" for i in range(50)] + ["", None],
        "date": ["15/01/2024", "16/01/2024", "31/02/2024", "2024-01-15T22:30:00Z", "x", None],
        "heure": ["22:30", "7h15", "25:00", None, "02:30"],
        "nature": ["Tapage", " Rixe ", "", None],
        "adresse": ["12 rue du Taur", "No Location", "Non renseigné", None, "Place du Capitole"],
        "code_insee": ["31555", "1555", "2A004", "TOULOUSE", None],
        "longitude": ["1,4442", "1,45", "", "abc", "0", None],
        "latitude": ["43,6045", "43,61", "", "0", None],
        "obs": ["", "note", None],
    }
    frame = pd.DataFrame(
        {k: [v[i] for i in rng.integers(0, len(v), n)] for k, v in pools.items()}, dtype=object
    )
    return RawChunk(frame, np.arange(2, n + 2, dtype="int64"), None)


def parsed_as_list(chunk: RawChunk) -> list[object]:
    columns = resolve_columns(list(chunk.frame.columns), Mapping(), False)
    parsed = parse_chunk(chunk, columns, Mapping(), timezone="Europe/Paris")
    # NaN (a row left to the geocoder) as None, so that equal lists compare equal.
    rows = parsed.rows.astype(object).where(parsed.rows.notna(), None)
    return [rows.to_dict("list"), parsed.rejects.to_dict("list")]


@pytest.mark.parametrize("seed", [1, 2])
def test_values_parsed_once_give_what_each_row_gives(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    import ingest.incidents.columns

    chunk = big_chunk(seed)
    once = parsed_as_list(chunk)
    monkeypatch.setattr(ingest.incidents.columns, "SAMPLE", 10**9)  # every row on its own
    assert once == parsed_as_list(chunk)
    rows, rejects = once
    assert isinstance(rows, dict) and isinstance(rejects, dict)
    assert len(rows["row_number"]) > 100 and len(rejects["row_number"]) > 100


def test_missing_cells_may_be_nan() -> None:
    chunk = big_chunk(3, n=300)
    nan = RawChunk(chunk.frame.fillna(np.nan), chunk.row_numbers, None)
    assert parsed_as_list(chunk) == parsed_as_list(nan)


def test_records_by_presence_pattern() -> None:
    names = ["a", "b", "c"]
    columns = [
        np.array(["x", None, "y", None, None], dtype=object),
        np.array([None, None, "z", "w", None], dtype=object),
        np.array(["1", None, "2", "3", "4"], dtype=object),
    ]
    expected = [
        {k: v for k, v in zip(names, row, strict=True) if v is not None}
        for row in zip(*columns, strict=True)
    ]
    got = _records(names, columns, 5)
    assert got == expected == [{"a": "x", "c": "1"}, {}, {"a": "y", "b": "z", "c": "2"},
                               {"b": "w", "c": "3"}, {"c": "4"}]  # fmt: skip
    assert got[1] is not _records(names, columns, 5)[1]
    assert _records([], [], 2) == [{}, {}]


@pytest.mark.parametrize(("width", "count"), [(1, 500), (2, 500), (3, 500), (8, 200), (70, 50)])
def test_records_of_any_width(width: int, count: int) -> None:
    rng = np.random.default_rng(width)
    names = [f"c{i}" for i in range(width)]
    columns = [
        np.where(rng.random(count) < 0.3, None, rng.choice(["x", "y"], count)).astype(object)
        for _ in names
    ]
    assert _records(names, columns, count) == [
        {k: v for k, v in zip(names, row, strict=True) if v is not None}
        for row in zip(*columns, strict=True)
    ]
