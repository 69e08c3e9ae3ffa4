"""Small-count secrecy of a table whose total is shown: primary and complementary suppression.

A count from 1 to threshold − 1 is hidden (primary). When the total of the parts is shown too,
the hidden parts must not follow from it: with one part hidden, total − the others gives it
back; with hidden parts that add up to less than the threshold (two parts hiding 1 + 1 = 2,
say), the partner learns they are small, or each exactly. So more parts are hidden,
smallest first (complementary suppression), until at least two are hidden and the hidden
ones add up to the threshold at least; when the parts cannot provide that, the total is hidden
as well.
"""

from __future__ import annotations

from collections.abc import Sequence


def suppressed(parts: Sequence[int], threshold: int | None) -> tuple[set[int], bool]:
    """The positions of the parts to hide, and whether the total must be hidden too."""
    if threshold is None:
        return set(), False
    hidden = {i for i, n in enumerate(parts) if 0 < n < threshold}
    if not hidden:
        return hidden, False
    others = sorted((n, i) for i, n in enumerate(parts) if i not in hidden)
    # Zeros first hide nothing more, so the smallest non-zero parts go first.
    others = [(n, i) for n, i in others if n > 0] + [(n, i) for n, i in others if n == 0]
    for _n, i in others:
        if len(hidden) >= 2 and sum(parts[j] for j in hidden) >= threshold:
            break
        hidden.add(i)
    safe = len(hidden) >= 2 and sum(parts[j] for j in hidden) >= threshold
    return hidden, not safe


def shown_total_row(
    parts: list[list[tuple[int, int]]], threshold: int | None
) -> list[tuple[int, int]]:
    """A CompStat total row beside its rows (each a list of (current, previous) per window):
    per window, the sums of the counts shown, a hidden count adding 0."""

    def shown(n: int) -> int:
        return 0 if threshold is not None and 0 < n < threshold else n

    return [
        (sum(shown(c) for c, _ in column), sum(shown(p) for _, p in column))
        for column in zip(*parts, strict=True)
    ]
