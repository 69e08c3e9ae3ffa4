"""The page's natural breaks (api/static/js/classes.js, run in node) are mapclassify's
Fisher–Jenks breaks, and the pack's classes are the same: one map, two renderings.

The arrays: hand-made ones, seeded random ones, and the counts of the demo's facts per H3 cell
(data/samples/incidents_toulouse.csv over 2025, counted here with h3-py from the file itself).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import h3
import mapclassify
import numpy as np
import pytest

from observatory.reports.style import CLASS_METHOD, count_classes
from tests.samples import SAMPLES

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed")

ROOT = Path(__file__).resolve().parents[3]
CLASSES_JS = ROOT / "api" / "static" / "js" / "classes.js"

# Every array's classes by the page's own code, in one node process.
SCRIPT = """
const { classer, METHODES } = await import(process.argv[1]);
let text = "";
for await (const chunk of process.stdin) text += chunk;
const arrays = JSON.parse(text);
console.log(JSON.stringify({
  methode: METHODES.jenks,
  bornes: arrays.map((a) => classer(a, "jenks", 5).map((c) => c.max)),
}));
"""


def demo_counts(resolution: int, since: str) -> list[int]:
    """Facts per H3 cell of the demo's file from ``since`` (an ISO day) on."""
    counts: Counter[str] = Counter()
    with open(SAMPLES / "incidents_toulouse.csv", encoding="utf-8") as source:
        for row in csv.DictReader(source, delimiter=";"):
            day, month, year = row["date_faits"].split("/")
            if f"{year}-{month}-{day}" < since or not row["latitude"]:
                continue
            lat = float(row["latitude"].replace(",", "."))
            lon = float(row["longitude"].replace(",", "."))
            counts[h3.latlng_to_cell(lat, lon, resolution)] += 1
    return sorted(counts.values())


def page_breaks(arrays: list[list[int]]) -> tuple[str, list[list[int]]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node est introuvable : il exécute ici le code JavaScript de la page.")
    done = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT, CLASSES_JS.as_uri()],
        input=json.dumps(arrays),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(done.stdout)
    return answer["methode"], answer["bornes"]


def mapclassify_breaks(values: list[int], k: int = 5) -> list[int]:
    if len(set(values)) <= k:
        return sorted(set(values))
    return [round(float(b)) for b in mapclassify.FisherJenks(np.array(values), k=k).bins]


def arrays() -> list[list[int]]:
    rng = np.random.default_rng(20)
    skewed = (rng.pareto(1.5, 400) * 3 + 1).astype(int).tolist()
    return [
        [1, 1, 1, 2, 2, 3, 10, 11, 12, 40, 41, 90],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
        [5, 5, 5, 5, 6, 7, 7, 8, 30, 31, 33, 34, 35, 70, 71, 72, 150, 151, 300],
        sorted(skewed),
        sorted((rng.poisson(4, 300) + 1).tolist()),
        demo_counts(9, "2025-01-01"),
        demo_counts(8, "2025-01-01"),
    ]


def test_the_page_breaks_are_mapclassify_fisher_jenks_and_the_pack_uses_them() -> None:
    data = arrays()
    assert len(data[5]) > 1000  # the demo's cells at resolution 9: a real-sized input

    method, page = page_breaks(data)

    assert method == CLASS_METHOD == "seuils naturels (Jenks)"
    for values, breaks in zip(data, page, strict=True):
        assert breaks == mapclassify_breaks(values), values[-5:]
        assert [c.high for c in count_classes(values)] == breaks
    # Natural breaks put the demo's centre alone in the top class, not half the city.
    demo = data[5]
    top = page[5][-2]
    assert sum(v > top for v in demo) < 0.05 * len(demo)


def test_few_distinct_counts_give_one_class_each() -> None:
    _method, page = page_breaks([[4, 4, 4], [1, 2, 2, 9]])
    assert page == [[4], [1, 2, 9]]
    assert [c.high for c in count_classes([4, 4, 4])] == [4]
    assert [(c.low, c.high) for c in count_classes([1, 2, 2, 9, None])] == [(1, 1), (2, 2), (3, 9)]
