"""Reading money amounts out of a message in every common Chinese and English form.

The amount rule compares what a message demands with the lawful outstanding, so an amount has to
be read however it is written: `1,000元`, `1 000元` (spaces, thin or no-break spaces), `1.000,00元`
(dot thousands, decimal comma), `１０００元` (full-width), `1\u200b000元` (invisible characters
are removed first), `壹仟元`, `一千元`, `两千块`, `1千元`, `1.5万元`, `3万5千元`, `¥1k`,
`$1,234.56`, `1,234 dollars`, `£20`, `20 GBP`.

Only a number next to a currency sign or word is an amount (dates, phone numbers and day counts
are never read as demands). Where a number can be read two ways the larger reading is taken
(`12,3456元` is 123456): the rule blocks on an amount too large, never passes one. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from faircollect.kit.money import MINOR_PER_MAJOR, round_half_up

__all__ = ["Amount", "clean", "parse_number", "read_amounts"]


class Amount(NamedTuple):
    """An amount in minor units and the [start, end) of its number and currency mark in the
    original text."""

    minor: int
    start: int
    end: int


# Anything above this (in major units) is read as this: far above any lawful outstanding, and
# it keeps a run of 亿 or a thousand-digit number from growing without bound.
CAP = Decimal(10) ** 16
_CAP_DIGITS = 17

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9, "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6,
    "陸": 6, "柒": 7, "捌": 8, "玖": 9, "兩": 2,
}  # fmt: skip
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_LARGE = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_SUFFIX = {"k": 1000, "w": 10_000}  # "1.5k", "1w" (ten thousand, as Chinese writers use it)
_SEPARATORS = frozenset(",.' ")
_NUMERAL = frozenset("0123456789") | set(_DIGITS) | set(_SMALL) | set(_LARGE) | set(_SUFFIX)
_RUN = _NUMERAL | _SEPARATORS
# The longest number read next to a currency mark; a longer run of numerals reads as CAP.
_LONGEST = 40

# Arabic numbers, tried in this order at each place: dot thousands with a decimal comma
# (1.000,00), grouped thousands (1,000.50 / 1 000 / 1'000), dot thousands (1.000), plain with an
# optional one- or two-digit decimal part (1000.5, 1000,50). Each pattern is linear.
_ARABIC = (
    re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]{1,2}(?![0-9])"),
    re.compile(r"[0-9]{1,3}(?:[,' ][0-9]{3})+(?:\.[0-9]{1,2})?(?![0-9])"),
    re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9])"),
    re.compile(r"[0-9]+(?:[.,][0-9]{1,2})?(?![0-9])"),
)
_BEFORE = re.compile(r"us\$|[¥$£]|rmb|cny|usd|gbp|人民币")
_AFTER = re.compile(
    r"元|块|圆|人民币|英镑|(?:rmb|cny|yuan|dollars?|bucks|usd|pounds?|quid|gbp)(?![a-z])"
)


class _CleanTable(dict[int, str]):
    """What each character becomes (see ``clean``), computed on first sight and kept: a table
    ``str.translate`` reads, so a whole message is folded in one call in C."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch.isascii():
            piece = ch.lower()
        elif unicodedata.category(ch) == "Cf":  # zero-width, soft hyphen, BOM, bidi marks
            piece = ""
        elif (digit := unicodedata.decimal(ch, None)) is not None:
            piece = str(digit)
        else:
            piece = unicodedata.normalize("NFKC", ch).casefold()
            if not piece.isascii() and unicodedata.category(piece[:1]) == "Zs":
                piece = " "  # any other space (ideographic) separates like a space
        if len(self) < _TABLE_MAX:
            self[code] = piece  # bounded: text of every script cannot grow it without end
        return piece


_TABLE_MAX = 1 << 16
_CLEAN = _CleanTable()


def clean(text: str) -> tuple[str, Sequence[int]]:
    """`text` with invisible (format) characters removed, every decimal digit made ASCII, and
    compatibility forms folded (NFKC: full-width signs, no-break and thin spaces), lower case;
    with each output character's offset in `text`."""
    folded = text.lower() if text.isascii() else text.translate(_CLEAN)
    if len(folded) == len(text):
        # Every character became one character (the common case): offsets are the identity.
        return folded, range(len(text))
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(_CLEAN[ord(ch)]))
    return folded, origin


