"""Use cases: read an account (staff or its borrower) and list the accounts an actor may see.

One transaction each. Staff reads are audited in the same commit (kind 801, who read which
loan); a borrower reading their own loan is not an access to someone else's data. An unknown
loan and a loan outside the actor's scope answer alike (`NotVisibleError`): nothing leaks about
what exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.limits import MAX_CONTACTS_SHOWN, MAX_PAGE, MAX_TEXT
from faircollect.kit.masking import mask_name
from faircollect.kit.rates import from_scaled
from faircollect.services.account_views import (
    AccountDetails,
    AccountStore,
    AccountSummary,
    BucketEpisode,
    ContactLine,
    LoanRecord,
    PauseLine,
    PaymentLine,
    PositionLine,
    ScheduleLine,
)
from faircollect.services.authorization import (
    AGENCY_ROLES,
    Actor,
    NotVisibleError,
    Permission,
    PermissionDeniedError,
    can,
    check_scope,
)
from faircollect.services.identity.ports import IdentityStore
from faircollect.services.identity.tokens import TokenUse, count_token_uses
from faircollect.services.ports import UnitOfWork

# Where each cap comes from (docs/ledger.md; ../shared/REGULATION.md §1.10-1.11).
CAP_LAW = {
    "private-4lpr": "SPC Provisions on Private Lending (2020) arts. 25-29: interest, overdue "
    "interest and fees together are protected only up to 4 × the one-year LPR on the contract "
    "date; interest deducted in advance is not principal (Civil Code art. 670).",
    "private-pre-lpr": "SPC Provisions on Private Lending arts. 25-29: a contract formed before "
    "the first LPR fixing (2019-08-20) keeps the 24 % standard of 2015.",
    "licensed-guidance": "Licensed lenders are outside the private-lending cap (SPC reply of "
    "2020-11-09); the 24 % guidance cap is reported, and enforced only where configured.",
}

CAP_LAW_ZH = {
    "private-4lpr": "《最高人民法院关于审理民间借贷案件适用法律若干问题的规定》（2020）第二十五至"
    "二十九条：利息、逾期利息和费用合计，以合同成立时一年期贷款市场报价利率的四倍为限；预先在本金中"
    "扣除的利息不计入本金（《民法典》第六百七十条）。",
    "private-pre-lpr": "《最高人民法院关于审理民间借贷案件适用法律若干问题的规定》第二十五至二十九条："
    "2019年8月20日首次报价之前成立的合同，仍适用2015年的24%标准。",
    "licensed-guidance": "持牌金融机构不适用民间借贷利率上限（最高人民法院2020年11月9日批复）；"
    "24%的指导上限默认仅作提示，配置为强制时方予执行。",
}


class AccountsUnitOfWork(UnitOfWork, Protocol):
    """A unit of work with the account read store."""

    @property
    def accounts(self) -> AccountStore: ...

    @property
    def identity(self) -> IdentityStore: ...


@dataclass(frozen=True, slots=True)
class LawfulBreakdown:
    """What the contract says against what may lawfully be collected, and why.

    ``excess_minor`` (contract total − lawful total of the schedule) is never demanded; the
    latest position's ``unenforceable_excess_minor`` is the same rule applied to what is owed now.
    """

    currency: str
    contract_total_minor: int
    lawful_total_minor: int
    excess_minor: int
    annual_cost: str
    rule_id: str
    cap_rate: str
    cap_enforced: bool
    above_cap: bool
    contract_penalty_rate_daily: str
    lawful_penalty_rate_daily: str
    law: str
    law_zh: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """Everything one account page shows."""

    loan: LoanRecord
    borrower_name: str  # masked for staff, in full for the borrower themselves
    breakdown: LawfulBreakdown
    schedule: tuple[ScheduleLine, ...]
    payments: tuple[PaymentLine, ...]
    latest: PositionLine | None
    buckets: tuple[BucketEpisode, ...]
    contacts: tuple[ContactLine, ...]
    open_pauses: tuple[PauseLine, ...]


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing and the cursor of the next (None on the last page): the last key
    of this page, after which the next one starts."""

    items: tuple[T, ...]
    next_cursor: str | None


def _reader(actor: Actor) -> Permission:
    """ACCOUNT_READ for staff, else ACCOUNT_READ_OWN; neither: denied."""
    if can(actor, Permission.ACCOUNT_READ):
        return Permission.ACCOUNT_READ
    if can(actor, Permission.ACCOUNT_READ_OWN) and actor.borrower_id:
        return Permission.ACCOUNT_READ_OWN
    raise PermissionDeniedError(actor, Permission.ACCOUNT_READ)


