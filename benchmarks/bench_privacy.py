"""Utility of the partner release at the default privacy loss (issue 16), against the exact
answers on the same facts, measured in the same run.

Two data sets: the demo samples (`observatory demo` into a database of their own, once) and the
generated incidents of benchmarks/engine_data.py (1M by default). Every closed month is released
in memory, as publication does but without storing it (build_month, then partner_snapshot of a
Publication), DRAWS times with fresh noise, and once without noise (the exact tables laid out as
pseudo-facts: what the method alone changes). Partner answers are the engine's functions on that
snapshot; exact answers the same functions on the facts' snapshot. benchmarks/privacy_report.py
prints the figures.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Engine, text

from benchmarks.common import SAMPLES, observatory_command
from benchmarks.engine_data import database
from benchmarks.privacy_report import CLASSES, FAMILIES, JENKS, Figures, fr, french_text, markdown
from observatory.analytics import engine as stats
from observatory.analytics.filters import Filter, parse_hours
from observatory.analytics.hotspots import hotspots
from observatory.analytics.studyarea import study_area_cells
from observatory.db import make_engine, upgrade
from observatory.localdb import LocalCluster
from observatory.privacy.domain import QPV_GENERATION, RELEASE_RESOLUTION, Domain, read_domain
from observatory.privacy.partner import partner_snapshot
from observatory.privacy.publication import Publication, closed_months
from observatory.privacy.release import (
    Budget,
    MonthRelease,
    Shape,
    build_month,
    month_end,
    pseudo_facts,
    tabulate,
)
from observatory.settings import Settings
from observatory.store.incidents import IncidentStore
from observatory.store.snapshot import Snapshot

SAMPLES_DB = "observatory_bench_privacy"
GENERATED_ROWS = 1_000_000
DRAWS = 5
NIGHT = "nuit"
REPEATS = 7  # timings of an answer: median of these, after a warm-up


# -- the data sets -----------------------------------------------------------------------------


def samples_database() -> str:
    """The benchmark database of the demo samples, loaded once by `observatory demo`."""
    cluster = LocalCluster.from_settings(Settings(database_url=None))
    cluster.start()
    url = cluster.ensure_database(SAMPLES_DB)
    upgrade(url)
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    engine.dispose()
    if not loaded:
        print(f"base {SAMPLES_DB} : chargement des exemples (observatory demo, une fois)…")
        env = {**os.environ, "DATABASE_URL": url}
        done = subprocess.run(observatory_command("demo"), env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"observatory demo a échoué :\n{done.stderr[-3000:]}")
    return url


def generated_database(rows: int) -> str:
    """engine_data's database of generated incidents, with the communes and 2024 QPV that the
    release's domain is made of."""
    from ingest.boundaries import import_communes, import_qpv

    url = database(rows)
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        communes = conn.execute(text("SELECT count(*) FROM commune")).scalar_one()
        qpvs = conn.execute(
            text("SELECT count(*) FROM qpv WHERE generation = :g"), {"g": QPV_GENERATION}
        ).scalar_one()
    if not communes:
        import_communes(engine, SAMPLES / "communes_toulouse.geojson", run_by="bench")
    if not qpvs:
        import_qpv(
            engine, SAMPLES / "qpv2024_toulouse.geojson", generation=QPV_GENERATION, run_by="bench"
        )
    engine.dispose()
    return url


@dataclass(frozen=True)
class DataSet:
    """The facts of one database and what a release of them needs."""

    snapshot: Snapshot
    domain: Domain
    family_of: dict[str, str]
    communes: tuple[str, ...]
    area: np.ndarray  # res-8 cells of the communes (study_area_cells): the Gi* study area
    engine: Engine

    def family(self, name: str) -> frozenset[str]:
        return frozenset(c for c, f in self.family_of.items() if f == name)


def load(url: str, settings: Settings) -> DataSet:
    """The facts' snapshot of the database at url, its release domain and study area."""
    engine = make_engine(url)
    snapshot = IncidentStore(engine, settings.timezone).snapshot()
    with engine.connect() as conn:
        domain = read_domain(conn)
        family_of = {
            r.code: r.family for r in conn.execute(text("SELECT code, family FROM category"))
        }
        outlines = conn.execute(text("SELECT code, ST_AsBinary(geom) FROM commune ORDER BY 1"))
        codes, shapes = zip(*((c, shapely.from_wkb(bytes(g))) for c, g in outlines), strict=True)
    area = study_area_cells(list(shapes), RELEASE_RESOLUTION)
    return DataSet(snapshot, domain, family_of, tuple(codes), area, engine)


# -- periods -----------------------------------------------------------------------------------


