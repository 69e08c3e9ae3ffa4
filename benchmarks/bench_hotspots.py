"""Hot spots (issue 6): Gi*, its permutation test and emerging hot spots against esda.

Everything runs in this process, in one run, from the same inputs: H3 cells of the real
Toulouse outline (data/samples/communes_toulouse.geojson, `study_area_cells`) with seeded
Poisson counts and a few planted high-rate discs. Our side starts from cell ids and counts
(`ring_weights` + `gi_star`, `hotspots`, `emerging_hotspots`); esda's side starts from the same
cell ids and counts too: neighbour lists from h3-py `grid_disk` (the cell itself included, as
tests/observatory/analytics/test_hotspots.py builds its reference), a libpysal `W`, then
`G_Local(star=True, transform="B")`. Each side is also timed with its weights prebuilt, so that
one sees where the time goes. Results are checked against esda before anything is timed.

No database is needed. About three minutes on the project's 2-core machine.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import h3.api.basic_int as h3i
import numpy as np
import shapely
from esda.getisord import G_Local
from libpysal.weights import W
from numpy.typing import NDArray

from benchmarks.common import machine
from observatory.analytics.emerging import emerging_from_gi, emerging_hotspots
from observatory.analytics.hotspots import gi_star, gi_star_permutations, hotspots, ring_weights
from observatory.analytics.studyarea import grown_cells, study_area_cells
from observatory.settings import PROJECT_ROOT

OUTLINE = PROJECT_ROOT / "data" / "samples" / "communes_toulouse.geojson"
SEED = 2026
RUNS, ESDA_RUNS = 7, 5
TOWN_CELLS, PART_CELLS = 90_000, 10_000
PERMUTATIONS = 999
MONTHS = 24
K = 1
# Targets of issue 6, item 6.
GI_TARGET_MS, GI_TARGET_RATIO = 100, 50
PERM_TARGET_MS, EMERGING_TARGET_MS = 1_000, 2_000

# Planted discs: (lat, lon, rate multiplier). Radii are in rings, per resolution.
DISCS = ((43.6045, 1.4440, 4.0), (43.5745, 1.4020, 3.0), (43.6400, 1.4350, 5.0))
RADIUS = {11: 8, 10: 3}

Cells = NDArray[np.int64]
Floats = NDArray[np.float64]
# Named timed runs: what to call and how many times (the median is kept).
Runs = dict[str, tuple[Callable[[], Any], int]]


# -- inputs ------------------------------------------------------------------------------------


def _outline() -> shapely.Geometry:
    feature = json.loads(OUTLINE.read_text())["features"][0]
    return shapely.from_geojson(json.dumps(feature["geometry"]))


def _area(outline: shapely.Geometry, resolution: int, at_least: int = 0) -> tuple[Cells, int]:
    """The outline's cells, grown by as few rings as give `at_least` cells; and that margin."""
    cells = study_area_cells(outline, resolution)
    margin = 0
    while cells.size < at_least:
        margin += 1
        cells = grown_cells(study_area_cells(outline, resolution), margin)
    return cells, margin


def _disc(cells: Cells, lat: float, lon: float, radius: int) -> NDArray[np.bool_]:
    resolution = h3i.get_resolution(int(cells[0]))
    centre = h3i.latlng_to_cell(lat, lon, resolution)
    return np.isin(cells, np.array(h3i.grid_disk(centre, radius), dtype=np.int64))


def _rates(cells: Cells, base: float) -> Floats:
    resolution = h3i.get_resolution(int(cells[0]))
    rate = np.full(cells.size, base)
    for lat, lon, factor in DISCS:
        rate[_disc(cells, lat, lon, RADIUS[resolution])] = base * factor
    return rate


def _counts(cells: Cells, base: float, seed: int) -> Floats:
    """Seeded Poisson counts, the planted discs at several times the base rate."""
    return np.random.default_rng(seed).poisson(_rates(cells, base)).astype(np.float64)


