"""The UK playbook's texts: a UK lender collecting its own debts is no "debt collector" under the
US Regulation F, so its shipped texts do not say so (the US ones must); its arrears texts name
free debt advice; each passes screening under the UK pack in the context it is sent in."""

from __future__ import annotations

from importlib import resources

from faircollect.playbooks import load_playbook, shipped_templates
from faircollect.policy.packs import load_pack
from faircollect.screening import ScreeningContext, Verdict, screen
from faircollect.screening.templates import render, sample_values

US_DISCLOSURE = "communication from a debt collector"


def _named(book: str, pack: str) -> dict[str, str]:
    """step id → template key of a shipped playbook, loaded as the service loads it."""
    text = (resources.files("faircollect.playbooks") / "data" / f"{book}.yaml").read_text("utf-8")
    playbook = load_playbook(text, where=f"{book}.yaml", templates=shipped_templates(),
                             pack=load_pack(pack))  # fmt: skip
    return {s.step_id: s.template for s in playbook.steps if s.template}


def test_the_uk_playbooks_texts_carry_no_us_disclosure_and_name_free_advice() -> None:
    catalogue = shipped_templates()
    named = _named("uk-default", "UK")
    assert len(named) >= 5
    for key in named.values():
        template = catalogue.get(key, "en")
        assert US_DISCLOSURE not in template.body, key
        filled = render(template, sample_values(template), currency="GBP")
        context = ScreeningContext(pack="UK", currency="GBP", channel=template.channel)
        assert screen(filled, lang="en", context=context).verdict is Verdict.PASS, key
    advice = [k for k in named.values() if "MoneyHelper" in catalogue.get(k, "en").body]
    assert {"uk.overdue.first", "uk.overdue.email"} <= set(advice)


def test_the_us_playbooks_texts_still_say_they_are_from_a_debt_collector() -> None:
    catalogue = shipped_templates()
    for key in _named("us-default", "US").values():
        body = catalogue.get(key, "en").body
        assert US_DISCLOSURE in body or "attempt to collect a debt" in body, key
