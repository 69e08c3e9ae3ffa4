"""The synthetic incident generator and the committed sample files (no database)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from benchmarks.synthetic import (
    COMPONENTS,
    DEFAULT_COMMUNE,
    DEFAULT_QPV,
    MESSY_HEADER,
    MESSY_QUIRKS,
    MUNICIPAL_COLUMNS,
    NATURE_SPELLINGS,
    SAMPLES,
    generate_incidents,
    main,
    messy_sample_bytes,
    write_messy_sample,
    write_municipal_csv,
)
from observatory.categories import CATEGORIES, normalise_label

REPO = Path(__file__).resolve().parents[2]
COMMITTED_CSV = SAMPLES / "incidents_toulouse.csv"
COMMITTED_MESSY = SAMPLES / "municipal_messy.csv"
NAMES_BY_CODE = {
    c.code: {normalise_label(name) for name in (c.label, *c.aliases)} for c in CATEGORIES
}
ALL_NAMES = set().union(*NAMES_BY_CODE.values())


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The committed sample's frame: 30,000 facts, seed 42 (the documented command)."""
    return generate_incidents(30_000, 42, date(2024, 1, 1), 24, DEFAULT_COMMUNE, DEFAULT_QPV)


@pytest.fixture(scope="module")
def toulouse() -> shapely.geometry.base.BaseGeometry:
    communes = gpd.read_file(DEFAULT_COMMUNE)
    assert list(communes["code_commune"]) == ["31555"]
    return communes.geometry.iloc[0]


def test_same_seed_same_frame_other_seed_other_frame() -> None:
    first = generate_incidents(2_000, 7, date(2024, 1, 1), 24, DEFAULT_COMMUNE, DEFAULT_QPV)
    again = generate_incidents(2_000, 7, date(2024, 1, 1), 24, DEFAULT_COMMUNE, DEFAULT_QPV)
    other = generate_incidents(2_000, 8, date(2024, 1, 1), 24, DEFAULT_COMMUNE, DEFAULT_QPV)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert not np.array_equal(first["longitude"].to_numpy(), other["longitude"].to_numpy())


def test_row_count_is_exact_and_references_unique(sample: pd.DataFrame) -> None:
    assert len(sample) == 30_000
    assert len(generate_incidents(123, 1)) == 123
    assert len(generate_incidents(0, 1)) == 0
    assert sample["numero"].is_unique
    assert sample["numero"].str.fullmatch(r"PM31-20\d\d-\d{6}").all()
    years = sample["numero"].str.slice(5, 9).astype(int)
    assert (years == sample["occurred_at"].dt.year).all()
    assert sample["occurred_at"].is_monotonic_increasing
    assert (sample["code_insee"] == "31555").all()


def test_every_point_lies_inside_toulouse(sample: pd.DataFrame, toulouse: object) -> None:
    points = gpd.GeoSeries(gpd.points_from_xy(sample["longitude"], sample["latitude"]), crs=4326)
    assert points.within(toulouse).all()
    # the coordinates are already those written (6 decimals)
    assert np.allclose(sample["longitude"], sample["longitude"].round(6), rtol=0, atol=1e-12)


def test_only_known_categories_spelt_as_label_or_alias(sample: pd.DataFrame) -> None:
    assert set(sample["category"]) == {c.code for c in COMPONENTS} <= set(NAMES_BY_CODE)
    for code, spellings in NATURE_SPELLINGS.items():
        assert {normalise_label(s) for s in spellings} <= NAMES_BY_CODE[code], code
    for code, nature in zip(sample["category"], sample["nature"], strict=True):
        assert normalise_label(nature) in NAMES_BY_CODE[code], (code, nature)
    # as a town's software writes them: labels, aliases, capitals, accents or not
    natures = set(sample["nature"])
    assert {"Vol à l'étalage", "VOL A L'ETALAGE", "Cambriolage"} <= natures
    assert "vol_etalage" not in natures


def _night_share(frame: pd.DataFrame, code: str) -> float:
    hours = frame.loc[frame["category"] == code, "occurred_at"].dt.hour
    return float(((hours >= 22) | (hours < 6)).mean())


