"""What `make demo` needs besides the use cases: the synthetic tape, simulated borrowers, the
figures it prints (read on the demo's own database) and the audit log's check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from faircollect.adapters.audit_verify import VerifyReport, verify_log
from faircollect.adapters.borrower_sim import BorrowerSimulator, cases_opened
from faircollect.adapters.db.cycle_unit import App
from faircollect.adapters.db.summary import PortfolioSummary, summarise
from faircollect.adapters.db.tables import loans, payments, playbook_versions, users
from faircollect.adapters.portfolio_generator import GeneratedTape, generate_portfolio


@dataclass
class DemoSupport:
    """The demo's reads and fixtures on one app's database."""

    app: App
    verifier_key: str

    def holds_loans(self) -> bool:
        with self.app.engine.connect() as conn:
            return conn.execute(select(loans.c.loan_key).limit(1)).first() is not None

    def holds_playbooks(self) -> bool:
        with self.app.engine.connect() as conn:
            return conn.execute(select(playbook_versions.c.name).limit(1)).first() is not None

    def holds_users(self) -> bool:
        with self.app.engine.connect() as conn:
            return conn.execute(select(users.c.user_id).limit(1)).first() is not None

    def generate(
        self, *, loans: int, seed: int, out: Path, horizon: date,
        markets: Mapping[str, float] | None = None, payments_until: date | None = None,
    ) -> GeneratedTape:  # fmt: skip
        """A synthetic tape (borrowers, loans, payments) written into `out`; `markets`: the
        share of US and UK borrowers; payments dated up to `payments_until` (the simulated
        borrowers make the later ones)."""
        return generate_portfolio(loans=loans, seed=seed, out=out, horizon=horizon,
                                  markets=markets, payments_until=payments_until)  # fmt: skip

    def borrowers_of(self, currency: str) -> list[tuple[str, str]]:
        """(loan, its borrower) for every loan in `currency`, in loan order."""
        with self.app.engine.connect() as conn:
            return [(str(loan), str(borrower)) for loan, borrower in conn.execute(
                select(loans.c.loan_id, loans.c.borrower_id)
                .where(loans.c.currency == currency).order_by(loans.c.loan_id)
            )]  # fmt: skip

    def borrowers(self, seed: int) -> BorrowerSimulator:
        """The simulated borrowers (the strategy simulator's world over this book): they answer
        the cycle's messages and pay between days (deterministic for the seed)."""
        return BorrowerSimulator(self.app, seed=seed)

    def cases_opened(self, start: date, end: date) -> int:
        """Disputes, hardship requests and complaints the simulated borrowers opened."""
        with self.app.engine.connect() as conn:
            return cases_opened(conn, start, end)

    def payments_per_day(self, start: date, end: date, currency: str = "CNY") -> dict[date, int]:
        """Payments on loans in `currency` received per day from `start` to `end`, in minor
        units (amounts in different currencies never add up)."""
        with self.app.engine.connect() as conn:
            return {d: int(v) for d, v in conn.execute(
                select(payments.c.paid_on, func.sum(payments.c.amount))
                .join(loans, loans.c.loan_key == payments.c.loan_key)
                .where(payments.c.paid_on >= start, payments.c.paid_on <= end,
                       loans.c.currency == currency)
                .group_by(payments.c.paid_on)
            ).all()}  # fmt: skip

    def recovered(self, start: date, end: date) -> dict[str, int]:
        """Payments received from `start` to `end` per currency, in minor units."""
        with self.app.engine.connect() as conn:
            return {c: int(v) for c, v in conn.execute(
                select(loans.c.currency, func.sum(payments.c.amount))
                .join(loans, loans.c.loan_key == payments.c.loan_key)
                .where(payments.c.paid_on >= start, payments.c.paid_on <= end)
                .group_by(loans.c.currency).order_by(loans.c.currency)
            ).all()}  # fmt: skip

    def summary(self, *, start: date, end: date) -> PortfolioSummary:
        with self.app.engine.connect() as conn:
            return summarise(conn, start=start, end=end, buckets=self.app.buckets.names)

    def checkpoint_and_verify(self) -> tuple[str, VerifyReport]:
        """Sign a checkpoint of the audit log and verify the whole log against the key."""
        with self.app.engine.begin() as conn:
            log = self.app.audit_log(conn)
            signed = log.checkpoint()
            return signed, verify_log(log, verifier_key=self.verifier_key)
