"""Table definitions (SQLAlchemy Core). Money is BIGINT minor units; rates are exact text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)

EPOCH = date(1970, 1, 1)


class DayNumber(TypeDecorator[date]):
    """A date stored as days since 1970-01-01 (INTEGER) in the high-volume ledger tables.

    Set-based jobs read and compare it as a plain integer on every database; SQLAlchemy code
    still sees `datetime.date`.
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, date):
            return (value - EPOCH).days
        return int(value)

    def process_result_value(self, value: Any, dialect: Any) -> date | None:
        return None if value is None else EPOCH + timedelta(days=int(value))


def aware(value: datetime) -> datetime:
    """SQLite returns naive UTC datetimes for timezone=True columns; PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


metadata = MetaData()

borrowers = Table(
    "borrowers",
    metadata,
    Column("borrower_id", String(64), primary_key=True),
    Column("name_enc", LargeBinary, nullable=False),
    Column("phone_enc", LargeBinary, nullable=False),
    Column("phone_index", String(32), nullable=False, index=True),
    Column("id_number_enc", LargeBinary),
    Column("id_number_index", String(32), index=True),
    Column("timezone", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("record_hash", String(64), nullable=False),
)

loans = Table(
    "loans",
    metadata,
    Column("loan_id", String(64), primary_key=True),
    # Dense integer key used by instalments, payments and the set-based batch.
    Column("loan_key", Integer, nullable=False, unique=True),
    Column("borrower_id", String(64), ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("lender_type", String(16), nullable=False),
    Column("contract_date", Date, nullable=False),
    Column("disbursed_on", Date, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("upfront_fee", BigInteger, nullable=False),
    Column("annual_rate", String(16), nullable=False),
    Column("term", Integer, nullable=False),
    Column("repayment_method", String(24), nullable=False),
    Column("first_due_on", Date, nullable=False),
    Column("penalty_rate_daily", String(16), nullable=False),
    Column("penalty_rate_scaled", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("allocation_order", String(64), nullable=False),
    Column("schedule_source", String(16), nullable=False),
    Column("annual_cost", String(16), nullable=False),
    Column("cap_rate", String(16), nullable=False),
    Column("cap_basis", String(32), nullable=False),
    Column("cap_enforced", Boolean, nullable=False),
    Column("lawful_penalty_scaled", BigInteger, nullable=False),
    Column("lawful_schedule_stored", Boolean, nullable=False),
    Column("record_hash", String(64), nullable=False),
    Index("ix_loans_borrower", "borrower_id"),
)

installments = Table(
    "installments",
    metadata,
    Column("loan_key", Integer, ForeignKey("loans.loan_key"), primary_key=True),
    # "contract" rows always; "lawful" rows only where the lawful schedule differs.
    Column("schedule_kind", String(8), primary_key=True),
    Column("installment_no", Integer, primary_key=True),
    Column("due_on", DayNumber, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("interest", BigInteger, nullable=False),
    Column("fee", BigInteger, nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("loan_key", Integer, ForeignKey("loans.loan_key"), nullable=False),
    Column("paid_on", DayNumber, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("record_hash", String(64), nullable=False),
    Index("ix_payments_loan", "loan_key", "paid_on"),
)

pauses = Table(
    "pauses",
    metadata,
    Column("pause_id", String(64), primary_key=True),
    Column("loan_key", Integer, ForeignKey("loans.loan_key"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("start_on", DayNumber, nullable=False),
    Column("end_on", DayNumber),
    Column("record_hash", String(64), nullable=False),
)

batch_runs = Table(
    "batch_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("loans", Integer, nullable=False, default=0),
    Column("installments", Integer, nullable=False, default=0),
    Column("payments", Integer, nullable=False, default=0),
    # Timings in seconds are measurements, not money: floats are fine here.
    Column("seconds_load", Float),
    Column("seconds_compute", Float),
    Column("seconds_store", Float),
    Column("error", Text),
)

# Runs of the daily cycle. One runs at a time (a lock that ends with its holder); a row left
# `running` by a killed run is marked `interrupted` by the next. The newest `completed` date is the
# frontier: an earlier date runs again only when asked (`--rerun`).
cycle_runs = Table(
    "cycle_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False, index=True),
    Column("status", String(12), nullable=False),  # running | completed | failed | interrupted
    Column("rerun", Boolean, nullable=False, default=False),
    Column("holder", String(128), nullable=False),  # process id and host of the run
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),
)

loan_states = Table(
    "loan_states",
    metadata,
    Column("as_of", DayNumber, primary_key=True),
    Column("loan_key", Integer, primary_key=True),
    Column("batch_run_id", Integer, nullable=False),
    Column("dpd", Integer, nullable=False),
    Column("bucket", String(16), nullable=False),
    Column("overdue_principal", BigInteger, nullable=False),
    Column("overdue_interest", BigInteger, nullable=False),
    Column("overdue_fee", BigInteger, nullable=False),
    Column("penalty_accrued", BigInteger, nullable=False),
    Column("outstanding_principal", BigInteger, nullable=False),
    Column("contractual_outstanding", BigInteger, nullable=False),
    Column("lawful_outstanding", BigInteger, nullable=False),
    Column("unenforceable_excess", BigInteger, nullable=False),
    Column("credit_balance", BigInteger, nullable=False),
)

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

# Every gate decision with its input, and every contact attempt it allowed (reserved first,
# outcome recorded later): the history the caps count.
contact_decisions = Table(
    "contact_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("decision_id", String(32), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("borrower_id", String(64), nullable=False, index=True),
    Column("loan_id", String(64), nullable=False),
    Column("pack", String(64), nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("decision", Text, nullable=False),  # JSON: reasons, not_before, pack
    Column("request", Text, nullable=False),  # JSON: the request as decided
)

contact_attempts = Table(
    "contact_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("decision_ref", Integer, ForeignKey("contact_decisions.id"), nullable=False),
    Column("borrower_id", String(64), nullable=False),
    Column("loan_id", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient_role", String(24), nullable=False),
    Column("contact_point", String(128), nullable=False),
    Column("by", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("conversation", Boolean, nullable=False, default=False),
    Column("with_consent", Boolean, nullable=False, default=False),
    Index("ix_contact_attempts_borrower_at", "borrower_id", "at"),
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

# The script library: one row per template version; one row per key to lock changes to it.
script_keys = Table(
    "script_keys",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("touched", Integer, nullable=False, default=0),
)

script_versions = Table(
    "script_versions",
    metadata,
    Column("key", String(64), ForeignKey("script_keys.key"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("lang", String(8), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("pack", String(8), nullable=False),
    Column("body", Text, nullable=False),
    Column("author", String(64), nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("rules", Text, nullable=False),  # JSON list
    Column("approver", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    Column("note", Text, nullable=False, default=""),
)

# Scores of the accounts in collection, per date and model, with the model version that made them.
scores = Table(
    "scores",
    metadata,
    Column("as_of", DayNumber, primary_key=True),
    Column("model", String(64), primary_key=True),
    Column("loan_key", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    # A probability is a measurement, not money.
    Column("probability", Float, nullable=False),
    Column("band", String(16), nullable=False),
)

# Playbook versions: drafted by one person, approved by another before they run.
playbook_versions = Table(
    "playbook_versions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("pack", String(8), nullable=False),
    Column("body", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("author", String(64), nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),  # draft | approved | retired
    Column("approver", String(64)),
    Column("approved_at", DateTime(timezone=True)),
)

# Steps the workflow planned, once per key; status moves planned → queued / done / dropped.
workflow_tasks = Table(
    "workflow_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("loan_id", String(64), nullable=False),
    Column("borrower_id", String(64), nullable=False),
    Column("playbook", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("step_id", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("channel", String(16)),
    Column("template", String(64)),
    Column("recipient", String(24), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("due_day", DayNumber, nullable=False, index=True),  # the local date it is due
    Column("status", String(12), nullable=False, index=True),
    Column("tries", Integer, nullable=False, default=0),
    Column("decision_id", String(32)),
    Column("reasons", Text, nullable=False, default=""),
    # A playbook `pause` step: no contacting step runs for the loan until this date (inclusive).
    Column("hold_until", DayNumber),
)

# Messages decided and committed, waiting for (or done with) their channel.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("workflow_tasks.id"), nullable=False, unique=True),
    Column("attempt_id", Integer, ForeignKey("contact_attempts.id"), nullable=False),
    Column("borrower_id", String(64), nullable=False),
    Column("loan_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("contact_point", String(128), nullable=False),
    Column("body", Text, nullable=False),
    Column("planned_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False, index=True),  # queued | sending | sent | withdrawn
    Column("sent_at", DateTime(timezone=True)),
    Column("receipt", String(128)),
)

# The sandbox channel's own record (the default channel): one row per outbox message, ever.
sandbox_messages = Table(
    "sandbox_messages",
    metadata,
    Column("outbox_id", Integer, primary_key=True, autoincrement=False),
    Column("channel", String(16), nullable=False),
    Column("contact_point", String(128), nullable=False),
    Column("body", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    # True from the send until the message's line is in the sandbox log file (the file is
    # derived from this table, so a crash between the two never loses or repeats a line).
    Column("log_pending", Boolean, nullable=False, default=False, server_default=false()),
)

# Voice steps become tasks in the collectors' queue.
call_queue = Table(
    "call_queue",
    metadata,
    Column("outbox_id", Integer, primary_key=True, autoincrement=False),
    Column("borrower_id", String(64), nullable=False),
    Column("loan_id", String(64), nullable=False),
    Column("contact_point", String(128), nullable=False),
    Column("script", Text, nullable=False),
    Column("planned_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),  # open | done
)

promises = Table(
    "promises",
    metadata,
    Column("promise_id", String(64), primary_key=True),
    Column("loan_id", String(64), nullable=False, index=True),
    Column("borrower_id", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("made_on", DayNumber, nullable=False),
    Column("due_on", DayNumber, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(8), nullable=False, index=True),  # open | kept | broken
    Column("settled_on", DayNumber),
)

# Repayment plans agreed with a borrower: the instalments the cycle checks for a missed one.
repayment_plans = Table(
    "repayment_plans",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("loan_id", String(64), nullable=False, index=True),
    Column("borrower_id", String(64), nullable=False),
    Column("created_on", DayNumber, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),  # open | completed | broken
)

plan_instalments = Table(
    "plan_instalments",
    metadata,
    Column("plan_id", String(64), ForeignKey("repayment_plans.plan_id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("due_on", DayNumber, nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),  # due | paid | missed
)

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


# Which keys the database was used with: HMAC(PII master key, label) for "pii", the audit log's
# Ed25519 public key (hex) for "audit". Written on first use, compared at every start.
key_checks = Table(
    "key_checks",
    metadata,
    Column("purpose", String(16), primary_key=True),
    Column("check_value", String(128), nullable=False),
)
