"""Corrupted files never break the accounting and never escape as anything but a clear refusal."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from ingest.incidents import import_incidents
from observatory.errors import InvalidInput
from observatory.settings import PROJECT_ROOT, Settings
from tests.conftest import _truncate_all

MESSY = (PROJECT_ROOT / "data" / "samples" / "municipal_messy.csv").read_bytes()
LINES = MESSY.split(b"\r\n")
GARBAGE = st.binary(min_size=1, max_size=12).map(
    lambda b: b.replace(b"\n", b"").replace(b"\r", b"")
)


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(1, len(lines) - 2))  # keep the header most of the time
        line = lines[index]
        kind = draw(st.sampled_from(["truncate", "garbage", "swap", "drop_sep", "dup", "empty"]))
        if kind == "truncate":
            lines[index] = line[: draw(st.integers(0, max(len(line) - 1, 0)))]
        elif kind == "garbage":
            at = draw(st.integers(0, len(line)))
            lines[index] = line[:at] + draw(GARBAGE) + line[at:]
        elif kind == "swap":
            fields = line.split(b";")
            i, j = draw(st.integers(0, len(fields) - 1)), draw(st.integers(0, len(fields) - 1))
            fields[i], fields[j] = fields[j], fields[i]
            lines[index] = b";".join(fields)
        elif kind == "drop_sep":
            lines[index] = line.replace(b";", b"", 1)
        elif kind == "dup":
            lines.insert(index, line)
        else:
            lines[index] = b""
    if draw(st.booleans()):
        lines[0] = lines[0].replace(b";", b",", draw(st.integers(0, 3)))
    return b"\r\n".join(lines)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=corrupted())
def test_accounting_survives_corruption(
    content: bytes, db: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "corrompu.csv"
    path.write_bytes(content)
    try:
        summary = import_incidents(db, path, settings=settings)
    except InvalidInput as refusal:
        assert str(refusal)
        with db.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM import_batch ORDER BY id DESC LIMIT 1")
            ).scalar_one()
            assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == 0
        assert status == "failed"
    else:
        assert summary.rows_read == (
            summary.rows_imported + summary.rows_duplicate + summary.rows_rejected
        )
        with db.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
            rejects = conn.execute(text("SELECT count(*) FROM import_reject")).scalar_one()
        assert stored == summary.rows_imported
        assert rejects == summary.rows_rejected
    finally:
        _truncate_all(db)
