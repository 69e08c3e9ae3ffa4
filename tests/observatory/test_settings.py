from pathlib import Path

import pytest
from pydantic import ValidationError

from observatory.settings import DEV_SECRET, Settings, normalise_url


def test_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "OBS_DATABASE_URL", "OBS_TIMEZONE", "OBS_SECRECY_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.timezone == "Europe/Paris"
    assert settings.secrecy_threshold == 5
    assert settings.uses_local_cluster
    assert settings.sqlalchemy_url.startswith("postgresql+psycopg://observatory@127.0.0.1:")


def test_environment_prefix_and_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBS_SECRECY_THRESHOLD", "11")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5433/obs")
    settings = Settings(_env_file=None)
    assert settings.secrecy_threshold == 11
    assert not settings.uses_local_cluster
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db.example:5433/obs"


def test_dotenv_file_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBS_TIMEZONE", raising=False)
    (tmp_path / ".env").write_text("OBS_TIMEZONE=America/Cayenne\nOBS_H3_RESOLUTION=11\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.timezone == "America/Cayenne"
    assert settings.h3_resolution == 11


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="fuseau horaire inconnu"):
        Settings(_env_file=None, timezone="Europe/Atlantis")


@pytest.mark.parametrize("secret", [DEV_SECRET, "short"], ids=["development", "short"])
def test_production_refuses_the_development_secret_and_a_short_one(secret: str) -> None:
    with pytest.raises(ValidationError, match="OBS_SECRET_KEY"):
        Settings(
            _env_file=None,
            environment="production",
            database_url="postgresql://x/y",
            secret_key=secret,
        )


def test_production_refuses_a_missing_database() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        Settings(_env_file=None, environment="production", database_url=None, secret_key=RANDOM)


RANDOM = "rQ9CeQ6QkhHJ4vQCIkwC-Vb2x_Jt0aLpYm3sD8nWfKo"  # secrets.token_urlsafe(32)'s shape


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("a" * 32, "répétition"),
        ("ab" * 20, "répétition"),
        ("password1234567890password1234567", "trop prévisible"),
        ("qwertyuiopasdfghjklzxcvbnm123456", "trop prévisible"),
        ("0123456789abcdef0123456789abcdef", "trop prévisible"),
    ],
)
def test_production_refuses_a_predictable_secret_and_says_why(key: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=f"OBS_SECRET_KEY refusée en production : .*{reason}"):
        Settings(
            _env_file=None,
            environment="production",
            database_url="postgresql://x/y",
            secret_key=key,
        )


@pytest.mark.parametrize("key", [RANDOM, "95990affc8a215e2208b03337c1d4e6f"])
def test_production_accepts_a_random_secret(key: str) -> None:
    settings = Settings(
        _env_file=None, environment="production", database_url="postgresql://x/y", secret_key=key
    )
    assert settings.environment == "production"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://a@b/c", "postgresql+psycopg://a@b/c"),
        ("postgres://a@b/c", "postgresql+psycopg://a@b/c"),
        ("postgresql+psycopg://a@b/c", "postgresql+psycopg://a@b/c"),
    ],
)
def test_urls_use_psycopg3(given: str, expected: str) -> None:
    assert normalise_url(given) == expected
