"""A batch's address rejects imported again once the geocoder holds a reference.

The rows of a succeeded incident batch rejected « non géolocalisé » (the geocoder was down, or
the batch predates geocoding) or « adresse introuvable » are imported again as a new batch of
the same source, with the mapping the first import used: ``rerun_batch(engine, batch_id,
REGEOCODE, …)`` (ingest/incidents/rerun.py: how, and how the accounting stays exact). The new
batch's record says which batch it re-ran (``details.regeocode_of``), and the first batch's
record the batches that re-ran it (``details.regeocoded_by``).
"""

from __future__ import annotations

from ingest.incidents.geocoding import RERUN_PREFIXES, geocoder_ready
from ingest.incidents.rerun import RerunKind
from observatory.errors import InvalidInput
from observatory.settings import Settings


def check_geocoder(settings: Settings) -> None:
    """Refuse a regeocoding while the geocoder is down or holds no reference."""
    if not geocoder_ready(settings):
        raise InvalidInput(
            "Le géocodeur est arrêté ou n'a pas de référence d'adresses : lancez "
            "« observatory geocoder start », puis « observatory geocoder load FICHIER », "
            "et recommencez."
        )


REGEOCODE = RerunKind(
    patterns=tuple(f"{prefix}%" for prefix in RERUN_PREFIXES),
    reasons="« non géolocalisé » ou « adresse introuvable »",
    verb="regéocoder",
    done="regéocodés",
    title="regéocodage",
    slug="regeocodage",
    of_key="regeocode_of",
    by_key="regeocoded_by",
    check=check_geocoder,
)
