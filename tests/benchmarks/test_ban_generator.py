"""The seeded BAN extract: the official layout, coherent coordinates, and the committed sample."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from benchmarks.synthetic.ban import (
    DEFAULT_ADDRESSES,
    DEFAULT_COMMUNES,
    DEFAULT_SEED,
    generate_ban,
    write_ban,
)

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
SAMPLE = SAMPLES / "adresses-31-extrait.csv.gz"

# The header of https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-XX.csv.gz,
# written out here rather than taken from the generator.
OFFICIAL_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;"
    "libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;"
    "cad_parcelles"
)


def test_the_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "adresses.csv.gz"
    write_ban(generate_ban(DEFAULT_SEED, DEFAULT_ADDRESSES), out)
    assert out.read_bytes() == SAMPLE.read_bytes()


def test_the_sample_is_small() -> None:
    assert SAMPLE.stat().st_size < 300_000


def test_official_layout_and_coherent_coordinates() -> None:
    text = gzip.decompress(SAMPLE.read_bytes()).decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == OFFICIAL_HEADER
    assert lines[-1] == ""
    rows = [
        dict(zip(OFFICIAL_HEADER.split(";"), line.split(";"), strict=True)) for line in lines[1:-1]
    ]
    assert 2000 <= len(rows) <= 5000
    assert len({r["id"] for r in rows}) == len(rows)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)

    outlines = {}
    for path in DEFAULT_COMMUNES:
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            outlines[feature["properties"]["code_commune"]] = (
                feature["properties"]["nom_commune"],
                shapely.make_valid(shape(feature["geometry"])),
            )
    assert {r["code_insee"] for r in rows} == set(outlines) == {"31555", "31069", "31149", "31157"}

    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    for code, (name, outline) in outlines.items():
        mine = np.array([r["code_insee"] == code for r in rows])
        assert shapely.contains_xy(outline, lon[mine], lat[mine]).all()
        assert {r["nom_commune"] for r in rows if r["code_insee"] == code} == {name}
    # x;y are Lambert-93 (EPSG:2154) of the lon;lat written, to the centimetre.
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True).transform(lon, lat)
    np.testing.assert_allclose([float(r["x"]) for r in rows], x, atol=0.01)
    np.testing.assert_allclose([float(r["y"]) for r in rows], y, atol=0.01)

    for row in rows:
        assert re.fullmatch(r"\d+", row["numero"])
        assert row["rep"] in {"", "bis", "ter"}
        assert re.fullmatch(r"31\d{3}", row["code_postal"])
        assert row["id"].startswith(row["id_fantoir"] + "_")
        assert row["id_fantoir"].startswith(row["code_insee"] + "_")
    names = {r["nom_voie"] for r in rows}
    assert any(n.startswith("Rue de la ") for n in names)
    assert any(
        re.match(r"(Rue|Avenue|Place|Impasse|Chemin|Allée|Boulevard|Route) du ", n) for n in names
    )
    assert any(" des " in n for n in names)
    assert any(" de l'" in n for n in names)
    assert any(r["rep"] == "bis" for r in rows)
