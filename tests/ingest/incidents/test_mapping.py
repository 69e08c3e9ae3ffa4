"""What ``--mapping NAME`` names: a TOML file by its path, else a shipped profile by its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.incidents.mapping import named_mapping
from observatory.errors import InvalidInput


def test_a_profile_by_its_name() -> None:
    mapping = named_mapping("police-uk")
    assert (mapping.source, mapping.timezone, mapping.columns["month"]) == (
        "police-uk",
        "Europe/London",
        "Month",
    )


def test_a_file_by_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ville.toml").write_text(
        'source = "main-courante"\n[columns]\ncategory = "Nature de l\'intervention"\n'
    )
    (tmp_path / "police-uk").write_text('source = "un fichier, pas le profil"\n')
    assert named_mapping(str(tmp_path / "ville.toml")).columns == {
        "category": "Nature de l'intervention"
    }
    monkeypatch.chdir(tmp_path)
    assert named_mapping("ville.toml").source == "main-courante"
    assert named_mapping(Path("police-uk")).source == "un fichier, pas le profil"


def test_what_names_nothing_is_refused_in_french(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"Profil inconnu : « ville » .*municipal"):
        named_mapping("ville")
    with pytest.raises(InvalidInput, match="Fichier de correspondance illisible"):
        named_mapping(str(tmp_path / "absent.toml"))