def _visible(uow: AccountsUnitOfWork, actor: Actor, loan_id: str) -> tuple[LoanRecord, Permission]:
    permission = _reader(actor)
    loan = uow.accounts.loan(loan_id) if len(loan_id) <= MAX_TEXT["id"] else None
    return _seen(uow, actor, loan_id, loan, permission), permission


def _seen(
    uow: AccountsUnitOfWork,
    actor: Actor,
    loan_id: str,
    loan: LoanRecord | None,
    permission: Permission,
) -> LoanRecord:
    """The loan, if the actor may see it; else `NotVisibleError`, as for an unknown loan."""
    if loan is None:
        raise NotVisibleError(loan_id)
    if permission is Permission.ACCOUNT_READ_OWN and actor.borrower_id != loan.borrower_id:
        raise NotVisibleError(loan_id)
    check_scope(actor, borrower_id=loan.borrower_id, agency_ids=uow.accounts.agencies_of(loan_id))
    return loan


def _read_record(uow: AccountsUnitOfWork, actor: Actor, loan: LoanRecord, what: str) -> AuditRecord:
    """The audit record of a staff read (kind 801: who read which debtor's account)."""
    return AuditRecord(
        AuditKind.ACCOUNT_VIEWED,
        uow.clock.now(),
        actor.label,
        f"loan:{loan.loan_id}",
        {"borrower_id": loan.borrower_id, "view": what},
    )


def _audit_read(uow: AccountsUnitOfWork, actor: Actor, loan: LoanRecord, what: str) -> None:
    uow.audit.append_records([_read_record(uow, actor, loan, what)])


def breakdown_of(loan: LoanRecord, schedule: tuple[ScheduleLine, ...]) -> LawfulBreakdown:
    """The lawful breakdown of a loan from its stored terms and schedule."""
    contract = sum(line.contract_total_minor for line in schedule)
    lawful = sum(line.lawful_total_minor for line in schedule)
    rule = loan.cap_basis.split("@", 1)[0]
    return LawfulBreakdown(
        currency=loan.currency,
        contract_total_minor=contract,
        lawful_total_minor=lawful,
        excess_minor=contract - lawful,
        annual_cost=loan.annual_cost,
        rule_id=loan.cap_basis,
        cap_rate=loan.cap_rate,
        cap_enforced=loan.cap_enforced,
        above_cap=Decimal(loan.annual_cost) > Decimal(loan.cap_rate),
        contract_penalty_rate_daily=loan.penalty_rate_daily,
        lawful_penalty_rate_daily=str(from_scaled(loan.lawful_penalty_scaled)),
        law=CAP_LAW.get(rule, ""),
        law_zh=CAP_LAW_ZH.get(rule, ""),
    )


@dataclass(frozen=True, slots=True)
class AccountCall:
    """One request for an account page: who asks, for which loan."""

    actor: Actor
    loan_id: str
    # The API token that named the actor, its use counted with the read (identity.tokens).
    token_use: TokenUse | None = None


# What `view_account` refuses a call with (nothing written, nothing read of the account).
REFUSALS = (NotVisibleError, PermissionDeniedError)


def view_account(
    uow: AccountsUnitOfWork, *, actor: Actor, loan_id: str, token_use: TokenUse | None = None
) -> AccountView:
    """The account page of one loan, for staff in scope or for the loan's own borrower.

    Staff see the borrower's name masked and their read is audited in the same commit (with the
    API token's use that asked, when given).
    """
    answer = view_accounts(uow, [AccountCall(actor, loan_id, token_use)])[0]
    if isinstance(answer, Exception):
        raise answer
    return answer


