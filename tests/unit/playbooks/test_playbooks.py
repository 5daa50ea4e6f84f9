"""Playbooks: the shipped ones load and pass screening; bad ones are refused with line and reason;
the workflow plans each step once per key, on crossing, with follow-ups."""

from __future__ import annotations

from datetime import date

import pytest

from faircollect.playbooks import (
    Account,
    Action,
    Event,
    EventKind,
    PlaybookError,
    load_playbook,
    plan,
    shipped_playbook,
    shipped_templates,
)
from faircollect.policy.packs import load_pack
from faircollect.screening import ScreeningContext, Verdict, screen
from faircollect.screening.templates import render, sample_values

CN, US = load_pack("CN"), load_pack("US")
TEMPLATES = shipped_templates()
HEAD = "name: t\nversion: 1\npack: CN\nsteps:\n"


def load(steps: str, pack=CN, head: str = HEAD):
    return load_playbook(head + steps, where="t.yaml", templates=TEMPLATES, pack=pack)


def test_shipped_playbooks_load_and_every_template_passes_screening() -> None:
    for pack in (CN, US):
        book = shipped_playbook(pack, TEMPLATES)
        assert book.pack == pack.pack_id
        assert {s.action for s in book.steps} >= {Action.SEND, Action.CALL_TASK, Action.OFFER_PLAN}
    for key, by_lang in TEMPLATES.templates.items():
        for lang, template in by_lang.items():
            text = render(template, sample_values(template))
            # The UK texts carry no US collector disclosure: screened under the UK pack only
            # (test_uk_texts.py); a US playbook naming one is refused as it loads.
            packs = ("UK",) if key.startswith("uk.") else ("CN", "US") if lang == "en" else ("CN",)
            for pack in packs:
                ctx = ScreeningContext(pack=pack, lawful_outstanding_minor=200_000)
                result = screen(text, context=ctx)
                assert result.verdict is Verdict.PASS, (key, lang, pack, result)


