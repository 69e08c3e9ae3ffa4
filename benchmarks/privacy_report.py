"""The figures of benchmarks/bench_privacy.py: what is measured (families, classes), printed in
French for whoever runs it, and the RESULTS.md section (English) without its reading."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
from dataclasses import dataclass

import numpy as np

from benchmarks.common import machine
from observatory.privacy.release import SHARES, Budget
from observatory.settings import Settings

FAMILIES = ("vols", "stupefiants")  # a large family and a small one
CLASSES = 5
JENKS = importlib.util.find_spec("mapclassify") is not None


@dataclass
class Figures:
    """One data set's figures: each a list over the noise draws, and without noise."""

    name: str  # French, printed
    label: str  # English, RESULTS.md
    facts: int
    months: int
    years: int
    quarters: int
    area_cells: int
    draws: dict[str, list[float]]
    noise_free: dict[str, float]
    answer_ms: dict[str, tuple[float, float]]
    seconds: float

    @property
    def draw_count(self) -> int:
        return len(self.draws["total_mean"])


@dataclass(frozen=True)
class Row:
    """A figure of the report; unit "%" for shares and relative errors, "pt" for differences
    of shares (both × 100), "n" for counts, "s" for seconds."""

    key: str
    english: str
    french: str
    unit: str = "%"
    aim: str = ""


PERIODS = {
    "month": ("a month", "un mois"),
    "quarter": ("a quarter", "un trimestre"),
    "year": ("a year", "une année"),
}


def _family(family: str) -> tuple[str, str]:
    return ("all facts", "tous les faits") if family == "all" else (family, family)


def report_rows() -> list[Row]:
    out = [
        Row("total_mean", "monthly commune total: mean relative error",
            "total mensuel d'une commune : erreur relative moyenne", aim="≤ 2 %"),
        Row("total_max", "monthly commune total: worst month",
            "total mensuel d'une commune : pire mois"),
        Row("total_bias", "monthly commune total: mean signed error",
            "total mensuel d'une commune : erreur signée moyenne"),
    ]  # fmt: skip
    methods = [("quantiles", "quantile", "quantiles")]
    methods += [("jenks", "Fisher–Jenks", "Jenks")] if JENKS else []
    for method, en_method, fr_method in methods:
        for kind in ("month", "year"):
            en_kind, fr_kind = PERIODS[kind]
            for family in ("all", *FAMILIES):
                en, fr = _family(family)
                out.append(
                    Row(f"cells_{method}_{kind}_{family}",
                        f"res-8 cells in the exact {en_method} class, {en_kind}, {en}",
                        f"cellules r8 dans la classe exacte ({fr_method}), {fr_kind}, {fr}")
                )  # fmt: skip
            out.append(
                Row(f"cells_{method}_{kind}_all_near",
                    f"… within one class, {en_kind}, all facts",
                    f"… à une classe près, {fr_kind}, tous les faits")
            )  # fmt: skip
    out += [
        Row("cells_year_quiet_bias", "a year: signed error of the quiet half of the cells",
            "une année : erreur signée de la moitié calme des cellules"),
        Row("cells_year_busy_bias", "a year: signed error of the busiest tenth of the cells",
            "une année : erreur signée du dixième le plus chargé des cellules"),
    ]  # fmt: skip
    for kind in ("year", "quarter"):
        en_kind, fr_kind = PERIODS[kind]
        for family in ("all", *FAMILIES):
            en, fr = _family(family)
            name = f"hot_{kind}_{family}"
            out += [
                Row(name, f"Gi* class as exact, {en_kind}, {en}: all cells",
                    f"classe Gi* exacte, {fr_kind}, {fr} : toutes les cellules", aim="≥ 90 %"),
                Row(f"{name}_significant", "… cells significant in either",
                    "… cellules significatives d'un côté ou de l'autre"),
                Row(f"{name}_direction", "… the same, hot or cold at any confidence level",
                    "… les mêmes, chaud ou froid à n'importe quel niveau de confiance"),
                Row(f"{name}_exact_n", "… cells significant in the exact Gi*, per period",
                    "… cellules significatives du Gi* exact, par période", unit="n"),
            ]  # fmt: skip
    out += [
        Row("night_exact", "night share (« nuit »), all months, exact",
            "part de la nuit, tous les mois, exacte"),
        Row("night_all", "night share, all months", "part de la nuit, tous les mois"),
        Row("night_year_gap", "night share, worst year: gap to exact",
            "part de la nuit, pire année : écart à l'exacte", unit="pt"),
        Row("weekday_year_max", "weekday profile: max relative error, worst year",
            "profil des jours : erreur relative max, pire année"),
        Row("weekday_month_median", "weekday profile: max relative error, median month",
            "profil des jours : erreur relative max, mois médian"),
        Row("category_median", "category totals of a year: median relative error",
            "totaux par catégorie d'une année : erreur relative médiane"),
        Row("category_max", "category totals of a year: worst category",
            "totaux par catégorie d'une année : pire catégorie"),
        Row("category_bias", "category totals of a year: median signed error",
            "totaux par catégorie d'une année : erreur signée médiane"),
        Row("build_s", "cost: release of one month (count, noise, fit, layout)",
            "coût : diffusion d'un mois (comptes, bruit, ajustement, pseudo-faits)", unit="s"),
        Row("layout_s", "cost: partner snapshot of all the months",
            "coût : instantané partenaire de tous les mois", unit="s"),
    ]  # fmt: skip
    return out


