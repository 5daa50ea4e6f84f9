"""Contacts, scripts, playbooks and the cycle's tables: decisions, attempts, tasks, outbox, channels, promises and plans."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)

from faircollect.adapters.db.tables.common import DayNumber, metadata

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
    Index("ix_contact_decisions_loan_at", "loan_id", "at"),
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
    Index("ix_contact_attempts_decision_ref", "decision_ref"),
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
