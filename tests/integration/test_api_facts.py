"""Borrower-side facts over the API on SQLite and PostgreSQL: each one recorded changes the next
`POST /contacts/decisions` at once; who may record what (a borrower only their own, another's
loan a 404); bad bodies are problem+json naming the field with nothing written; an
Idempotency-Key replays; contact points and notes are sealed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.db.fact_tables import borrower_facts
from faircollect.audit.records import decode_record
from faircollect.bootstrap import App
from faircollect.services.authorization import Actor, Role, make_actor
from tests.integration.conftest import BORROWER, LOAN, write_tape
from tests.integration.service_support import ACTORS, TokenResolver, bearer
from tests.tape_loader import run_import

PROBLEM = "application/problem+json"
DECIDE = "/api/v1/contacts/decisions"
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _next_tuesday(after: date) -> date:
    return after + timedelta(days=(1 - after.weekday()) % 7 or 7)


# A week or two from now, inside US pack 2026.3 (from 2026-12-07), 10:00 in New York: facts
# recorded now (the system clock) are in force then.
T0 = datetime.combine(
    _next_tuesday(datetime.now(UTC).date() + timedelta(days=7)),
    datetime.min.time().replace(hour=10),
    tzinfo=NEW_YORK,
)


class Resolver(TokenResolver):
    """The shared test actors, and B3 (the US borrower) signed in."""

    extra: ClassVar[dict[str, Actor]] = {
        "b3": make_actor("borrower", "B3", "B3", [Role.BORROWER], borrower_id="B3")
    }

    def from_bearer(self, token: str) -> Actor | None:
        return self.extra.get(token) or ACTORS.get(token)


@pytest.fixture
def client(app: App, tmp_path: Path) -> Iterator[TestClient]:
    from faircollect.entrypoints.server import create_app

    borrowers = [
        BORROWER,
        {**BORROWER, "borrower_id": "B2", "phone": "13900000000", "id_number": "110101199003071235"},
        {**BORROWER, "borrower_id": "B3", "phone": "13900000001", "id_number": "110101199003071236",
         "timezone": "America/New_York", "language": "en"},
    ]  # fmt: skip
    loans = [
        {**LOAN, "contract_date": "2026-06-01", "disbursed_on": "2026-06-01",
         "first_due_on": "2026-07-01"},
        {**LOAN, "loan_id": "L2", "borrower_id": "B2"},
        {**LOAN, "loan_id": "U1", "borrower_id": "B3", "currency": "USD"},
    ]  # fmt: skip
    tape = write_tape(tmp_path / "tape", borrowers=borrowers, loans=loans, payments=[])
    run_import(app, tape, update=False, console=Console(quiet=True))
    with TestClient(create_app(app, resolver=Resolver())) as test_client:
        yield test_client


MESSAGE = (
    "This communication is from a debt collector. This is an attempt to collect a debt and any"
    " information obtained will be used for that purpose. Please call 212-555-0100."
    " Reply STOP to opt out."
)


def us(at: datetime = T0, **extra: Any) -> dict[str, Any]:
    body = {"at": at.isoformat(), "channel": "call", "role": "debtor", "contact_point": "u-m1",
            "debt_id": "U1", **extra}  # fmt: skip
    if body["channel"] != "call":
        body.setdefault("message", MESSAGE)  # written channels are screened
    return body


def cn(loan: str = "L1", **extra: Any) -> dict[str, Any]:
    at = T0.astimezone(SHANGHAI).replace(hour=10)
    return {"at": at.isoformat(), "channel": "call", "role": "debtor", "contact_point": "c-m1",
            "debt_id": loan, **extra}  # fmt: skip


def decide(client: TestClient, body: dict[str, Any]) -> tuple[str, list[str]]:
    answer = client.post(DECIDE, json=body, headers=bearer("collector"))
    assert answer.status_code == 201, answer.text
    data = answer.json()
    return data["verdict"], [r["rule_id"] for r in data["reasons"]]


def record(
    client: TestClient, loan: str, path: str, body: dict[str, Any], who: str = "collector"
) -> dict[str, Any]:
    answer = client.post(f"/api/v1/loans/{loan}/{path}", json=body, headers=bearer(who))
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()
    return data


def blocked_by(client: TestClient, body: dict[str, Any]) -> list[str]:
    verdict, rules = decide(client, body)
    assert verdict != "allow"
    return rules


def allowed(client: TestClient, body: dict[str, Any]) -> bool:
    verdict, rules = decide(client, body)
    assert verdict == "allow", rules
    return True


def emails_used(client: TestClient, *points: str) -> None:
    """The consumer has written to the collector from these addresses (1006.6(d)(4)(i)(A))."""
    for point in points:
        record(client, "U1", "email-addresses",
               {"contact_point": point, "used_at": datetime.now(UTC).isoformat()})  # fmt: skip


def rows(app: App) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(borrower_facts)).scalar() or 0)


def test_opt_outs_wrong_numbers_and_cease_hold_for_the_next_decision(client: TestClient) -> None:
    emails_used(client, "u-e1", "u-e2")
    assert allowed(client, us(channel="email", contact_point="u-e1"))
    record(client, "U1", "opt-outs", {"medium": "email"})
    assert "US-MEDIUM-OPTOUT" in blocked_by(client, us(channel="email", contact_point="u-e2"))
    # The borrower themself opts a number out.
    assert allowed(client, us(channel="call", contact_point="u-m2"))
    out = record(client, "U1", "opt-outs", {"contact_point": "u-m2"}, who="b3")
    assert out["applies_to"] == "borrower"
    assert "US-MEDIUM-OPTOUT" in blocked_by(
        client, us(contact_point="u-m2", at=T0 + timedelta(hours=1))
    )
    assert allowed(client, us(contact_point="u-m1", at=T0 + timedelta(hours=1)))
    record(client, "U1", "wrong-numbers", {"contact_point": "u-m3", "note": "a shop answered"})
    assert "US-MEDIUM-OPTOUT" in blocked_by(
        client, us(contact_point="u-m3", at=T0 + timedelta(hours=2))
    )
    record(client, "U1", "cease", {})
    assert "US-CEASE" in blocked_by(client, us(at=T0 + timedelta(hours=3)))
    # An end-of-collection notice may still go (12 CFR 1006.6(c)(2)).
    assert allowed(client, us(at=T0 + timedelta(hours=3), channel="letter", contact_point="u-a1",
                              end_of_collection_notice=True))  # fmt: skip


def test_preferences_bar_media_times_and_places_and_the_newest_replaces_the_last(
    client: TestClient,
) -> None:
    assert allowed(client, us(place="work"))
    record(client, "U1", "contact-preferences",
           {"channels": ["call", "letter"], "no_calls_at_work": True, "language": "en",
            "inconvenient_times": [{"weekdays": [T0.weekday()], "start": "18:00", "end": "08:00"}],
            "note": "only after my shift"}, who="b3")  # fmt: skip
    later = T0 + timedelta(hours=1)
    assert "US-PLACE-DESIGNATED" in blocked_by(client, us(at=later, place="work"))
    assert "US-MEDIUM-OPTOUT" in blocked_by(
        client, us(at=later, channel="email", contact_point="u-e1")
    )
    # 07:30 the next morning falls in the evening window's part past midnight.
    morning = (T0 + timedelta(days=1)).replace(hour=7, minute=30)
    assert "US-TIME-DESIGNATED" in blocked_by(client, us(at=morning, contact_point="u-m5"))
    record(client, "U1", "contact-preferences", {"channels": ["email", "call"]})
    emails_used(client, "u-e1")
    assert allowed(client, us(at=later + timedelta(hours=1), place="work", contact_point="u-m6"))
    assert allowed(client, us(at=later, channel="email", contact_point="u-e1"))


def test_disputes_hardship_complaints_and_refusals_pause_cn_collection(client: TestClient) -> None:
    for loan, path in (("L1", "disputes"), ("L2", "hardships")):
        assert allowed(client, cn(loan))
        out = record(client, loan, path, {"note": "says the fee is wrong"}, who="collector")
        assert out["applies_to"] == "loan"
        assert blocked_by(client, cn(loan, contact_point="c-m2")) == ["CN-CASE-PAUSE"]
    # A complaint by the borrower themself, on their own loan.
    record(client, "L1", "complaints", {}, who="b1")
    answer = client.post(DECIDE, json=cn("L1", contact_point="c-m3"), headers=bearer("collector"))
    assert "complaint" in answer.json()["reasons"][0]["message_en"]
    refused = cn("L2", role="designated_contact", contact_point="c-x1")
    assert "refused" not in client.post(DECIDE, json=refused, headers=bearer("collector")).text
    record(client, "L2", "contact-refusals", {"contact_point": "c-x1"}, who="manager")
    answer = client.post(DECIDE, json=refused, headers=bearer("collector"))
    assert "refused" in answer.json()["reasons"][0]["message_en"]


def test_validation_and_text_numbers_are_loaded_for_the_us_pack(client: TestClient) -> None:
    # A text to a number nobody recorded: no safe harbor from 2026-12-07.
    text = us(channel="sms", contact_point="u-m1")
    assert "US-TEXT-SAFE-HARBOR" in blocked_by(client, text)
    record(client, "U1", "text-numbers", {"contact_point": "u-m1",
                                          "used_at": datetime.now(UTC).isoformat()})  # fmt: skip
    assert (
        "US-TEXT-SAFE-HARBOR"
        not in decide(client, {**text, "at": (T0 + timedelta(minutes=5)).isoformat()})[1]
    )
    # The first communication comes from the contact history: a call that became a conversation.
    answer = client.post(DECIDE, json=us(contact_point="u-m9", at=T0 + timedelta(hours=1)),
                         headers=bearer("collector"))  # fmt: skip
    attempt = answer.json()["attempt_id"]
    assert client.post(f"/api/v1/contacts/{attempt}/outcome",
                       json={"outcome": "connected", "conversation": True},
                       headers=bearer("collector")).status_code == 200  # fmt: skip
    late = us(contact_point="u-m9", at=T0 + timedelta(days=8))
    assert "US-VALIDATION" in blocked_by(client, late)
    record(client, "U1", "validation-notices", {})
    assert (
        "US-VALIDATION"
        not in decide(client, {**late, "at": (T0 + timedelta(days=8, hours=1)).isoformat()})[1]
    )
    # A dispute within the validation period holds collection until verification.
    record(client, "U1", "disputes", {}, who="b3")
    assert "US-DISPUTE" in blocked_by(
        client, us(contact_point="u-m8", at=T0 + timedelta(days=8, hours=2))
    )


def test_email_addresses_are_loaded_for_the_us_pack(app: App, client: TestClient) -> None:
    # An e-mail to an address nothing covers: no 1006.6(d)(4) procedure, no safe harbor.
    mail = us(channel="email", contact_point="u-e7")
    assert "US-EMAIL-SAFE-HARBOR" in blocked_by(client, mail)
    # The creditor's notice, sent 40 days ago with 36 days to opt out: the period has passed.
    now = datetime.now(UTC)
    notice = {"contact_point": "u-e7", "creditor_notice_at": (now - timedelta(days=40)).isoformat(),
              "opt_out_by": (now - timedelta(days=4)).date().isoformat()}  # fmt: skip
    record(client, "U1", "email-addresses", notice)
    later = {**mail, "at": (T0 + timedelta(minutes=5)).isoformat()}
    # Not on a domain open to the public: the notice alone does not cover it ((d)(4)(ii)(E)).
    assert "US-EMAIL-SAFE-HARBOR" in blocked_by(client, later)
    out = record(client, "U1", "email-addresses", {**notice, "public_domain": True})
    assert out["applies_to"] == "borrower"
    assert allowed(client, {**mail, "at": (T0 + timedelta(minutes=10)).isoformat()})
    # Another address of the same borrower is not covered by it.
    assert "US-EMAIL-SAFE-HARBOR" in blocked_by(
        client, us(channel="email", contact_point="u-e8", at=T0 + timedelta(minutes=15))
    )
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        kept = [decode_record(log.leaf(k).entry) for k in range(log.size)]
    recorded = [r for r in kept if int(r.kind) == 321]  # EMAIL_ADDRESS_RECORDED
    assert [r.payload["detail"]["public_domain"] for r in recorded] == [False, True]
    assert recorded[1].payload["detail"]["opt_out_by"] == notice["opt_out_by"]
    assert "u-e7" not in repr(recorded)


@pytest.mark.parametrize(
    ("who", "loan", "path", "status"),
    [
        (None, "L1", "disputes", 401),
        ("b2", "L1", "disputes", 404),  # another borrower's loan: as if it did not exist
        ("b1", "L1", "cease", 403),  # a cease notice is staff's to record
        ("b1", "L1", "wrong-numbers", 403),
        ("agency", "L1", "opt-outs", 404),  # not placed with the agency
        ("auditor", "L1", "complaints", 403),
        ("admin", "L1", "complaints", 403),
        ("collector", "NOPE", "complaints", 404),
        ("b1", "L9", "complaints", 404),
    ],
)
def test_who_may_record_and_nothing_is_written_otherwise(
    app: App, client: TestClient, who: str | None, loan: str, path: str, status: int
) -> None:
    body = {"contact_point": "c-m1"} if path in ("wrong-numbers", "opt-outs") else {}
    headers = bearer(who) if who else {}
    answer = client.post(f"/api/v1/loans/{loan}/{path}", json=body, headers=headers)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert rows(app) == 0
    assert "c-m1" not in answer.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("disputes", {"reason": "x"}, "reason"),
        ("disputes", {"at": "2026-11-01T10:00:00"}, "at"),  # naive: which moment?
        ("disputes", {"at": "2099-01-01T10:00:00+00:00"}, "at"),  # after now
        ("opt-outs", {}, "medium"),
        ("opt-outs", {"medium": "pigeon"}, "medium"),
        ("opt-outs", {"medium": None}, "medium"),
        ("contact-preferences", {"channels": []}, "channels"),
        ("contact-preferences", {"inconvenient_times": [{"start": "25:00"}]}, "start"),
        ("text-numbers", {"contact_point": "u-m1"}, "used_at"),
        ("email-addresses", {"contact_point": "u-e1"}, "used_at"),
        ("email-addresses", {"contact_point": "u-e1", "public_domain": True}, "used_at"),
        (
            "email-addresses",
            {"contact_point": "u-e1", "prior_collector": True, "opt_out_by": "2026-12-01"},
            "creditor_notice_at",
        ),
        (
            "email-addresses",
            {"contact_point": "u-e1", "creditor_notice_at": "2026-11-01T10:00:00Z"},
            "opt_out_by",
        ),
        (
            "email-addresses",
            {
                "contact_point": "u-e1",
                "creditor_notice_at": "2026-11-01T10:00:00Z",
                "opt_out_by": "2026-10-01",
            },
            "opt_out_by",
        ),
        ("email-addresses", {"contact_point": "u-e1", "prior_collector": "yes"}, "prior_collector"),
        ("wrong-numbers", {"contact_point": "x" * 129}, "contact_point"),
    ],
)
def test_bad_bodies_name_the_field_and_write_nothing(
    app: App, client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    with app.engine.connect() as conn:
        size = app.audit_log(conn).size
    answer = client.post(f"/api/v1/loans/L1/{path}", json=body, headers=bearer("collector"))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert field in answer.text
    assert rows(app) == 0
    with app.engine.connect() as conn:
        assert app.audit_log(conn).size == size


def test_an_idempotency_key_replays_and_refuses_another_body(app: App, client: TestClient) -> None:
    key = {**bearer("collector"), "Idempotency-Key": "fact-1"}
    first = client.post("/api/v1/loans/L1/complaints", json={"note": "a"}, headers=key)
    again = client.post("/api/v1/loans/L1/complaints", json={"note": "a"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = client.post("/api/v1/loans/L1/complaints", json={"note": "b"}, headers=key)
    assert other.status_code == 409
    assert other.headers["content-type"].startswith(PROBLEM)
    assert rows(app) == 1


def test_points_and_notes_are_sealed_and_the_fact_is_audited(app: App, client: TestClient) -> None:
    record(
        client, "U1", "wrong-numbers", {"contact_point": "+12125550123", "note": "Mr Smith's shop"}
    )
    with app.engine.connect() as conn:
        row = conn.execute(select(borrower_facts)).mappings().one()
        log = app.audit_log(conn)
        last = decode_record(log.leaf(log.size - 1).entry)
    stored = repr(dict(row))
    assert "2125550123" not in stored
    assert "Smith" not in stored
    assert app.pii.open("fact_point", "B3", row["point_enc"]) == "+12125550123"
    assert int(last.kind) == 315
    assert "2125550123" not in repr(last.payload)
    assert "Smith" not in repr(last.payload)


def test_migration_0013_matches_the_facts_table(app: App) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from faircollect.adapters.db.tables import metadata

    with app.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        assert conn.dialect.has_table(conn, borrower_facts.name)
    assert [d for d in diffs if "borrower_facts" in repr(d)] == []


def test_a_replay_sees_the_facts_as_they_stood_at_each_decision(
    app: App, client: TestClient
) -> None:
    from faircollect.adapters.db.contact_store import SqlContactStore
    from faircollect.policy import load_pack
    from faircollect.services.contacts import replay_decisions

    assert allowed(client, cn("L1"))
    record(client, "L1", "disputes", {})
    assert blocked_by(client, cn("L1", contact_point="c-m2")) == ["CN-CASE-PAUSE"]
    start = T0.astimezone(UTC) - timedelta(days=2)
    with app.engine.connect() as conn:
        report = replay_decisions(store=SqlContactStore(conn, pii=app.pii), pack=load_pack("CN"),
                                  start=start, end=start + timedelta(days=4))  # fmt: skip
    # The first decision was taken before the dispute was recorded: it replays as an allow.
    assert (report.decisions, report.changed) == (2, 0)
    assert report.replayed == {"allow": 1, "block": 1}


def end(client: TestClient, loan: str, fact_id: int, who: str = "collector") -> int:
    answer = client.post(f"/api/v1/loans/{loan}/facts/{fact_id}/end", json={}, headers=bearer(who))
    return int(answer.status_code)


def test_an_ended_fact_no_longer_holds_and_only_its_owner_may_end_it(
    app: App, client: TestClient
) -> None:
    dispute = record(client, "L1", "disputes", {}, who="b1")["fact_id"]
    opt_out = record(client, "U1", "opt-outs", {"medium": "email"}, who="b3")["fact_id"]
    cease = record(client, "U1", "cease", {})["fact_id"]
    assert end(client, "L1", dispute, who="b2") == 404  # another borrower's loan
    assert end(client, "L2", dispute, who="collector") == 404  # not this loan's fact
    assert end(client, "U1", cease, who="b3") == 403  # a cease is staff's to end
    assert end(client, "L1", 999_999) == 404
    assert blocked_by(client, cn("L1")) == ["CN-CASE-PAUSE"]
    assert end(client, "L1", dispute, who="collector") == 200
    assert end(client, "L1", dispute, who="collector") == 404  # ended already
    assert allowed(client, cn("L1", contact_point="c-m2"))
    # A person-wide fact is ended through any of the borrower's loans, by the borrower too.
    assert end(client, "U1", opt_out, who="b3") == 200
    assert end(client, "U1", cease) == 200
    emails_used(client, "u-e1")
    assert allowed(client, us(channel="email", contact_point="u-e1"))
    with app.engine.connect() as conn:
        ended = conn.execute(select(func.count()).select_from(borrower_facts)
                             .where(borrower_facts.c.ended_at.is_not(None))).scalar()  # fmt: skip
    assert ended == 3


def test_the_facts_in_force_are_listed_masked_and_a_staff_read_is_audited(
    app: App, client: TestClient
) -> None:
    record(client, "U1", "wrong-numbers", {"contact_point": "+12125550123", "note": "a shop"})
    record(client, "U1", "cease", {})
    record(client, "L1", "disputes", {}, who="b1")
    with app.engine.connect() as conn:
        size = app.audit_log(conn).size
    answer = client.get("/api/v1/loans/U1/facts", headers=bearer("auditor"))
    assert answer.status_code == 200
    shown = answer.json()["facts"]
    assert [f["kind"] for f in shown] == ["cease", "wrong_number"]  # newest first, B3's only
    assert shown[1]["contact_point"] == "+12*****0123"
    assert shown[1]["note"] is True
    assert "2125550123" not in answer.text
    assert "shop" not in answer.text
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        assert log.size == size + 1
        assert decode_record(log.leaf(size).entry).payload["view"] == "facts"
    assert client.get("/api/v1/loans/U1/facts", headers=bearer("b3")).status_code == 200
    assert client.get("/api/v1/loans/U1/facts", headers=bearer("b1")).status_code == 404
    assert client.get("/api/v1/loans/U1/facts", headers=bearer("admin")).status_code == 403
    assert client.get("/api/v1/loans/U1/facts").status_code == 401
