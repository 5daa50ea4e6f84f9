"""Synthetic loan tapes: realistic Chinese borrowers and a mix of products and behaviours.

Deterministic for a seed. Names come from Faker (zh_CN); phone and ID numbers are generated
in the right shape (ID numbers carry a valid GB 11643 check digit). Some private loans are priced
above 4 × LPR and some licensed loans above 24 %, so the lawful-amount logic has work to do.

`markets` adds a share of US borrowers (USD loans, a US zone, English, a fictional 555-01xx
number) and UK borrowers (GBP, Europe/London, English, an Ofcom drama number 07700 900xxx). Who
is where is drawn from a stream of its own and the Chinese fields are drawn for everyone first,
so adding markets changes no other borrower's or loan's values for the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from faker import Faker

from faircollect.domain.loans import Installment, LenderType, RepaymentMethod
from faircollect.domain.schedules import generate_schedule
from faircollect.kit.dates import add_months
from faircollect.kit.money import format_minor

BEHAVIOURS = ("on_time", "late_then_cure", "partial", "defaulter", "prepayer")
BEHAVIOUR_WEIGHTS = (50, 15, 10, 15, 10)
TERMS = (3, 6, 6, 9, 12, 12, 12, 12, 18, 24, 24, 36)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "182",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
REGIONS = (
    "110101",
    "310104",
    "440305",
    "330106",
    "510107",
    "420102",
    "320102",
    "610113",
    "370202",
    "350203",
    "500103",
    "430104",
    "210102",
    "120101",
    "530102",
    "450103",
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
TIMEZONES = ("Asia/Shanghai",) * 18 + ("Asia/Urumqi", "Asia/Hong_Kong")
US_ZONES = ("America/New_York",) * 4 + ("America/Chicago",) * 3 + (
    "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Los_Angeles",
)  # fmt: skip
US_AREA_CODES = ("212", "312", "415", "602", "617", "713", "303", "206", "404", "305")
#: Each market: its currency and Faker locale (the demo's shares are the caller's).
MARKETS = {"US": ("USD", "en_US"), "UK": ("GBP", "en_GB")}


@dataclass(frozen=True)
class GeneratedTape:
    """Row counts of a written tape."""

    borrowers: int
    loans: int
    payments: int


def id_number(rng: random.Random) -> str:
    """An 18-character resident ID number with a valid check digit (synthetic)."""
    birth = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 38))
    body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    check = ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
    return body + check


def generate_portfolio(
    *, loans: int, seed: int, out: Path, horizon: date, markets: Mapping[str, float] | None = None,
    payments_until: date | None = None,
) -> GeneratedTape:  # fmt: skip
    """Write borrowers.csv, loans.csv and payments.csv for `loans` loans into `out`.

    Contracts start up to two years before `horizon`; payments are dated up to `horizon`, or up
    to `payments_until` when it is earlier (the same loans and the same earlier payments: the
    later ones are left out, for a simulation to make).
    `markets`: the share of borrowers in each market of MARKETS ("US", "UK"); the rest are in
    China.
    """
    if loans < 1:
        raise ValueError("--loans must be at least 1")
    shares = dict(markets or {})
    unknown = sorted(set(shares) - set(MARKETS))
    if unknown or any(not 0 <= v <= 1 for v in shares.values()) or sum(shares.values()) > 1:
        raise ValueError(f"markets: shares of {sorted(MARKETS)} from 0 to 1, summing to 1 at most")
    rng = random.Random(seed)
    where = random.Random(f"{seed}/markets")  # its own stream: the others' draws stay as they were
    abroad = _Abroad(seed)
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    names = [faker.name() for _ in range(min(loans, 5_000))]
    out.mkdir(parents=True, exist_ok=True)
    borrower_rows: list[dict[str, str]] = []
    loan_rows: list[dict[str, str]] = []
    payment_rows: list[dict[str, str]] = []
    for k in range(loans):
        borrower_id = f"B{k:08d}"
        row = {
            "borrower_id": borrower_id,
            "name": rng.choice(names),
            "phone": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
            "id_number": id_number(rng) if rng.random() < 0.9 else "",
            "timezone": rng.choice(TIMEZONES),
            "language": "zh" if rng.random() < 0.97 else "en",
        }
        market = _market(where.random(), shares)
        if market is not None:
            row.update(abroad.borrower(market))
        borrower_rows.append(row)
        loan_row, schedule = _loan(rng, f"L{k:08d}", borrower_id, horizon)
        if market is not None:
            loan_row["currency"] = MARKETS[market][0]
        loan_rows.append(loan_row)
        payment_rows.extend(
            p for p in _payments(rng, loan_row, schedule, horizon)
            if payments_until is None or p["paid_on"] <= payments_until.isoformat()
        )  # fmt: skip
    pl.DataFrame(borrower_rows).write_csv(out / "borrowers.csv")
    pl.DataFrame(loan_rows).write_csv(out / "loans.csv")
    payments_frame = pl.DataFrame(
        payment_rows,
        schema={
            "payment_id": pl.String,
            "loan_id": pl.String,
            "paid_on": pl.String,
            "amount": pl.String,
        },
    )
    payments_frame.write_csv(out / "payments.csv")
    return GeneratedTape(len(borrower_rows), len(loan_rows), len(payment_rows))


def _market(draw: float, shares: Mapping[str, float]) -> str | None:
    """The market a draw in [0, 1) falls in (None: China)."""
    edge = 0.0
    for market in sorted(shares):
        edge += shares[market]
        if draw < edge:
            return market
    return None


class _Abroad:
    """Borrowers outside China: names, numbers and zones from a stream of their own."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}/abroad")
        self.fakers: dict[str, Faker] = {}
        self.seed = seed

    def borrower(self, market: str) -> dict[str, str]:
        faker = self.fakers.get(market)
        if faker is None:
            faker = self.fakers[market] = Faker(MARKETS[market][1])
            faker.seed_instance(self.seed)
        if market == "US":
            # 555-0100 to 555-0199: the numbers set aside for fiction in every area code.
            area = self.rng.choice(US_AREA_CODES)
            phone, zone = f"+1{area}5550{self.rng.randrange(100, 200)}", self.rng.choice(US_ZONES)
        else:
            # Ofcom's drama range 07700 900000 to 900999: never a real mobile.
            phone, zone = f"+447700900{self.rng.randrange(1000):03d}", "Europe/London"
        return {"name": faker.name(), "phone": phone, "id_number": "", "timezone": zone,
                "language": "en"}  # fmt: skip


