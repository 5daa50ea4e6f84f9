"""The channel port: a message with the gate decision that allowed it, and the receipt."""

from __future__ import annotations

from typing import Any, Protocol

from faircollect.policy import Decision
from faircollect.services.cycle_ports import Outbound

# The message type is the cycle's (services.cycle_ports); channels take it through this port.
__all__ = ["ChannelPort", "NotAllowedError", "Outbound", "require_allowed"]


class NotAllowedError(RuntimeError):
    """A channel was handed a message without an allowing decision."""


class ChannelPort(Protocol):
    #: True when sending writes to the caller's database transaction (exactly once); False for
    #: an external service (sent with the outbox id as idempotency key, at least once).
    transactional: bool

    def send(self, message: Outbound, decision: Decision, connection: Any) -> str:
        """Deliver; return a receipt. Refuses a message whose decision does not allow it."""


def require_allowed(message: Outbound, decision: Decision) -> None:
    if not decision.allowed:
        raise NotAllowedError(
            f"outbox {message.outbox_id}: the gate decided {decision.verdict.value}; not sent"
        )
