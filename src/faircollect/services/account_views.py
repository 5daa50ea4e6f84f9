"""What an account view holds: the loan, its lawful breakdown, schedule, payments, positions,
contact history and pauses (read models the account store fills and the use cases return)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LoanRecord:
    """A stored loan's terms and the lawful terms priced at import."""

    loan_id: str
    borrower_id: str
    currency: str
    lender_type: str
    contract_date: date
    disbursed_on: date
    principal_minor: int
    upfront_fee_minor: int
    annual_rate: str
    term: int
    repayment_method: str
    penalty_rate_daily: str
    annual_cost: str
    cap_rate: str
    cap_basis: str
    cap_enforced: bool
    lawful_penalty_scaled: int


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    """One instalment as contracted and as lawfully owed (equal unless the cap cut it)."""

    installment_no: int
    due_on: date
    contract_principal_minor: int
    contract_interest_minor: int
    contract_fee_minor: int
    lawful_principal_minor: int
    lawful_interest_minor: int
    lawful_fee_minor: int

    @property
    def contract_total_minor(self) -> int:
        return (
            self.contract_principal_minor + self.contract_interest_minor + self.contract_fee_minor
        )

    @property
    def lawful_total_minor(self) -> int:
        return self.lawful_principal_minor + self.lawful_interest_minor + self.lawful_fee_minor


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """A payment received."""

    payment_id: str
    paid_on: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PositionLine:
    """A loan's stored position on one batch date."""

    as_of: date
    dpd: int
    bucket: str
    overdue_principal_minor: int
    overdue_interest_minor: int
    overdue_fee_minor: int
    penalty_accrued_minor: int
    outstanding_principal_minor: int
    contractual_outstanding_minor: int
    lawful_outstanding_minor: int
    unenforceable_excess_minor: int
    credit_balance_minor: int


@dataclass(frozen=True, slots=True)
class BucketEpisode:
    """A stay in one bucket: entered on, left on (None while it lasts)."""

    bucket: str
    entered: date
    left: date | None


@dataclass(frozen=True, slots=True)
class ReasonLine:
    """One rule's reason in a contact decision."""

    rule_id: str
    verdict: str
    message_zh: str
    message_en: str
    source: str


@dataclass(frozen=True, slots=True)
class ContactLine:
    """A contact the gate decided on, with its reasons and the attempt's outcome if one was made."""

    at: datetime
    decision_id: str
    verdict: str
    channel: str
    recipient_role: str
    reasons: tuple[ReasonLine, ...]
    outcome: str | None
    # The debtor's zone the gate judged the contact in (the first of the request's zones, the
    # stored borrower's unless the caller named others): pages show `at` in it.
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class PauseLine:
    """A collection pause (dispute, complaint, hardship)."""

    pause_id: str
    kind: str
    start_on: date
    end_on: date | None


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """One line of the account list: the loan and its latest position, if a batch ran."""

    loan_id: str
    borrower_id: str
    currency: str
    lender_type: str
    principal_minor: int
    latest: PositionLine | None


@dataclass(frozen=True, slots=True)
class AccountDetails:
    """What an account view reads besides the loan's terms (the store's rows, in their order)."""

    sealed_name: bytes | None
    schedule: tuple[ScheduleLine, ...]
    payments: tuple[PaymentLine, ...]
    latest: PositionLine | None
    buckets: tuple[BucketEpisode, ...]
    contacts: tuple[ContactLine, ...]  # newest first
    pauses: tuple[PauseLine, ...]


class AccountStore(Protocol):
    """Reads what account views show, in the caller's transaction."""

    def loan(self, loan_id: str) -> LoanRecord | None: ...

    def loans(self, loan_ids: Collection[str]) -> dict[str, LoanRecord]:
        """The stored loans among `loan_ids` (unknown ids are absent), in one read."""

    def details(self, loan_ids: Collection[str], *, contacts: int) -> dict[str, AccountDetails]:
        """Each stored loan's details (at most `contacts` decisions, newest first), read in a
        fixed number of statements however many loans are asked for."""

    def agencies_of(self, loan_id: str) -> list[str]: ...

    def positions(self, loan_id: str, *, after: date | None, limit: int) -> list[PositionLine]: ...

    def page(
        self, *, after: str | None, limit: int, borrower_id: str | None
    ) -> list[AccountSummary]: ...
