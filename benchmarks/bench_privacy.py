"""Utility of the partner release at the default privacy loss (issue 16), against the exact
computation on the same facts, in the same run.

For each data set (the demo samples; 1M generated incidents) every closed month is released in
memory (observatory/privacy/release.py build_month, as publication does, without storing it),
several times with fresh noise, and the partner answers are compared with the exact ones:
monthly commune totals, the colour class of res-8 cells, Gi* hot-spot classes, the night share,
category totals; then what a partner answer costs on the release against the same answer on the
facts.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Engine, text

from benchmarks.common import SAMPLES, machine
from observatory.analytics import engine as stats
from observatory.analytics.filters import Filter
from observatory.analytics.hotspots import hotspots
from observatory.analytics.store import IncidentStore, Snapshot
from observatory.analytics.studyarea import study_area_cells
from observatory.db import make_engine, upgrade
from observatory.localdb import LocalCluster
from observatory.privacy.domain import read_domain
from observatory.privacy.partner import partner_snapshot
from observatory.privacy.publication import Publication, closed_months
from observatory.privacy.release import SHARES, Budget, build_month, month_end
from observatory.settings import Settings

SAMPLES_DB = "observatory_bench_privacy"
DRAWS = 3
COMMUNE = "31555"
QUANTILE_CLASSES = 5


@dataclass
class Figures:
    """One data set's figures, each a list over the noise draws."""

    name: str
    facts: int
    months: int
    monthly_total_error: list[float]
    monthly_total_error_max: list[float]
    cells_same_class_year: list[float]
    cells_same_class_month: list[float]
    cells_same_class_family: list[float]
    hot_same_class_year: list[float]
    hot_same_class_significant: list[float]
    hot_same_class_month: list[float]
    night_share_exact: float
    night_share_release: list[float]
    category_error_median: list[float]
    category_error_max: list[float]
    build_month_s: list[float]
    layout_s: list[float]
    answer_ms: dict[str, tuple[float, float]]


def samples_database() -> str:
    """A database with the demo samples (communes, 2024 QPV, the 30,000 facts), filled once."""
    from ingest.boundaries import import_communes, import_qpv
    from ingest.incidents import import_incidents

    cluster = LocalCluster.from_settings(Settings(database_url=None))
    cluster.start()
    url = cluster.ensure_database(SAMPLES_DB)
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        filled = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    if not filled:
        import_communes(
            engine,
            SAMPLES / "communes_toulouse.geojson",
            population=SAMPLES / "populations_haute_garonne.csv",
            run_by="bench",
        )
        import_qpv(engine, SAMPLES / "qpv2024_toulouse.geojson", generation=2024, run_by="bench")
        import_incidents(
            engine, SAMPLES / "incidents_toulouse.csv", settings=Settings(), run_by="bench"
        )
    engine.dispose()
    return url


def _release(
    snapshot: Snapshot, engine: Engine, months: list[date], settings: Settings
) -> tuple[Snapshot, float, float]:
    """The partner snapshot of every month with fresh noise; (view, s per month, layout s)."""
    with engine.connect() as conn:
        domain = read_domain(conn)
        family_of = {
            r.code: r.family for r in conn.execute(text("SELECT code, family FROM category"))
        }
    budget = Budget(settings.privacy_epsilon)
    started = time.perf_counter()
    released = tuple(
        build_month(snapshot, m, domain, family_of, budget, settings.time_slots) for m in months
    )
    per_month = (time.perf_counter() - started) / max(1, len(months))
    started = time.perf_counter()
    view = partner_snapshot(Publication(released, {}), snapshot)
    return view, per_month, time.perf_counter() - started


def _last_day(month: date) -> date:
    return date.fromordinal(month_end(month).toordinal() - 1)


def _cells(snapshot: Snapshot, f: Filter) -> dict[int, int]:
    cells, counts = stats.hexagon_counts(snapshot, f, 8)
    return dict(zip(cells.tolist(), counts.tolist(), strict=True))


def _same_class(exact: dict[int, int], released: dict[int, int]) -> float:
    """Share of cells (non-empty in either) in the same quantile class as with exact counts."""
    keys = sorted(set(exact) | set(released))
    x = np.array([exact.get(k, 0) for k in keys], float)
    y = np.array([released.get(k, 0) for k in keys], float)
    breaks = np.quantile(x[x > 0], np.linspace(0, 1, QUANTILE_CLASSES + 1)[1:-1])
    return float(np.mean(np.digitize(x, breaks) == np.digitize(y, breaks)))


