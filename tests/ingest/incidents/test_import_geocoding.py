"""Geocoding at import on a real PostGIS and a real addok (tests/geocoding.py): placement against
the generator's truth, « adresse introuvable », the commune restriction, a stopped geocoder and
the regeocoding of a batch, with the accounting exact in every batch."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text
from typer.testing import Result as CliResult

from benchmarks.bench_geocoder import typed
from ingest.boundaries import import_communes
from ingest.incidents import import_incidents
from ingest.incidents.mapping import mapping_from_dict
from ingest.incidents.regeocode import REGEOCODE
from ingest.incidents.rerun import rerun_batch
from observatory.errors import InvalidInput
from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import api_settings
from tests.geocoding import free_port
from tests.ingest.incidents.reruns import rejects

SAMPLES = PROJECT_ROOT / "data" / "samples"
HEADER = "numero;date_faits;nature;adresse;code_insee;x;y"
Row = dict[str, str]


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, (lat2 - lat1) * 110_574)


def write_csv(folder: Path, lines: list[tuple[str, str, str]], name: str = "faits.csv") -> Path:
    """(reference, address, INSEE code) per fact, no coordinates."""
    body = [f"{ref};15/03/2025;Tapage nocturne;{address};{code};;" for ref, address, code in lines]
    path = folder / name
    path.write_text("\n".join([HEADER, *body]) + "\n", encoding="utf-8")
    return path


def with_redis(database_url: str, redis: Settings, **extra: object) -> Settings:
    return api_settings(
        database_url,
        redis_dir=redis.redis_dir,
        redis_port=redis.redis_port,
        redis_db=redis.redis_db,
        **extra,
    )


@pytest.fixture
def geo(database_url: str, reference: Settings) -> Settings:
    """The test database and the test Redis holding the seeded extract."""
    return with_redis(database_url, reference)


@pytest.fixture
def communes(db: Engine) -> Engine:
    import_communes(db, SAMPLES / "communes_toulouse.geojson")  # Toulouse only
    return db


def sample(rows: list[Row], n: int, seed: int) -> list[Row]:
    picks = np.random.default_rng(seed).choice(len(rows), size=n, replace=False)
    return [rows[int(i)] for i in picks]


def places(db: Engine, batch_id: int) -> dict[str, tuple]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT source_ref, ST_X(geom), ST_Y(geom), geocode_score, geocode_label, "
                "geocode_type, commune_code FROM incident WHERE batch_id = :b"
            ),
            {"b": batch_id},
        )
        return {r[0]: tuple(r[1:]) for r in rows}


def exact(summary: object) -> bool:
    s = summary
    return s.rows_read == s.rows_imported + s.rows_duplicate + s.rows_rejected  # type: ignore[attr-defined]


def test_addresses_typed_by_people_land_on_their_points(
    db: Engine, geo: Settings, extract_rows: list[Row], tmp_path: Path
) -> None:
    truth = sample(extract_rows, 60, seed=21)
    lines = [(f"G{k}", typed(row, k), row["code_insee"]) for k, row in enumerate(truth)]
    with_point = "P1;15/03/2025;Tapage nocturne;Place du Capitole;31555;574318,58;6279619,29"
    path = write_csv(tmp_path, lines)
    path.write_text(path.read_text(encoding="utf-8") + with_point + "\n", encoding="utf-8")

    summary = import_incidents(db, path, settings=geo)

    assert summary.status == "succeeded" and exact(summary)
    assert summary.rows_read == 61
    got = places(db, summary.batch_id)
    # 99.4 % of typed addresses score at or above the threshold (settings.py): at most one out.
    assert summary.rows_imported >= 60
    for ref, (lon, lat, score, label, kind, commune) in got.items():
        if ref == "P1":
            assert (score, label, kind) == (None, None, None)  # the file's own point
            continue
        row = truth[int(ref[1:])]
        assert metres(lon, lat, float(row["lon"]), float(row["lat"])) <= 20, (ref, label)
        assert kind == "housenumber" and score >= geo.geocode_min_score
        assert row["nom_voie"] in label and commune == row["code_insee"]
    for reason, _ in rejects(db, summary.batch_id).values():
        assert reason.startswith("adresse introuvable")


def test_a_street_that_does_not_exist(
    db: Engine, geo: Settings, extract_rows: list[Row], tmp_path: Path
) -> None:
    assert not any(r["nom_voie"] == "Rue des Songes Creux" for r in extract_rows)
    path = write_csv(tmp_path, [("X1", "12 rue des Songes Creux", "31555")])

    summary = import_incidents(db, path, settings=geo)

    assert (summary.rows_read, summary.rows_imported, summary.rows_rejected) == (1, 0, 1)
    [(reason, rerun)] = rejects(db, summary.batch_id).values()
    assert rerun is None
    found = re.fullmatch(
        r"adresse introuvable : « 12 rue des Songes Creux » "
        r"\(meilleure proposition : « (.+) », score (\d),(\d\d)\)",
        reason,
    )
    assert found, reason
    candidate, score = found[1], float(f"{found[2]}.{found[3]}")
    assert score < geo.geocode_min_score
    toulouse = {r["nom_voie"] for r in extract_rows if r["code_insee"] == "31555"}
    assert any(street in candidate for street in toulouse)  # a real street of the reference


def test_the_commune_restricts_the_search(
    communes: Engine, geo: Settings, extract_rows: list[Row], tmp_path: Path, database_url: str
) -> None:
    colomiers = {r["nom_voie"] for r in extract_rows if r["code_insee"] == "31149"}
    elsewhere = {r["nom_voie"] for r in extract_rows if r["code_insee"] != "31149"}
    row = next(
        r for r in extract_rows if r["code_insee"] == "31149" and r["nom_voie"] not in elsewhere
    )
    assert row["nom_voie"] in colomiers
    address = f"{row['numero']} {row['nom_voie']}"
    path = write_csv(
        tmp_path,
        [
            ("C1", address, "31149"),  # its own commune: placed
            ("C2", address, "31157"),  # said to be in Cugnaux: no such street there
            ("C3", address, ""),  # no commune: Colomiers is not imported in the database
        ],
    )

    summary = import_incidents(communes, path, settings=geo)

    assert exact(summary) and summary.rows_imported == 1
    [(lon, lat, _, _, kind, commune)] = places(communes, summary.batch_id).values()
    assert metres(lon, lat, float(row["lon"]), float(row["lat"])) <= 20
    assert (kind, commune) == ("housenumber", "31149")
    reasons = {n: r for n, (r, _) in rejects(communes, summary.batch_id).items()}
    assert set(reasons) == {3, 4}
    assert reasons[3].startswith(f"adresse introuvable : « {address} »")
    assert reasons[4].startswith(f"adresse introuvable : « {address} » (meilleure proposition")
    assert reasons[4].endswith("hors des communes attendues)")

    # The mapping names the commune of the rows that name none: C3 is then placed.
    mapping = mapping_from_dict({"commune": "31149"})
    again = import_incidents(communes, path, settings=geo, mapping=mapping, source="pm2")
    assert again.rows_imported == 2 and exact(again)
    assert sorted(places(communes, again.batch_id)) == ["C1", "C3"]


def test_a_stopped_geocoder_then_regeocoding(
    db: Engine,
    database_url: str,
    reference: Settings,
    empty_reference: Settings,
    extract_rows: list[Row],
    tmp_path: Path,
) -> None:
    truth = sample(extract_rows, 8, seed=5)
    lines = [(f"R{k}", typed(row, 0), row["code_insee"]) for k, row in enumerate(truth)]
    lines.append(("R8", "12 rue des Songes Creux", "31555"))
    path = write_csv(tmp_path, lines)
    path.write_text(
        path.read_text(encoding="utf-8")
        + "R9;15/03/2025;Tapage nocturne;Place du Capitole;31555;574318,58;6279619,29\n",
        encoding="utf-8",
    )
    stopped = api_settings(database_url, redis_dir=tmp_path, redis_port=free_port())

    first = import_incidents(db, path, settings=stopped)

    assert (first.rows_read, first.rows_imported, first.rows_rejected) == (10, 1, 9)
    down = (
        "non géolocalisé : géocodeur arrêté ou sans référence d'adresses "
        "(observatory geocoder start, puis load)"
    )
    assert {r for r, _ in rejects(db, first.batch_id).values()} == {down}
    # Running but empty: the same reject, and a regeocoding is refused, nothing written.
    empty = with_redis(database_url, empty_reference)
    assert import_incidents(db, path, settings=empty, source="vide").rows_rejected == 9
    with pytest.raises(InvalidInput, match="géocodeur est arrêté"):
        rerun_batch(db, first.batch_id, REGEOCODE, settings=empty)

    geo = with_redis(database_url, reference)
    second = rerun_batch(db, first.batch_id, REGEOCODE, settings=geo)

    assert second.status == "succeeded" and exact(second)
    assert (second.rows_read, second.rows_imported, second.rows_rejected) == (9, 8, 1)
    assert second.source == first.source and second.details["regeocode_of"] == first.batch_id
    got = places(db, second.batch_id)
    for k, row in enumerate(truth):
        lon, lat, *_ = got[f"R{k}"]
        assert metres(lon, lat, float(row["lon"]), float(row["lat"])) <= 20
    # Row numbers are those of the first file; the invented street is rejected again.
    [(row_number, (reason, _))] = rejects(db, second.batch_id).items()
    assert row_number == 10 and reason.startswith("adresse introuvable : « 12 rue des Songes")
    # The first batch: its counts as they were, each re-run reject marked with the new batch.
    with db.connect() as conn:
        from observatory.imports import get_batch

        again = get_batch(conn, first.batch_id)
    assert again.contract() == first.contract()
    assert again.details["regeocoded_by"] == [second.batch_id]
    assert {b for _, b in rejects(db, first.batch_id).values()} == {second.batch_id}
    with db.connect() as conn:
        total = conn.execute(
            text("SELECT count(*) FROM incident WHERE source = :s"), {"s": first.source}
        ).scalar_one()
    assert total == first.rows_imported + second.rows_imported == 9
    # Nothing left to re-run from the first batch; the second's own reject can be.
    with pytest.raises(InvalidInput, match="aucun rejet"):
        rerun_batch(db, first.batch_id, REGEOCODE, settings=geo)
    third = rerun_batch(db, second.batch_id, REGEOCODE, settings=geo)
    assert (third.rows_read, third.rows_imported, third.rows_rejected) == (1, 0, 1)


def test_cli_regeocode(
    db: Engine,
    database_url: str,
    reference: Settings,
    extract_rows: list[Row],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli_in_process: Callable[[Settings, list[str]], CliResult],
) -> None:
    row = sample(extract_rows, 1, seed=9)[0]
    path = write_csv(tmp_path, [("K1", typed(row, 0), row["code_insee"])])
    stopped = api_settings(database_url, redis_dir=tmp_path, redis_port=free_port())
    first = import_incidents(db, path, settings=stopped)
    assert first.rows_rejected == 1
    monkeypatch.setenv("DATABASE_URL", database_url)

    answer = cli_in_process(reference, ["imports", "regeocode", str(first.batch_id), "--json"])

    assert answer.exit_code == 0, answer.output
    batch = json.loads(answer.stdout)
    assert (batch["rows_read"], batch["rows_imported"], batch["rows_rejected"]) == (1, 1, 0)
    shown = cli_in_process(reference, ["imports", "show", str(first.batch_id)])
    assert f"(relancée dans le lot {batch['batch_id']})" in shown.output
    again = cli_in_process(reference, ["imports", "regeocode", str(first.batch_id)])
    assert again.exit_code == 1 and "aucun rejet" in again.output


def test_regeocoding_reads_the_rows_with_the_saved_mapping_of_the_first_batch(
    db: Engine,
    database_url: str,
    reference: Settings,
    extract_rows: list[Row],
    tmp_path: Path,
) -> None:
    """A town's export needs its saved mapping (its address column is « emplacement »): the
    button of the import page (no mapping given) re-reads the rejects with that mapping."""
    from ingest.incidents.saved import load_saved, save_mapping

    truth = sample(extract_rows, 3, seed=9)
    path = tmp_path / "export.csv"
    path.write_text(
        "ref;jour;motif;emplacement;insee\n"
        + "".join(
            f"S{k};15/03/2025;Tapage nocturne;{typed(row, 0)};{row['code_insee']}\n"
            for k, row in enumerate(truth)
        ),
        encoding="utf-8",
    )
    document = {
        "columns": {
            "source_ref": "ref",
            "date": "jour",
            "category": "motif",
            "address": "emplacement",
            "commune_code": "insee",
        }
    }
    with db.begin() as conn:
        save_mapping(conn, "PM essai", document, created_by="test")
        mapping = load_saved(conn, "PM essai")
    stopped = api_settings(database_url, redis_dir=tmp_path, redis_port=free_port())
    first = import_incidents(db, path, settings=stopped, mapping=mapping, mapping_name="PM essai")
    assert (first.rows_read, first.rows_rejected) == (3, 3)

    second = rerun_batch(
        db, first.batch_id, REGEOCODE, settings=with_redis(database_url, reference)
    )

    assert second.status == "succeeded" and exact(second)
    assert (second.rows_read, second.rows_imported) == (3, 3)
    assert second.details["mapping"] == "PM essai"
