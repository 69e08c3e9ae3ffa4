"""Retention: observatory purge deletes exactly the old facts and rejected rows, in one
transaction, records it, and the API's in-memory copy follows.

Cut-offs and expected counts are worked out here (the calendar, the test's own SQL), never read
back from observatory/retention.py.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from observatory.errors import InvalidInput
from observatory.retention import Duration, parse_duration, purge
from observatory.settings import Settings
from tests.conftest import auth, run_cli

PARIS = ZoneInfo("Europe/Paris")
HEADER = "numero;date_faits;heure_faits;date_fin;heure_fin;nature;code_insee;longitude;latitude"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=PARIS)
CUTOFF = datetime(2022, 6, 15, 0, 0, tzinfo=PARIS)  # 36 months before NOW's day, local midnight


# -- durations (no database) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("36m", Duration(36, "m")),
        ("3y", Duration(3, "y")),
        ("365d", Duration(365, "d")),
        (" 3A ", Duration(3, "y")),  # French a(ns) and j(ours) too
        ("30j", Duration(30, "d")),
    ],
)
def test_durations_are_read(value: str, expected: Duration) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "36", "m", "3 semaines", "3w", "0m", "-3y", "1.5y"])
def test_bad_durations_are_refused_in_french(value: str) -> None:
    with pytest.raises(InvalidInput, match="Durée"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("duration", "day", "expected"),
    [
        (Duration(1, "m"), date(2024, 3, 31), date(2024, 2, 29)),
        (Duration(12, "m"), date(2024, 2, 29), date(2023, 2, 28)),
        (Duration(3, "y"), date(2025, 1, 15), date(2022, 1, 15)),
        (Duration(14, "m"), date(2025, 1, 15), date(2023, 11, 15)),
        (Duration(365, "d"), date(2025, 1, 15), date(2024, 1, 16)),
    ],
)
def test_durations_count_back_on_the_calendar(
    duration: Duration, day: date, expected: date
) -> None:
    assert duration.before(day) == expected


# -- the purge ---------------------------------------------------------------------------------


def write(path: Path, rows: list[tuple[str, ...]]) -> Path:
    lines = [HEADER, *(";".join((*r, "31555", "1.444", "43.604")) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def history(db: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Facts on both sides of CUTOFF, in an old batch and a recent one, each with a reject."""
    old = [
        ("O-1", "10/01/2020", "10:00", "", ""),
        ("O-2", "14/06/2022", "23:30", "", ""),  # ended 30 minutes before the cut-off
        ("O-3", "01/06/2022", "22:00", "14/06/2022", "23:59"),
        ("K-1", "14/06/2022", "23:30", "15/06/2022", "00:30"),  # ends after: kept
        ("K-2", "15/06/2022", "00:00", "", ""),  # at the cut-off: kept
        ("BAD-OLD", "10/01/2020", "10:00", "", "", "Licorne"),
    ]
    recent = [
        ("R-1", "01/01/2025", "08:00", "", ""),
        ("R-2", "02/01/2025", "09:00", "", ""),
        ("O-4", "01/01/2021", "12:00", "", ""),  # an old fact in a recent file: deleted too
        ("BAD-NEW", "03/01/2025", "10:00", "", "", "Licorne"),
    ]
    for name, rows in (("ancien", old), ("recent", recent)):
        rows = [r if len(r) == 6 else (*r, "Tapage") for r in rows]
        summary = import_incidents(db, write(tmp_path / f"{name}.csv", rows), settings=settings)
        assert summary.rows_rejected == 1, summary
    with db.begin() as conn:
        conn.execute(
            text(
                "UPDATE import_batch SET started_at = '2020-02-01T09:00+01' "
                "WHERE file_name = 'ancien.csv'"
            )
        )
    return db


def scalar(db: Engine, sql: str) -> object:
    with db.connect() as conn:
        return conn.execute(text(sql), {"cutoff": CUTOFF}).scalar_one()


def refs(db: Engine) -> set[str]:
    with db.connect() as conn:
        return set(conn.execute(text("SELECT source_ref FROM incident")).scalars())


OLD_FACTS = "SELECT count(*) FROM incident WHERE coalesce(occurred_until, occurred_at) < :cutoff"
OLD_REJECTS = (
    "SELECT count(*) FROM import_reject r JOIN import_batch b ON b.id = r.batch_id "
    "WHERE b.started_at < :cutoff"
)
VERSION = "SELECT coalesce(max(version), 0) FROM data_version"