def _tokens(text: str) -> list[tuple[str, Decimal | int]] | None:
    """("d", value) for numbers and digits, ("s" / "l" / "k", factor) for units and suffixes;
    None when `text` is not made of them."""
    out: list[tuple[str, Decimal | int]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _DIGITS:
            out.append(("d", _DIGITS[ch]))
            i += 1
        elif ch in _SMALL:
            out.append(("s", _SMALL[ch]))
            i += 1
        elif ch in _LARGE:
            out.append(("l", _LARGE[ch]))
            i += 1
        elif ch in _SUFFIX and out:
            out.append(("k", _SUFFIX[ch]))
            i += 1
        else:
            found = next((m for p in _ARABIC if (m := p.match(text, i))), None)
            if found is None:
                return None
            out.append(("d", _arabic(found.group())))
            i = found.end()
    return out


def _arabic(token: str) -> Decimal:
    if "." in token and "," in token and token.rfind(",") > token.rfind("."):
        whole, _, cents = token.replace(".", "").partition(",")  # 1.000,00: a decimal comma
    elif re.fullmatch(r"[0-9]+,[0-9]{1,2}", token):  # 1000,50
        whole, _, cents = token.partition(",")
    elif re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", token):  # 1.000
        whole, cents = token.replace(".", ""), ""
    else:
        whole, _, cents = token.replace(",", "").replace("'", "").replace(" ", "").partition(".")
    if len(whole.lstrip("0")) > _CAP_DIGITS:
        return CAP
    return Decimal(f"{whole}.{cents or '0'}")


def parse_number(text: str) -> Decimal | None:
    """The value of a whole number expression in major units (`1,000.50`, `壹仟`, `3万5千`,
    `1.5k`), capped at CAP; None when `text` is not one."""
    tokens = _tokens(text)
    if not tokens or (tokens[0][0] != "d" and tokens[0][1] != 10):
        return None  # a unit alone ("万元户") is not a number; a leading 十 is ("十五元")
    if len(tokens) > 1 and all(kind == "d" and value in range(10) for kind, value in tokens):
        # Digit by digit, as years are written: 二〇〇〇 is 2000.
        return Decimal("".join(str(int(value)) for _, value in tokens))
    total = Decimal(0)  # whole 亿 groups
    group = Decimal(0)  # whole 万 groups below them
    section = Decimal(0)  # below 万
    number: Decimal | None = None
    last_unit = 0
    after_zero = False
    for kind, value in tokens:
        if kind == "d":
            after_zero = after_zero or value == 0  # 一万零五 is 10005, not 10050
            number = Decimal(value)
            continue
        if kind == "k":
            if (kind, value) != tokens[-1]:
                return None  # "1.5k" ends the number
            return min(CAP, (total + group + section + (number or 0)) * value)
        if kind == "s":
            section += (Decimal(1) if number is None else number) * value
        elif value == 10_000:
            group = min(CAP, group + (section + (number or 0)) * value)
            section = Decimal(0)
        else:
            total = min(CAP, (total + group + section + (number or 0)) * value)
            group = section = Decimal(0)
        number, last_unit, after_zero = None, int(value), False
    if number is not None and last_unit and not after_zero and _single_digit(tokens[-1]):
        # 一万五, 1千5: a lone digit after a unit counts in the next unit down.
        number *= Decimal(last_unit) / 10
    return min(CAP, total + group + section + (number or 0))


def _single_digit(token: tuple[str, Decimal | int]) -> bool:
    value = token[1]
    return token[0] == "d" and value == int(value) and 0 < value < 10


# Digits grouped in a way no pattern reads (12,3456; 1,50,000; 1.000.00): a grouping gone wrong,
# not a list ("95588,1000" starts with five digits).
# Single digits spaced out ("1 0 0 0") are one number too.
_MISGROUPED = re.compile(r"[0-9]{1,3}(?:[,.'][0-9]{2,4})+|[0-9](?: [0-9])+")


def _glued(text: str) -> Decimal | None:
    """Every digit of a misgrouped or spaced-out number together: its largest reading."""
    if not _MISGROUPED.fullmatch(text):
        return None
    digits = re.sub(r"[,.' ]", "", text)
    return CAP if len(digits.lstrip("0")) > _CAP_DIGITS else Decimal(digits)


def _largest(
    found: tuple[Decimal, int, int] | None, text: str, at: int, step: int
) -> tuple[Decimal, int, int] | None:
    """`found`, or the glued reading of the digits next to `at` when that is larger: looking
    back from `at` when `step` is -1, forward from it when +1."""
    for marks in (",.'", " "):
        lo = hi = at
        if step < 0:
            while lo > 0 and (text[lo - 1].isdigit() or text[lo - 1] in marks):
                lo -= 1
        else:
            while hi < len(text) and (text[hi].isdigit() or text[hi] in marks):
                hi += 1
        stretch = text[lo:hi]
        core = stretch.strip(marks)
        lo += len(stretch) - len(stretch.lstrip(marks))
        if found is not None and found[1] <= lo and lo + len(core) <= found[2]:
            continue  # the patterns read all of it: 1,280.50 is not misgrouped
        glued = _glued(core)
        if glued is not None and (found is None or glued > found[0]):
            found = (glued, lo, lo + len(core))
    return found


def _read_back(text: str, end: int) -> tuple[Decimal, int, int] | None:
    """The longest number ending at `end` (or one or two spaces before it): (value, start,
    end). A number never starts just after a digit ("2026 100元" is 100, not 26100)."""
    stop = end
    while stop > 0 and end - stop < 2 and text[stop - 1] == " ":
        stop -= 1
    start = stop
    while start > 0 and stop - start < _LONGEST and text[start - 1] in _RUN:
        start -= 1
    if start > 0 and text[start - 1] in _RUN:
        return CAP, start, stop  # a numeral longer than any amount: read as the largest
    best = None
    for s in range(start, stop):
        if text[s] in _SEPARATORS or (s > start and text[s - 1].isdigit()):
            continue
        value = parse_number(text[s:stop])
        if value is not None:
            best = (value, s, stop)
            break
    return _largest(best, text, stop, -1)


def _read_forward(text: str, start: int) -> tuple[Decimal, int, int] | None:
    """The longest number starting at `start` (or one or two spaces after it): (value, start,
    end). A number never ends just before a digit."""
    begin = start
    while begin < len(text) and begin - start < 2 and text[begin] == " ":
        begin += 1
    stop = begin
    while stop < len(text) and stop - begin < _LONGEST and text[stop] in _RUN:
        stop += 1
    if stop < len(text) and text[stop] in _RUN:
        return CAP, begin, stop
    best = None
    for e in range(stop, begin, -1):
        if text[e - 1] in _SEPARATORS or (e < stop and text[e].isdigit()):
            continue
        value = parse_number(text[begin:e])
        if value is not None:
            best = (value, begin, e)
            break
    return _largest(best, text, begin, 1)


def read_amounts(text: str) -> list[Amount]:
    """Every amount next to a currency mark in `text`, in minor units, in order of position;
    each span covers the number and its mark (both marks in "¥1000元")."""
    folded, origin = clean(text)
    found: dict[tuple[int, int], tuple[Decimal, int, int]] = {}

    def add(got: tuple[Decimal, int, int] | None, mark: re.Match[str]) -> None:
        if got is None:
            return
        value, s, e = got
        seen = found.get((s, e))
        first, last = min(s, mark.start()), max(e, mark.end())
        if seen is not None:
            first, last = min(first, seen[1]), max(last, seen[2])
        found[(s, e)] = (value, first, last)

    for mark in _AFTER.finditer(folded):
        add(_read_back(folded, mark.start()), mark)
    for mark in _BEFORE.finditer(folded):
        add(_read_forward(folded, mark.end()), mark)
    return [
        Amount(round_half_up(value * MINOR_PER_MAJOR), origin[s], origin[e - 1] + 1)
        for value, s, e in sorted(found.values(), key=lambda v: (v[1], v[2]))
    ]
