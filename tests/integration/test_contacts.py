"""request_contact / record_outcome on a real database: caps hold under concurrency."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.db.batch_job import run_batch
from faircollect.adapters.db.contact_store import SqlContactStore
from faircollect.adapters.db.tables import contact_attempts, contact_decisions
from faircollect.audit.records import AuditKind, decode_record
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.policy import Channel, ContactRequest, Outcome, RecipientRole, Verdict, load_pack
from faircollect.services.contacts import (
    ContactAnswer,
    UnknownDebtorError,
    record_outcome,
    replay_decisions,
    request_contact,
)
from tests.integration.conftest import BORROWER, write_tape
from tests.tape_loader import run_import

BEIJING = timezone(timedelta(hours=8))
CN = load_pack("CN")


def ask(app: App, at: datetime, **extra: object) -> ContactAnswer:
    fields: dict[str, object] = {
        "at": at,
        "channel": Channel.CALL,
        "recipient_role": RecipientRole.DEBTOR,
        "contact_point": "m1",
        "debt_id": "L1",
        **extra,
    }
    with app.engine.begin() as conn:
        return request_contact(
            store=SqlContactStore(conn),
            audit=app.audit_log(conn),
            pack=CN,
            borrower_id=str(extra.pop("borrower", "B1")) if "borrower" in extra else "B1",
            loan_id="L1",
            request=ContactRequest(**fields),  # type: ignore[arg-type]
        )


def outcome(app: App, attempt: int | None, result: Outcome, conversation: bool = False) -> None:
    assert attempt is not None
    with app.engine.begin() as conn:
        record_outcome(
            store=SqlContactStore(conn),
            attempt_id=attempt,
            outcome=result,
            conversation=conversation,
        )


@pytest.fixture
def debtor(app: App, tmp_path: Path) -> App:
    run_import(
        app, write_tape(tmp_path / "t", payments=[]), update=False, console=Console(quiet=True)
    )
    run_batch(
        engine=app.engine,
        url=app.settings.db_url,
        as_of=date(2025, 7, 10),
        buckets=app.buckets,
        clock=FixedClock(datetime(2025, 7, 10, tzinfo=BEIJING)),
    )
    return app


def test_the_fourth_connected_call_of_the_day_is_blocked(debtor: App) -> None:
    for hour in (9, 10, 11):
        answer = ask(debtor, datetime(2025, 7, 10, hour, tzinfo=BEIJING))
        assert answer.decision.verdict is Verdict.ALLOW
        outcome(debtor, answer.attempt_id, Outcome.CONNECTED)
    fourth = ask(debtor, datetime(2025, 7, 10, 15, tzinfo=BEIJING))
    assert fourth.decision.verdict is Verdict.BLOCK
    assert [r.rule_id for r in fourth.decision.reasons] == ["CN-FREQ-CONNECTED-3"]
    assert fourth.attempt_id is None
    assert fourth.decision.not_before == datetime(2025, 7, 11, 8, tzinfo=BEIJING)
    with debtor.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(contact_decisions)).scalar_one() == 4
        assert conn.execute(select(func.count()).select_from(contact_attempts)).scalar_one() == 3
        log = debtor.audit_log(conn)
        kinds = [log.leaf(i).kind for i in log.indexes_about(["borrower:B1"])]
    assert kinds.count(AuditKind.CONTACT_DECIDED) == 4


def test_quiet_hours_use_the_stored_time_zone(debtor: App) -> None:
    late = ask(debtor, datetime(2025, 7, 10, 14, 30, tzinfo=UTC))  # 22:30 in Beijing
    assert late.decision.verdict is Verdict.BLOCK
    assert late.decision.reasons[0].rule_id == "CN-HOURS-NIGHT"


def test_demands_are_checked_against_the_batch_lawful_outstanding(debtor: App) -> None:
    day = datetime(2025, 7, 10, 10, tzinfo=BEIJING)
    text = (
        "您好，您的账单已逾期，请通过APP按时还款。"  # an SMS carries its text, and it is screened
    )
    fine = ask(debtor, day, channel=Channel.SMS, demanded_amount=1000_00, message=text)
    assert fine.decision.verdict is Verdict.ALLOW
    greedy = ask(debtor, day, channel=Channel.SMS, demanded_amount=99_999_00, message=text)
    assert [r.rule_id for r in greedy.decision.reasons] == ["CN-AMOUNT-LAWFUL"]
    unknown_day = ask(
        debtor, day + timedelta(days=1), channel=Channel.SMS, demanded_amount=1_00, message=text
    )
    assert "missing fact" in unknown_day.decision.reasons[0].message_en


def test_an_open_pause_blocks(app: App, tmp_path: Path) -> None:
    dispute = {
        "pause_id": "P1",
        "loan_id": "L1",
        "kind": "dispute",
        "start_on": "2025-07-05",
        "end_on": "",
    }
    run_import(
        app,
        write_tape(tmp_path / "t", payments=[], pauses=[dispute]),
        update=False,
        console=Console(quiet=True),
    )
    answer = ask(app, datetime(2025, 7, 10, 10, tzinfo=BEIJING))
    assert [r.rule_id for r in answer.decision.reasons] == ["CN-CASE-PAUSE"]


def test_unknown_debtor_and_bad_outcomes(debtor: App) -> None:
    with pytest.raises(UnknownDebtorError), debtor.engine.begin() as conn:
        request_contact(
            store=SqlContactStore(conn),
            audit=debtor.audit_log(conn),
            pack=CN,
            borrower_id="B404",
            loan_id="L1",
            request=ContactRequest(
                datetime(2025, 7, 10, 10, tzinfo=BEIJING),
                Channel.CALL,
                RecipientRole.DEBTOR,
                "m1",
                "L1",
            ),
        )
    with pytest.raises(ValueError, match="pending"), debtor.engine.begin() as conn:
        record_outcome(store=SqlContactStore(conn), attempt_id=1, outcome=Outcome.PENDING)
    with pytest.raises(LookupError), debtor.engine.begin() as conn:
        record_outcome(store=SqlContactStore(conn), attempt_id=999, outcome=Outcome.BUSY)


def test_concurrent_dispatchers_never_exceed_a_cap(debtor: App) -> None:
    """8 workers x 200 requests for the same debtor on the same day: at most 3 calls go out."""
    allowed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        try:
            for j in range(200):
                at = datetime(2025, 7, 10, 9, tzinfo=BEIJING) + timedelta(seconds=k * 1000 + j)
                answer = ask(debtor, at)
                if answer.attempt_id is not None:
                    with lock:
                        allowed.append(answer.attempt_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:1]
    assert len(allowed) == 3
    with debtor.engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(contact_decisions)).scalar_one() == 1600
        )
        assert conn.execute(select(func.count()).select_from(contact_attempts)).scalar_one() == 3
    assert BORROWER["timezone"] == "Asia/Shanghai"


def test_replay_shows_what_a_stricter_pack_would_have_blocked(debtor: App) -> None:
    for hour in (9, 10, 11, 15):
        answer = ask(debtor, datetime(2025, 7, 10, hour, tzinfo=BEIJING))
        if answer.attempt_id is not None:
            outcome(debtor, answer.attempt_id, Outcome.CONNECTED)
    stricter = load_pack(
        "CN",
        overlay='id = "bank"\nversion = "1"\noverlay_of = "CN"\n[rules.CN-FREQ-CONNECTED-3]\nlimit = 2\n',
    )
    start, end = datetime(2025, 7, 10, tzinfo=UTC), datetime(2025, 7, 11, tzinfo=UTC)
    with debtor.engine.connect() as conn:
        same = replay_decisions(store=SqlContactStore(conn), pack=CN, start=start, end=end)
        tighter = replay_decisions(store=SqlContactStore(conn), pack=stricter, start=start, end=end)
        before = conn.execute(select(func.count()).select_from(contact_decisions)).scalar_one()
    assert (same.decisions, same.changed) == (4, 0)
    assert same.original == same.replayed == {"allow": 3, "block": 1}
    assert (tighter.changed, tighter.newly_blocked_by_rule) == (1, {"CN-FREQ-CONNECTED-3": 1})
    assert before == 4  # replay changes nothing


def test_a_replay_decides_the_recorded_message_and_the_log_keeps_only_its_digest(
    debtor: App,
) -> None:
    text = "您好，您的账单已逾期，请通过APP官方渠道还款，如有困难可申请分期。"
    for hour in (9, 14):
        answer = ask(debtor, datetime(2025, 7, 10, hour, tzinfo=BEIJING), channel=Channel.SMS,
                     message=text)  # fmt: skip
        assert answer.decision.verdict is Verdict.ALLOW, answer.decision.to_dict()
    start, end = datetime(2025, 7, 10, tzinfo=UTC), datetime(2025, 7, 11, tzinfo=UTC)
    with debtor.engine.connect() as conn:
        same = replay_decisions(store=SqlContactStore(conn), pack=CN, start=start, end=end)
        log = debtor.audit_log(conn)
        decided = [decode_record(log.leaf(i).entry) for i in log.indexes_about(["borrower:B1"])]
    # Recorded with its text, the message is screened again and passes again.
    assert (same.decisions, same.changed) == (2, 0)
    requests = [r.payload["request"] for r in decided if r.kind is AuditKind.CONTACT_DECIDED]
    assert len(requests) == 2
    assert all("message" not in r for r in requests)
    assert {r["message_sha256"] for r in requests} == {hashlib.sha256(text.encode()).hexdigest()}