def test_a_dry_run_counts_and_deletes_nothing(history: Engine) -> None:
    before = (refs(history), scalar(history, VERSION))

    summary = purge(
        history, Duration(36, "m"), zone="Europe/Paris", run_by="t", dry_run=True, now=NOW
    )

    assert summary.cutoff == CUTOFF
    assert (summary.incidents, summary.rejects) == (
        scalar(history, OLD_FACTS),
        scalar(history, OLD_REJECTS),
    )
    assert (summary.incidents, summary.rejects) == (4, 1)
    assert (refs(history), scalar(history, VERSION)) == before
    assert scalar(history, "SELECT count(*) FROM import_reject") == 2
    assert scalar(history, "SELECT count(*) FROM audit_log") == 0
    assert "rien n'a été supprimé" in summary.describe()


def test_the_purge_deletes_exactly_the_old_rows_and_records_it(history: Engine) -> None:
    old_facts, old_rejects = scalar(history, OLD_FACTS), scalar(history, OLD_REJECTS)
    total = scalar(history, "SELECT count(*) FROM incident")
    version = scalar(history, VERSION)

    summary = purge(history, Duration(36, "m"), zone="Europe/Paris", run_by="cli:chef", now=NOW)

    assert (summary.incidents, summary.rejects) == (old_facts, old_rejects) == (4, 1)
    assert refs(history) == {"K-1", "K-2", "R-1", "R-2"}
    assert scalar(history, "SELECT count(*) FROM incident") == total - old_facts
    assert scalar(history, OLD_FACTS) == 0
    with history.connect() as conn:
        left = conn.execute(text("SELECT raw FROM import_reject")).scalars().all()
        batches = conn.execute(text("SELECT rows_rejected FROM import_batch")).scalars().all()
        log = conn.execute(text("SELECT actor, role, action, row_count, filters FROM audit_log"))
        [(actor, role, action, count, filters)] = log.all()
    assert len(left) == 1 and "BAD-NEW" in json.dumps(left[0])
    assert sorted(batches) == [1, 1]  # the batches keep their counts
    assert (actor, role, action, count) == ("cli:chef", "admin", "purge", 4)
    assert filters["older_than"] == "36m" and filters["rejects_deleted"] == 1
    assert datetime.fromisoformat(filters["cutoff"]) == CUTOFF
    assert scalar(history, VERSION) > version  # the API's copy will reload
    assert summary.describe().startswith(
        "Purge (conservation 36 mois, faits terminés avant le 15/06/2022) : 4 faits"
    )

    # Nothing left to purge: no DELETE, so no new data version (no needless reload).
    version = scalar(history, VERSION)
    again = purge(history, Duration(36, "m"), zone="Europe/Paris", run_by="cli:chef", now=NOW)
    assert (again.incidents, again.rejects) == (0, 0)
    assert scalar(history, VERSION) == version
    assert scalar(history, "SELECT count(*) FROM audit_log WHERE action = 'purge'") == 2


def test_the_audit_log_and_the_closed_sessions_go_after_their_retention(history: Engine) -> None:
    """OBS_AUDIT_RETENTION_MONTHS: entries older than it go (the purge's own row stays), and
    the sessions that expired or were closed; a live session and recent entries stay."""
    audit_cutoff = datetime(2024, 6, 15, 0, 0, tzinfo=PARIS)  # 12 months before NOW's day
    with history.begin() as conn:
        account = conn.execute(
            text(
                "INSERT INTO account (email, role) "
                "VALUES ('chef@ville.test', 'police') RETURNING id"
            )
        ).scalar_one()
        for at in ("2024-06-14T23:59+02", "2024-06-15T00:01+02", "2025-06-01T10:00+02"):
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor, role, action, filters, row_count) "
                    "VALUES (:at, 'chef@ville.test', 'police', 'connexion', '{}', 0)"
                ),
                {"at": at},
            )
        sessions = {
            "expired": ("2025-06-15T11:00+02", None),
            "closed": ("2025-06-15T20:00+02", "2025-06-15T10:00+02"),
            "live": ("2025-06-15T20:00+02", None),
        }
        for name, (expires, revoked) in sessions.items():
            conn.execute(
                text(
                    "INSERT INTO account_session (account_id, token_hash, csrf_hash, expires_at, "
                    "revoked_at) VALUES (:a, :h, :h, :e, :r)"
                ),
                {"a": account, "h": name.ljust(64, "0"), "e": expires, "r": revoked},
            )

    dry = purge(history, Duration(36, "m"), zone="Europe/Paris", run_by="t", dry_run=True, now=NOW)
    assert (dry.traces.audit, dry.traces.sessions) == (1, 2)
    assert scalar(history, "SELECT count(*) FROM audit_log") == 3

    done = purge(history, Duration(36, "m"), zone="Europe/Paris", run_by="t", now=NOW)
    assert (done.traces.audit, done.traces.sessions) == (1, 2)
    with history.connect() as conn:
        kept = conn.execute(text("SELECT at FROM audit_log WHERE action = 'connexion'")).scalars()
        assert all(at >= audit_cutoff for at in kept)
        left = conn.execute(text("SELECT token_hash FROM account_session")).scalars().all()
        filters = conn.execute(
            text("SELECT filters FROM audit_log WHERE action = 'purge'")
        ).scalar_one()
    assert scalar(history, "SELECT count(*) FROM audit_log WHERE action = 'connexion'") == 2
    assert [h.rstrip("0") for h in left] == ["live"]
    assert (filters["audit_deleted"], filters["sessions_deleted"]) == (1, 2)
    assert datetime.fromisoformat(filters["audit_cutoff"]) == audit_cutoff
    assert "journal d'audit gardé 12 mois : 1 entrée, 2 sessions closes" in done.describe()


