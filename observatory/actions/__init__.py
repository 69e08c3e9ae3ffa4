"""Actions of the STSPD (« fiches action ») and their before/after evaluation.

- ``places``: the place of an action (point + radius, line + buffer, polygon), checked.
- ``records``: the ``action`` table: record, list, read.
- ``evaluate``: the areas (PostGIS), the counts (the snapshot), the statistics
  (observatory/analytics/evaluation.py) and their French reading.
"""

from __future__ import annotations

from observatory.actions.evaluate import Evaluation, evaluate_action
from observatory.actions.places import Place, line_place, make_place, point_place, polygon_place
from observatory.actions.records import (
    KINDS,
    ActionRecord,
    check_new_action,
    create_action,
    get_action,
    list_actions,
    update_action,
)

__all__ = [
    "KINDS",
    "ActionRecord",
    "Evaluation",
    "Place",
    "check_new_action",
    "create_action",
    "evaluate_action",
    "get_action",
    "line_place",
    "list_actions",
    "make_place",
    "point_place",
    "polygon_place",
    "update_action",
]
