"""API tokens for machine clients (a dialer, an SMS platform, an agency's system).

A token reads `fct_` + 32 random base-62 characters + a 6-character checksum (CRC-32 of the random
part): a mistyped or truncated token is refused without a look-up, and secret scanners can spot
the prefix. It is shown once; only its keyed hash is stored. Its actor may do what its owner's
roles allow now, narrowed to its scopes; every use is audited and counted.
"""

from __future__ import annotations

import secrets
import string
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.kit.limits import AUTH
from faircollect.services.authorization import (
    Actor,
    NotAuthenticatedError,
    Permission,
    make_actor,
    permissions_of,
    require,
)
from faircollect.services.identity.common import (
    IdentityError,
    UnknownUserError,
    audit,
    counter_key,
    limit,
    mask_address,
)
from faircollect.services.identity.ports import IdentityStore, IdentityUnit, TokenRow, UserRow

PREFIX = "fct_"
_ALPHABET = string.digits + string.ascii_letters
_BODY, _CHECK = 32, 6


class UnknownTokenError(LookupError):
    """No API token with that id."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: `plain` is shown once and never stored."""

    token_id: str
    plain: str
    name: str
    owner: str  # the owning user's name
    scopes: frozenset[Permission]
    expires_at: datetime


def _base62(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        out.append(_ALPHABET[digit])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK)


