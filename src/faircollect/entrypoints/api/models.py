"""Response models of the API: money as integer minor units with the currency, dates ISO 8601."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from faircollect.services.account_views import (
    AccountSummary,
    ContactLine,
    PaymentLine,
    PositionLine,
    ScheduleLine,
)
from faircollect.services.accounts import AccountView


class Model(BaseModel):
    """Strict models: unknown fields are refused (requests) and never invented (responses)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Position(Model):
    as_of: dt.date
    dpd: int = Field(ge=0)
    bucket: str
    overdue_principal_minor: int
    overdue_interest_minor: int
    overdue_fee_minor: int
    penalty_accrued_minor: int
    outstanding_principal_minor: int
    contractual_outstanding_minor: int
    lawful_outstanding_minor: int
    unenforceable_excess_minor: int = Field(
        description="Owed under the contract but above the lawful cap: never demanded."
    )
    credit_balance_minor: int

    @classmethod
    def of(cls, p: PositionLine) -> Position:
        return cls(**{name: getattr(p, name) for name in cls.model_fields})


class AccountItem(Model):
    loan_id: str
    borrower_id: str
    currency: str
    lender_type: str
    principal_minor: int
    latest: Position | None


class AccountPage(Model):
    items: list[AccountItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")

    @classmethod
    def of(cls, items: tuple[AccountSummary, ...], next_cursor: str | None) -> AccountPage:
        return cls(
            items=[
                AccountItem(
                    loan_id=a.loan_id,
                    borrower_id=a.borrower_id,
                    currency=a.currency,
                    lender_type=a.lender_type,
                    principal_minor=a.principal_minor,
                    latest=Position.of(a.latest) if a.latest else None,
                )
                for a in items
            ],
            next_cursor=next_cursor,
        )


class Instalment(Model):
    installment_no: int
    due_on: dt.date
    contract_principal_minor: int
    contract_interest_minor: int
    contract_fee_minor: int
    contract_total_minor: int
    lawful_principal_minor: int
    lawful_interest_minor: int
    lawful_fee_minor: int
    lawful_total_minor: int

    @classmethod
    def of(cls, line: ScheduleLine) -> Instalment:
        return cls(**{name: getattr(line, name) for name in cls.model_fields})


class Schedule(Model):
    loan_id: str
    currency: str
    instalments: list[Instalment]


class PaymentOut(Model):
    payment_id: str
    paid_on: dt.date
    amount_minor: int

    @classmethod
    def of(cls, line: PaymentLine) -> PaymentOut:
        return cls(payment_id=line.payment_id, paid_on=line.paid_on, amount_minor=line.amount_minor)


class Payments(Model):
    loan_id: str
    currency: str
    payments: list[PaymentOut]


class PositionPage(Model):
    loan_id: str
    currency: str
    items: list[Position]
    next_cursor: str | None


class Lawful(Model):
    """The contract against what may lawfully be collected, with the rule and the rate."""

    contract_total_minor: int
    lawful_total_minor: int
    excess_minor: int = Field(description="Contract total − lawful total: never demanded.")
    annual_cost: str = Field(description="All-in annual cost on the cash actually lent.")
    rule_id: str = Field(description="The cap that applies, e.g. private-4lpr@0.0385.")
    cap_rate: str
    cap_enforced: bool
    above_cap: bool
    contract_penalty_rate_daily: str
    lawful_penalty_rate_daily: str
    law: str = Field(description="Where the cap comes from, in English.")
    law_zh: str = Field(description="The same, in Chinese.")


class BucketStay(Model):
    bucket: str
    entered: dt.date
    left: dt.date | None


class Reason(Model):
    rule_id: str
    verdict: str
    message_zh: str
    message_en: str
    source: str


class Contact(Model):
    at: dt.datetime
    decision_id: str
    verdict: str
    channel: str
    recipient_role: str
    reasons: list[Reason]
    outcome: str | None

    @classmethod
    def of(cls, c: ContactLine) -> Contact:
        return cls(
            at=c.at,
            decision_id=c.decision_id,
            verdict=c.verdict,
            channel=c.channel,
            recipient_role=c.recipient_role,
            reasons=[Reason(**{n: getattr(r, n) for n in Reason.model_fields}) for r in c.reasons],
            outcome=c.outcome,
        )


class PauseOut(Model):
    pause_id: str
    kind: str
    start_on: dt.date
    end_on: dt.date | None


class Account(Model):
    loan_id: str
    borrower_id: str
    borrower_name: str = Field(description="Masked for staff; in full for the borrower.")
    currency: str
    lender_type: str
    contract_date: dt.date
    disbursed_on: dt.date
    principal_minor: int
    upfront_fee_minor: int
    annual_rate: str
    term: int
    repayment_method: str
    lawful: Lawful
    latest: Position | None
    buckets: list[BucketStay]
    contacts: list[Contact]
    open_pauses: list[PauseOut]

    @classmethod
    def of(cls, v: AccountView) -> Account:
        loan, b = v.loan, v.breakdown
        return cls(
            loan_id=loan.loan_id,
            borrower_id=loan.borrower_id,
            borrower_name=v.borrower_name,
            currency=loan.currency,
            lender_type=loan.lender_type,
            contract_date=loan.contract_date,
            disbursed_on=loan.disbursed_on,
            principal_minor=loan.principal_minor,
            upfront_fee_minor=loan.upfront_fee_minor,
            annual_rate=loan.annual_rate,
            term=loan.term,
            repayment_method=loan.repayment_method,
            lawful=Lawful(**{n: getattr(b, n) for n in Lawful.model_fields}),
            latest=Position.of(v.latest) if v.latest else None,
            buckets=[
                BucketStay(bucket=e.bucket, entered=e.entered, left=e.left) for e in v.buckets
            ],
            contacts=[Contact.of(c) for c in v.contacts],
            open_pauses=[
                PauseOut(pause_id=p.pause_id, kind=p.kind, start_on=p.start_on, end_on=p.end_on)
                for p in v.open_pauses
            ],
        )
