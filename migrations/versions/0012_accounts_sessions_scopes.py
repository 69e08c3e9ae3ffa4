"""accounts, sessions, groups of communes, and a scope on every account, token and audit row

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 02:30:00

People sign in with named accounts (a password hashed with Argon2id, a TOTP second factor);
scripts keep bearer tokens, now made by an account and never wider than it. Every account and
token has a scope: a set of communes (NULL: all) and named groups of communes. Changes of who
may call raise the ``tokens`` counter (observatory/changes.py), so that every API process sees
a disabled account or a narrowed scope at its next request: the counter's triggers are declared
here for the new tables, and the token's again with its new columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODES = sa.ARRAY(sa.String(length=5))
SCOPE_COMMENT = "Codes INSEE du périmètre (vide : toutes les communes)"
GROUPS_COMMENT = "Groupes de communes du périmètre"

# Table -> the statements that change who may call (the ``tokens`` counter). A session's or an
# account's last activity is not such a change.
COUNTED = {
    "api_token": "INSERT OR UPDATE OF name, role, token_hash, revoked_at, communes, groups, "
    "expires_at, account_id OR DELETE OR TRUNCATE",
    "account": "INSERT OR UPDATE OF email, role, communes, groups, disabled_at OR DELETE "
    "OR TRUNCATE",
    "commune_group": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
}


def _timestamp(name: str, **kwargs: object) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kwargs)  # type: ignore[arg-type]


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False, comment="Adresse e-mail, en minuscules"),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("communes", CODES, nullable=True, comment=SCOPE_COMMENT),
        sa.Column(
            "groups",
            sa.ARRAY(sa.Text()),
            server_default="{}",
            nullable=False,
            comment=GROUPS_COMMENT,
        ),
        sa.Column("password_hash", sa.Text(), nullable=True, comment="Argon2id"),
        sa.Column("must_change_password", sa.Boolean(), server_default="false", nullable=False),
        _timestamp("password_changed_at", nullable=True),
        sa.Column("totp_secret", sa.Text(), nullable=True, comment="Secret TOTP (chiffré)"),
        _timestamp("totp_enabled_at", nullable=True),
        sa.Column(
            "totp_last_step",
            sa.BigInteger(),
            nullable=True,
            comment="Dernier pas TOTP accepté (un code ne sert qu'une fois)",
        ),
        sa.Column(
            "recovery_codes",
            sa.ARRAY(sa.Text()),
            server_default="{}",
            nullable=False,
            comment="Empreintes des codes de secours",
        ),
        _timestamp("created_at", server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        _timestamp("last_sign_in_at", nullable=True),
        _timestamp("disabled_at", nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'police', 'analyst', 'partner')", name=op.f("ck_account_role")
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_account_email_lower")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
    )
    op.create_table(
        "account_session",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_hash", sa.String(length=64), nullable=False),
        sa.Column("second_factor", sa.Boolean(), server_default="false", nullable=False),
        _timestamp("created_at", server_default=sa.text("now()"), nullable=False),
        _timestamp("last_seen_at", nullable=True),
        _timestamp("expires_at", nullable=False),
        _timestamp("revoked_at", nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_session_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_session_token_hash")),
    )
    op.create_index("ix_account_session_account_id", "account_session", ["account_id"])
    op.create_table(
        "commune_group",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True, comment="Nom en clair"),
        sa.Column("communes", CODES, nullable=False, comment="Codes INSEE"),
        _timestamp("created_at", server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_commune_group")),
    )
    op.add_column("api_token", sa.Column("account_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_api_token_account_id_account"),
        "api_token",
        "account",
        ["account_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.add_column("api_token", sa.Column("communes", CODES, nullable=True, comment=SCOPE_COMMENT))
    op.add_column(
        "api_token",
        sa.Column(
            "groups",
            sa.ARRAY(sa.Text()),
            server_default="{}",
            nullable=False,
            comment=GROUPS_COMMENT,
        ),
    )
    op.add_column("api_token", _timestamp("expires_at", nullable=True))
    op.add_column("audit_log", sa.Column("account_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_audit_log_account_id_account"),
        "audit_log",
        "account",
        ["account_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("audit_log", sa.Column("communes", CODES, nullable=True))
    op.add_column(
        "audit_log", sa.Column("address", sa.Text(), nullable=True, comment="Adresse du client")
    )
    op.add_column("import_batch", sa.Column("communes", CODES, nullable=True))
    op.execute("DROP TRIGGER IF EXISTS api_token_counted ON api_token")
    for table, events in COUNTED.items():
        op.execute(
            f"CREATE TRIGGER {table}_counted AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION observatory_count_change('tokens')"
        )


def downgrade() -> None:
    for table in COUNTED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_counted ON {table}")
    op.execute(
        "CREATE TRIGGER api_token_counted AFTER INSERT OR UPDATE OF name, role, token_hash, "
        "revoked_at OR DELETE OR TRUNCATE ON api_token "
        "FOR EACH STATEMENT EXECUTE FUNCTION observatory_count_change('tokens')"
    )
    op.drop_column("import_batch", "communes")
    op.drop_column("audit_log", "address")
    op.drop_column("audit_log", "communes")
    op.drop_constraint(op.f("fk_audit_log_account_id_account"), "audit_log", type_="foreignkey")
    op.drop_column("audit_log", "account_id")
    op.drop_column("api_token", "expires_at")
    op.drop_column("api_token", "groups")
    op.drop_column("api_token", "communes")
    op.drop_constraint(op.f("fk_api_token_account_id_account"), "api_token", type_="foreignkey")
    op.drop_column("api_token", "account_id")
    op.drop_table("commune_group")
    op.drop_index("ix_account_session_account_id", table_name="account_session")
    op.drop_table("account_session")
    op.drop_table("account")