def _cube(cells: Cells, base: float, seed: int) -> Floats:
    """Cells × MONTHS counts: disc 1 hot throughout, disc 2 hot for the first year only,
    disc 3 hot for the last six months."""
    resolution = h3i.get_resolution(int(cells[0]))
    rate = np.full((cells.size, MONTHS), base)
    spans = (slice(0, MONTHS), slice(0, MONTHS // 2), slice(MONTHS - 6, MONTHS))
    for (lat, lon, factor), span in zip(DISCS, spans, strict=True):
        inside = _disc(cells, lat, lon, RADIUS[resolution])
        rate[inside, span] = base * factor
    return np.random.default_rng(seed).poisson(rate).astype(np.float64)


# -- esda's side -------------------------------------------------------------------------------


def _neighbours(cells: Cells) -> dict[int, list[int]]:
    """Each cell's k-ring within the area from h3-py, the cell itself included."""
    index = {int(c): i for i, c in enumerate(cells)}
    return {
        i: [index[c] for c in h3i.grid_disk(int(cell), K) if c in index]
        for i, cell in enumerate(cells)
    }


def _esda_w(cells: Cells) -> W:
    # Self in the neighbour lists: esda sees a non-zero diagonal and keeps it for star=True.
    return W(_neighbours(cells), silence_warnings=True)


def _esda(y: Floats, w: W, permutations: int = 0, seed: int = 0) -> G_Local:
    if not permutations:
        return G_Local(y, w, transform="B", star=True, permutations=0)
    return G_Local(y, w, transform="B", star=True, permutations=permutations, n_jobs=1, seed=seed)


def _esda_emerging(cells: Cells, cube: Floats) -> list[G_Local]:
    """The naive baseline: one W, then one esda G_Local per month (Gi* only)."""
    w = _esda_w(cells)
    return [_esda(cube[:, step], w) for step in range(cube.shape[1])]


# -- our side ----------------------------------------------------------------------------------


def _ours_from_cells(cells: Cells, y: Floats) -> tuple[Floats, Floats]:
    return gi_star(y, ring_weights(cells, K))


def _gi_per_step(y: Floats, w: Any) -> tuple[Floats, Floats]:
    z, p = np.empty(y.shape), np.empty(y.shape)
    for step in range(y.shape[1]):
        z[:, step], p[:, step] = gi_star(y[:, step], w)
    return z, p


# -- checks and timing -------------------------------------------------------------------------


def _same_gi(z: Floats, p: Floats, reference: G_Local) -> bool:
    # esda's p_norm is one-tailed; ours (Esri's Gi_Bin reading) is two-tailed.
    return bool(
        np.allclose(z, reference.Zs, rtol=0, atol=1e-9)
        and np.allclose(p, 2 * reference.p_norm, rtol=1e-9, atol=1e-15)
    )


def _agree_permutations(y: Floats, w: Any, reference: G_Local) -> dict[str, Any]:
    """Same test, different draws: esda's directed p_sim against ours, and 95 % decisions
    on the cells far from the threshold by the analytic test (as the unit tests do)."""
    directed = gi_star_permutations(y, w, PERMUTATIONS, seed=SEED, alternative="directed")
    two_sided = gi_star_permutations(y, w, PERMUTATIONS, seed=SEED)
    _, p = gi_star(y, w)
    clear = (p < 0.001) | (p > 0.5)
    expected = p[clear] < 0.001
    decisions = bool(
        np.array_equal(two_sided[clear] <= 0.05, expected)
        and np.array_equal(np.minimum(1, 2 * reference.p_sim[clear]) <= 0.05, expected)
    )
    correlation = float(np.corrcoef(directed, reference.p_sim)[0, 1])
    return {
        "correlation": correlation,
        "decisions": decisions,
        "clear": int(clear.sum()),
        "agree": decisions and correlation > 0.95,
    }


def _interleaved(runs: Runs) -> dict[str, float]:
    """Median milliseconds of each callable after one warm-up, run in turns (round after
    round, each callable as many times as asked) so that all share the machine's load."""
    for run, _ in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for turn in range(max(count for _, count in runs.values())):
        for name, (run, count) in runs.items():
            if turn < count:
                started = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def _esda_chain(cells: Cells, y: Floats, parts: list[list[float]], permutations: int = 0) -> None:
    """esda from cell ids: h3-py lists, `W`, `G_Local`; each step's milliseconds into parts."""
    stamps = [time.perf_counter()]
    neighbours = _neighbours(cells)
    stamps.append(time.perf_counter())
    w = W(neighbours, silence_warnings=True)
    stamps.append(time.perf_counter())
    _esda(y, w, permutations, seed=SEED)
    stamps.append(time.perf_counter())
    parts.append([(b - a) * 1000 for a, b in pairwise(stamps)])


def _median_parts(parts: list[list[float]]) -> list[float]:
    """Median of each step over the timed runs (the first, a warm-up, left out)."""
    return [statistics.median(step) for step in zip(*parts[1:], strict=True)]


# -- the three cases ---------------------------------------------------------------------------


def _case(
    cells: Cells,
    margin: int,
    same: bool,
    runs: Runs,
    parts: list[list[float]] | None,
    **found: Any,
) -> dict[str, Any]:
    """A case's figures: its area, whether ours equals esda, what else it found, the median
    time of each run and, when esda's chain was timed step by step, the median of each step."""
    out = {"cells": cells.size, "margin": margin, "same": same, **found, **_interleaved(runs)}
    if parts is not None:  # filled by the runs: read after them
        out["esda_parts"] = _median_parts(parts)
    return out


def _gi_case(name: str, cells: Cells, margin: int, base: float) -> dict[str, Any]:
    """Analytic Gi* over one area: ours and esda, end to end and with weights prebuilt."""
    y = _counts(cells, base, SEED)
    w = ring_weights(cells, K)
    esda_w = _esda_w(cells)
    z, p = _ours_from_cells(cells, y)
    same = _same_gi(z, p, _esda(y, esda_w))
    print(
        f"{name} : {cells.size:,} cellules (marge {margin} anneaux), "
        f"résultats identiques : {'oui' if same else 'non'}"
    )
    parts: list[list[float]] = []
    runs: Runs = {
        "ours": (lambda: _ours_from_cells(cells, y), RUNS),
        "ours_weights": (lambda: ring_weights(cells, K), RUNS),
        "ours_prebuilt": (lambda: gi_star(y, w), RUNS),
        "hotspots": (lambda: hotspots(cells, y, K), RUNS),
        "esda": (lambda: _esda_chain(cells, y, parts), ESDA_RUNS),
        "esda_prebuilt": (lambda: _esda(y, esda_w), ESDA_RUNS),
    }
    out = _case(cells, margin, same, runs, parts, name=name)
    print(
        f"  nous : {out['ours']:.1f} ms (poids {out['ours_weights']:.1f} ms, Gi* seul "
        f"{out['ours_prebuilt']:.1f} ms), hotspots() {out['hotspots']:.1f} ms ; "
        f"esda : {out['esda']:.0f} ms (W prêt : {out['esda_prebuilt']:.0f} ms) ; "
        f"rapport {out['esda'] / out['ours']:.0f}×"
    )
    return out


def _permutation_case(cells: Cells, margin: int, base: float) -> dict[str, Any]:
    y = _counts(cells, base, SEED + 1)
    w = ring_weights(cells, K)
    esda_w = _esda_w(cells)
    reference = _esda(y, esda_w, PERMUTATIONS, seed=SEED)
    z, p = gi_star(y, w)
    same = _same_gi(z, p, reference)
    agreement = _agree_permutations(y, w, reference)
    print(
        f"permutations : {cells.size:,} cellules (marge {margin} anneaux), z "
        f"résultats identiques : {'oui' if same else 'non'} ; p par permutations concordants : "
        f"{'oui' if agreement['agree'] else 'non'} (corrélation {agreement['correlation']:.3f}, "
        f"décisions à 95 % égales sur {agreement['clear']:,} cellules nettes)"
    )
    parts: list[list[float]] = []
    runs: Runs = {
        "ours": (lambda: hotspots(cells, y, K, permutations=PERMUTATIONS, seed=SEED), RUNS),
        "ours_prebuilt": (lambda: gi_star_permutations(y, w, PERMUTATIONS, seed=SEED), RUNS),
        "esda": (lambda: _esda_chain(cells, y, parts, PERMUTATIONS), ESDA_RUNS),
        "esda_prebuilt": (lambda: _esda(y, esda_w, PERMUTATIONS, seed=SEED), ESDA_RUNS),
    }
    out = _case(cells, margin, same, runs, parts, **agreement)
    print(
        f"  nous : hotspots() {out['ours']:.0f} ms, permutations seules "
        f"{out['ours_prebuilt']:.0f} ms ; esda : {out['esda']:.0f} ms "
        f"(W prêt : {out['esda_prebuilt']:.0f} ms) ; rapport {out['esda'] / out['ours']:.1f}×"
    )
    return out


def _emerging_case(cells: Cells, margin: int, base: float) -> dict[str, Any]:
    cube = _cube(cells, base, SEED + 2)
    result = emerging_hotspots(cells, cube, k=K)
    references = _esda_emerging(cells, cube)
    same = all(
        _same_gi(result.gi_z[:, step], result.gi_p[:, step], ref)
        for step, ref in enumerate(references)
    )
    patterns, counts = np.unique(result.pattern, return_counts=True)
    found = dict(zip(patterns.tolist(), counts.tolist(), strict=True))
    print(
        f"tendances émergentes : {cells.size:,} cellules × {MONTHS} mois, z de chaque mois "
        f"résultats identiques : {'oui' if same else 'non'} ; motifs {found}"
    )
    w = ring_weights(cells, K)
    z, p = _gi_per_step(cube, w)
    runs: Runs = {
        "ours": (lambda: emerging_hotspots(cells, cube, k=K), RUNS),
        "ours_weights": (lambda: ring_weights(cells, K), RUNS),
        "ours_gi": (lambda: _gi_per_step(cube, w), RUNS),
        "ours_rest": (lambda: emerging_from_gi(cells, z, p), RUNS),
        "esda": (lambda: _esda_emerging(cells, cube), ESDA_RUNS),
    }
    out = _case(cells, margin, same, runs, None, patterns=found)
    print(
        f"  nous : {out['ours']:.0f} ms (poids {out['ours_weights']:.1f} ms, {MONTHS} Gi* "
        f"{out['ours_gi']:.0f} ms, FDR + Mann–Kendall + motifs {out['ours_rest']:.0f} ms) ; "
        f"boucle esda naïve : {out['esda']:.0f} ms ; rapport {out['esda'] / out['ours']:.0f}×"
    )
    return out


# -- report ------------------------------------------------------------------------------------


def _machine() -> dict[str, str]:
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("numpy", "scipy", "esda", "libpysal", "h3", "h3ronpy")
    )
    numba = "installed" if importlib.util.find_spec("numba") else "not installed"
    return machine(f"Python {platform.python_version()}, {versions}; numba {numba}")


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def _report(
    machine: dict[str, str],
    gi: list[dict[str, Any]],
    perm: dict[str, Any],
    emerging: dict[str, Any],
    load_end: str,
) -> str:
    """The figures as a Markdown section, in the style of RESULTS.md."""
    lines = [
        f"## {machine['date'][:10]} — Hotspots (issue 6)",
        "",
        f"Machine: `{machine['uname']}`; {machine['nproc']} CPU ({machine['cpu']}), "
        f"{machine['memory']}; {machine['software']}. Run {machine['date']}; load average "
        f"(1 min) {machine['load']} at the start of the timings, {load_end} at the end "
        f"(this benchmark alone accounts for about 1).",
        "",
        f"Data: the Toulouse outline of data/samples filled with `study_area_cells` gives "
        f"{gi[0]['cells']:,} res-11 cells, not ~{TOWN_CELLS:,}: the second Gi* area is the "
        f"commune's cells grown by {gi[1]['margin']} rings (`grown_cells`), the fewest giving "
        f"{TOWN_CELLS:,}. At res 10 the commune has {perm['commune']:,} cells; grown by "
        f"{perm['margin']} rings, {perm['cells']:,} for the permutation and emerging cases. "
        f"Seeded Poisson counts (0.5 a cell at res 11, 3 for the permutations, 1 a month for the "
        f"cube), three planted discs at 3–5× the base rate (in the cube: one hot throughout, one "
        f"the first year only, one the last six months); k = {K}. Ours and esda start from the "
        f"same cell ids and counts; esda's weights are built as the unit tests build them "
        f"(h3-py `grid_disk` lists, self included, then `W`). Medians of {RUNS} runs (esda "
        f"{ESDA_RUNS}) after a warm-up, the variants of each case run in turns. esda's "
        f"permutations: `n_jobs=1`, its own conditional randomisation, without numba (not in "
        f"the project's environment), so its pure-Python fallback.",
        "",
        "| what | ours (median) | esda (median) | ratio | target | identical to esda |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case in gi:
        ratio = case["esda"] / case["ours"]
        lists, build, local = case["esda_parts"]
        lines += [
            f"| Gi*, res 11, {case['name']} ({case['cells']:,} cells), from cell ids and "
            f"counts | {case['ours']:.1f} ms | {case['esda']:,.0f} ms | **{ratio:.0f}×** | "
            f"≤ {GI_TARGET_MS} ms: {_verdict(case['ours'] <= GI_TARGET_MS)}; "
            f"≥ {GI_TARGET_RATIO}×: {_verdict(ratio >= GI_TARGET_RATIO)} | "
            f"{_yes(case['same'])} (z to 1e-9) |",
            f"| … of which weights (ours: `ring_weights`; esda: h3-py lists + `W`) | "
            f"{case['ours_weights']:.1f} ms | {lists:,.0f} + {build:,.0f} ms | | | |",
            f"| … Gi* with weights prebuilt (`gi_star`; `G_Local` on a W already binary) | "
            f"{case['ours_prebuilt']:.1f} ms | {case['esda_prebuilt']:,.0f} ms "
            f"(on a fresh W, in the chain above: {local:,.0f}) | "
            f"{case['esda_prebuilt'] / case['ours_prebuilt']:.0f}× | | |",
            f"| `hotspots()` (weights, Gi*, FDR classes) | {case['hotspots']:.1f} ms | | | | |",
        ]
    lines += [
        f"| {PERMUTATIONS} permutations, res 10 ({perm['cells']:,} cells), `hotspots(…, "
        f"permutations={PERMUTATIONS})` from cell ids and counts; esda lists + `W` + "
        f"`G_Local(permutations={PERMUTATIONS}, n_jobs=1)` | {perm['ours']:.0f} ms | "
        f"{perm['esda']:,.0f} ms | **{perm['esda'] / perm['ours']:.1f}×** | "
        f"≤ {PERM_TARGET_MS:,} ms: {_verdict(perm['ours'] <= PERM_TARGET_MS)} | "
        f"z {_yes(perm['same'])}; p: other draws, {_yes(perm['agree'])} concordant |",
        f"| … of which esda's h3-py lists + `W` | | {perm['esda_parts'][0]:,.0f} + "
        f"{perm['esda_parts'][1]:,.0f} ms | | | |",
        f"| … permutations alone, weights prebuilt (`gi_star_permutations`; `G_Local`) | "
        f"{perm['ours_prebuilt']:.0f} ms | {perm['esda_prebuilt']:,.0f} ms | "
        f"{perm['esda_prebuilt'] / perm['ours_prebuilt']:.1f}× | | |",
        f"| emerging hot spots, {MONTHS} months × {emerging['cells']:,} cells (res 10), "
        f"`emerging_hotspots` from cell ids and cube; baseline: h3-py lists + `W` once, then "
        f"{MONTHS} esda `G_Local` (Gi* only) | {emerging['ours']:.0f} ms | "
        f"{emerging['esda']:,.0f} ms | {emerging['esda'] / emerging['ours']:.0f}× | "
        f"≤ {EMERGING_TARGET_MS:,} ms: {_verdict(emerging['ours'] <= EMERGING_TARGET_MS)} | "
        f"{_yes(emerging['same'])} (z of each month) |",
        f"| … of which weights / {MONTHS} × `gi_star` / FDR, Mann–Kendall and patterns | "
        f"{emerging['ours_weights']:.1f} / {emerging['ours_gi']:.0f} / "
        f"{emerging['ours_rest']:.0f} ms | | | | |",
        "",
    ]
    return "\n".join(lines)


def run() -> None:
    outline = _outline()
    machine = _machine()
    print(
        f"{machine['uname']}\n{machine['nproc']} CPU ({machine['cpu']}), {machine['memory']}; "
        f"{machine['software']}\n{machine['date']}, charge (1 min) {machine['load']}"
    )
    town, _ = _area(outline, 11)
    wide, margin = _area(outline, 11, TOWN_CELLS)
    part, part_margin = _area(outline, 10, PART_CELLS)
    gi = [
        _gi_case("Toulouse commune", town, 0, base=0.5),
        _gi_case(f"Toulouse + {margin} rings", wide, margin, base=0.5),
    ]
    perm = _permutation_case(part, part_margin, base=3.0)
    perm["commune"] = study_area_cells(outline, 10).size
    emerging = _emerging_case(part, part_margin, base=1.0)
    load_end = f"{os.getloadavg()[0]:.1f}"
    print(f"charge (1 min) à la fin : {load_end}")
    print()
    print(_report(machine, gi, perm, emerging, load_end))