def view_accounts(
    uow: AccountsUnitOfWork, calls: Sequence[AccountCall]
) -> list[AccountView | Exception]:
    """`view_account` for several calls in one transaction: the accounts read together (a fixed
    number of statements for all), every staff read audited in the same commit, one audit
    append for all (each audited read ends holding the audit log's head through its durable
    commit, so concurrent readers share that cost instead of waiting for it one by one).

    Each call gets its view, or the refusal (`REFUSALS`) `view_account` would raise for it
    alone. Any other error raises, nothing written: the caller then views the calls one by one.
    """
    answers: dict[int, AccountView | Exception] = {}
    asked: dict[int, Permission] = {}
    for k, call in enumerate(calls):
        try:
            asked[k] = _reader(call.actor)
        except PermissionDeniedError as exc:
            answers[k] = exc
    with uow:
        store = uow.accounts
        wanted = {calls[k].loan_id for k in asked if len(calls[k].loan_id) <= MAX_TEXT["id"]}
        found = store.loans(wanted)
        seen: dict[int, LoanRecord] = {}
        for k, permission in asked.items():
            call = calls[k]
            try:
                seen[k] = _seen(uow, call.actor, call.loan_id, found.get(call.loan_id), permission)
            except NotVisibleError as exc:
                answers[k] = exc
        details = store.details(
            {loan.loan_id for loan in seen.values()}, contacts=MAX_CONTACTS_SHOWN
        )
        today = uow.clock.now().date()
        records: list[AuditRecord] = []
        for k, loan in seen.items():
            own = asked[k] is Permission.ACCOUNT_READ_OWN
            answers[k] = _view(uow, loan, details[loan.loan_id], own=own, today=today)
            if not own:
                records.append(_read_record(uow, calls[k].actor, loan, "account"))
        uses = [c.token_use for c in calls if c.token_use is not None]
        if uses:  # each request's token, refused ones' too, counted with the reads
            records[:0] = count_token_uses(uow.identity, uses, at=uow.clock.now())
        if records:
            uow.audit.append_records(records)
        uow.commit()
    return [answers[k] for k in range(len(calls))]


def _view(
    uow: AccountsUnitOfWork, loan: LoanRecord, found: AccountDetails, *, own: bool, today: date
) -> AccountView:
    """The page of one loan from its details: the name in full for its borrower, else masked."""
    sealed = found.sealed_name
    name = uow.pii.open("name", loan.borrower_id, sealed) if sealed else ""
    return AccountView(
        loan=loan,
        borrower_name=name if own else mask_name(name),
        breakdown=breakdown_of(loan, found.schedule),
        schedule=found.schedule,
        payments=found.payments,
        latest=found.latest,
        buckets=found.buckets,
        contacts=found.contacts,
        open_pauses=tuple(p for p in found.pauses if _open(p, today)),
    )


def _open(pause: PauseLine, today: date) -> bool:
    return pause.end_on is None or pause.end_on >= today


@dataclass(frozen=True, slots=True)
class PositionHistory:
    """One page of a loan's daily positions, in the loan's currency."""

    loan_id: str
    currency: str
    items: tuple[PositionLine, ...]
    next_cursor: str | None


def account_positions(
    uow: AccountsUnitOfWork, *, actor: Actor, loan_id: str, cursor: date | None, limit: int
) -> PositionHistory:
    """A loan's stored daily positions, oldest first, one page at a time (staff reads audited)."""
    size = _page_size(limit)
    with uow:
        loan, permission = _visible(uow, actor, loan_id)
        rows = uow.accounts.positions(loan_id, after=cursor, limit=size + 1)
        if permission is Permission.ACCOUNT_READ:
            _audit_read(uow, actor, loan, "positions")
        uow.commit()
    more = len(rows) > size
    items = tuple(rows[:size])
    last = items[-1].as_of.isoformat() if more else None
    return PositionHistory(loan.loan_id, loan.currency, items, last)


def list_accounts(
    uow: AccountsUnitOfWork,
    *,
    actor: Actor,
    cursor: str | None,
    limit: int,
    borrower_id: str | None = None,
) -> Page[AccountSummary]:
    """The accounts the actor may see (of one borrower if given), in loan id order, one page at
    a time.

    Lender staff see every account, a borrower their own loans; an agency user sees only the
    accounts placed with their agency (none until placements are recorded).
    """
    if cursor is not None and not 1 <= len(cursor) <= MAX_TEXT["id"]:
        raise ValueError("cursor must be a loan id")
    size = _page_size(limit)
    permission = _reader(actor)
    with uow:
        own = actor.borrower_id if permission is Permission.ACCOUNT_READ_OWN else None
        if actor.roles & AGENCY_ROLES or (own and borrower_id not in (None, own)):
            rows: list[AccountSummary] = []
        else:
            rows = uow.accounts.page(after=cursor, limit=size + 1, borrower_id=own or borrower_id)
        uow.commit()
    more = len(rows) > size
    items = tuple(rows[:size])
    return Page(items, items[-1].loan_id if more else None)


def _page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    return limit
