"""Loan tape reader (docs/loan-tape.md): CSV or Parquet files in a folder, fully validated.

Nothing is returned unless every file, row and cross-reference is valid; otherwise TapeError
lists the problems, each naming file, row and column. Personal data never appears in messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import permutations
from pathlib import Path

import polars as pl

from faircollect.adapters.tape_checks import (
    KnownIds,
    TapePause,
    duplicates,
    pauses_of,
    row_rules,
    schedules_of,
    unknown_ids,
)
from faircollect.adapters.tape_columns import Col, Problems, parse_columns
from faircollect.adapters.tape_files import label as _label
from faircollect.adapters.tape_files import read_part
from faircollect.adapters.tape_rules import LOAN_RULES, PAYMENT_RULE, fill_first_due
from faircollect.domain.borrowers import DEFAULT_TIMEZONE, LANGUAGES, BorrowerRecord
from faircollect.domain.loans import (
    DEFAULT_ALLOCATION_ORDER,
    Installment,
    LenderType,
    LoanTerms,
    Payment,
    RepaymentMethod,
    parse_allocation_order,
)
from faircollect.domain.pauses import PauseKind
from faircollect.kit.limits import (
    MAX_PAYMENTS_PER_LOAN,
    excerpt,
)

OPTIONAL_FILES = ("schedules", "pauses")
# Every order of the four components, written "penalty|fee|interest|principal" in the tape.
ALLOCATION_ORDERS = tuple(
    "|".join(p) for p in permutations(c.value for c in DEFAULT_ALLOCATION_ORDER)
)
DEFAULT_ORDER_TEXT = ALLOCATION_ORDERS[0]

# Every cell of borrowers.csv may be personal (a shifted or swapped column puts a name under
# borrower_id or a phone under timezone), so no value of this file is ever quoted.
BORROWER_COLUMNS = [
    Col("borrower_id", "id", personal=True),
    Col("name", "text", personal=True, limit="name"),
    Col("phone", "text", personal=True, limit="phone"),
    Col("id_number", "text", required=False, personal=True, limit="id_number"),
    Col(
        "timezone", "tz", required=False, default=DEFAULT_TIMEZONE, personal=True, limit="timezone"
    ),
    Col(
        "language",
        "enum",
        required=False,
        default="zh",
        choices=LANGUAGES,
        personal=True,
        limit="language",
    ),
]
LOAN_COLUMNS = [
    Col("loan_id", "id"),
    Col("borrower_id", "id"),
    Col("lender_type", "enum", choices=tuple(t.value for t in LenderType)),
    Col("contract_date", "date"),
    Col("disbursed_on", "date"),
    Col("principal", "amount"),
    Col("upfront_fee", "amount0", required=False, default="0"),
    Col("annual_rate", "rate"),
    Col("term", "int"),
    Col("repayment_method", "enum", choices=tuple(m.value for m in RepaymentMethod)),
    Col("first_due_on", "date", required=False),
    Col("penalty_rate_daily", "rate", required=False, default="0.0005"),
    Col("currency", "enum", required=False, default="CNY", choices=("CNY", "USD", "GBP", "HKD")),
    Col(
        "allocation_order",
        "enum",
        required=False,
        default=DEFAULT_ORDER_TEXT,
        choices=ALLOCATION_ORDERS,
        expected="must be penalty, fee, interest and principal, each once, joined by |",
    ),
]
PAYMENT_COLUMNS = [
    Col("payment_id", "id"),
    Col("loan_id", "id"),
    Col("paid_on", "date"),
    Col("amount", "amount"),
]
SCHEDULE_COLUMNS = [
    Col("loan_id", "id"),
    Col("installment_no", "int"),
    Col("due_on", "date"),
    Col("principal_due", "amount0"),
    Col("interest_due", "amount0"),
    Col("fee_due", "amount0", required=False, default="0"),
]
PAUSE_COLUMNS = [
    Col("pause_id", "id"),
    Col("loan_id", "id"),
    Col("kind", "enum", choices=tuple(k.value for k in PauseKind)),
    Col("start_on", "date"),
    Col("end_on", "date", required=False),
]
COLUMNS = {
    "borrowers": BORROWER_COLUMNS,
    "loans": LOAN_COLUMNS,
    "payments": PAYMENT_COLUMNS,
    "schedules": SCHEDULE_COLUMNS,
    "pauses": PAUSE_COLUMNS,
}


class TapeError(ValueError):
    """A tape that cannot be imported; `problems` names each file, row and column."""

    def __init__(self, problems: list[str], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        more = f"\n... and {self.total - len(problems)} more" if self.total > len(problems) else ""
        super().__init__(f"{self.total} problem(s) in the tape:\n" + "\n".join(problems) + more)


@dataclass(frozen=True, slots=True)
class TapePayment:
    """A payment row with the loan it belongs to."""

    loan_id: str
    payment: Payment


@dataclass(frozen=True, slots=True)
class Tape:
    """A validated tape, ready for import."""

    borrowers: list[BorrowerRecord]
    loans: list[LoanTerms]
    payments: list[TapePayment]
    schedules: dict[str, list[Installment]]
    loan_rows: dict[str, int]
    pauses: list[TapePause] = field(default_factory=list)
    loan_file: str = "loans.csv"  # or loans.parquet: where loan_rows count


def read_tape(folder: Path, *, known_borrowers: KnownIds, known_loans: KnownIds) -> Tape:
    """Read and validate the tape in `folder`.

    `known_borrowers` / `known_loans` answer which of the given ids are already stored, so a
    tape may add payments to loans imported earlier.
    """
    if not folder.is_dir():
        raise TapeError([f"{excerpt(str(folder))}: not a folder"])
    problems = Problems()
    frames = {
        name: read_part(
            folder, name, [c.name for c in cols], problems, required=name not in OPTIONAL_FILES
        )
        for name, cols in COLUMNS.items()
    }
    if problems.count:
        raise TapeError(problems.messages, problems.count)
    label = {name: _label(folder, name) for name in frames}
    typed = {
        name: parse_columns(label[name], frame, COLUMNS[name], problems)
        for name, frame in frames.items()
        if frame is not None
    }
    if problems.count:
        raise TapeError(problems.messages, problems.count)
    tape = _cross_check(folder, typed, problems, known_borrowers, known_loans)
    if problems.count or tape is None:
        raise TapeError(problems.messages, problems.count)
    return tape


def _cross_check(
    folder: Path,
    typed: dict[str, pl.DataFrame],
    problems: Problems,
    known_borrowers: KnownIds,
    known_loans: KnownIds,
) -> Tape | None:
    b, lo, p, s = typed["borrowers"], typed["loans"], typed["payments"], typed.get("schedules")
    bf, lf, pf, sf = (_label(folder, n) for n in ("borrowers", "loans", "payments", "schedules"))
    duplicates(bf, b, ["borrower_id"], problems, quote=False)
    duplicates(lf, lo, ["loan_id"], problems)
    duplicates(pf, p, ["payment_id"], problems)
    unknown_ids(
        lf,
        lo,
        "borrower_id",
        set(b["borrower_id"].to_list()),
        known_borrowers,
        "borrower_id",
        problems,
    )
    loan_ids = set(lo["loan_id"].to_list())
    unknown_ids(pf, p, "loan_id", loan_ids, known_loans, "loan_id", problems)
    lo = fill_first_due(lo)
    row_rules(lf, lo, problems, LOAN_RULES)
    if p.height:
        _too_many_payments(pf, p, problems)
        disbursed = lo.select("loan_id", pl.col("disbursed_on").alias("_disbursed"))
        joined = p.join(disbursed, on="loan_id", how="left")
        row_rules(
            pf,
            joined,
            problems,
            [PAYMENT_RULE],
        )
    schedules = schedules_of(sf, s, lo, problems) if s is not None else {}
    pause_frame = typed.get("pauses")
    pauses = (
        pauses_of(_label(folder, "pauses"), pause_frame, loan_ids, known_loans, problems)
        if pause_frame is not None
        else []
    )
    if problems.count:
        return None
    return Tape(
        borrowers=[
            BorrowerRecord(*row)
            for row in b.select(
                "borrower_id", "name", "phone", "id_number", "timezone", "language"
            ).iter_rows()
        ],
        loans=[_terms(row) for row in lo.iter_rows(named=True)],
        payments=[
            TapePayment(loan_id, Payment(pid, paid_on, amount))
            for pid, loan_id, paid_on, amount in p.select(
                "payment_id", "loan_id", "paid_on", "amount"
            ).iter_rows()
        ],
        schedules=schedules,
        loan_rows=dict(lo.select("loan_id", "_row").iter_rows()),
        pauses=pauses,
        loan_file=lf,
    )


def _too_many_payments(file: str, payments: pl.DataFrame, problems: Problems) -> None:
    """Name the first payment beyond MAX_PAYMENTS_PER_LOAN of any loan."""
    nth = pl.int_range(pl.len()).over("loan_id")
    for row, loan_id in (
        payments.filter(nth == MAX_PAYMENTS_PER_LOAN).select("_row", "loan_id").iter_rows()
    ):
        problems.add(
            f"{file} row {row}, column loan_id: loan {excerpt(loan_id)} has more than"
            f" {MAX_PAYMENTS_PER_LOAN:,} payments"
        )


def _terms(row: dict[str, object]) -> LoanTerms:
    def as_date(key: str) -> date:
        value = row[key]
        if not isinstance(value, date):  # pragma: no cover - validated before
            raise TypeError(f"{key} is not a date")
        return value

    return LoanTerms(
        loan_id=str(row["loan_id"]),
        borrower_id=str(row["borrower_id"]),
        lender_type=LenderType(str(row["lender_type"])),
        contract_date=as_date("contract_date"),
        disbursed_on=as_date("disbursed_on"),
        principal=int(str(row["principal"])),
        upfront_fee=int(str(row["upfront_fee"])),
        annual_rate=Decimal(str(row["annual_rate"])),
        term=int(str(row["term"])),
        method=RepaymentMethod(str(row["repayment_method"])),
        first_due_on=as_date("first_due_on"),
        penalty_rate_daily=Decimal(str(row["penalty_rate_daily"])),
        currency=str(row["currency"]),
        allocation_order=parse_allocation_order(str(row["allocation_order"])),
    )
