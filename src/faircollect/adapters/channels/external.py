"""External channels: SMTP e-mail and an HTTP SMS gateway. Sent after the outbox commit, with the
outbox id as the idempotency key (Message-ID, Idempotency-Key), so a resend after a crash can be
recognised by the receiver."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage
from typing import Any

from faircollect.adapters.channels.port import Outbound, require_allowed
from faircollect.policy import Decision


class ChannelError(RuntimeError):
    """The channel refused or failed to take a message."""


class SmtpChannel:
    transactional = False

    def __init__(
        self, host: str, port: int, sender: str, domain: str = "faircollect.local"
    ) -> None:
        self.host, self.port, self.sender, self.domain = host, port, sender, domain

    def send(self, message: Outbound, decision: Decision, connection: Any) -> str:
        require_allowed(message, decision)
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.contact_point
        mail["Subject"] = message.subject or "Your account"
        mail["Message-ID"] = f"<outbox-{message.outbox_id}@{self.domain}>"
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(
                f"outbox {message.outbox_id}: SMTP {self.host}:{self.port}: {exc}"
            ) from exc
        return str(mail["Message-ID"])


class HttpSmsChannel:
    transactional = False

    def __init__(self, url: str, token: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the SMS gateway URL must be http(s)")
        self.url, self.token = url, token

    def send(self, message: Outbound, decision: Decision, connection: Any) -> str:
        require_allowed(message, decision)
        body = json.dumps({"to": message.contact_point, "text": message.body}).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}",
                     "Idempotency-Key": f"outbox-{message.outbox_id}"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except (OSError, ValueError) as exc:
            raise ChannelError(f"outbox {message.outbox_id}: SMS gateway: {exc}") from exc
        return str(answer.get("id", f"sms:{message.outbox_id}"))
