"""The audit log's tables (entries, tiles, index, head, checkpoints), personal-data access and key checks."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from faircollect.adapters.db.tables.common import metadata

# The audit log (RFC 9162), stored in tiles of 256 (as Certificate Transparency's tiled logs):
# a row holds the entries, or the level-L subtree hashes, numbered tile*256 .. tile*256+255;
# only the last tile of each level is ever rewritten (to grow).
audit_entries = Table(
    "audit_entries",
    metadata,
    Column("tile", BigInteger, primary_key=True, autoincrement=False),
    # Concatenated (u32 big-endian length, bytes) entries.
    Column("data", LargeBinary, nullable=False),
)


audit_tiles = Table(
    "audit_tiles",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("tile", BigInteger, primary_key=True, autoincrement=False),
    # Concatenated 32-byte hashes of complete subtrees of 2**level leaves.
    Column("hashes", LargeBinary, nullable=False),
)


audit_index = Table(
    "audit_index",
    metadata,
    # Records (not raw entries) are indexed by subject, for evidence bundles.
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", Integer, nullable=False),
    Column("subject", String(160), nullable=False, index=True),
)


audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
)


audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("signed", Text, nullable=False),
)


pii_access = Table(
    "pii_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("borrower_id", String(64), nullable=False),
    Column("fields", String(128), nullable=False),
    Column("reason", Text, nullable=False),
)


# Which keys the database was used with: HMAC(PII master key, label) for "pii", the audit log's
# Ed25519 public key (hex) for "audit". Written on first use, compared at every start.
key_checks = Table(
    "key_checks",
    metadata,
    Column("purpose", String(16), primary_key=True),
    Column("check_value", String(128), nullable=False),
)
