"""The ledger's tables: borrowers, loans, schedules, payments, pauses, the batch's positions, runs and scores."""

from __future__ import annotations

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
    String,
    Table,
    Text,
    UniqueConstraint,
)

from faircollect.adapters.db.tables.common import DayNumber, metadata

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


# A cycle run's stages split into chunks by debtor key range (borrower id, from inclusive, to
# exclusive; None is open-ended), claimed by workers with a lease. A stage's chunks become
# claimable only once every chunk of the stages before it is `done` (the barrier).
cycle_work = Table(
    "cycle_work",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("cycle_runs.id"), nullable=False),
    Column("stage", Integer, nullable=False),  # 0 batch, 1 plan, 2 decide, 3 dispatch
    Column("seq", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("frontier", Date),  # the newest completed run's date when the run began
    Column("debtor_from", String(64)),
    Column("debtor_to", String(64)),
    Column("logged", Boolean, nullable=False, default=False),  # the run writes a sandbox log
    Column("status", String(12), nullable=False),  # pending | claimed | done | failed | cancelled
    Column("owner", String(128)),  # who holds the lease (process and host)
    Column("token", String(32)),  # the claim's own token: a lost lease cannot finish the chunk
    Column("expires_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),
    Column("report", Text),  # JSON: the chunk's counts (services.cycle_report.CycleReport)
    UniqueConstraint("run_id", "stage", "seq", name="uq_cycle_work_chunk"),
    Index("ix_cycle_work_status", "status"),
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
