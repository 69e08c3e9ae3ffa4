"""The data model (DESIGN.md): SQLAlchemy 2 tables with GeoAlchemy2 geometries in SRID 4326."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    REAL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "police", "analyst", "partner")
BATCH_STATUSES = ("running", "succeeded", "failed")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONB}


class Commune(Base):
    __tablename__ = "commune"

    code: Mapped[str] = mapped_column(String(5), primary_key=True, comment="Code INSEE")
    name: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(3))
    population: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)

    __table_args__ = (Index("ix_commune_geom", "geom", postgresql_using="gist"),)


class Qpv(Base):
    __tablename__ = "qpv"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(SmallInteger)
    commune_codes: Mapped[list[str]] = mapped_column(ARRAY(String(5)), default=list)
    department: Mapped[str | None] = mapped_column(String(3))
    population: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)

    __table_args__ = (
        CheckConstraint("generation IN (2015, 2024)", name="generation"),
        Index("ix_qpv_geom", "geom", postgresql_using="gist"),
        Index("ix_qpv_generation", "generation"),
    )


class Category(Base):
    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(Text, comment="Libellé affiché (français)")
    family: Mapped[str] = mapped_column(String(40), comment="Famille d'indicateurs")
    etat4001_index: Mapped[int | None] = mapped_column(SmallInteger)
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)


class ImportBatch(Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    run_by: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The communes the batch concerns (its facts', or the scope of who ran it): who sees it.
    communes: Mapped[list[str] | None] = mapped_column(ARRAY(String(5)))

    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')",
            name="status",
        ),
        Index("ix_import_batch_kind_sha256", "kind", "sha256"),
    )


class ImportReject(Base):
    __tablename__ = "import_reject"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer, comment="Ligne du fichier (1 = en-tête)")
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text)
    rerun_batch_id: Mapped[int | None] = mapped_column(
        BigInteger, comment="Lot qui a relancé ce rejet (regéocodage)"
    )

    __table_args__ = (Index("ix_import_reject_batch_row", "batch_id", "row_number"),)


class SavedMapping(Base):
    """A mapping saved by name (the import page's assistant, `--mapping NAME`): the document a
    TOML mapping file holds (ingest/incidents/mapping.py), as JSON."""

    __tablename__ = "mappings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True, comment="Nom de la correspondance")
    document: Mapped[dict[str, Any]] = mapped_column(comment="Contenu du fichier TOML, en JSON")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(Text, comment="Jeton (ou cli:utilisateur)")
    # The scope of who saved it (NULL: every commune): who may read and change it.
    communes: Mapped[list[str] | None] = mapped_column(
        ARRAY(String(5)), comment="Périmètre de son auteur (vide : toutes les communes)"
    )


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    source_ref: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    occurred_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # No foreign keys on category_code and batch_id: their per-row triggers doubled the cost
    # of a bulk load (benchmarks/RESULTS.md). The importer, the only writer, resolves every
    # category against the `category` table inside the batch's transaction.
    category_code: Mapped[str] = mapped_column(String(40))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    h3: Mapped[int] = mapped_column(BigInteger, comment="Cellule H3 à la résolution de stockage")
    local_hour_of_week: Mapped[int] = mapped_column(
        SmallInteger, comment="0 = lundi 0h … 167 = dimanche 23h, heure locale du début"
    )
    local_month: Mapped[date] = mapped_column(Date, comment="Premier jour du mois local")
    address: Mapped[str | None] = mapped_column(Text)
    qpv_2015: Mapped[str | None] = mapped_column(String(16))
    qpv_2024: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    batch_id: Mapped[int | None] = mapped_column(BigInteger, comment="Lot d'import d'origine")
    # Set for the rows placed by the geocoder (ingest/incidents/geocoding.py), NULL otherwise.
    geocode_score: Mapped[float | None] = mapped_column(REAL, comment="Score du géocodeur (0 à 1)")
    geocode_label: Mapped[str | None] = mapped_column(Text, comment="Adresse trouvée")
    geocode_type: Mapped[str | None] = mapped_column(
        String(12), comment="housenumber, street ou locality ; vide : coordonnées du fichier"
    )

    __table_args__ = (
        UniqueConstraint("source", "source_ref", name="uq_incident_source_ref"),
        CheckConstraint(
            "geocode_type IN ('housenumber', 'street', 'locality')", name="geocode_type"
        ),
        CheckConstraint(
            "occurred_until IS NULL OR occurred_until >= occurred_at", name="interval_order"
        ),
        CheckConstraint("local_hour_of_week BETWEEN 0 AND 167", name="hour_of_week"),
        # Aggregations run on a columnar copy in the API process, not on these indexes: the
        # table keeps what lookups by reference, period and place need, and stays cheap to
        # load (benchmarks/RESULTS.md). Rows arrive roughly in time order: BRIN suits them.
        Index("ix_incident_occurred_at", "occurred_at", postgresql_using="brin"),
        Index("ix_incident_geom", "geom", postgresql_using="gist"),
        # The API's columnar copy loads a new batch's rows by batch (observatory/changes.py).
        Index("ix_incident_batch_id", "batch_id", postgresql_using="brin"),
    )


class Etat4001(Base):
    __tablename__ = "etat4001"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), comment="YYYY ou YYYY-MM")
    perimeter: Mapped[str] = mapped_column(String(2), comment="PN (police) ou GN (gendarmerie)")
    department: Mapped[str] = mapped_column(String(3))
    service: Mapped[str] = mapped_column(Text, comment="Service, ou '' pour le total")
    index: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    direction: Mapped[str | None] = mapped_column(
        Text, comment="Direction du service (ligne « Périmètres » PN : DCSP, DSPAP, DCPAF…)"
    )

    __table_args__ = (
        UniqueConstraint(
            "period", "perimeter", "department", "service", "index", name="uq_etat4001_figure"
        ),
        CheckConstraint("perimeter IN ('PN', 'GN')", name="perimeter"),
        CheckConstraint("index BETWEEN 1 AND 107", name="index_range"),
        Index("ix_etat4001_department_service", "department", "service"),
    )


class Etat4001Index(Base):
    """The état 4001 nomenclature (observatory/etat4001/nomenclature.csv, seeded)."""

    __tablename__ = "etat4001_index"

    index: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    published_label: Mapped[str] = mapped_column(Text, comment="Libellé tel que publié")
    label: Mapped[str] = mapped_column(Text, comment="Libellé corrigé, pour l'affichage")
    unit: Mapped[str] = mapped_column(String(20), comment="Unité de compte")
    indicator: Mapped[str | None] = mapped_column(String(40), comment="Indicateur SSMSI")
    family: Mapped[str] = mapped_column(String(40), comment="Famille d'index")
    unused: Mapped[bool] = mapped_column(Boolean, default=False, comment="Index non utilisé")

    __table_args__ = (CheckConstraint("index BETWEEN 1 AND 107", name="index_range"),)


class Etat4001Revision(Base):
    """A figure that an import changed: its old and new count."""

    __tablename__ = "etat4001_revision"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    perimeter: Mapped[str] = mapped_column(String(2))
    department: Mapped[str] = mapped_column(String(3))
    service: Mapped[str] = mapped_column(Text)
    index: Mapped[int] = mapped_column(SmallInteger)
    old_count: Mapped[int] = mapped_column(Integer)
    new_count: Mapped[int] = mapped_column(Integer)
    old_batch_id: Mapped[int | None] = mapped_column(BigInteger, comment="Lot du chiffre remplacé")

    __table_args__ = (Index("ix_etat4001_revision_batch", "batch_id"),)


class ServiceCommune(Base):
    """Which communes a police service or gendarmerie unit covers (edited by the town)."""

    __tablename__ = "service_commune"

    perimeter: Mapped[str] = mapped_column(String(2), primary_key=True)
    department: Mapped[str] = mapped_column(String(3), primary_key=True)
    service: Mapped[str] = mapped_column(Text, primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True, comment="Code INSEE")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("perimeter IN ('PN', 'GN')", name="perimeter"),
        Index("ix_service_commune_commune", "commune_code"),
    )


class DataVersion(Base):
    """One row: the version of the incident data, raised by every committed change."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class VersionCounter(Base):
    """Counters raised by triggers: ``reference`` (categories, communes, QPV), ``tokens``."""

    __tablename__ = "version_counter"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class PartnerRelease(Base):
    """One published month of the partner release (observatory/privacy/): drawn once, frozen."""

    __tablename__ = "partner_release"

    month: Mapped[date] = mapped_column(Date, primary_key=True, comment="Premier jour du mois")
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    data_version: Mapped[int] = mapped_column(BigInteger)
    epsilon: Mapped[float] = mapped_column(Float, comment="Perte de confidentialité par fait")
    facts: Mapped[int] = mapped_column(Integer, comment="Total publié (bruité)")
    body: Mapped[bytes] = mapped_column(LargeBinary, comment="Pseudo-faits groupés (npz)")


class DataChange(Base):
    """What each version changed: a batch of new incidents, or anything else (reload all)."""

    __tablename__ = "data_change"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), comment="insert (un lot) ou change (tout)")
    batch_id: Mapped[int | None] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Action(Base):
    """A STSPD « fiche action » to evaluate: where, since when, against which categories."""

    __tablename__ = "action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text, comment="Référence de la fiche action")
    kind: Mapped[str] = mapped_column(String(30), comment="Nature de l'action")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, comment="Vide : action en cours")
    place_kind: Mapped[str] = mapped_column(String(10), comment="point, line ou polygon")
    # The place as given (a point, a line, a polygon) and the width that made it an area.
    place = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False)
    place_buffer_m: Mapped[float | None] = mapped_column(
        Float, comment="Rayon (point) ou demi-largeur (ligne), en mètres"
    )
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    control_geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    note: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(
        String(5), comment="Commune qui contient l'essentiel du lieu"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period_order"),
        CheckConstraint("place_kind IN ('point', 'line', 'polygon')", name="place_kind"),
        CheckConstraint("place_buffer_m IS NULL OR place_buffer_m > 0", name="buffer_positive"),
        Index("ix_action_commune_code", "commune_code"),
    )


