"""The synthetic tape's US and UK borrowers: their own currency, zone, language and fictional
numbers, drawn so that the Chinese borrowers of the same seed stay exactly as they were."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from faircollect.adapters.portfolio_generator import generate_portfolio

HORIZON = date(2027, 1, 31)


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_markets_add_us_and_uk_borrowers_and_leave_the_others_alone(tmp_path: Path) -> None:
    generate_portfolio(loans=400, seed=7, out=tmp_path / "cn", horizon=HORIZON)
    generate_portfolio(loans=400, seed=7, out=tmp_path / "mix", horizon=HORIZON,
                       markets={"US": 0.2, "UK": 0.1})  # fmt: skip
    cn, mix = (
        {
            "borrowers": _rows(tmp_path / k, "borrowers.csv"),
            "loans": _rows(tmp_path / k, "loans.csv"),
        }
        for k in ("cn", "mix")
    )
    assert {r["currency"] for r in cn["loans"]} == {"CNY"}
    by_currency: dict[str, int] = {}
    for plain, moved, person in zip(cn["loans"], mix["loans"], mix["borrowers"], strict=True):
        by_currency[moved["currency"]] = by_currency.get(moved["currency"], 0) + 1
        # The loan itself is the same draw; only its currency follows the borrower's market.
        assert {**moved, "currency": "CNY"} == plain
        if moved["currency"] == "USD":
            assert person["timezone"].startswith("America/")
            assert person["phone"].startswith("+1")
            assert person["phone"][5:9] == "5550"
        elif moved["currency"] == "GBP":
            assert person["timezone"] == "Europe/London"
            assert person["phone"].startswith("+447700900")
        if moved["currency"] != "CNY":
            assert (person["language"], person["id_number"]) == ("en", "")
    chinese = [(a, b) for a, b in zip(cn["borrowers"], mix["borrowers"], strict=True)
               if b["timezone"].startswith("Asia/")]  # fmt: skip
    assert chinese
    assert all(a == b for a, b in chinese)
    assert 40 <= by_currency["USD"] <= 120
    assert 15 <= by_currency["GBP"] <= 70
    assert by_currency["CNY"] == 400 - by_currency["USD"] - by_currency["GBP"]


@pytest.mark.parametrize("markets", [{"FR": 0.1}, {"US": 1.5}, {"US": 0.6, "UK": 0.6}])
def test_unknown_markets_and_impossible_shares_are_refused(
    tmp_path: Path, markets: dict[str, float]
) -> None:
    with pytest.raises(ValueError, match="markets"):
        generate_portfolio(loans=5, seed=1, out=tmp_path, horizon=HORIZON, markets=markets)
