"""data/samples/incidents_voisines_toulouse.csv is what scripts/make_neighbour_sample.py writes,
and its facts lie in their own commune's outline."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import pandas as pd
import shapely

from observatory.settings import PROJECT_ROOT
from tests.samples import SAMPLES

SCRIPT = PROJECT_ROOT / "scripts" / "make_neighbour_sample.py"


def test_the_committed_file_is_the_scripts_output() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "identique" in done.stdout


def test_each_fact_lies_in_its_commune() -> None:
    facts = pd.read_csv(SAMPLES / "incidents_voisines_toulouse.csv", sep=";", dtype=str)
    assert facts.code_insee.value_counts().to_dict() == {"31149": 880, "31069": 620}
    assert facts.numero.is_unique
    outlines = gpd.read_file(SAMPLES / "communes_voisines_toulouse.geojson")
    for code, group in facts.groupby("code_insee"):
        shape = outlines.loc[outlines.code_commune == code].geometry.iloc[0]
        lon = group.longitude.str.replace(",", ".").astype(float)
        lat = group.latitude.str.replace(",", ".").astype(float)
        assert shapely.contains_xy(shape, lon.to_numpy(), lat.to_numpy()).all()