def test_the_api_stops_counting_purged_facts(
    client: TestClient, history: Engine, make_token: Callable[[str], str]
) -> None:
    headers = auth(make_token("analyst"))
    before = client.get("/api/v1/stats/summary", headers=headers).json()["total"]
    assert before == scalar(history, "SELECT count(*) FROM incident") == 8

    purge(history, Duration(36, "m"), zone="Europe/Paris", run_by="t", now=NOW)

    expected = scalar(history, "SELECT count(*) FROM incident")
    deadline = time.monotonic() + 10
    total = before
    while total != expected and time.monotonic() < deadline:  # the copy reloads in background
        time.sleep(0.05)
        total = client.get("/api/v1/stats/summary", headers=headers).json()["total"]
    assert total == expected == 4
    cells = client.get("/api/v1/layers/hexagons", headers=headers).json()
    assert cells["metadata"]["total"] == 4


# -- the command -------------------------------------------------------------------------------


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["purge", *args], **env)


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["--older-than", "3 semaines"], {}, "Durée illisible « 3 semaines »"),
        (["--older-than", "0m"], {}, "Durée nulle"),
        ([], {}, "OBS_RETENTION_MONTHS"),
    ],
)
def test_the_command_refuses_a_missing_or_bad_duration_in_french(
    database_url: str, db: Engine, args: list[str], env: dict[str, str], words: str
) -> None:
    result = run(args, DATABASE_URL=database_url, **env)

    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_purges_with_the_setting_and_says_so_in_one_line(
    database_url: str, db: Engine, settings: Settings, tmp_path: Path
) -> None:
    today = datetime.now(PARIS).date()
    ten_years = today - timedelta(days=3660)
    last_month = today - timedelta(days=30)
    rows = [
        (f"V-{i}", ten_years.strftime("%d/%m/%Y"), "12:00", "", "", "Tapage") for i in range(3)
    ] + [(f"N-{i}", last_month.strftime("%d/%m/%Y"), "12:00", "", "", "Tapage") for i in range(2)]
    import_incidents(db, write(tmp_path / "f.csv", rows), settings=settings)
    year = today.year - 5
    day = min(today.day, 28) if (today.month, today.day) == (2, 29) else today.day
    cutoff = datetime(year, today.month, day, tzinfo=PARIS)  # five years back, local midnight
    sql = "SELECT count(*) FROM incident WHERE coalesce(occurred_until, occurred_at) < :c"
    with db.connect() as conn:
        expected = conn.execute(text(sql), {"c": cutoff}).scalar_one()
    assert expected == 3

    dry = run(["--older-than", "5y", "--dry-run", "--json"], DATABASE_URL=database_url)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {
        "dry_run": True,
        "older_than": "5y",
        "cutoff": cutoff.isoformat(),
        "incidents_deleted": expected,
        "rejects_deleted": 0,
        "audit_retention_months": 12,
        "audit_deleted": 0,
        "sessions_deleted": 0,
    }

    done = run([], DATABASE_URL=database_url, OBS_RETENTION_MONTHS="60")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith(
        f"Purge (conservation 60 mois, faits terminés avant le {cutoff:%d/%m/%Y}) : 3 faits"
    )
    with db.connect() as conn:
        left = conn.execute(text("SELECT source_ref FROM incident ORDER BY 1")).scalars().all()
    assert left == ["N-0", "N-1"]
