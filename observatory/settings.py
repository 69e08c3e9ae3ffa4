"""Settings, read from the environment (prefix ``OBS_``) and from a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEV_SECRET = "dev-secret-change-me"  # noqa: S105 - refused outside development, see below


class Settings(BaseSettings):
    """Everything the observatory can be told from the outside."""

    model_config = SettingsConfigDict(
        env_prefix="OBS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "OBS_DATABASE_URL"),
        description="SQLAlchemy URL of an existing PostGIS; unset: the project-local cluster.",
    )
    secret_key: str = Field(default=DEV_SECRET, description="Pepper for token hashes.")

    # The project-local cluster, used when database_url is unset.
    pg_data_dir: Path = PROJECT_ROOT / "var" / "pg"
    pg_port: int = 54329
    pg_database: str = "observatory"
    pg_user: str = "observatory"
    pg_os_user: str = Field(
        default="postgres",
        description="Unprivileged system user that runs the local cluster when started as root.",
    )
    pg_bin_dir: Path | None = None

    # The project-local Redis that holds the geocoder's reference (addok), like the cluster.
    redis_dir: Path = PROJECT_ROOT / "var" / "redis"
    redis_port: int = Field(default=56379, ge=1, le=65535)
    redis_db: int = Field(
        default=0,
        ge=0,
        le=14,
        description="Redis database of addok's index; its documents are in the next one.",
    )
    # Measured (benchmarks/RESULTS.md, « Geocoding quality », python -m benchmarks geocoding:
    # 60,001 generated BAN addresses, 10,000 typed ones, the commune filter of the importer):
    # right streets score 0.753 or more, invented streets 0.515 at most; 0.6 sits in that gap
    # (every threshold from 0.55 to 0.75 gives the same figures there) and leaves a margin on
    # both sides for real files. It holds with observatory/geocoder/scoring.py's street-words
    # score: with addok's own scoring, 0.6 kept 9-12 % of the invented streets.
    geocode_min_score: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="Geocoder score from which an address without coordinates is placed.",
    )

    timezone: str = "Europe/Paris"
    territory_bbox: tuple[float, float, float, float] | None = Field(
        default=None,
        description="Territory (WGS84 [w, s, e, n]): points outside it are rejected.",
    )
    h3_resolution: int = Field(default=12, ge=6, le=15)
    secrecy_threshold: int = Field(default=5, ge=1)
    time_slots: dict[str, str] = Field(
        default={"matin": "6-12", "après-midi": "12-18", "soirée": "18-22", "nuit": "22-6"},
        description="Named time slots (local hours, as the `hours` filter writes them); "
        "the slot named « nuit » gives the night share.",
    )
    tile_url: str = Field(
        default="",
        description="Base-map tile URL template ({z}/{x}/{y}); empty: no base map, layers only.",
    )
    tile_attribution: str = ""
    basemap_file: Path | None = Field(
        default=None,
        description="A town's own raster base map, an MBTiles or PMTiles file served by the API "
        "under /api/v1/basemap/ and shown by the page as its base layer; None: none.",
    )
    basemap_attribution: str = ""
    max_upload_mb: int = Field(default=200, ge=1, description="Largest file accepted by upload.")
    warm_start: bool = Field(
        default=True, description="Load the in-memory copy of the incidents when the API starts."
    )
    cors_origins: list[str] = Field(
        default=[], description="Origins allowed to call the API from a browser; empty: none."
    )
    auth_failures_per_minute: int = Field(
        default=10, ge=1, description="Failed sign-ins from one address before a pause."
    )
    password_checks: int = Field(
        default=4,
        ge=1,
        description="Password hashes or checks (Argon2id, 64 MiB each) run at once per process; "
        "one more waits two seconds, then is answered 503.",
    )
    session_hours: float = Field(
        default=8,
        gt=0,
        description="Hours a browser stays signed in without a request (sliding).",
    )
    session_max_hours: float = Field(
        default=24, gt=0, description="Hours a browser stays signed in at most, however used."
    )
    cookie_secure: Literal["auto", "true", "false"] = Field(
        default="auto",
        description="Secure flag of the session cookie; auto: except in development and test.",
    )
    retention_months: int | None = Field(
        default=None,
        ge=1,
        description="Months of incidents kept: `observatory purge` deletes older ones; "
        "unset: keep everything.",
    )
    audit_retention_months: int = Field(
        default=12,
        ge=1,
        le=120,
        description="Months the audit log is kept (CNIL: six months to a year): "
        "`observatory purge` deletes older entries, and the expired sessions.",
    )
    answer_cache_mb: int = Field(
        default=64,
        ge=0,
        description="Memory for answers already computed (maps and statistics), per API "
        "process; 0: no cache.",
    )
    heavy_analyses: int = Field(
        default=1,
        ge=1,
        description="Costly analyses (permutations, emerging hot spots, near repeats, packs) "
        "computed at once per API process; the others wait in a fair queue (one turn per token).",
    )
    heavy_queue_per_token: int = Field(
        default=2,
        ge=1,
        description="Costly analyses one token may have waiting at once; more get 503.",
    )
    heavy_queue_size: int = Field(
        default=8,
        ge=1,
        description="Costly analyses waiting at once in an API process, all tokens together "
        "(each holds a database connection while it waits: keep it under the pool's 15).",
    )
    heavy_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait in the queue of costly analyses before a 503 with Retry-After.",
    )
    near_repeat_max_facts: int = Field(
        default=50_000,
        ge=2,
        description="Facts a near-repeat test may take; more: narrow the period or the place.",
    )
    near_repeat_max_pairs: int = Field(
        default=5_000_000,
        ge=1,
        description="Pairs of facts within the largest distance band a near-repeat test may "
        "count; more: narrow the bands, the period or the place.",
    )
    # Limits of what an import reads (API and CLI): each refusal says which one and how to
    # get under it; nothing of the file is kept.
    max_json_kb: int = Field(
        default=1024, ge=1, description="Largest JSON body of a request (actions, tokens…)."
    )
    max_columns: int = Field(default=500, ge=1, description="Most columns an imported file has.")
    max_cell_chars: int = Field(
        default=32_767,
        ge=100,
        description="Longest cell of an imported file, in characters (Excel's own limit).",
    )
    max_rows: int = Field(
        default=2_000_000, ge=1, description="Most rows one import reads (one batch)."
    )
    max_unzipped_mb: int = Field(
        default=1024,
        ge=1,
        description="Largest uncompressed size of a zipped upload (XLSX, zipped Shapefile).",
    )
    max_zip_ratio: int = Field(
        default=100,
        ge=2,
        description="Largest compression ratio of a large member of a zipped upload (a zip "
        "bomb's is in the thousands).",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For "
        "is believed; empty: the connection's address is the client's.",
    )
    privacy_epsilon: float = Field(
        default=2.0,
        gt=0,
        le=10,
        description="Privacy loss per fact of the partner release (ε, pure differential "
        "privacy), shared by its four tabulations.",
    )
    release_delay_days: int = Field(
        default=5,
        ge=0,
        description="Days after a month ends before it is published to partners (late imports).",
    )
    analyst_max_resolution: int = Field(
        default=10, ge=6, le=11, description="Finest H3 resolution an analyst may ask for."
    )
    narrow_days: int = Field(
        default=7,
        ge=1,
        description="A period shorter than this is narrow: coarser cells for analysts, audited.",
    )
    sensitive_categories: list[str] = Field(
        default=["violences_intrafamiliales", "violences_sexuelles"],
        description="Categories an analyst sees only per commune or QPV, never on the map.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"fuseau horaire inconnu : {value!r}") from exc
        return value

    @field_validator("time_slots")
    @classmethod
    def _valid_slots(cls, value: dict[str, str]) -> dict[str, str]:
        from observatory.analytics.filters import parse_hours

        for name, hours in value.items():
            try:
                parse_hours(hours)
            except Exception as exc:
                raise ValueError(f"créneau « {name} » : {exc}") from exc
        return value

    @model_validator(mode="after")
    def _safe_outside_development(self) -> Settings:
        if self.environment == "production":
            if problem := weak_secret(self.secret_key):
                raise ValueError(
                    f"OBS_SECRET_KEY refusée en production : {problem}. Tirez-en une au hasard, "
                    "par exemple : python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
            if self.database_url is None:
                raise ValueError("DATABASE_URL doit être défini en production")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sqlalchemy_url(self) -> str:
        """The database to use: DATABASE_URL, else the project-local cluster."""
        if self.database_url:
            return normalise_url(self.database_url)
        return f"postgresql+psycopg://{self.pg_user}@127.0.0.1:{self.pg_port}/{self.pg_database}"

    @property
    def secure_cookie(self) -> bool:
        """Whether the session cookie is sent over HTTPS only."""
        if self.cookie_secure == "auto":
            return self.environment not in ("development", "test")
        return self.cookie_secure == "true"

    @property
    def uses_local_cluster(self) -> bool:
        return not self.database_url


# zxcvbn's estimate of the guesses a key needs: 10^30 is about 100 bits. It sees repeats,
# sequences, keyboard walks and dictionary words, which a count of characters does not.
SECRET_MIN_GUESSES_LOG10 = 30


def weak_secret(key: str) -> str | None:
    """Why this secret key is too weak for production, or None."""
    from zxcvbn import zxcvbn

    if key == DEV_SECRET:
        return "c'est la clé de développement"
    if len(key) < 32:
        return f"{len(key)} caractères, 32 au moins"
    if len(set(key)) < 8:
        return "trop peu de caractères différents (une répétition)"
    estimate = zxcvbn(key[:100])  # zxcvbn's cost grows with the length; 100 say enough
    if estimate["guesses_log10"] < SECRET_MIN_GUESSES_LOG10:
        return (
            "trop prévisible (répétitions, suites, mots du dictionnaire ou rangées du clavier : "
            f"environ 10^{estimate['guesses_log10']:.0f} essais suffiraient)"
        )
    return None


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
