"""The set-based gate decides exactly as the per-request engine (property test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.adapters.batch.policy_batch import batch_from_objects, evaluate_batch, fast_lane
from faircollect.policy import (
    Attempt,
    CaseFlags,
    Channel,
    ContactRequest,
    ContactSource,
    Facts,
    Outcome,
    PolicyInputError,
    RecipientRole,
    evaluate,
    load_pack,
)
from faircollect.policy.model import TextNumber

# Around the US spring-forward (2026-03-08) and across midnights in every zone used.
BASE = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
ZONES = ["Asia/Shanghai", "America/New_York", "America/Los_Angeles", "Asia/Urumqi"]
TEXTS = [
    "您好，您的账单已逾期，请通过APP按时还款。",
    "你这个老赖，再不还钱弄死你",
    "您当前应还金额为99,999元，请尽快还款。",
    "This communication is from a debt collector. Please call us. Reply STOP to opt out.",
    "Pay today or you will be arrested.",
    "",
]
PACKS = [
    load_pack("CN"),
    load_pack("US"),
    load_pack("US", version="2026.2"),
    load_pack("CN", version="2025.1"),
]
JITTER = [0, 1, 5, -5, 90, -90, 600]
# One in 40 (hypothesis favours the ends of an integer range, so a sample, not a bound).
RARE = st.sampled_from([False] * 39 + [True])
SEEN = {"rows": 0, "fast": 0, "blocked_fast": 0, "validation_fast": 0}

moments = st.integers(min_value=0, max_value=9 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m))
channels = st.sampled_from(
    [
        Channel.CALL,
        Channel.CALL,
        Channel.AI_VOICE,
        Channel.SMS,
        Channel.EMAIL,
        Channel.PUSH,
        Channel.VISIT,
    ]
)


@st.composite
def attempts(draw: st.DrawFn, start: datetime, dense: bool = False) -> Attempt:
    if dense:  # the calls the caps count, so the 7-in-7 and daily limits are reached
        channel, role, debt = Channel.CALL, RecipientRole.DEBTOR, "D1"
    else:
        channel = draw(channels.filter(lambda c: c is not Channel.VISIT))
        role = draw(
            st.sampled_from([RecipientRole.DEBTOR] * 4 + [RecipientRole.DESIGNATED_CONTACT])
        )
        debt = draw(st.sampled_from(["D1", "D1", "D2"]))
    return Attempt(
        at=start,
        channel=channel,
        recipient_role=role,
        contact_point=draw(st.sampled_from(["m0", "m1", "m2"])),
        debt_id=debt,
        outcome=draw(st.sampled_from(list(Outcome))),
        conversation=draw(st.booleans()),
        with_consent=draw(st.integers(0, 9)) == 0,
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[ContactRequest, Facts]:
    at = draw(moments)
    tz = draw(st.sampled_from(ZONES))
    # Short histories reach the window edges alone; long ones fill the caps.
    n = draw(st.sampled_from([0, 1, 2, 3, 4, 6, 9, 20, 24]))
    # Whole days back (so day boundaries are hit) with some jitter, a few reserved after the
    # request; always in time order.
    times = sorted(
        at - timedelta(days=draw(st.integers(-1, 12)), minutes=draw(st.sampled_from(JITTER)))
        for _ in range(n)
    )
    dense = n >= 9 and draw(st.booleans())
    if dense:  # calls packed into the last two, four or nine days
        span = draw(st.sampled_from([1, 3, 8]))
        times = sorted(
            at - timedelta(days=draw(st.integers(-1, span)), minutes=draw(st.sampled_from(JITTER)))
            for _ in range(n)
        )
    history = tuple(draw(attempts(t, dense)) for t in times)
    channel = draw(channels)
    message = draw(st.sampled_from([None, None, *TEXTS]))
    odd = draw(st.integers(0, 9)) == 0  # now and then a request outside the fast lane
    request = ContactRequest(
        at=at.astimezone(draw(st.sampled_from([UTC, at.astimezone().tzinfo or UTC]))),
        channel=channel,
        recipient_role=RecipientRole.GUARANTOR if odd else RecipientRole.DEBTOR,
        contact_point=draw(st.sampled_from(["m0", "m1", "m2"])),
        debt_id=draw(st.sampled_from(["D1", "D1", "D2"])),
        contact_source=draw(
            st.sampled_from([ContactSource.DEBTOR_PROVIDED, ContactSource.CONTRACT])
        ),
        timezones=(tz,) if draw(st.integers(0, 9)) else (tz, "America/Chicago"),
        demanded_amount=draw(st.none() | st.integers(0, 20_000)),
        visit_collectors=2,
        visit_recorded=True,
        visit_end=at + timedelta(hours=1),
        with_consent=draw(st.integers(0, 9)) == 0,
        message=message,
        first_communication=draw(st.booleans()),
        # The US 2026.3 inputs, now and then (their rules are decided by the engine).
        voicemail=channel in (Channel.CALL, Channel.AI_VOICE) and draw(RARE),
        validation_notice=draw(RARE),
        place=draw(st.sampled_from([None] * 48 + ["work", "home"])),
    )
    first = (
        at - timedelta(days=draw(st.integers(0, 9)), minutes=draw(st.sampled_from(JITTER)))
        if draw(st.booleans())
        else None
    )
    facts = Facts(
        history=history,
        flags=CaseFlags(dispute_open=draw(st.integers(0, 19)) == 0),
        lawful_outstanding=draw(st.none() | st.integers(0, 20_000)),
        night_consent=draw(st.integers(0, 19)) == 0,
        # Validation facts around the 5-day edge (vectorised): notices in time, late, or after.
        first_communication_at=first,
        validation_notice_sent_at=None
        if first is None or draw(st.booleans())
        else first + timedelta(days=draw(st.integers(0, 8)), minutes=draw(st.sampled_from(JITTER))),
        inconvenient_places=frozenset({"work"}) if draw(RARE) else frozenset(),
        text_numbers={
            "m1": TextNumber(
                last_used=at.date() - timedelta(days=draw(st.integers(0, 90))),
                checked=draw(st.none() | st.just(at.date() - timedelta(days=5))),
            )
        }
        if draw(st.booleans())
        else {},
    )
    return request, facts


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(cases(), min_size=1, max_size=16), pack_index=st.integers(0, len(PACKS) - 1))
def test_batch_decides_as_the_engine(
    items: list[tuple[ContactRequest, Facts]], pack_index: int
) -> None:
    pack = PACKS[pack_index]
    result = evaluate_batch(batch_from_objects(items), pack)
    for request, facts in items:
        SEEN["rows"] += 1
        SEEN["fast"] += fast_lane(request, facts)
    SEEN["blocked_fast"] += sum(
        1 for i, (r, f) in enumerate(items) if fast_lane(r, f) and result.row(i)[1]
    )
    SEEN["validation_fast"] += sum(
        1
        for i, (r, f) in enumerate(items)
        if fast_lane(r, f) and any(x.rule_id == "US-VALIDATION" for x in result.row(i)[1])
    )
    for i, (request, facts) in enumerate(items):
        expected = evaluate(request, facts, pack)
        verdict, reasons, not_before = result.row(i)
        assert verdict is expected.verdict, (i, expected.to_dict())
        assert reasons == expected.reasons, (i, expected.to_dict())
        assert not_before == expected.not_before


def test_most_generated_rows_take_the_fast_lane() -> None:
    # The property above would prove little if nearly everything fell back to the engine.
    if not SEEN["rows"]:
        pytest.skip("runs after the property test")
    assert SEEN["fast"] / SEEN["rows"] > 0.4
    assert SEEN["blocked_fast"] > 50  # and the fast lane blocks, with reasons to compare
    assert SEEN["validation_fast"] > 10  # the vectorised US-VALIDATION among them


def test_bad_batches_are_refused() -> None:
    at = datetime(2026, 4, 1, 2, tzinfo=UTC)
    history = (
        Attempt(
            at - timedelta(hours=2),
            Channel.CALL,
            RecipientRole.DEBTOR,
            "m1",
            "D1",
            Outcome.NO_ANSWER,
        ),
        Attempt(
            at - timedelta(hours=1),
            Channel.CALL,
            RecipientRole.DEBTOR,
            "m1",
            "D1",
            Outcome.NO_ANSWER,
        ),
    )
    request = ContactRequest(at, Channel.CALL, RecipientRole.DEBTOR, "m1", "D1")
    batch = batch_from_objects([(request, Facts(history=history)), (request, Facts())])
    batch.h_at = batch.h_at[::-1].copy()
    with pytest.raises(PolicyInputError, match=r"batch request 0: .*time order"):
        evaluate_batch(batch, load_pack("CN"))
    batch = batch_from_objects([(request, Facts())])
    batch.tz = np.array([0, 0])
    with pytest.raises(PolicyInputError, match="column tz"):
        evaluate_batch(batch, load_pack("CN"))
    batch = batch_from_objects([(request, Facts())])
    batch.fast[:] = False
    batch.fallback = None
    with pytest.raises(PolicyInputError, match="fallback"):
        evaluate_batch(batch, load_pack("CN"))


@pytest.mark.parametrize(
    "zones",
    [
        ("America/New_York", "America/Chicago"),
        ("Asia/Urumqi", "America/Chicago"),
        ("America/Los_Angeles", "America/New_York"),
        ("Asia/Shanghai", "America/Chicago"),
        ("America/Chicago", "America/Los_Angeles", "America/New_York"),
    ],
)
def test_several_possible_zones_every_twenty_minutes_across_a_dst_change(
    zones: tuple[str, ...],
) -> None:
    # Many rows per zone set in one batch, so rows that share a window opening are grouped, and
    # rows before different openings must not be.
    pack = load_pack("US")
    items = [
        (
            ContactRequest(
                BASE + timedelta(days=2, minutes=20 * k), Channel.CALL, RecipientRole.DEBTOR,
                "m1", "D1", timezones=zones,
            ),
            Facts(),
        )
        for k in range(3 * 72)
    ]  # fmt: skip
    result = evaluate_batch(batch_from_objects(items), pack)
    for i, (request, facts) in enumerate(items):
        expected = evaluate(request, facts, pack)
        assert result.row(i) == (expected.verdict, expected.reasons, expected.not_before), i