def _loan(
    rng: random.Random, loan_id: str, borrower_id: str, horizon: date
) -> tuple[dict[str, str], list[Installment]]:
    lender = LenderType.PRIVATE if rng.random() < 0.3 else LenderType.LICENSED
    method = rng.choices(list(RepaymentMethod), weights=(50, 20, 15, 15))[0]
    term = rng.choice((1, 2, 3)) if method is RepaymentMethod.BULLET else rng.choice(TERMS)
    principal = rng.randrange(10, 500) * 100_00
    if lender is LenderType.PRIVATE:
        rate = rng.choice(("0.06", "0.08", "0.10", "0.12", "0.15", "0.18", "0.24", "0.36"))
    else:
        rate = rng.choice(("0.08", "0.10", "0.12", "0.15", "0.18", "0.20", "0.24", "0.30", "0.36"))
    fee = principal * rng.choice((2, 3, 5, 8, 10)) // 100 if rng.random() < 0.2 else 0
    contract = horizon - timedelta(days=rng.randrange(30, 730))
    disbursed = contract + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
    first_due = add_months(disbursed, 1)
    penalty = rng.choice(("0.0005", "0.0005", "0.0005", "0.0003", "0.001"))
    schedule = generate_schedule(
        method=method,
        principal=principal,
        annual_rate=Decimal(rate),
        term=term,
        first_due_on=first_due,
    )
    row = {
        "loan_id": loan_id,
        "borrower_id": borrower_id,
        "lender_type": lender.value,
        "contract_date": contract.isoformat(),
        "disbursed_on": disbursed.isoformat(),
        "principal": format_minor(principal),
        "upfront_fee": format_minor(fee),
        "annual_rate": rate,
        "term": str(term),
        "repayment_method": method.value,
        "first_due_on": first_due.isoformat(),
        "penalty_rate_daily": penalty,
        "currency": "CNY",
        "behaviour": rng.choices(BEHAVIOURS, weights=BEHAVIOUR_WEIGHTS)[0],
    }
    return row, schedule


def _payments(
    rng: random.Random, loan: dict[str, str], schedule: list[Installment], horizon: date
) -> Iterator[dict[str, str]]:
    behaviour = loan.pop("behaviour")
    stop_after = rng.randrange(0, len(schedule) + 1) if behaviour == "defaulter" else None
    payoff_at = rng.randrange(1, len(schedule) + 1) if behaviour == "prepayer" else None
    for count, row in enumerate(schedule, start=1):
        if stop_after is not None and row.number > stop_after:
            return
        if behaviour == "late_then_cure" and rng.random() < 0.5:
            paid_on = row.due_on + timedelta(days=rng.randrange(3, 50))
            amount = row.total * 103 // 100
        elif behaviour == "partial":
            paid_on = row.due_on + timedelta(days=rng.randrange(-2, 10))
            amount = row.total * rng.randrange(30, 90) // 100
        else:
            paid_on = row.due_on - timedelta(days=rng.randrange(0, 4))
            amount = row.total
        if payoff_at is not None and row.number == payoff_at:
            amount = row.total + sum(r.principal for r in schedule[row.number :])
        if paid_on > horizon or amount <= 0:
            return
        yield {
            "payment_id": f"{loan['loan_id']}-P{count:03d}",
            "loan_id": loan["loan_id"],
            "paid_on": paid_on.isoformat(),
            "amount": format_minor(amount),
        }
        if payoff_at is not None and row.number == payoff_at:
            return
