"""Amounts are read however they are written (issue #13, finding 8): separators, invisible
characters, full-width digits, Chinese numerals, 千/万, currency signs and words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faircollect.screening import ScreeningContext, Verdict, screen
from faircollect.screening.amounts import CAP, parse_number, read_amounts


def minors(text: str) -> list[int]:
    return [a.minor for a in read_amounts(text)]


@pytest.mark.parametrize(
    "text",
    ["请还款1\u200b000元", "请还款1 000元", "请还款1.000,00元", "请还款壹仟元", "请还款1千元"],
)
def test_formatting_no_longer_dodges_the_amount_check(text: str) -> None:
    result = screen(text, context=ScreeningContext(pack="CN", lawful_outstanding_minor=500))
    assert result.verdict is Verdict.BLOCK
    assert "SCR-AMOUNT-OVER-LAWFUL" in result.rules


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1,280.50元", 128050),
        ("1，280.50元", 128050),
        ("1\u2009000元", 100000),
        ("1\u202f000元", 100000),
        ("1\u00a0000元", 100000),
        ("1'000 CNY", 100000),
        ("1\u00ad000\ufeff元", 100000),
        ("１，０００元", 100000),
        ("￥1000", 100000),
        ("1.000.000,00元", 100000000),
        ("1000,50元", 100050),
        ("1.5元", 150),
        ("1.500元", 150000),  # three digits after a dot are thousands in money
        ("12,3456元", 12345600),  # misgrouped: the larger reading
        ("1,50,000元", 15000000),
        ("1 0 0 0元", 100000),
        ("二〇〇〇元", 200000),
        ("两千块", 200000),
        ("十五元", 1500),
        ("一百零五元", 10500),
        ("一万五元", 1500000),  # a lone digit after a unit counts in the next unit down
        ("一万零五元", 1000500),
        ("3万5千元", 3500000),
        ("1.5万元", 1500000),
        ("1万2千3百元", 1230000),
        ("贰萬元", 2000000),
        ("叁佰元整", 30000),
        ("1亿元", 10_000_000_000),
        ("2w元", 2000000),
        ("$1.5k", 150000),
        ("1.5K dollars", 150000),
        ("US$ 20", 2000),
        ("USD 1,234.56", 123456),
        ("20 GBP", 2000),
        ("£20", 2000),
        ("20 pounds", 2000),
        ("RMB 1,000", 100000),
        ("100 yuan", 10000),
        ("人民币100", 10000),
    ],
)
def test_amounts_read_in_every_common_form(text: str, minor: int) -> None:
    assert minors(text) == [minor]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("2026年12月01日前请还款，逾期3天", []),  # no currency mark: not an amount
        ("请拨打95588，或13800138000", []),
        ("2026 100元", [10000]),  # a number never starts just after a digit
        ("拨打95588,1000元", [100000]),  # a list, not a misgrouped number
        ("数万元", []),  # a unit alone is not a number
        ("万元户", []),
        ("1,000元，2,000元", [100000, 200000]),
        ("¥1000元", [100000]),  # one amount with two marks
        ("$100 okay", [10000]),
        ("5k1元", [100]),  # "k" only ends a number
    ],
)
def test_only_numbers_next_to_a_currency_mark_count(text: str, found: list[int]) -> None:
    assert minors(text) == found


def test_spans_cover_the_number_and_its_mark_in_the_original() -> None:
    text = "应还 ¥1\u200b000元，谢谢"
    (amount,) = read_amounts(text)
    assert text[amount.start : amount.end] == "¥1\u200b000元"


def test_huge_numbers_are_capped_not_a_crash() -> None:
    assert minors("9" * 20_000 + "元") == [int(CAP) * 100]
    assert minors("一" + "亿" * 5_000 + "元") == [int(CAP) * 100]
    assert minors("$" + "9" * 20_000) == [int(CAP) * 100]
    assert parse_number("9" * 30) == CAP
    assert parse_number("") is None


_DIGITS = "零一二三四五六七八九"
_CAPITAL = str.maketrans("一二三四五六七八九十百千万亿", "壹贰叁肆伍陆柒捌玖拾佰仟萬億")


def _section(n: int) -> str:
    out, gap = "", False
    for unit, power in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = n // power % 10
        if digit == 0:
            gap = bool(out)
            continue
        if gap:
            out += "零"
            gap = False
        out += _DIGITS[digit] + unit
    return out


def chinese(n: int) -> str:
    """The standard Chinese numeral for 0 < n < 10**12 (一万零五, 一亿零五百万)."""
    out, gap = "", False
    for value, unit in ((n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")):
        if value == 0:
            gap = bool(out)
            continue
        if out and (gap or value < 1000):
            out += "零"
        out += _section(value) + unit
        gap = False
    return out


NARROW_SPACE, ZERO_WIDTH = "\u202f", "\u200b"
_FULL = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@given(st.integers(1, 10**11 - 1), st.integers(0, 99))
def test_renderings_of_one_amount_read_back_equal(major: int, cents: int) -> None:
    grouped = f"{major:,}"
    narrow = grouped.replace(",", NARROW_SPACE)
    hidden = ZERO_WIDTH.join(str(major))
    zh = chinese(major)
    short = zh[1:] if zh.startswith("一十") else zh  # 十五 as well as 一十五
    renderings = [
        f"请还款{major}元",
        f"请还款{grouped}元",
        f"请还款{grouped.replace(',', ' ')}元",
        f"请还款{narrow}元",
        f"请还款{hidden}元",
        f"请还款{str(major).translate(_FULL)}元",
        f"请还款{zh}元",
        f"请还款{zh.translate(_CAPITAL)}元",
        f"请还款{short}块",
        f"pay ¥{grouped}",
        f"pay {major} yuan",
    ]
    for text in renderings:
        assert minors(text) == [major * 100], text
    with_cents = [f"{grouped}.{cents:02d}元", f"{grouped.replace(',', '.')},{cents:02d}元",
                  f"${grouped}.{cents:02d}", f"{major}.{cents:02d} dollars"]  # fmt: skip
    for text in with_cents:
        assert minors(text) == [major * 100 + cents], text
    if major % 1000 == 0:
        assert minors(f"${major // 1000}k") == [major * 100]
    if major % 10_000 == 0:
        assert minors(f"{major // 10_000}万元") == [major * 100]