def _whole(months: Sequence[date], length: int) -> list[tuple[date, date]]:
    """Calendar periods of ``length`` months (3: quarters, 12: years) all of whose months are
    closed: (first month, last month)."""
    closed = set(months)
    out = []
    for m in months:
        if (m.month - 1) % length == 0:
            last = date(m.year, m.month + length - 1, 1)
            if last in closed:
                out.append((m, last))
    return out


def span(first: date, last: date) -> Filter:
    """The filter of whole months first … last."""
    return Filter(date_from=first, date_to=month_end(last) - timedelta(days=1))


@dataclass(frozen=True)
class Periods:
    months: list[date]
    quarters: list[tuple[date, date]]
    years: list[tuple[date, date]]

    @classmethod
    def of(cls, snapshot: Snapshot, settings: Settings) -> Periods:
        months = closed_months(
            snapshot.first_day(), snapshot.last_day(), date.today(), settings.release_delay_days
        )
        return cls(months, _whole(months, 3), _whole(months, 12))

    def filters(self, kind: str) -> list[Filter]:
        spans = {"month": [(m, m) for m in self.months], "quarter": self.quarters}
        return [span(a, b) for a, b in spans.get(kind, self.years if kind == "year" else [])]


# -- releases ----------------------------------------------------------------------------------


def release(
    data: DataSet, months: Sequence[date], settings: Settings
) -> tuple[Snapshot, float, float]:
    """A fresh draw of every month, as the partner snapshot: (view, s per month, layout s)."""
    budget = Budget(settings.privacy_epsilon)
    started = time.perf_counter()
    released = tuple(
        build_month(data.snapshot, m, data.domain, data.family_of, budget, settings.time_slots)
        for m in months
    )
    per_month = (time.perf_counter() - started) / max(1, len(months))
    started = time.perf_counter()
    view = partner_snapshot(Publication(released, {}), data.snapshot)
    return view, per_month, time.perf_counter() - started


def noise_free(data: DataSet, months: Sequence[date], settings: Settings) -> Snapshot:
    """The exact tabulations laid out as a release (already consistent: no fit needed)."""
    shape = Shape.of(data.domain, data.family_of, settings.time_slots)
    released: tuple[MonthRelease, ...] = tuple(
        pseudo_facts(m, tabulate(data.snapshot, m, shape), shape) for m in months
    )
    return partner_snapshot(Publication(released, {}), data.snapshot)


# -- answers and their comparison --------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What the engine answers on one snapshot, for every period measured."""

    totals: np.ndarray  # months × communes
    cells: dict[tuple[str, int, str], dict[int, int]]  # (month|year, index, family or "")
    hot: dict[tuple[str, int, str], np.ndarray]  # (year|quarter, index, family): Gi* classes
    week: dict[tuple[str, int], np.ndarray]  # (all|year|month, index): 168 hours
    categories: list[dict[str, int]]  # per year


def answers(snapshot: Snapshot, data: DataSet, periods: Periods) -> Answers:
    totals = []
    for f in periods.filters("month"):
        by_commune = stats.territory_counts(snapshot, f, QPV_GENERATION, data.communes)[2]
        totals.append([sum(by_commune[c].values()) for c in data.communes])
    cells, hot = {}, {}
    for kind in ("month", "year", "quarter"):
        for i, f in enumerate(periods.filters(kind)):
            for family in ("", *FAMILIES):
                chosen = f.but(categories=data.family(family)) if family else f
                if kind != "quarter":
                    found, n = stats.hexagon_counts(snapshot, chosen, RELEASE_RESOLUTION)
                    cells[kind, i, family] = dict(zip(found.tolist(), n.tolist(), strict=True))
                if kind != "month":
                    n = stats.study_counts(snapshot, chosen, RELEASE_RESOLUTION, data.area)
                    hot[kind, i, family] = np.asarray(hotspots(data.area, n, 1, fdr=True).code)
    week = {("all", 0): stats.week_hours(snapshot, span(periods.months[0], periods.months[-1]))}
    for kind in ("year", "month"):
        for i, f in enumerate(periods.filters(kind)):
            week[kind, i] = stats.week_hours(snapshot, f)
    categories = [stats.category_counts(snapshot, f) for f in periods.filters("year")]
    return Answers(np.array(totals, float), cells, hot, week, categories)


