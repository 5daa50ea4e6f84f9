"""The channels the dispatcher sends through, bound to its transaction (services.cycle_ports
Delivery): each medium's channel, and the sandbox log brought up to date after commits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, Engine

from faircollect.adapters.channels.external import ChannelError
from faircollect.adapters.channels.port import ChannelPort, Outbound, require_allowed
from faircollect.policy import Decision
from faircollect.policy.model import VOICE
from faircollect.services.cycle_ports import DeliveryError

AfterSend = Callable[[Connection, Outbound, str], None]
# The address a message leaves for, from the point the outbox holds (a stored phone's index).
Addresser = Callable[[Connection, Outbound], str]


@runtime_checkable
class DerivedLog(Protocol):
    """A channel that keeps a file derived from its table, brought up to date after each commit
    (the sandbox log)."""

    def write_log(self, engine: Engine) -> int: ...


class AddressError(RuntimeError):
    """A message's stored contact point has no address it can leave for."""


def route(medium: str) -> str:
    """The channel a medium goes out on (every voice medium is the collectors' queue)."""
    return "voice" if medium in VOICE else medium


@dataclass(frozen=True)
class BoundDelivery:
    """The channels inside one transaction."""

    channels: Mapping[str, ChannelPort]
    connection: Connection
    hook: AfterSend | None = None
    # Channels that leave the system (SMTP, an SMS gateway) need the real address; the outbox,
    # the sandbox and the contact record keep the stored phone's index only.
    addresser: Addresser | None = None

    def transactional(self, medium: str) -> bool:
        return bool(self.channels[route(medium)].transactional)

    def send(self, message: Outbound, decision: Decision) -> str:
        require_allowed(message, decision)
        channel = self.channels[route(message.channel)]
        try:
            if not channel.transactional and self.addresser is not None:
                message = replace(message, contact_point=self.addresser(self.connection, message))
            return channel.send(message, decision, self.connection)
        except (ChannelError, AddressError) as exc:
            raise DeliveryError(str(exc)) from exc

    def after_send(self, message: Outbound, receipt: str) -> bool:
        if self.hook is None:
            return False
        self.hook(self.connection, message, receipt)
        return True


@dataclass(frozen=True)
class ChannelLogs:
    """The derived logs of a set of channels (each once, however many media share it)."""

    channels: Mapping[str, Any]
    engine: Engine

    def write_logs(self) -> None:
        seen = {id(c): c for c in self.channels.values() if isinstance(c, DerivedLog)}
        for log in seen.values():
            log.write_log(self.engine)
