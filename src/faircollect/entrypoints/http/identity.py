"""The resolver of the running service: sessions and API tokens through the identity use cases."""

from __future__ import annotations

from faircollect.bootstrap import App
from faircollect.kit.clock import Clock
from faircollect.services import identity
from faircollect.services.authorization import Actor, NotAuthenticatedError


class IdentityResolver:
    """`ActorResolver` on the database: a session cookie or a bearer token names an actor (each
    lookup is one transaction; a token's use is audited by `identity.resolve_token`)."""

    def __init__(self, app: App, clock: Clock | None = None) -> None:
        self.app = app
        self.clock = clock  # None: the system clock (tests pass theirs to reach expiry)

    def from_session(self, token: str) -> identity.SessionView | None:
        try:
            return identity.resolve_session(self.app.unit_of_work(self.clock), token=token)
        except NotAuthenticatedError:
            return None

    def from_bearer(self, token: str) -> Actor | None:
        try:
            return identity.resolve_token(self.app.unit_of_work(self.clock), token=token)
        except NotAuthenticatedError:
            return None
