"""Borrowers' one-time codes on a real database: through the gate and the SMS channel, single use,
five minutes, five tries, rate limits, and no difference for a number nobody registered."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from faircollect.adapters.db.tables import (
    borrower_codes,
    contact_attempts,
    contact_decisions,
    sandbox_messages,
)
from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.bootstrap import App
from faircollect.kit.limits import AUTH
from faircollect.policy import (
    Channel,
    ContactRequest,
    Decision,
    Facts,
    Purpose,
    RecipientRole,
    Verdict,
    evaluate,
    load_pack,
)
from faircollect.services.authorization import Role
from faircollect.services.borrower_facts import FactInput, record_borrower_fact
from faircollect.services.borrower_facts_model import FactKind
from faircollect.services.identity import (
    CodeMessage,
    IdentityUnit,
    LoginFailedError,
    LoginRateLimitedError,
    code_text,
    request_borrower_code,
    resolve_session,
    verify_borrower_code,
)
from faircollect.services.identity.borrowers import PLACEHOLDER
from tests.integration.conftest import BORROWER, write_tape
from tests.integration.identity_kit import World, all_audit_text, cheap, kinds, records, rows
from tests.integration.service_support import ACTORS
from tests.tape_loader import run_import

PHONE = BORROWER["phone"]
ADDRESS = "203.0.113.7"


@pytest.fixture
def world(app: App, tmp_path: Path) -> Iterator[World]:
    run_import(app, write_tape(tmp_path / "t"), update=False, console=Console(quiet=True))
    fast = cheap(app)
    yield World(fast)
    fast.engine.dispose()


def _ask(world: World, phone: str = PHONE, address: str = ADDRESS) -> None:
    request_borrower_code(world.uow(), phone=phone, address=address, send=world.app.code_sender())


def _sent_code(world: World) -> str:
    # The latest code: messages are numbered -code_id, so the lowest id.
    body = min(rows(world.app, sandbox_messages), key=lambda r: r["outbox_id"])["body"]
    found = re.search(r"\d{6}", body)
    assert found is not None
    return found.group()


def _verify(world: World, code: str, phone: str = PHONE, address: str = ADDRESS) -> object:
    return verify_borrower_code(world.uow(), phone=phone, code=code, address=address)


def test_a_code_goes_through_the_gate_and_the_channel_and_signs_the_borrower_in(
    world: World,
) -> None:
    world.clock.move_to(datetime(2026, 12, 1, 15, 30, tzinfo=UTC))  # 23:30 in Beijing
    _ask(world, phone="+86 138-1234-5678"[4:])  # the number as typed, normalised
    sent = rows(world.app, sandbox_messages)
    assert len(sent) == 1
    assert sent[0]["outbox_id"] < 0  # never an outbox message's id
    code = _sent_code(world)
    assert sent[0]["body"] == code_text("zh", code)
    # The gate decided it (recorded with its request, transactional) at night, no attempt
    # reserved: the collection caps never count it; the record holds no code.
    decisions = rows(world.app, contact_decisions)
    assert [(d["borrower_id"], d["verdict"]) for d in decisions] == [("B1", "allow")]
    request = json.loads(decisions[0]["request"])
    assert request["purpose"] == "transactional"
    assert request["message"] == code_text("zh", PLACEHOLDER)
    assert rows(world.app, contact_attempts) == []
    assert kinds(world.app, "borrower:B1")[-2:] == [
        AuditKind.CONTACT_DECIDED,
        AuditKind.BORROWER_CODE_SENT,
    ]
    sent_record = records(world.app, "borrower:B1")[-1]
    assert sent_record.payload["decision_id"] == decisions[0]["decision_id"]
    session = _verify(world, code)
    assert session.actor.kind == "borrower"  # type: ignore[attr-defined]
    assert session.actor.roles == {Role.BORROWER}  # type: ignore[attr-defined]
    assert session.actor.borrower_id == "B1"  # type: ignore[attr-defined]
    view = resolve_session(world.uow(), token=session.token)  # type: ignore[attr-defined]
    assert view.actor.borrower_id == "B1"
    assert kinds(world.app, "borrower:B1")[-1] is AuditKind.BORROWER_SIGNED_IN
    everything = all_audit_text(world.app) + str(rows(world.app, borrower_codes))
    everything += str(decisions)
    assert code not in everything
    assert PHONE not in all_audit_text(world.app)
    with pytest.raises(LoginFailedError):  # single use
        _verify(world, code)


def test_a_code_expires_after_five_minutes(world: World) -> None:
    _ask(world)
    code = _sent_code(world)
    world.tick(AUTH["code_ttl_seconds"])
    with pytest.raises(LoginFailedError):
        _verify(world, code)
    assert records(world.app, "phone:" + rows(world.app, borrower_codes)[0]["phone_index"])


def test_five_wrong_tries_kill_a_code(world: World) -> None:
    _ask(world)
    code = _sent_code(world)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(AUTH["code_tries"]):
        with pytest.raises(LoginFailedError):
            _verify(world, wrong)
    with pytest.raises(LoginFailedError):
        _verify(world, code)
    failed = [
        r for r in records(world.app, "borrower:B1") if r.kind is AuditKind.BORROWER_CODE_FAILED
    ]
    assert [r.payload["tries"] for r in failed] == [1, 2, 3, 4, 5]


def test_a_new_code_replaces_the_last_one(world: World) -> None:
    _ask(world)
    first = _sent_code(world)
    world.tick(AUTH["code_resend_seconds"])
    _ask(world)
    second = _sent_code(world)
    if first != second:
        with pytest.raises(LoginFailedError):
            _verify(world, first)
    _verify(world, second)


def test_sends_are_limited_per_phone_and_per_address_for_every_worker(world: World) -> None:
    other = cheap(world.app)
    try:
        _ask(world)
        with pytest.raises(LoginRateLimitedError) as wait:  # a minute between two codes
            request_borrower_code(other.unit_of_work(world.clock), phone=PHONE, address=ADDRESS,
                                  send=other.code_sender())  # fmt: skip
        assert 0 < wait.value.retry_after_seconds <= AUTH["code_resend_seconds"] + 1
        # Every request counts, the refused one too (asking again too soon backs off).
        for _ in range(AUTH["code_sends_per_phone"] - 2):
            world.tick(AUTH["code_resend_seconds"])
            _ask(world)
        world.tick(AUTH["code_resend_seconds"])
        with pytest.raises(LoginRateLimitedError):
            _ask(world)
        assert len(rows(world.app, sandbox_messages)) == AUTH["code_sends_per_phone"] - 1
        # Per address: numbers known or not count alike.
        asked = AUTH["code_sends_per_phone"] + 1
        for k in range(AUTH["code_sends_per_address"] - asked):
            _ask(world, phone=f"1390000{k:04d}", address=ADDRESS)
        with pytest.raises(LoginRateLimitedError):
            _ask(world, phone="13911112222", address=ADDRESS)
    finally:
        other.engine.dispose()


def test_checks_are_limited_per_phone(world: World) -> None:
    _ask(world)
    for k in range(AUTH["code_checks_per_phone"]):
        with pytest.raises(LoginFailedError):
            _verify(world, "12345", address=f"198.51.100.{k}")
    with pytest.raises(LoginRateLimitedError):
        _verify(world, _sent_code(world), address="198.51.100.99")


def test_an_unknown_number_gets_the_same_answer_and_nothing_is_sent(world: World) -> None:
    assert (
        request_borrower_code(
            world.uow(), phone="13900001111", address=ADDRESS, send=world.app.code_sender()
        )
        is None
    )
    assert rows(world.app, sandbox_messages) == []
    assert rows(world.app, borrower_codes) == []
    assert rows(world.app, contact_decisions) == []
    withheld = [r for r in records_all(world) if r.kind is AuditKind.BORROWER_CODE_WITHHELD]
    assert [r.payload["reason"] for r in withheld] == ["unknown"]
    assert "13900001111" not in all_audit_text(world.app)
    with pytest.raises(LoginFailedError):
        _verify(world, "123456", phone="13900001111")


@pytest.mark.parametrize(
    "fact",
    [
        FactInput(FactKind.OPT_OUT, medium="sms"),  # "回T退订"
        FactInput(FactKind.OPT_OUT, contact_point=PHONE),
        FactInput(FactKind.WRONG_NUMBER, contact_point=PHONE),
        FactInput(FactKind.PREFERENCES, channels=("call",)),
    ],
    ids=["sms", "number", "wrong-number", "calls-only"],
)
def test_the_borrowers_opt_out_withholds_the_code(world: World, fact: FactInput) -> None:
    # From CN 2026.3 (2026-12-07) the pack's opt-out rule reads what was recorded.
    world.clock.move_to(datetime(2026, 12, 8, 2, 0, tzinfo=UTC))
    record_borrower_fact(world.uow(), actor=ACTORS["collector"], loan_id="L1", fact=fact)
    _ask(world)
    assert rows(world.app, sandbox_messages) == []
    assert rows(world.app, borrower_codes) == []
    decisions = rows(world.app, contact_decisions)
    assert [(d["borrower_id"], d["verdict"]) for d in decisions] == [("B1", "block")]
    withheld = records(world.app, "borrower:B1")[-1]
    assert withheld.kind is AuditKind.BORROWER_CODE_WITHHELD
    assert withheld.payload["reason"] == "gate"
    assert withheld.payload["rules"] == ["CN-OPTOUT"]
    assert PHONE not in all_audit_text(world.app) + str(decisions)


def test_an_opt_out_of_another_medium_or_number_leaves_the_code(world: World) -> None:
    world.clock.move_to(datetime(2026, 12, 8, 2, 0, tzinfo=UTC))
    for fact in (
        FactInput(FactKind.OPT_OUT, medium="call"),
        FactInput(FactKind.WRONG_NUMBER, contact_point="13900009999"),
    ):
        record_borrower_fact(world.uow(), actor=ACTORS["collector"], loan_id="L1", fact=fact)
    _ask(world)
    assert len(rows(world.app, sandbox_messages)) == 1
    assert kinds(world.app, "borrower:B1")[-1] is AuditKind.BORROWER_CODE_SENT


def records_all(world: World) -> list[AuditRecord]:
    with world.app.engine.connect() as conn:
        log = world.app.audit_log(conn)
        subjects = {log.leaf(i).subject for i in range(log.size)}
    return [r for s in sorted(x for x in subjects if x) for r in records(world.app, s)]


def test_a_failed_send_leaves_nothing_behind(world: World) -> None:
    def broken(uow: IdentityUnit, message: CodeMessage, decision: Decision) -> str:
        raise RuntimeError("the gateway is down")

    before = kinds(world.app, "borrower:B1")
    with pytest.raises(RuntimeError):
        request_borrower_code(world.uow(), phone=PHONE, address=ADDRESS, send=broken)
    # The decision, the code and their audit records are one transaction: all rolled back.
    assert rows(world.app, borrower_codes) == []
    assert rows(world.app, contact_decisions) == []
    assert kinds(world.app, "borrower:B1") == before


def test_real_codes_screen_exactly_as_the_placeholder_the_gate_decides_on() -> None:
    at = datetime(2026, 12, 1, 3, tzinfo=UTC)
    for pack_id, language in (("CN", "zh"), ("US", "en"), ("UK", "en"), ("CN", "en")):
        pack = load_pack(pack_id)
        verdicts = set()
        for code in [PLACEHOLDER, "482913", "999999", "100000", "000001", "123456", "666666"]:
            request = ContactRequest(
                at=at, channel=Channel.SMS, recipient_role=RecipientRole.DEBTOR,
                contact_point="x", debt_id="", timezones=("UTC",),
                message=code_text(language, code), purpose=Purpose.TRANSACTIONAL,
            )  # fmt: skip
            verdicts.add(evaluate(request, Facts(), pack).verdict)
        assert verdicts == {Verdict.ALLOW}, pack_id
