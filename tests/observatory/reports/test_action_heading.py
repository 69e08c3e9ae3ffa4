"""An action's heading in the pack: its reference in parentheses, unless it carries its own."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from observatory.actions.records import ActionRecord
from observatory.reports.model import ActionPage


def page_of(reference: str | None) -> ActionPage:
    action = ActionRecord(
        id=1,
        title="Vidéoprotection place du Capitole",
        reference=reference,
        kind="videoprotection",
        start=date(2025, 1, 1),
        end=None,
        place_kind="point",
        place_buffer_m=200.0,
        categories=(),
        note=None,
        commune_code=None,
        commune_name=None,
        created_at=datetime(2025, 1, 1),
        created_by=None,
        has_control=False,
        area_m2=125_000.0,
        geometry={},
    )
    return ActionPage(action=action, evaluation=None, reason=None)


@pytest.mark.parametrize(
    ("reference", "heading"),
    [
        ("FA-2.3", "Vidéoprotection place du Capitole (FA-2.3)"),
        ("FA-2.3 (exemple)", "Vidéoprotection place du Capitole — fiche FA-2.3 (exemple)"),
        (None, "Vidéoprotection place du Capitole"),
        ("", "Vidéoprotection place du Capitole"),
    ],
)
def test_no_parentheses_inside_parentheses(reference: str | None, heading: str) -> None:
    assert page_of(reference).heading == heading