def fr(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def _value(value: float, unit: str, french: bool) -> str:
    if value != value:  # NaN: nothing significant on either side
        return "–"
    digits = {"s": 3, "n": 1}.get(unit, 1)
    scaled = value * (100 if unit in ("%", "pt") else 1)
    scaled = scaled if round(scaled, digits) else 0.0  # no "-0.0"
    return fr(scaled, digits) if french else f"{scaled:,.{digits}f}"


def _cell(f: Figures, row: Row, french: bool) -> tuple[str, str]:
    """(median (min–max) over the draws, without noise), each with its unit."""
    unit = {"%": " %", "pt": " pt", "n": "", "s": " s"}[row.unit]
    values = np.array(f.draws[row.key])
    if row.unit == "n" or (values == values[0]).all():
        noisy = _value(values[0], row.unit, french) + unit
    else:
        low, mid, high = (_value(v, row.unit, french) for v in np.nanquantile(values, [0, 0.5, 1]))
        noisy = f"{mid}{unit} ({low}–{high})"
    free = "" if row.unit in ("s", "n") else _value(f.noise_free[row.key], row.unit, french) + unit
    return noisy, free


def french_text(all_figures: list[Figures], settings: Settings) -> str:
    lines = [
        f"Diffusion partenaires, ε = {fr(settings.privacy_epsilon)} par fait ; "
        f"{all_figures[0].draw_count} tirages : médiane (min–max) ; « sans bruit » : les tableaux "
        "exacts mis en pseudo-faits.",
    ]
    if not JENKS:
        lines.append("mapclassify n'est pas installé : classes par quantiles seulement.")
    for f in all_figures:
        lines += [
            "",
            f"{f.name} : {fr(f.facts, 0)} faits, {f.months} mois, {f.years} années, "
            f"{f.quarters} trimestres, {fr(f.area_cells, 0)} cellules r8 dans la zone d'étude "
            f"(mesuré en {fr(f.seconds, 0)} s)",
        ]
        for row in report_rows():
            noisy, free = _cell(f, row, french=True)
            extra = f" ; sans bruit {free}" if free else ""
            target = f" [objectif {row.aim}]" if row.aim else ""
            lines.append(f"  {row.french} : {noisy}{extra}{target}")
        for label, (exact_ms, release_ms) in f.answer_ms.items():
            lines.append(
                f"  coût : {label} : sur les faits {fr(exact_ms, 2)} ms, "
                f"sur la diffusion {fr(release_ms, 2)} ms"
            )
    return "\n".join(lines)


def markdown(all_figures: list[Figures], settings: Settings) -> str:
    """The RESULTS.md section (English), without its reading."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    about = machine(f"OpenDP {importlib.metadata.version('opendp')}, numpy {np.__version__}")
    budget = Budget(settings.privacy_epsilon)
    shares = ", ".join(
        f"{name} {share:.0%} (scale {budget.scale(name):.2f})" for name, share in SHARES.items()
    )
    jenks = (
        "Fisher–Jenks by mapclassify too" if JENKS else "mapclassify not installed: quantiles only"
    )
    lines = [
        "## 2026-12-06 — Partner release utility (issue 16)",
        "",
        f"Machine: `{about['uname']}`; {about['nproc']} CPU ({about['cpu']}), {about['memory']}; "
        f"{about['software']}. Run {about['date']}, commit {commit}; load average (1 min) "
        f"{about['load']} at the end.",
        "",
        f"Settings: ε = {settings.privacy_epsilon} per fact and month (OpenDP's privacy maps sum "
        f"to {budget.spent():.3f}), shares {shares}; time slots {settings.time_slots}. Every "
        f"closed month released in memory (`build_month`, then `partner_snapshot` of a "
        f"`Publication`), {all_figures[0].draw_count} noise draws: median (min–max); "
        f'"no noise": the exact '
        f"tabulations laid out as pseudo-facts, what the method alone changes. Exact: the same "
        f"engine functions on the facts' snapshot. Colour classes: {CLASSES}, from the exact "
        f"counts as the map computes quantiles (classes.js), an empty cell a class of its own, "
        f"over the cells non-empty in either; {jenks}. Gi*: res 8, k = 1, FDR, the communes' "
        f"cells (`study_area_cells`) as study area. Families: {', '.join(FAMILIES)}. Shares of "
        f"months, quarters, years pooled over all the closed ones.",
        "",
        "| figure | aim | "
        + " | ".join(
            f"{f.label}: {f.facts:,} facts, {f.months} months, Gi* area {f.area_cells} cells"
            " | no noise"
            for f in all_figures
        )
        + " |",
        "| --- | --- | " + " | ".join("--- | ---" for _ in all_figures) + " |",
    ]
    for row in report_rows():
        cells = [part for f in all_figures for part in _cell(f, row, french=False)]
        lines.append(f"| {row.english} | {row.aim} | " + " | ".join(cells) + " |")
    for label in all_figures[0].answer_ms:
        times = [f"{f.answer_ms[label][0]:.2f} / {f.answer_ms[label][1]:.2f}" for f in all_figures]
        lines.append(f"| cost: {label}, ms, facts / release | | " + " |  | ".join(times) + " | |")
    return "\n".join(lines) + "\n"
