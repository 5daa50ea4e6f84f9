"""Idempotency keys: a POST repeated with the same key gets the first answer, and does nothing.

The key is the client's (`Idempotency-Key`), kept per actor: two clients cannot collide. The
answer is stored in the same transaction as the effect, so a key is never recorded without its
effect nor an effect without its key (a crash between them cannot happen: they commit together).
A repeat with the same request (same route, same body) returns the stored answer; a different
request under a used key is refused (`IdempotencyConflictError`), never decided afresh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from faircollect.services.authorization import Actor
from faircollect.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer given once: its HTTP status and JSON body."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's key and the digest of the request it was sent with."""

    key: str
    request_sha256: str


class IdempotencyConflictError(Exception):
    """The key was used for a different request (or its first use has not finished)."""


class IdempotencyInProgressError(IdempotencyConflictError):
    """A request under the same key was answered while this one was being decided: repeating
    this one now returns that answer."""


class IdempotencyStore(Protocol):
    """Stored answers by (actor, key), in the caller's transaction."""

    def find(self, actor: str, key: str) -> tuple[str, StoredAnswer] | None:
        """The request digest and answer stored under the key, if any."""

    def save(
        self, actor: str, key: str, request_sha256: str, answer: StoredAnswer, at: datetime
    ) -> None:
        """Store the answer; `IdempotencyInProgressError` when the key was stored meanwhile."""


class IdempotentUnitOfWork(UnitOfWork, Protocol):
    """A unit of work with the idempotency store."""

    @property
    def idempotency(self) -> IdempotencyStore: ...


def request_digest(route: str, body: Any) -> str:
    """The digest a key is bound to: the route and the body as canonical JSON (key order and
    spacing do not make a different request)."""
    text = json.dumps([route, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def replayed(
    uow: IdempotentUnitOfWork, *, actor: Actor, key: IdempotencyKey | None
) -> StoredAnswer | None:
    """The stored answer when this request was already answered under its key (call inside the
    use case's block, before any effect); `IdempotencyConflictError` when the key was used for
    another request."""
    if key is None:
        return None
    found = uow.idempotency.find(actor.label, key.key)
    if found is None:
        return None
    digest, answer = found
    if digest != key.request_sha256:
        raise IdempotencyConflictError("this Idempotency-Key was used for a different request")
    return answer


def remember(
    uow: IdempotentUnitOfWork, *, actor: Actor, key: IdempotencyKey | None, answer: StoredAnswer
) -> None:
    """Store the answer under the key in the use case's transaction (before its commit)."""
    if key is not None:
        uow.idempotency.save(actor.label, key.key, key.request_sha256, answer, uow.clock.now())
