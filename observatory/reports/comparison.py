"""The section of a pack of several communes that sets them side by side (the table of
GET /stats/communes): words and table, for both formats."""

from __future__ import annotations

from observatory.figures.communes import CommuneRow, Comparison
from observatory.french import fr_percent
from observatory.reports.request import day_label
from observatory.reports.style import count_text, fr_int, fr_number, fr_share, fr_signed
from observatory.reports.tables import Table

SECTION = ("communes", "Comparaison des communes")


def comparison_text(comparison: Comparison, threshold: int | None) -> str:
    """What the table compares, and why a column may be empty."""
    period = comparison.period
    if period is None:
        return "Aucun fait sur la période : rien à comparer."
    text = (
        f"Chaque commune du {day_label(period.start)} au {day_label(period.end)}, avec son taux "
        "pour 1 000 habitants (population légale de l'INSEE) et la part de ses faits situés "
        "dans un QPV. "
    )
    previous = f"du {day_label(period.previous_start)} au {day_label(period.previous_end)}"
    if period.comparable:
        text += (
            f"Période précédente, de même durée : {previous} ; z = 2(√C − √P) : au-delà de ±2, "
            "l'écart est peu vraisemblable sous un même rythme."
        )
    else:
        text += (
            f"Les faits de la base ne couvrent pas la période précédente ({previous}) : pas de "
            "comparaison."
        )
    if threshold is not None:
        text += (
            f" Secret statistique : un compte de moins de {threshold} faits est masqué, et son "
            "taux avec lui ; pas de z sur des comptes bruités."
        )
    return text


def _cells(row: CommuneRow, threshold: int | None) -> list[str]:
    change = row.change
    return [
        row.name,
        fr_int(row.population),
        count_text(row.count, threshold),
        fr_number(row.rate_per_1000, 1),
        count_text(change.previous, threshold, hidden=change.previous_hidden),
        fr_percent(change.percent),
        fr_signed(change.z, 2),
        fr_share(row.qpv_share),
    ]


def comparison_table(comparison: Comparison, threshold: int | None) -> Table:
    """One row per commune, then the total in bold."""
    rows = [_cells(row, threshold) for row in comparison.rows]
    rows.append(_cells(comparison.total, threshold))
    return Table(
        [
            "Commune",
            "Habitants",
            "Faits",
            "Pour 1 000 hab.",
            "Période préc.",
            "Évolution",
            "z",
            "Part en QPV",
        ],
        rows,
        strong={len(rows) - 1},
        z_columns={6},
    )