@pytest.mark.parametrize(
    ("steps", "line", "reason"),
    [
        ("  - id: a\n    when: {dpd: 1}\n    do: send\n    channel: sms\n    template: nope\n", 5,
         "unknown template 'nope'"),
        ("  - id: a\n    when: {dpd: 1}\n    do: send\n    channel: pigeon\n    template: overdue.first\n", 5,
         "unknown channel 'pigeon'"),
        ("  - id: a\n    when: {dpd: 1}\n    do: send\n    channel: social_public\n    template: overdue.first\n", 5,
         "public social media never"),
        ("  - id: a\n    when: {dpd: 1}\n    do: call_task\n    to: address_book\n", 5,
         "numbers from an address book are never contacted"),
        ("  - id: a\n    when: {dpd: 1}\n    do: call_task\n    to: designated_contact\n", 5,
         "designated contacts"),
        ("  - id: a\n    when: {dpd: 1}\n    do: call_task\n    at: '22:30'\n", 5,
         "outside the pack's hours 08:00-22:00"),
        ("  - id: a\n    when: {dpd: 1}\n    do: call_task\n    then: b\n    after_days: 1\n"
         "  - id: b\n    do: call_task\n    then: a\n    after_days: 1\n", 5, "steps loop: a -> b -> a"),
        ("  - id: a\n    when: {dpd: 1}\n    do: call_task\n  - id: a\n    when: {dpd: 2}\n    do: review\n", 8,
         "step id 'a' already used on line 5"),
        ("  - id: a\n    when: {event: moon_full}\n    do: review\n", 5, "unknown event 'moon_full'"),
        ("  - id: a\n    when: {dpd: -3}\n    do: review\n", 5, "dpd must be a whole number"),
        ("  - id: a\n    when: {dpd: 7}\n    do: offer_plan\n    channel: sms\n    template: plan.offer\n", 5,
         "offer_plan needs params.instalments"),
        ("  - id: a\n    when: {dpd: 7}\n    do: send\n    channel: email\n    template: overdue.first\n", 5,
         "is not written for email"),
        ("  - id: a\n    do: review\n", 5, "has no 'when' and no step leads to it"),
        ("  - id: a\n    when: {dpd: 1}\n    do: review\n    colour: red\n", 5, "unknown key(s) colour"),
        ("  - id: a\n    when: {dpd: 1}\n    do: send\n    channel: sms\n  template: x\n", 5,
         "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_playbooks_are_refused_with_line_and_reason(steps: str, line: int, reason: str) -> None:
    with pytest.raises(PlaybookError) as info:
        load(steps)
    message = str(info.value)
    assert reason in message
    if "YAML" not in reason:
        assert message.startswith(f"t.yaml:{line}:"), message


def test_header_errors_and_pack_mismatch() -> None:
    with pytest.raises(PlaybookError, match=r"t.yaml:1: missing 'steps'"):
        load_playbook(
            "name: t\nversion: 1\npack: CN\n", where="t.yaml", templates=TEMPLATES, pack=CN
        )
    with pytest.raises(PlaybookError, match="for pack 'CN', checked against 'US'"):
        load("  - id: a\n    when: {dpd: 1}\n    do: review\n", pack=US)
    with pytest.raises(PlaybookError, match="version must be a positive integer"):
        load("  - id: a\n    when: {dpd: 1}\n    do: review\n", head=HEAD.replace("1", "zero"))
    # US hours end at 21:00: a step at 21:30 is fine in China, refused in the US.
    step = "  - id: a\n    when: {dpd: 1}\n    do: call_task\n    at: '21:30'\n"
    assert load(step).steps[0].at.hour == 21
    with pytest.raises(PlaybookError, match="08:00-21:00"):
        load(step, pack=US, head=HEAD.replace("CN", "US"))


def account(**kw) -> Account:
    base = dict(loan_id="L1", borrower_id="B1", timezone="Asia/Shanghai", dpd=0, previous_dpd=0,
                bucket="M0", days_to_due=None)  # fmt: skip
    return Account(**{**base, **kw})


def test_workflow_fires_on_crossing_with_follow_ups_and_stable_keys() -> None:
    book = shipped_playbook(CN, TEMPLATES)
    day = date(2026, 11, 20)
    pre = plan(book, account(days_to_due=3), [], day)
    assert [p.step_id for p in pre] == ["predue_reminder"]
    assert pre[0].due_at.isoformat() == "2026-11-20T10:00:00+08:00"
    # The batch skipped a day: dpd went 2 → 4, and the D+3 call still starts, with its retry.
    calls = plan(book, account(dpd=4, previous_dpd=2, bucket="M1"), [], day)
    assert [(p.step_id, p.due_at.day) for p in calls] == [("d3_call", 20), ("d4_call_retry", 21)]
    assert calls[1].key == calls[0].key + ">d4_call_retry"
    assert plan(book, account(dpd=4, previous_dpd=3, bucket="M1"), [], day) == []
    again = plan(book, account(dpd=4, previous_dpd=2, bucket="M1"), [], day)
    assert [p.key for p in again] == [p.key for p in calls]
    paid = plan(book, account(dpd=5, previous_dpd=4, bucket="M1"),
                [Event(EventKind.PAYMENT_RECEIVED, day)], day)  # fmt: skip
    assert [p.step_id for p in paid] == ["thanks_for_payment"]
    # The condition (bucket M1-M3) keeps the thanks from a current account.
    assert plan(book, account(), [Event(EventKind.PAYMENT_RECEIVED, day)], day) == []
    two = plan(book, account(dpd=9, previous_dpd=8, bucket="M1"),
               [Event(EventKind.PROMISE_BROKEN, day, "P1"), Event(EventKind.PROMISE_BROKEN, day, "P2")], day)  # fmt: skip
    assert [p.key.rsplit("|", 1)[1] for p in two] == ["P1", "P2"]


def test_a_held_account_starts_no_contacting_step() -> None:
    book = shipped_playbook(CN, TEMPLATES)
    day = date(2026, 11, 20)
    held = plan(book, account(dpd=30, previous_dpd=29, bucket="M1", paused=True), [], day)
    free = plan(book, account(dpd=30, previous_dpd=29, bucket="M1"), [], day)
    assert [p.step_id for p in free] == ["d30_review"]
    assert [p.step_id for p in held] == ["d30_review"]  # people's steps still start
    sms = plan(book, account(dpd=1, previous_dpd=0, bucket="M1", paused=True), [], day)
    assert sms == []


def test_a_playbook_may_opt_out_of_the_strategy_engine_and_only_with_a_boolean() -> None:
    step = "  - id: a\n    when: {dpd: 1}\n    do: send\n    channel: sms\n    template: overdue.first\n"
    assert load(step).engine is True  # by default the engine fills the open choices
    assert load(step, head=HEAD.replace("steps:", "engine: false\nsteps:")).engine is False
    with pytest.raises(PlaybookError, match="engine must be true or false"):
        load(step, head=HEAD.replace("steps:", "engine: sometimes\nsteps:"))
