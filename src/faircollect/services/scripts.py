"""Use cases for the script library (话术库): draft, approve and reject (maker-checker), list.

Every template version is screened when drafted and again when approved (the lexicon may have
changed in between). Records name the person (``user:<id>``, as the table's author and approver
columns do, which the audit verifier pairs) and the credential that acted (``via``: a session's
user or a token). A draft records its author's person (`maker_checker.maker_of`) and only a
second, different, signed-in person holding `script.approve` may approve it
(`maker_checker.check_approver`). Rendering and free-text screening are in `script_render`.
Each public function is one transaction on a `ScriptUnit` and checks the actor's permission.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.policy.packs import PACK_CURRENCY
from faircollect.screening import Screening, Verdict
from faircollect.screening.templates import Template, parse_template, screen_sample
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.maker_checker import check_approver, maker_of
from faircollect.services.ports import Brand, UnitOfWork

DRAFT, APPROVED, REJECTED, RETIRED = "draft", "approved", "rejected", "retired"


class ScriptError(ValueError):
    """A script operation that cannot be done (unknown key, wrong state, same person)."""


@dataclass(frozen=True, slots=True)
class ScriptVersion:
    key: str
    version: int
    lang: str
    channel: str
    pack: str
    body: str
    author: str
    drafted_at: datetime
    status: str
    verdict: str
    rules: tuple[str, ...]
    approver: str | None = None
    decided_at: datetime | None = None
    note: str = ""

    @property
    def template(self) -> Template:
        return parse_template(self.body, lang=self.lang, channel=self.channel)


class ScriptStore(Protocol):
    """Storage for script versions (in the caller's transaction)."""

    def lock_key(self, key: str) -> None:
        """Serialise changes to one script key until the transaction ends."""

    def versions(self, key: str) -> list[ScriptVersion]: ...

    def add(self, version: ScriptVersion) -> None: ...

    def update(self, version: ScriptVersion) -> None: ...

    def all_keys(self) -> list[str]: ...


class ScriptUnit(UnitOfWork, Protocol):
    """A unit of work (one transaction) with the script store."""

    @property
    def scripts(self) -> ScriptStore: ...


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _screen_template(t: Template, pack: str, brand: Brand) -> Screening:
    """Screen the text the template will send: neutral values for the recipient's fields and
    the lender's configured signature or name and hotline (`Brand.fills`, as the cycle fills
    them), never a stand-in."""
    return screen_sample(t, pack=pack, currency=PACK_CURRENCY[pack], **brand.fills(t.channel))


def draft_script(
    uow: ScriptUnit, *, actor: Actor, key: str, body: str, lang: str, channel: str, pack: str,
    brand: Brand,
) -> ScriptVersion:  # fmt: skip
    """Store a new draft version of ``key`` with its screening (the text as sent with `brand`),
    authored by the actor's person (SCRIPT_DRAFT); audited."""
    with uow:
        require(uow, actor, Permission.SCRIPT_DRAFT, subject=f"script:{key}")
        if not key or len(key) > 64 or not key.replace("-", "").replace("_", "").isalnum():
            raise ScriptError("a script key is 1-64 letters, digits, '-' or '_'")
        if pack not in PACK_CURRENCY:
            raise ScriptError(f"unknown pack {pack!r}; use {', '.join(PACK_CURRENCY)}")
        author = maker_of(actor, what=f"script {key!r}")
        template = parse_template(body, lang=lang, channel=channel)
        result = _screen_template(template, pack, brand)
        at = uow.clock.now()
        store = uow.scripts
        store.lock_key(key)
        number = max((v.version for v in store.versions(key)), default=0) + 1
        version = ScriptVersion(key, number, lang, channel, pack, body, author, at, DRAFT,
                                result.verdict.value, result.rules)  # fmt: skip
        store.add(version)
        uow.audit.append_records([AuditRecord(
            AuditKind.SCRIPT_DRAFTED, at, author, f"script:{key}",
            {"version": number, "via": actor.label, "body_sha256": _sha(body),
             "verdict": result.verdict.value, "rules": list(result.rules), "lang": lang,
             "channel": channel, "pack": pack},
        )])  # fmt: skip
        uow.commit()
    return version


def _find(store: ScriptStore, key: str, number: int) -> tuple[list[ScriptVersion], ScriptVersion]:
    store.lock_key(key)
    versions = store.versions(key)
    for v in versions:
        if v.version == number:
            if v.status != DRAFT:
                raise ScriptError(f"script {key!r} version {number} is {v.status}, not a draft")
            return versions, v
    raise ScriptError(f"no script {key!r} version {number}")


def approve_script(
    uow: ScriptUnit, *, actor: Actor, key: str, version: int, brand: Brand,
    acknowledge_review: bool = False,
) -> ScriptVersion:  # fmt: skip
    """A second person approves a draft (SCRIPT_APPROVE); it is screened again (the text as
    sent with `brand`, which may have changed since the draft), and a block rejects it. The
    approved version replaces the key's previous one, which is retired."""
    with uow:
        require(uow, actor, Permission.SCRIPT_APPROVE, subject=f"script:{key}")
        versions, draft = _find(uow.scripts, key, version)
        approver = check_approver(author=draft.author, approver=actor,
                                  permission=Permission.SCRIPT_APPROVE,
                                  what=f"script {key!r} v{version}")  # fmt: skip
        result = _screen_template(draft.template, draft.pack, brand)
        if result.verdict is Verdict.REVIEW and not acknowledge_review:
            raise ScriptError(
                f"screening asks for review ({', '.join(result.rules)});"
                " approve with acknowledgement"
            )
        at = uow.clock.now()
        blocked = result.verdict is Verdict.BLOCK
        decided = replace(
            draft, status=REJECTED if blocked else APPROVED, verdict=result.verdict.value,
            rules=result.rules, approver=approver, decided_at=at,
            note="blocked by screening at approval" if blocked else "",
        )  # fmt: skip
        uow.scripts.update(decided)
        records = [AuditRecord(
            AuditKind.SCRIPT_REJECTED if blocked else AuditKind.SCRIPT_APPROVED, at, approver,
            f"script:{key}",
            {"version": version, "body_sha256": _sha(draft.body), "verdict": result.verdict.value,
             "rules": list(result.rules), "author": draft.author, "via": actor.label},
        )]  # fmt: skip
        for old in versions if not blocked else []:
            if old.status == APPROVED:
                uow.scripts.update(replace(old, status=RETIRED, decided_at=at))
                records.append(AuditRecord(
                    AuditKind.SCRIPT_RETIRED, at, approver, f"script:{key}",
                    {"version": old.version, "replaced_by": version},
                ))  # fmt: skip
        uow.audit.append_records(records)
        uow.commit()
    return decided


def reject_script(
    uow: ScriptUnit, *, actor: Actor, key: str, version: int, reason: str
) -> ScriptVersion:
    """Reject a draft with a reason (SCRIPT_APPROVE: the checker's decision); audited."""
    with uow:
        require(uow, actor, Permission.SCRIPT_APPROVE, subject=f"script:{key}")
        _versions, draft = _find(uow.scripts, key, version)
        if not reason.strip():
            raise ScriptError("a rejection needs a reason")
        by = maker_of(actor, what=f"the rejection of script {key!r} v{version}")
        at = uow.clock.now()
        decided = replace(draft, status=REJECTED, approver=by, decided_at=at, note=reason)
        uow.scripts.update(decided)
        uow.audit.append_records([AuditRecord(
            AuditKind.SCRIPT_REJECTED, at, by, f"script:{key}",
            {"version": version, "reason": reason, "author": draft.author, "via": actor.label},
        )])  # fmt: skip
        uow.commit()
    return decided


def list_scripts(uow: ScriptUnit, *, actor: Actor, key: str | None = None) -> list[ScriptVersion]:
    """Every version of every script, or of one key (MESSAGE_SCREEN: who sends may read them)."""
    with uow:
        require(uow, actor, Permission.MESSAGE_SCREEN, subject=f"script:{key or '*'}")
        store = uow.scripts
        return [v for k in ([key] if key else store.all_keys()) for v in store.versions(k)]


def active_version(store: ScriptStore, key: str) -> ScriptVersion:
    """The approved version of ``key``."""
    for v in store.versions(key):
        if v.status == APPROVED:
            return v
    raise ScriptError(f"script {key!r} has no approved version")
