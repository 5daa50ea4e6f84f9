"""Days past due count on what is lawfully owed, in the per-loan domain code and the batch alike:
a borrower who pays each lawful instalment on its date is never in arrears, even where the
contract (priced above an enforced cap) asks for more."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from faircollect.domain.delinquency import DEFAULT_BUCKETS
from faircollect.domain.ledger import ledger_state
from faircollect.domain.loans import Payment
from faircollect.kernels.positions import compute_positions
from faircollect.kit.dates import to_day_number
from faircollect.kit.rates import to_scaled
from tests.strategies import GeneratedLoan, loans
from tests.unit.kernels.test_batch_agrees_with_domain import ledger_of


def _paid_lawfully(g: GeneratedLoan, shortfall: int = 0) -> GeneratedLoan:
    """`g` with each lawful instalment paid in full on its due date (the first one short by
    `shortfall`), and no pauses."""
    pays = tuple(
        Payment(f"P{r.number}", r.due_on, r.total - (shortfall if r.number == 1 else 0))
        for r in g.lawful.schedule
    )
    return replace(g, payments=pays, pauses=())


@settings(max_examples=150, deadline=None)
@given(g=loans(), offset=st.integers(0, 500))
def test_paying_each_lawful_instalment_on_time_is_never_arrears(
    g: GeneratedLoan, offset: int
) -> None:
    paid = _paid_lawfully(g)
    as_of = g.schedule[0].due_on + timedelta(days=offset)
    batch = compute_positions(ledger_of([paid]), to_day_number(as_of), DEFAULT_BUCKETS)
    assert paid.position(as_of).dpd == 0
    assert int(batch["dpd"][0]) == 0
    assert batch["bucket"][0] == DEFAULT_BUCKETS.bucket_for(0)


@settings(max_examples=150, deadline=None)
@given(g=loans(), offset=st.integers(1, 500), short=st.integers(1, 1_000))
def test_a_lawful_instalment_short_paid_ages_from_its_due_date(
    g: GeneratedLoan, offset: int, short: int
) -> None:
    first = g.lawful.schedule[0]
    assume(first.total > short)
    if len(g.lawful.schedule) > 1:  # before the next instalment's payment covers the shortfall
        offset = 1 + offset % max((g.lawful.schedule[1].due_on - first.due_on).days - 1, 1)
        assume(first.due_on + timedelta(days=offset) < g.lawful.schedule[1].due_on)
    paid = _paid_lawfully(g, shortfall=short)
    as_of = first.due_on + timedelta(days=offset)
    batch = compute_positions(ledger_of([paid]), to_day_number(as_of), DEFAULT_BUCKETS)
    assert paid.position(as_of).dpd == offset
    assert int(batch["dpd"][0]) == offset


@settings(max_examples=100, deadline=None)
@given(g=loans())
def test_the_contract_alone_would_count_a_lawfully_paid_capped_loan_in_arrears(
    g: GeneratedLoan,
) -> None:
    """Where the lawful instalment is smaller, the contract's replay of the same payments has
    the first instalment unpaid the day after it fell due: the case the lawful ageing is for."""
    first, contract_first = g.lawful.schedule[0], g.schedule[0]
    assume(first.total < contract_first.total)
    assume(len(g.schedule) == 1 or g.schedule[1].due_on > first.due_on + timedelta(days=1))
    paid = _paid_lawfully(g)
    as_of = first.due_on + timedelta(days=1)
    contract = ledger_state(paid.schedule, paid.payments, as_of=as_of,
                            penalty_rate_scaled=to_scaled(g.terms.penalty_rate_daily),
                            order=g.terms.allocation_order)  # fmt: skip
    assert contract.dpd == 1
    assert paid.position(as_of).dpd == 0