class Account(Base):
    """A named person who signs in: an e-mail, a role, a scope of communes, a second factor."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(Text, unique=True, comment="Adresse e-mail, en minuscules")
    role: Mapped[str] = mapped_column(String(10))
    # The scope: these communes and those of these groups; NULL communes: every commune.
    communes: Mapped[list[str] | None] = mapped_column(
        ARRAY(String(5)), comment="Codes INSEE du périmètre (vide : toutes les communes)"
    )
    groups: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default="{}", comment="Groupes de communes du périmètre"
    )
    password_hash: Mapped[str | None] = mapped_column(Text, comment="Argon2id")
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(Text, comment="Secret TOTP (chiffré)")
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(
        BigInteger, comment="Dernier pas TOTP accepté (un code ne sert qu'une fois)"
    )
    totp_failures: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", comment="Codes refusés à la suite"
    )
    totp_locked_until: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="Codes refusés jusqu'à (trop d'essais)"
    )
    recovery_codes: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default="{}", comment="Empreintes des codes de secours"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(Text)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'police', 'analyst', 'partner')", name="role"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )


class AccountSession(Base):
    """A signed-in browser: the cookie's keyed hash, its CSRF token's, until when."""

    __tablename__ = "account_session"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    # False until the second factor is given (or enrolled, for a role that must have one).
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_account_session_account_id", "account_id"),)


class CommuneGroup(Base):
    """Communes named together (an EPCI, a CISPD): a scope given in one word."""

    __tablename__ = "commune_group"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    label: Mapped[str | None] = mapped_column(Text, comment="Nom en clair")
    communes: Mapped[list[str]] = mapped_column(ARRAY(String(5)), comment="Codes INSEE")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12), comment="Début du jeton, pour le reconnaître")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The account that made it (NULL: made on the command line); never wider than that account.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    communes: Mapped[list[str] | None] = mapped_column(
        ARRAY(String(5)), comment="Codes INSEE du périmètre (vide : toutes les communes)"
    )
    groups: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default="{}", comment="Groupes de communes du périmètre"
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'police', 'analyst', 'partner')", name="role"),
    )


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(Text, comment="Nom du jeton ou de l'utilisateur")
    role: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # The actor's scope when it acted (NULL: every commune): whose audit a scoped reader sees.
    communes: Mapped[list[str] | None] = mapped_column(ARRAY(String(5)))
    address: Mapped[str | None] = mapped_column(Text, comment="Adresse du client")

    __table_args__ = (Index("ix_audit_log_at", "at"),)


class Street(Base):
    """A street of the BAN reference drawn through its address points (observatory/places/)."""

    __tablename__ = "street"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), comment="Code INSEE")
    name: Mapped[str] = mapped_column(Text, comment="Nom de la voie (BAN)")
    points: Mapped[int] = mapped_column(Integer, comment="Points d'adresse de la voie")
    geom = mapped_column(
        Geometry("MULTILINESTRING", srid=4326, spatial_index=False), nullable=False
    )

    __table_args__ = (
        Index("ix_street_geom", "geom", postgresql_using="gist"),
        Index("ix_street_commune_code", "commune_code"),
    )
