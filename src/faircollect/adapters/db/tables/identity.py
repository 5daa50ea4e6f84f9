"""Identity's tables: users, roles, sessions, API tokens, rate counters and borrowers' sign-in codes."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from faircollect.adapters.db.tables.common import metadata

# Identity (services/identity): staff users and their roles, server-side sessions, API tokens,
# the shared rate counters and borrowers' one-time codes. Secrets are stored only as keyed hashes
# (sessions, tokens, codes), an Argon2id hash (passwords) or sealed (TOTP secrets).
users = Table(
    "users",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("must_change_password", Boolean, nullable=False, default=True),
    Column("totp_enc", LargeBinary, nullable=False),  # sealed with the PII cipher
    Column("totp_last_step", BigInteger),  # the last time step accepted (anti-replay)
    Column("agency_id", String(64)),
    Column("locked", Boolean, nullable=False, default=False),
    Column("failures", Integer, nullable=False, default=0),  # consecutive failed logins
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
)


user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", String(32), ForeignKey("users.user_id"), primary_key=True),
    Column("role", String(32), primary_key=True),
)


sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id")),  # staff
    Column("borrower_id", String(64)),  # or a borrower
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("idle_expires_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_sessions_user", "user_id"),
)


api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("scopes", Text, nullable=False),  # JSON list of permission names
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Column("uses", BigInteger, nullable=False, default=0),
)


# Fixed-window counters (login per account and address, codes per phone and address), in the
# database so every server worker counts into the same ones.
rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", String(96), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)


borrower_codes = Table(
    "borrower_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone_index", String(32), nullable=False),
    Column("borrower_id", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("tries", Integer, nullable=False, default=0),
    Column("used_at", DateTime(timezone=True)),  # or superseded by a newer code
    Index("ix_borrower_codes_phone", "phone_index", "id"),
)
