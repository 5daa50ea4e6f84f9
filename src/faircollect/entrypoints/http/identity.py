"""The resolver of the running service: sessions and API tokens through the identity use cases."""

from __future__ import annotations

from collections.abc import Sequence

from faircollect.bootstrap import App
from faircollect.entrypoints.http.group_commit import GroupCommit
from faircollect.kit.clock import Clock
from faircollect.services import identity
from faircollect.services.authorization import Actor, NotAuthenticatedError


class IdentityResolver:
    """`ActorResolver` on the database: a session cookie or a bearer token names an actor (each
    lookup is one transaction; a token's use is audited by `identity.resolve_token`).

    The API's bearer tokens go through `from_bearer_grouped`: the uses that arrive together are
    counted and audited in one transaction (`identity.resolve_tokens`), since a client's
    concurrent requests share one token and each use would otherwise hold its row to the commit.
    """

    def __init__(self, app: App, clock: Clock | None = None) -> None:
        self.app = app
        self.clock = clock  # None: the system clock (tests pass theirs to reach expiry)
        self._bearers: GroupCommit[str, Actor | None] = GroupCommit(
            self._together, self.from_bearer
        )
        self._checks: GroupCommit[str, identity.TokenUse | None] = GroupCommit(
            self._checked, lambda token: self._checked([token])[0]
        )

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

    def refuse_bearer(self, token: str, *, route: str, address: str) -> None:
        """Audit a refused bearer token (kind 718, `identity.refuse_token`)."""
        identity.refuse_token(
            self.app.unit_of_work(self.clock), token=token, route=route, address=address
        )

    async def from_bearer_grouped(self, token: str) -> Actor | None:
        """`from_bearer`, with the other tokens presented meanwhile (off the event loop)."""
        return await self._bearers.submit(token)

    def _together(self, tokens: Sequence[str]) -> list[Actor | Exception | None]:
        found = identity.resolve_tokens(self.app.unit_of_work(self.clock), tokens=tokens)
        return [None if isinstance(a, NotAuthenticatedError) else a for a in found]

    async def check_bearer_grouped(self, token: str) -> identity.TokenUse | None:
        """The token's actor with its use still to count (`identity.check_tokens`, read only),
        for a route whose use case counts it; the tokens presented meanwhile read together."""
        return await self._checks.submit(token)

    def _checked(self, tokens: Sequence[str]) -> list[identity.TokenUse | None]:
        found = identity.check_tokens(self.app.unit_of_work(self.clock), tokens=tokens)
        return [None if isinstance(u, NotAuthenticatedError) else u for u in found]

    def count_bearer_use(self, use: identity.TokenUse) -> None:
        """Count a checked use that no use case counted (`identity.record_token_uses`)."""
        identity.record_token_uses(self.app.unit_of_work(self.clock), uses=[use])