def _hot_classes(snapshot: Snapshot, f: Filter, cells: np.ndarray) -> np.ndarray:
    counts = stats.study_counts(snapshot, f, 8, cells)
    return np.asarray(hotspots(cells, counts, 1).code)


def _night(snapshot: Snapshot, f: Filter, slots: dict[str, str]) -> float:
    from observatory.analytics.filters import parse_hours

    hours = stats.week_hours(snapshot, f).reshape(7, 24).sum(axis=0)
    night = sum(hours[h] for h in parse_hours(slots["nuit"]) or ())
    return float(night / hours.sum())


def _ms(call: Callable[[Snapshot], Any], snapshot: Snapshot, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call(snapshot)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def measure(name: str, url: str, settings: Settings) -> Figures:
    engine = make_engine(url)
    snapshot = IncidentStore(engine, settings.timezone).snapshot()
    months = closed_months(
        snapshot.first_day(), snapshot.last_day(), date.today(), settings.release_delay_days
    )
    last_year = [m for m in months if m.year == months[-1].year]
    year = Filter(date_from=last_year[0], date_to=_last_day(last_year[-1]))
    one_month = Filter(date_from=months[-1], date_to=_last_day(months[-1]))
    with engine.connect() as conn:
        wkb = conn.execute(
            text("SELECT ST_AsBinary(geom) FROM commune WHERE code = :c"), {"c": COMMUNE}
        ).scalar_one()
        family_of = {
            r.code: r.family for r in conn.execute(text("SELECT code, family FROM category"))
        }
    area = study_area_cells(shapely.from_wkb(bytes(wkb)), 8)
    vols = frozenset(c for c, fam in family_of.items() if fam == "vols")
    exact_months = [
        stats.category_counts(snapshot, Filter(date_from=m, date_to=_last_day(m))) for m in months
    ]
    exact_year_cells = _cells(snapshot, year)
    exact_month_cells = _cells(snapshot, one_month)
    exact_vols_cells = _cells(snapshot, year.but(categories=vols))
    exact_hot = _hot_classes(snapshot, year, area)
    exact_hot_month = _hot_classes(snapshot, one_month, area)
    exact_categories = stats.category_counts(snapshot, year)
    figures = Figures(
        name=name,
        facts=snapshot.size,
        months=len(months),
        monthly_total_error=[],
        monthly_total_error_max=[],
        cells_same_class_year=[],
        cells_same_class_month=[],
        cells_same_class_family=[],
        hot_same_class_year=[],
        hot_same_class_significant=[],
        hot_same_class_month=[],
        night_share_exact=_night(snapshot, year, settings.time_slots),
        night_share_release=[],
        category_error_median=[],
        category_error_max=[],
        build_month_s=[],
        layout_s=[],
        answer_ms={},
    )
    view = snapshot
    for _ in range(DRAWS):
        view, per_month, layout = _release(snapshot, engine, months, settings)
        figures.build_month_s.append(per_month)
        figures.layout_s.append(layout)
        errors = []
        for m, exact in zip(months, exact_months, strict=True):
            f = Filter(date_from=m, date_to=_last_day(m))
            released = sum(stats.category_counts(view, f).values())
            errors.append(abs(released - sum(exact.values())) / max(1, sum(exact.values())))
        figures.monthly_total_error.append(float(np.mean(errors)))
        figures.monthly_total_error_max.append(float(np.max(errors)))
        figures.cells_same_class_year.append(_same_class(exact_year_cells, _cells(view, year)))
        figures.cells_same_class_month.append(
            _same_class(exact_month_cells, _cells(view, one_month))
        )
        figures.cells_same_class_family.append(
            _same_class(exact_vols_cells, _cells(view, year.but(categories=vols)))
        )
        hot = _hot_classes(view, year, area)
        figures.hot_same_class_year.append(float(np.mean(hot == exact_hot)))
        significant = (hot != "not_significant") | (exact_hot != "not_significant")
        figures.hot_same_class_significant.append(
            float(np.mean(hot[significant] == exact_hot[significant]))
        )
        monthly = _hot_classes(view, one_month, area)
        figures.hot_same_class_month.append(float(np.mean(monthly == exact_hot_month)))
        figures.night_share_release.append(_night(view, year, settings.time_slots))
        released_categories = stats.category_counts(view, year)
        relative = [
            abs(released_categories.get(c, 0) - n) / n for c, n in exact_categories.items() if n
        ]
        figures.category_error_median.append(float(np.median(relative)))
        figures.category_error_max.append(float(np.max(relative)))
    for label, call in (
        ("hexagones r8, un an", lambda s: stats.hexagon_counts(s, year, 8)),
        ("totaux par catégorie, un an", lambda s: stats.category_counts(s, year)),
        ("matrice 7 × 24, un an", lambda s: stats.week_hours(s, year)),
    ):
        figures.answer_ms[label] = (_ms(call, snapshot), _ms(call, view))
    engine.dispose()
    return figures


def _span(values: list[float], percent: bool = True) -> str:
    scale, unit = (100, " %") if percent else (1, "")
    mid = statistics.median(values) * scale
    return f"{mid:.1f}{unit} ({min(values) * scale:.1f}–{max(values) * scale:.1f})"


def report(all_figures: list[Figures], settings: Settings) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    about = machine("OpenDP + numpy")
    lines = [
        "## 2026-12-06 — Partner release utility (issue 16)",
        "",
        f"Commit {commit}; {about.get('cpu', '')}; {about.get('date', date.today().isoformat())}.",
        f"`python -m benchmarks privacy`: ε = {settings.privacy_epsilon} per fact, shares "
        + ", ".join(f"{k} {v:.0%}" for k, v in SHARES.items())
        + f"; {DRAWS} noise draws each, median (min–max). Exact = the same engine on the facts.",
        "",
        "| figure | "
        + " | ".join(f"{f.name} ({f.facts:,} facts, {f.months} months)" for f in all_figures)
        + " |",
        "| --- | " + " | ".join("---" for _ in all_figures) + " |",
    ]
    rows: list[tuple[str, Callable[[Figures], str]]] = [
        (
            "monthly commune total, mean relative error (aim ≤ 2 %)",
            lambda f: _span(f.monthly_total_error),
        ),
        ("monthly commune total, worst month", lambda f: _span(f.monthly_total_error_max)),
        (
            "res-8 cells in the exact colour class, last year, all facts",
            lambda f: _span(f.cells_same_class_year),
        ),
        (
            "res-8 cells in the exact colour class, last month",
            lambda f: _span(f.cells_same_class_month),
        ),
        (
            "res-8 cells in the exact colour class, last year, vols",
            lambda f: _span(f.cells_same_class_family),
        ),
        (
            "hot-spot class as exact, res 8, last year, all cells (aim ≥ 90 %)",
            lambda f: _span(f.hot_same_class_year),
        ),
        (
            "hot-spot class as exact, res 8, last month, all cells",
            lambda f: _span(f.hot_same_class_month),
        ),
        (
            "hot-spot class as exact, cells significant in either",
            lambda f: _span(f.hot_same_class_significant),
        ),
        (
            "night share, exact → release",
            lambda f: f"{f.night_share_exact:.1%} → {_span(f.night_share_release)}",
        ),
        (
            "category totals of a year, median relative error",
            lambda f: _span(f.category_error_median),
        ),
        ("category totals of a year, worst category", lambda f: _span(f.category_error_max)),
        ("release of one month (noise + fit + layout), s", lambda f: _span(f.build_month_s, False)),
        ("partner snapshot laid out from all months, s", lambda f: _span(f.layout_s, False)),
    ]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(f) for f in all_figures) + " |")
    for label in all_figures[0].answer_ms:
        lines.append(
            f"| {label}: facts / release, ms | "
            + " | ".join(
                f"{f.answer_ms[label][0]:.1f} / {f.answer_ms[label][1]:.1f}" for f in all_figures
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def main(rows: int | None = None) -> None:
    from benchmarks.engine_data import database

    settings = Settings()
    sets = [("démo", samples_database())]
    sets.append((f"{(rows or 1_000_000) // 1000}k générés", database(rows or 1_000_000)))
    figures = []
    for name, url in sets:
        print(f"{name} : mesure…", flush=True)
        figures.append(measure(name, url, settings))
    print(report(figures, settings))