def test_time_patterns(sample: pd.DataFrame) -> None:
    assert _night_share(sample, "tapage") > 0.6 > 0.1 > _night_share(sample, "vol_etalage")
    assert _night_share(sample, "rixe") > _night_share(sample, "accident_circulation")
    weekday = sample["occurred_at"].dt.day_of_week
    tapage = weekday[sample["category"] == "tapage"]
    assert tapage.isin([5, 6]).mean() > 2 / 7  # Friday and Saturday nights spill into the weekend
    etalage = weekday[sample["category"] == "vol_etalage"]
    assert (etalage == 6).mean() < 0.05  # shops closed on Sundays
    accidents = sample.loc[sample["category"] == "accident_circulation", "occurred_at"].dt.hour
    assert accidents.isin([7, 8, 9, 17, 18, 19]).mean() > 0.4


def test_intervals(sample: pd.DataFrame) -> None:
    until = sample["occurred_until"]
    intervals = sample[until.notna()]
    assert 0.07 < len(intervals) / len(sample) < 0.13
    assert (intervals["occurred_until"] >= intervals["occurred_at"]).all()
    burglaries = intervals[intervals["category"] == "cambriolage_logement"]
    assert burglaries["occurred_at"].dt.hour.between(6, 10).all()
    night = intervals[intervals["category"] == "vol_dans_vehicule"]
    assert night["occurred_at"].dt.hour.between(18, 23).all()
    assert night["occurred_until"].dt.hour.between(5, 10).all()


def test_no_local_time_in_the_spring_dst_gap(sample: pd.DataFrame) -> None:
    for column in ("occurred_at", "occurred_until"):
        moments = sample[column].dropna()
        gap = moments.dt.date.isin([date(2024, 3, 31), date(2025, 3, 30)])
        assert not (gap & (moments.dt.hour == 2)).any()


def test_planted_trend_in_a_qpv(sample: pd.DataFrame) -> None:
    features = json.loads((SAMPLES / "qpv2024_toulouse.geojson").read_text(encoding="utf-8"))
    empalot = next(f for f in features["features"] if f["properties"]["code_qp"] == "QN03109M")
    outline = shapely.make_valid(shape(empalot["geometry"]))
    inside = shapely.contains_xy(outline, sample["longitude"], sample["latitude"])
    deal = sample[inside & (sample["category"] == "trafic_stupefiants")]
    per_year = deal["occurred_at"].dt.year.value_counts()
    assert per_year[2025] > 1.8 * per_year[2024]


def test_committed_sample_is_the_documented_command(tmp_path: Path) -> None:
    out = tmp_path / "incidents.csv"
    assert main(["--seed", "42", "--rows", "30000", "--out", str(out)]) == 0
    assert out.read_bytes() == COMMITTED_CSV.read_bytes()
    assert COMMITTED_CSV.stat().st_size < 3_300_000


def test_municipal_format(sample: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    write_municipal_csv(sample.head(500), path)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    assert raw.decode("utf-8").splitlines()[0] == ";".join(MUNICIPAL_COLUMNS)
    table = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    assert list(table.columns) == list(MUNICIPAL_COLUMNS)
    assert len(table) == 500
    assert table["date_faits"].str.fullmatch(r"\d\d/\d\d/20\d\d").all()
    assert table["heure_faits"].str.fullmatch(r"\d\d:\d\d").all()
    assert ((table["date_fin"] == "") == (table["heure_fin"] == "")).all()
    assert table["longitude"].str.fullmatch(r"1,\d{6}").all()
    assert table["latitude"].str.fullmatch(r"43,\d{6}").all()
    first = table.iloc[0]
    moment = sample["occurred_at"].iloc[0]
    assert first["date_faits"] == moment.strftime("%d/%m/%Y")
    assert first["heure_faits"] == moment.strftime("%H:%M")
    lon = float(first["longitude"].replace(",", "."))
    assert lon == pytest.approx(sample["longitude"].iloc[0], abs=1e-9)


def test_messy_sample_bytes_are_reproducible(tmp_path: Path) -> None:
    out = tmp_path / "messy.csv"
    write_messy_sample(out)
    assert out.read_bytes() == messy_sample_bytes() == COMMITTED_MESSY.read_bytes()
    again = tmp_path / "again.csv"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.synthetic", "--messy", str(again)], check=True, cwd=REPO
    )
    assert again.read_bytes() == out.read_bytes()