def new_plain_token() -> str:
    """A fresh token: prefix, random part, checksum."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY))
    return f"{PREFIX}{body}{_checksum(body)}"


def well_formed(token: str) -> bool:
    """Prefix, length, alphabet and checksum are right (says nothing of validity)."""
    if not token.startswith(PREFIX) or len(token) != len(PREFIX) + _BODY + _CHECK:
        return False
    body, check = token[len(PREFIX) : -_CHECK], token[-_CHECK:]
    return all(c in _ALPHABET for c in body) and secrets.compare_digest(check, _checksum(body))


def _scopes(values: Collection[str | Permission]) -> frozenset[Permission]:
    out = set()
    for value in values:
        try:
            out.add(Permission(value))
        except ValueError as exc:
            raise IdentityError(f"scopes: unknown permission {str(value)[:40]!r}") from exc
    if not out:
        raise IdentityError("scopes: a token needs at least one permission")
    return frozenset(out)


def create_token(
    uow: IdentityUnit,
    *,
    actor: Actor,
    name: str,
    scopes: Collection[str | Permission],
    expires_at: datetime,
    for_user: str | None = None,
) -> IssuedToken:
    """Issue a token owned by `for_user` (a user name) or by the acting user (TOKEN_MANAGE).

    Scopes must be permissions the owner's roles hold; the token expires at `expires_at`, at
    most `AUTH["token_max_days"]` away.
    """
    with uow:
        require(uow, actor, Permission.TOKEN_MANAGE, subject=f"user:{for_user or actor.id}")
        now = uow.clock.now()
        label = name.strip()
        if not 0 < len(label) <= 64:
            raise IdentityError("name: 1 to 64 characters")
        granted = _scopes(scopes)
        owner = _owner(uow, actor, for_user)
        beyond = sorted(granted - permissions_of(owner.roles))
        if beyond:
            raise IdentityError(f"scopes: {owner.username} does not hold {', '.join(beyond)}")
        if expires_at.tzinfo is None:
            raise IdentityError("expires_at: needs a time zone")
        if not now < expires_at <= now + timedelta(days=AUTH["token_max_days"]):
            raise IdentityError(f"expires_at: after now and within {AUTH['token_max_days']} days")
        plain = new_plain_token()
        token_id = f"tok_{secrets.token_hex(8)}"
        uow.identity.add_token(
            TokenRow(token_id, label, uow.credentials.keyed("api-token", plain), owner.user_id,
                     frozenset(granted), now, expires_at, None, None, 0),
            by=actor.label,
        )  # fmt: skip
        audit(uow, AuditKind.TOKEN_CREATED, actor.label, f"token:{token_id}",
              {"name": label, "owner": f"user:{owner.user_id}", "scopes": sorted(granted),
               "expires_at": expires_at.isoformat()})  # fmt: skip
        uow.commit()
        return IssuedToken(token_id, plain, label, owner.username, granted, expires_at)


def _owner(uow: IdentityUnit, actor: Actor, for_user: str | None) -> UserRow:
    store = uow.identity
    if for_user is not None:
        user = store.user_by_name(for_user.strip().lower())
        if user is None:
            raise UnknownUserError(f"no user named {for_user[:40]!r}")
        return user
    user = store.user_by_id(actor.id) if actor.kind == "user" else None
    if user is None:
        raise IdentityError("for_user: name the user who owns the token")
    return user


def revoke_token(uow: IdentityUnit, *, actor: Actor, token_id: str) -> None:
    """Revoke a token at once (TOKEN_MANAGE); revoking a revoked token changes nothing."""
    with uow:
        require(uow, actor, Permission.TOKEN_MANAGE, subject=f"token:{token_id}")
        row = uow.identity.token_by_id(token_id)
        if row is None:
            raise UnknownTokenError(f"no token {token_id[:40]!r}")
        if row.revoked_at is None:
            uow.identity.revoke_token(token_id, uow.clock.now())
            audit(uow, AuditKind.TOKEN_REVOKED, actor.label, f"token:{token_id}",
                  {"owner": f"user:{row.user_id}", "name": row.name})  # fmt: skip
        uow.commit()


def _use(uow: IdentityUnit, token: str, now: datetime) -> tuple[Actor, TokenRow, UserRow]:
    """The actor of a presented token, its row and its owner; `NotAuthenticatedError` for a
    malformed, unknown, revoked or expired token, or one whose owner is locked."""
    if not well_formed(token):
        raise NotAuthenticatedError("not a FairCollect API token")
    store = uow.identity
    row = store.token_by_hash(uow.credentials.keyed("api-token", token))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        raise NotAuthenticatedError("the token is unknown, revoked or expired")
    owner = store.user_by_id(row.user_id)
    if owner is None or owner.locked:
        raise NotAuthenticatedError("the token's owner is locked")
    actor = make_actor("token", row.token_id, f"{owner.username}/{row.name}", owner.roles,
                       scopes=[Permission(s) for s in row.scopes], agency_id=owner.agency_id,
                       user_id=owner.user_id)  # fmt: skip
    return actor, row, owner


def _refusal(uow: IdentityUnit, token: str, now: datetime) -> tuple[str, str]:
    """Why a presented token is refused, and the audit subject: the token's id when it is one
    of ours, else a keyed hash of what was presented (never the token itself)."""
    if not well_formed(token):
        return "malformed", counter_key(uow, "token-refused", token)
    row = uow.identity.token_by_hash(uow.credentials.keyed("api-token", token))
    if row is None:
        return "unknown", counter_key(uow, "token-refused", token)
    subject = f"token:{row.token_id}"
    if row.revoked_at is not None:
        return "revoked", subject
    if now >= row.expires_at:
        return "expired", subject
    owner = uow.identity.user_by_id(row.user_id)
    if owner is None or owner.locked:
        return "owner_locked", subject
    return "refused", subject  # valid now: it was refused a moment ago (a race), still logged


def refuse_token(uow: IdentityUnit, *, token: str, route: str, address: str) -> None:
    """Audit a presented API token that was refused (kind 718: malformed, unknown, revoked,
    expired, or its owner locked), in its own transaction, before the 401 answer.

    The record names the token (`token:<id>`) when it is one of ours, else a keyed hash of what
    was presented; the route's path, never its values; the address masked. Beyond
    `AUTH["token_refusals_per_address"]` refusals from one address in a window, refusals are
    counted, not logged one by one (as refused logins are), so nobody can grow the log at will.
    """
    with uow:
        key = counter_key(uow, "token-refused-address", address)
        if limit(uow, key, AUTH["token_refusals_per_address"]) is None:
            reason, subject = _refusal(uow, token, uow.clock.now())
            where = mask_address(address)
            audit(uow, AuditKind.TOKEN_REFUSED, "anonymous", subject,
                  {"reason": reason, "route": route[:200], "address": where})  # fmt: skip
        uow.commit()


def _used(actor: Actor, row: TokenRow, owner: UserRow, uses: int, at: datetime) -> AuditRecord:
    return AuditRecord(AuditKind.TOKEN_USED, at, actor.label, f"user:{owner.user_id}",
                       {"token": row.token_id, "name": row.name, "uses": uses})  # fmt: skip


def resolve_token(uow: IdentityUnit, *, token: str) -> Actor:
    """The actor of a presented token (kind "token": the owner's current permissions within the
    token's scopes); each use is audited and counted. `NotAuthenticatedError` for a malformed,
    unknown, revoked or expired token, or one whose owner is locked."""
    with uow:
        now = uow.clock.now()
        actor, row, owner = _use(uow, token, now)
        uow.identity.token_used(row.token_id, now)
        uow.audit.append_records([_used(actor, row, owner, row.uses + 1, now)])
        uow.commit()
        return actor


def resolve_tokens(
    uow: IdentityUnit, *, tokens: Sequence[str]
) -> list[Actor | NotAuthenticatedError]:
    """`resolve_token` for the tokens of several requests in one transaction: each use audited
    and counted as there, with one audit append and one commit for all (a client's concurrent
    requests share one token, whose row each use would otherwise lock until its commit).

    A token refused gets its `NotAuthenticatedError`, and nothing is counted for it. Token rows
    are counted in their ids' order, so two batches never wait on each other in a cycle.
    """
    answers: list[Actor | NotAuthenticatedError] = []
    with uow:
        now = uow.clock.now()
        found: dict[str, tuple[Actor, TokenRow, UserRow] | NotAuthenticatedError] = {}
        counted: dict[str, int] = {}
        records: list[AuditRecord] = []
        for token in tokens:
            if token not in found:
                try:
                    found[token] = _use(uow, token, now)
                except NotAuthenticatedError as exc:
                    found[token] = exc
            use = found[token]
            if isinstance(use, NotAuthenticatedError):
                answers.append(use)
                continue
            actor, row, owner = use
            counted[row.token_id] = counted.get(row.token_id, 0) + 1
            records.append(_used(actor, row, owner, row.uses + counted[row.token_id], now))
            answers.append(actor)
        for token_id in sorted(counted):
            uow.identity.token_used(token_id, now, times=counted[token_id])
        if records:
            uow.audit.append_records(records)
        uow.commit()
    return answers


@dataclass(frozen=True, slots=True)
class TokenUse:
    """A presented token that names an actor, whose use is still to be counted: by the use case
    the request runs, in its own transaction (`count_token_uses`), so the use is recorded with
    the work it authorised and costs that work no transaction of its own."""

    actor: Actor
    token_id: str
    name: str
    user_id: str


def check_tokens(
    uow: IdentityUnit, *, tokens: Sequence[str]
) -> list[TokenUse | NotAuthenticatedError]:
    """What `resolve_tokens` finds for each token, read only: nothing is counted or audited
    here. The caller must pass each `TokenUse` to the use case that counts it; a refused token
    gets its `NotAuthenticatedError` (audited by `refuse_token`, as always)."""
    found: dict[str, TokenUse | NotAuthenticatedError] = {}
    with uow:
        now = uow.clock.now()
        for token in tokens:
            if token in found:
                continue
            try:
                actor, row, owner = _use(uow, token, now)
                found[token] = TokenUse(actor, row.token_id, row.name, owner.user_id)
            except NotAuthenticatedError as exc:
                found[token] = exc
    return [found[token] for token in tokens]


def count_token_uses(
    store: IdentityStore, uses: Sequence[TokenUse], *, at: datetime
) -> list[AuditRecord]:
    """Count `uses` in the caller's open transaction (each token's row once, in id order, as
    `resolve_tokens` does); their TOKEN_USED records, for the caller's one audit append.

    A token revoked since it was checked is still counted: the request it authorised was
    already under way, as it would be had the revocation come a moment later."""
    times: dict[str, int] = {}
    for use in uses:
        times[use.token_id] = times.get(use.token_id, 0) + 1
    totals = {t: store.token_used(t, at, times=times[t]) for t in sorted(times)}
    records: list[AuditRecord] = []
    for use in uses:
        # Numbered in the order given, up to the total the counting returned.
        totals[use.token_id] += 1
        number = totals[use.token_id] - times[use.token_id]
        records.append(AuditRecord(AuditKind.TOKEN_USED, at, use.actor.label,
                                   f"user:{use.user_id}",
                                   {"token": use.token_id, "name": use.name, "uses": number}))  # fmt: skip
    return records


def record_token_uses(uow: IdentityUnit, *, uses: Sequence[TokenUse]) -> None:
    """Count and audit checked token uses in a transaction of their own (a request whose use
    case never ran, e.g. its body was malformed: its token's use is kept all the same)."""
    with uow:
        uow.audit.append_records(count_token_uses(uow.identity, uses, at=uow.clock.now()))
        uow.commit()
