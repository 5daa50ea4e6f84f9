"""The classifier's impersonation needs someone to impersonate (an authority, a legal process or
a title named in the text): a plain self-introduction is no impersonation."""

from __future__ import annotations

from faircollect.screening.engine import ScreeningContext, screen
from faircollect.screening.model import Category, Verdict

US = ScreeningContext(pack="US", role="debtor", currency="USD", channel="call")


def test_a_plain_self_introduction_is_not_impersonation() -> None:
    text = "Hi, this is Anna Lee at Apex Services. My number is 555-201-3344. Have a good day."
    result = screen(text, context=ScreeningContext(pack="US", not_a_communication=True))
    assert Category.IMPERSONATION not in result.categories
    assert result.verdict is Verdict.PASS


def test_naming_an_authority_is_still_impersonation() -> None:
    for text in (
        "This is Officer Reed from the county sheriff's office about a warrant in your name.",
        "我是市公安局经侦支队的，你涉嫌恶意透支，马上还款否则立案。",
        "Th1s is 0fficer Reed, call back before the warrant is served.",
    ):
        result = screen(text, context=US)
        assert result.verdict is Verdict.BLOCK, text
