"""External channels against local servers (aiosmtpd, an HTTP gateway), and the cycle sending
through the HTTP gateway: each message once, with its idempotency key, never without a decision."""

from __future__ import annotations

import csv
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from rich.console import Console
from sqlalchemy import func, select

from faircollect.adapters.channels.external import ChannelError, HttpSmsChannel, SmtpChannel
from faircollect.adapters.channels.port import NotAllowedError, Outbound
from faircollect.adapters.db.tables import borrowers, outbox
from faircollect.adapters.portfolio_generator import generate_portfolio
from faircollect.bootstrap import App
from faircollect.domain.borrowers import normalise_phone
from faircollect.kit.clock import FixedClock
from faircollect.policy import Channel, ContactRequest, Facts, RecipientRole, evaluate
from faircollect.policy.packs import load_pack
from faircollect.services import cycle_dispatch
from faircollect.services.cycle import CycleJob
from faircollect.services.cycle_report import CycleReport
from tests.integration.cycle_kit import adopt
from tests.integration.cycle_kit import run as run_cycle
from tests.tape_loader import run_import

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _decision(hour_utc: int):
    request = ContactRequest(
        at=AT.replace(hour=hour_utc), channel=Channel.SMS, recipient_role=RecipientRole.DEBTOR,
        contact_point="p1", debt_id="L1", message="您好，您的账单已出。",
    )  # fmt: skip
    return evaluate(request, Facts(), load_pack("CN"))


MESSAGE = Outbound(outbox_id=17, channel="email", contact_point="a@example.org", body="Hello",
                   at=AT, borrower_id="B1", loan_id="L1")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def test_smtp_channel_delivers_with_the_outbox_id_and_refuses_without_a_decision() -> None:
    box = _Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = SmtpChannel("127.0.0.1", port, "collections@faircollect.local")
        receipt = channel.send(MESSAGE, _decision(2), None)
        with pytest.raises(NotAllowedError, match="decided block"):
            channel.send(MESSAGE, _decision(15), None)  # 23:00 in Shanghai
    finally:
        controller.stop()
    assert receipt == "<outbox-17@faircollect.local>"
    assert len(box.messages) == 1
    raw = box.messages[0].content.decode()
    assert "Message-ID: <outbox-17@faircollect.local>" in raw
    assert box.messages[0].rcpt_tos == ["a@example.org"]
    with pytest.raises(ChannelError, match=r"SMTP 127\.0\.0\.1"):
        SmtpChannel("127.0.0.1", _free_port(), "x@y").send(MESSAGE, _decision(2), None)


class _Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != "Bearer t0ken":
            self.send_response(401)
            self.end_headers()
            return
        _Gateway.received.append((self.headers["Idempotency-Key"], body))
        answer = json.dumps({"id": f"gw-{len(_Gateway.received)}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    _Gateway.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        server.shutdown()
        server.server_close()


def test_http_sms_channel_posts_with_an_idempotency_key(gateway: str) -> None:
    channel = HttpSmsChannel(gateway, "t0ken")
    sms = replace(MESSAGE, channel="sms", contact_point="tok-1")
    assert channel.send(sms, _decision(2), None) == "gw-1"
    assert _Gateway.received == [("outbox-17", {"to": "tok-1", "text": "Hello"})]
    with pytest.raises(ChannelError, match="SMS gateway"):
        HttpSmsChannel(gateway, "wrong").send(sms, _decision(2), None)
    with pytest.raises(ValueError, match="http"):
        HttpSmsChannel("file:///etc/passwd", "t")


def _sms_cycle(app: App, tmp_path: Path, gateway: str) -> CycleJob:
    """300 loans, the default CN playbook approved, SMS through the HTTP gateway at `gateway`."""
    generate_portfolio(loans=300, seed=5, out=tmp_path / "tape", horizon=date(2027, 1, 31))
    run_import(app, tmp_path / "tape", update=False, console=Console(quiet=True))
    text = (resources.files("faircollect.playbooks") / "data" / "cn-default.yaml").read_text(
        "utf-8"
    )
    adopt(app, text, AT, where="cn")
    channels = {**app.channels(None), "sms": HttpSmsChannel(gateway, "t0ken")}
    return app.cycle_job(FixedClock(AT), channels=channels)


def test_the_cycle_sends_sms_through_the_gateway_once_each(
    app: App, tmp_path: Path, gateway: str
) -> None:
    cycle = _sms_cycle(app, tmp_path, gateway)
    first = run_cycle(cycle, date(2026, 12, 2))
    again = run_cycle(cycle, date(2026, 12, 2))
    with app.engine.connect() as conn:
        sms_sent = conn.execute(
            select(func.count()).where(outbox.c.channel == "sms", outbox.c.status == "sent")
        ).scalar_one()
    keys = [k for k, _ in _Gateway.received]
    assert sms_sent > 0
    assert len(keys) == len(set(keys)) == sms_sent
    assert again.sent == 0
    assert first.sent >= sms_sent
    # The gateway gets each debtor's real number (opened at send time); the outbox keeps the
    # stored phone's index only.
    with (tmp_path / "tape" / "borrowers.csv").open(encoding="utf-8") as handle:
        phones = {normalise_phone(row["phone"]) for row in csv.DictReader(handle)}
    with app.engine.connect() as conn:
        indexes = set(conn.execute(select(borrowers.c.phone_index)).scalars())
        stored = set(conn.execute(select(outbox.c.contact_point)).scalars())
    sent_to = {normalise_phone(body["to"]) for _, body in _Gateway.received}
    assert sent_to
    assert sent_to <= phones
    assert not sent_to & indexes
    assert stored <= indexes


class _SlowGateway(_Gateway):
    def do_POST(self) -> None:
        time.sleep(0.01)  # a real gateway's round trip: the window two dispatchers could share
        super().do_POST()


def test_two_dispatchers_at_once_send_each_message_once(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Gateway.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowGateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    cycle = _sms_cycle(app, tmp_path, url)
    day = date(2026, 12, 2)
    with monkeypatch.context() as patched:  # decide and queue only
        patched.setattr(cycle_dispatch, "dispatch", lambda *args: None)
        run_cycle(cycle, day)
    with app.engine.connect() as conn:
        queued = conn.execute(
            select(func.count()).where(outbox.c.channel == "sms", outbox.c.status == "queued")
        ).scalar_one()
    reports = [CycleReport(day), CycleReport(day)]
    failures: list[BaseException] = []

    def dispatch(report: CycleReport) -> None:
        try:
            cycle_dispatch.dispatch(cycle, day, report)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    try:
        workers = [threading.Thread(target=dispatch, args=(r,)) for r in reports]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        server.shutdown()
        server.server_close()
    assert not failures
    keys = [k for k, _ in _Gateway.received]
    assert queued > 0
    assert len(keys) == len(set(keys)) == queued
