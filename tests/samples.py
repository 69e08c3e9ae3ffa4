"""The Toulouse samples of data/samples loaded into a test database (e2e, packs, secrecy)."""

from __future__ import annotations

from sqlalchemy import Engine

from observatory.settings import PROJECT_ROOT, Settings

SAMPLES = PROJECT_ROOT / "data" / "samples"
SAMPLE_INCIDENTS = 30_000


def load_samples(engine: Engine, settings: Settings) -> None:
    """Communes, QPV of both generations, the 30,000 facts, a CSP's état 4001 and its commune."""
    from ingest.boundaries import import_communes, import_qpv
    from ingest.etat4001 import import_etat4001
    from ingest.incidents import import_incidents
    from observatory.etat4001.services import Mapping, map_communes

    import_communes(
        engine,
        SAMPLES / "communes_toulouse.geojson",
        population=SAMPLES / "populations_haute_garonne.csv",
    )
    import_qpv(
        engine,
        SAMPLES / "qpv2015_toulouse.geojson",
        generation=2015,
        population=SAMPLES / "qpv2015_toulouse_insee.csv",
    )
    import_qpv(engine, SAMPLES / "qpv2024_toulouse.geojson", generation=2024)
    summary = import_incidents(engine, SAMPLES / "incidents_toulouse.csv", settings=settings)
    assert summary.rows_imported == SAMPLE_INCIDENTS, summary
    import_etat4001(engine, SAMPLES / "etat4001_csp_toulouse_2024.xlsx")
    with engine.begin() as conn:
        map_communes(conn, Mapping("PN", "31", "CSP TOULOUSE", ("31555",)), replace=True)