def quantile_bounds(values: np.ndarray, k: int = CLASSES) -> np.ndarray:
    """Upper bounds of the map's quantile classes (api/static/js/classes.js seuilsQuantiles):
    one bound, then the quantiles of the rest in one class fewer, so repeated counts keep k."""
    ordered = np.sort(values)
    bounds: list[float] = []
    first = 0
    for left in range(k, 0, -1):
        if first >= ordered.size:
            break
        bound = float(ordered[first + max(0, -(-(ordered.size - first) // left) - 1)])
        bounds.append(bound)
        first = int(np.searchsorted(ordered, bound, "right"))
    if first < ordered.size:
        bounds[-1] = float(ordered[-1])
    return np.array(bounds)


def jenks_bounds(values: np.ndarray, k: int = CLASSES) -> np.ndarray:
    import mapclassify

    return np.asarray(mapclassify.FisherJenks(values, k=min(k, np.unique(values).size)).bins)


def _aligned(exact: dict[int, int], other: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Counts of the cells non-empty in either, exact then other."""
    keys = sorted(set(exact) | set(other))
    return (
        np.array([exact.get(c, 0) for c in keys], float),
        np.array([other.get(c, 0) for c in keys], float),
    )


def _class_distance(
    exact: dict[int, int], other: dict[int, int], bounds_of: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """|class of other − class of exact| per cell non-empty in either; classes from the exact
    counts, an empty cell (not drawn) a class of its own."""
    x, y = _aligned(exact, other)
    if not (x > 0).any():
        return (y > 0).astype(np.int64)
    bounds = bounds_of(x[x > 0])

    def colour(v: np.ndarray) -> np.ndarray:
        upper = np.minimum(np.searchsorted(bounds, v, "left"), bounds.size - 1)
        return np.where(v > 0, upper + 1, 0)

    return np.abs(colour(x) - colour(y))


def _relative(exact: np.ndarray, other: np.ndarray) -> np.ndarray:
    keep = exact > 0
    return (other[keep] - exact[keep]) / exact[keep]


def _cell_figures(exact: Answers, other: Answers) -> dict[str, float]:
    out: dict[str, float] = {}
    methods = [("quantiles", quantile_bounds)] + ([("jenks", jenks_bounds)] if JENKS else [])
    for method, bounds_of in methods:
        for kind in ("month", "year"):
            for family in ("", *FAMILIES):
                keys = [k for k in exact.cells if k[0] == kind and k[2] == family]
                distance = np.concatenate(
                    [_class_distance(exact.cells[k], other.cells[k], bounds_of) for k in keys]
                )
                name = f"cells_{method}_{kind}_{family or 'all'}"
                out[name] = float(np.mean(distance == 0))
                out[f"{name}_near"] = float(np.mean(distance <= 1))
    # Where the shifts go: the quiet half of the cells and the busiest tenth, a year of facts.
    pairs = [
        _aligned(exact.cells[k], other.cells[k]) for k in exact.cells if k[::2] == ("year", "")
    ]
    x, y = (np.concatenate(side) for side in zip(*pairs, strict=True))
    quiet = (x > 0) & (x <= np.median(x[x > 0]))
    busy = x >= np.quantile(x[x > 0], 0.9)
    out["cells_year_quiet_bias"] = float((y[quiet] - x[quiet]).sum() / x[quiet].sum())
    out["cells_year_busy_bias"] = float((y[busy] - x[busy]).sum() / x[busy].sum())
    return out


def _direction(codes: np.ndarray) -> np.ndarray:
    return np.char.partition(codes.astype(str), "_")[:, 0]


def _hot_figures(exact: Answers, other: Answers) -> dict[str, float]:
    out: dict[str, float] = {}
    for kind in ("year", "quarter"):
        for family in ("", *FAMILIES):
            keys = [k for k in exact.hot if k[0] == kind and k[2] == family]
            x = np.concatenate([exact.hot[k] for k in keys])
            y = np.concatenate([other.hot[k] for k in keys])
            either = (x != "not_significant") | (y != "not_significant")
            name = f"hot_{kind}_{family or 'all'}"
            out[name] = float(np.mean(x == y))
            out[f"{name}_significant"] = (
                float(np.mean(x[either] == y[either])) if either.any() else float("nan")
            )
            # Hot, cold or neither, whatever the confidence level (90, 95, 99 %).
            out[f"{name}_direction"] = (
                float(np.mean(_direction(x[either]) == _direction(y[either])))
                if either.any()
                else float("nan")
            )
            out[f"{name}_exact_n"] = float(np.sum(x != "not_significant") / len(keys))
    return out


def _time_figures(exact: Answers, other: Answers, night: Sequence[int]) -> dict[str, float]:
    def night_share(hours: np.ndarray) -> float:
        return float(hours.reshape(7, 24).sum(axis=0)[list(night)].sum() / hours.sum())

    def weekday_error(key: tuple[str, int]) -> float:
        days = exact.week[key].reshape(7, 24).sum(axis=1)
        return float(np.max(np.abs(_relative(days, other.week[key].reshape(7, 24).sum(axis=1)))))

    years = [k for k in exact.week if k[0] == "year"]
    months = [k for k in exact.week if k[0] == "month"]
    return {
        "night_exact": night_share(exact.week["all", 0]),
        "night_all": night_share(other.week["all", 0]),
        "night_year_gap": max(
            abs(night_share(other.week[k]) - night_share(exact.week[k])) for k in years
        ),
        "weekday_year_max": max(weekday_error(k) for k in years),
        "weekday_month_median": float(np.median([weekday_error(k) for k in months])),
    }


def compare(exact: Answers, other: Answers, night: Sequence[int]) -> dict[str, float]:
    """The utility figures of ``other`` against ``exact`` (shares and relative errors)."""
    total = _relative(exact.totals.ravel(), other.totals.ravel())
    category = np.concatenate(
        [
            _relative(np.array(list(e.values()), float), np.array([o.get(c, 0) for c in e], float))
            for e, o in zip(exact.categories, other.categories, strict=True)
        ]
    )
    return {
        "total_mean": float(np.mean(np.abs(total))),
        "total_max": float(np.max(np.abs(total))),
        "total_bias": float(np.mean(total)),
        **_cell_figures(exact, other),
        **_hot_figures(exact, other),
        **_time_figures(exact, other, night),
        "category_median": float(np.median(np.abs(category))),
        "category_max": float(np.max(np.abs(category))),
        "category_bias": float(np.median(category)),
    }


# -- cost --------------------------------------------------------------------------------------


def answer_times(exact: Snapshot, view: Snapshot, year: Filter) -> dict[str, tuple[float, float]]:
    """ms of three partner answers on the facts and on the release (medians, taken in turns)."""
    calls: dict[str, Callable[[Snapshot], Any]] = {
        "hexagon_counts res 8, a year": lambda s: stats.hexagon_counts(s, year, 8),
        "category_counts, a year": lambda s: stats.category_counts(s, year),
        "week_hours, a year": lambda s: stats.week_hours(s, year),
    }
    out = {}
    for label, call in calls.items():
        times: tuple[list[float], list[float]] = ([], [])
        for snapshot in (exact, view):
            call(snapshot)  # warm-up: the parent index of the resolution is built once
        for _ in range(REPEATS):
            for side, snapshot in enumerate((exact, view)):
                started = time.perf_counter()
                call(snapshot)
                times[side].append(1000 * (time.perf_counter() - started))
        out[label] = (statistics.median(times[0]), statistics.median(times[1]))
    return out


# -- one data set ------------------------------------------------------------------------------


def measure(name: str, label: str, url: str, settings: Settings) -> Figures:
    started = time.perf_counter()
    data = load(url, settings)
    periods = Periods.of(data.snapshot, settings)
    night = sorted(parse_hours(settings.time_slots[NIGHT]) or ())
    exact = answers(data.snapshot, data, periods)
    draws: dict[str, list[float]] = {}
    view = data.snapshot
    for draw in range(DRAWS):
        view, per_month, layout = release(data, periods.months, settings)
        figures = compare(exact, answers(view, data, periods), night)
        figures |= {"build_s": per_month, "layout_s": layout}
        for key, value in figures.items():
            draws.setdefault(key, []).append(value)
        print(f"  tirage {draw + 1}/{DRAWS} : total mensuel ±{fr(100 * figures['total_mean'])} %")
    free = noise_free(data, periods.months, settings)
    timings = answer_times(data.snapshot, view, span(*periods.years[-1]))
    data.engine.dispose()
    return Figures(
        name=name,
        label=label,
        facts=data.snapshot.size,
        months=len(periods.months),
        years=len(periods.years),
        quarters=len(periods.quarters),
        area_cells=int(data.area.size),
        draws=draws,
        noise_free=compare(exact, answers(free, data, periods), night),
        answer_ms=timings,
        seconds=time.perf_counter() - started,
    )


def main(rows: int | None = None) -> None:
    """Both data sets measured, the figures printed in French, then the RESULTS.md section."""
    rows = rows or GENERATED_ROWS
    settings = Settings()
    sets = [
        ("échantillons de démo", "demo samples", samples_database()),
        (f"{fr(rows, 0)} incidents générés", "generated", generated_database(rows)),
    ]
    figures = []
    for name, label, url in sets:
        print(f"{name} : mesure…", flush=True)
        figures.append(measure(name, label, url, settings))
    print()
    print(french_text(figures, settings))
    print()
    print(markdown(figures, settings))