def test_messy_sample_has_the_documented_quirks() -> None:
    raw = COMMITTED_MESSY.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = ["", *text.split("\r\n")[:-1]]  # lines[n] is file line n
    assert lines[1].split(";") == list(MESSY_HEADER)
    rows = {n: line.split(";") for n, line in enumerate(lines) if n > 1 and line}
    assert 55 <= len(rows) <= 65 and all(len(r) == 8 for r in rows.values())
    q = MESSY_QUIRKS
    assert [lines[n] for n in q["empty line"]] == [""]
    first, second = q["exact duplicate of an earlier line (same N°)"]
    assert lines[first] == lines[first - 1]
    assert [n for n in rows if rows[n][0] == rows[second][0]] == [31, second]
    assert [n for n in rows if rows[n][6] == ""] == [
        *q["address but no coordinates"],
        *q["neither address nor coordinates"],
    ]
    assert all(rows[n][4] for n in q["address but no coordinates"])
    assert [rows[n][4] for n in q["neither address nor coordinates"]] == [""]
    assert [rows[n][3] for n in q["unknown nature (Chien errant)"]] == ["Chien errant"]
    assert [rows[n][1] for n in q["impossible date (31/02/2025)"]] == ["31/02/2025"]
    assert [rows[n][1:3] for n in q["local time in the spring DST gap (30/03/2025 02:30)"]] == [
        ["30/03/2025", "02:30"]
    ]
    repeated = q["local time in the repeated autumn hour (26/10/2025 02:30)"]
    assert [rows[n][1:3] for n in repeated] == [["26/10/2025", "02:30"]]
    assert all("\u2019" in lines[n] for n in q["typographic apostrophe (Windows-1252 0x92)"])
    # Lambert-93 X/Y with decimal commas; one point far outside France
    coordinates = {
        n: (float(r[6].replace(",", ".")), float(r[7].replace(",", ".")))
        for n, r in rows.items()
        if r[6]
    }
    outside = [
        n
        for n, (x, y) in coordinates.items()
        if not (100_000 < x < 1_300_000 and 6_000_000 < y < 7_200_000)
    ]
    assert outside == list(q["point outside France (X/Y far away)"])
    # dates are day first, and every nature but the unknown one is in the nomenclature
    assert any(int(r[1][:2]) > 12 for r in rows.values())
    unknown = [n for n, r in rows.items() if normalise_label(r[3]) not in ALL_NAMES]
    assert unknown == list(q["unknown nature (Chien errant)"])


def test_messy_sample_quirks_are_in_the_readme() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for lines in MESSY_QUIRKS.values():
        for n in lines:
            assert re.search(rf"\b{n}\b", readme), n


def test_cut_boundary_files_keep_the_original_fields() -> None:
    communes = gpd.read_file(SAMPLES / "communes_toulouse.geojson")
    assert list(communes.columns) == ["code_commune", "code_departement", "nom_commune", "geometry"]
    assert list(communes["nom_commune"]) == ["Toulouse"]
    qpv2015 = gpd.read_file(SAMPLES / "qpv2015_toulouse.geojson")
    assert len(qpv2015) == 12 and set(qpv2015["code_commune"]) == {"31555"}
    qpv2024 = gpd.read_file(SAMPLES / "qpv2024_toulouse.geojson")
    assert len(qpv2024) == 12 and set(qpv2024["insee_com"]) == {"31555"}
    assert "QN03107M" in set(qpv2024["code_qp"])
    insee = pd.read_csv(SAMPLES / "qpv2015_toulouse_insee.csv", encoding="utf-8-sig", dtype=str)
    assert (SAMPLES / "qpv2015_toulouse_insee.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert set(insee["code_qp"]) == set(qpv2015["code_qp"])
    populations = pd.read_csv(SAMPLES / "populations_haute_garonne.csv", sep=";", dtype=str)
    assert set(populations["CODDEP"]) == {"31"}
    toulouse = populations[populations["COM"] == "Toulouse"]
    assert toulouse["CODCOM"].tolist() == ["555"]
