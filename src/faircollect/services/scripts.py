"""Use cases for the script library (话术库): draft, approve (maker-checker), render, free text.

Every template version is screened when drafted and again when approved (the lexicon may have
changed in between), and only a second person may approve it. Rendering for sending fills the
typed variables, refuses an amount above the lawful outstanding, and screens the final text with
the real context. Free text typed by a collector is screened, and the screening audited, before
it can be sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.policy.packs import PACK_CURRENCY
from faircollect.screening import (
    Category,
    Finding,
    Screening,
    ScreeningContext,
    Span,
    Verdict,
    screen,
)
from faircollect.screening.model import worst
from faircollect.screening.templates import (
    Template,
    TemplateError,
    parse_template,
    render,
    sample_values,
)
from faircollect.services.maker_checker import check_second_person, normalise_identity
from faircollect.services.ports import AuditTrail

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


@dataclass(frozen=True, slots=True)
class RenderedScript:
    """The text to send, where it came from, and its screening (send only on a pass)."""

    text: str
    key: str
    version: int
    screening: Screening

    @property
    def sendable(self) -> bool:
        return self.screening.verdict is Verdict.PASS


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _screen_template(t: Template, pack: str) -> Screening:
    values = sample_values(t)
    ctx = ScreeningContext(
        pack=pack,
        channel=t.channel,
        lawful_outstanding_minor=values["amount"],
        currency=PACK_CURRENCY[pack],
    )
    return screen(render(t, values, currency=ctx.currency), lang=t.lang, context=ctx)


def draft_script(
    store: ScriptStore,
    audit: AuditTrail,
    *,
    key: str,
    body: str,
    lang: str,
    channel: str,
    pack: str,
    author: str,
    at: datetime,
) -> ScriptVersion:
    """Store a new draft version of ``key`` with its screening; audited."""
    if not key or len(key) > 64 or not key.replace("-", "").replace("_", "").isalnum():
        raise ScriptError("a script key is 1-64 letters, digits, '-' or '_'")
    if pack not in PACK_CURRENCY:
        raise ScriptError(f"unknown pack {pack!r}; use {', '.join(PACK_CURRENCY)}")
    author = normalise_identity(author, role="author")
    template = parse_template(body, lang=lang, channel=channel)
    result = _screen_template(template, pack)
    store.lock_key(key)
    number = max((v.version for v in store.versions(key)), default=0) + 1
    version = ScriptVersion(
        key,
        number,
        lang,
        channel,
        pack,
        body,
        author,
        at,
        DRAFT,
        result.verdict.value,
        result.rules,
    )
    store.add(version)
    audit.append_records(
        [
            AuditRecord(
                AuditKind.SCRIPT_DRAFTED,
                at,
                author,
                f"script:{key}",
                {
                    "version": number,
                    "body_sha256": _sha(body),
                    "verdict": result.verdict.value,
                    "rules": list(result.rules),
                    "lang": lang,
                    "channel": channel,
                    "pack": pack,
                },
            )
        ]
    )
    return version


def _find(store: ScriptStore, key: str, number: int) -> tuple[list[ScriptVersion], ScriptVersion]:
    store.lock_key(key)
    versions = store.versions(key)
    for v in versions:
        if v.version == number:
            return versions, v
    raise ScriptError(f"no script {key!r} version {number}")


def approve_script(
    store: ScriptStore,
    audit: AuditTrail,
    *,
    key: str,
    version: int,
    approver: str,
    at: datetime,
    acknowledge_review: bool = False,
) -> ScriptVersion:
    """Approve a draft (a second person); it is screened again, and a block rejects it.

    The approved version replaces the key's previous one, which is retired.
    """
    versions, draft = _find(store, key, version)
    if draft.status != DRAFT:
        raise ScriptError(f"script {key!r} version {version} is {draft.status}, not a draft")
    approver = check_second_person(
        author=draft.author, approver=approver, what=f"script {key!r} v{version}"
    )
    result = _screen_template(draft.template, draft.pack)
    if result.verdict is Verdict.REVIEW and not acknowledge_review:
        raise ScriptError(
            f"screening asks for review ({', '.join(result.rules)}); approve with acknowledgement"
        )
    blocked = result.verdict is Verdict.BLOCK
    decided = replace(
        draft,
        status=REJECTED if blocked else APPROVED,
        verdict=result.verdict.value,
        rules=result.rules,
        approver=approver,
        decided_at=at,
        note="blocked by screening at approval" if blocked else "",
    )
    store.update(decided)
    records = [
        AuditRecord(
            AuditKind.SCRIPT_REJECTED if blocked else AuditKind.SCRIPT_APPROVED,
            at,
            approver,
            f"script:{key}",
            {
                "version": version,
                "body_sha256": _sha(draft.body),
                "verdict": result.verdict.value,
                "rules": list(result.rules),
                "author": draft.author,
            },
        )
    ]
    if not blocked:
        for old in versions:
            if old.status == APPROVED:
                store.update(replace(old, status=RETIRED, decided_at=at))
                records.append(
                    AuditRecord(
                        AuditKind.SCRIPT_RETIRED,
                        at,
                        approver,
                        f"script:{key}",
                        {"version": old.version, "replaced_by": version},
                    )
                )
    audit.append_records(records)
    return decided


def reject_script(
    store: ScriptStore,
    audit: AuditTrail,
    *,
    key: str,
    version: int,
    by: str,
    at: datetime,
    reason: str,
) -> ScriptVersion:
    """Reject a draft with a reason; audited."""
    _versions, draft = _find(store, key, version)
    if draft.status != DRAFT:
        raise ScriptError(f"script {key!r} version {version} is {draft.status}, not a draft")
    if not reason.strip():
        raise ScriptError("a rejection needs a reason")
    decided = replace(draft, status=REJECTED, approver=by, decided_at=at, note=reason)
    store.update(decided)
    audit.append_records(
        [
            AuditRecord(
                AuditKind.SCRIPT_REJECTED,
                at,
                by,
                f"script:{key}",
                {"version": version, "reason": reason, "author": draft.author},
            )
        ]
    )
    return decided


def active_version(store: ScriptStore, key: str) -> ScriptVersion:
    """The approved version of ``key``."""
    for v in store.versions(key):
        if v.status == APPROVED:
            return v
    raise ScriptError(f"script {key!r} has no approved version")


def render_script(
    store: ScriptStore, *, key: str, values: dict[str, Any], context: ScreeningContext
) -> RenderedScript:
    """Fill the approved version of ``key`` for one recipient and screen the result.

    An {amount} above ``context.lawful_outstanding_minor`` is blocked here (and the screening's
    amount rule checks every amount in the final text); a template with {amount} needs the lawful
    outstanding.
    """
    version = active_version(store, key)
    template = version.template
    if "amount" in template.variables and context.lawful_outstanding_minor is None:
        raise TemplateError("rendering {amount} needs the lawful outstanding in the context")
    text = render(template, values, currency=context.currency)
    result = screen(text, lang=version.lang, context=context)
    amount = values.get("amount")
    limit = context.lawful_outstanding_minor
    if (
        "amount" in template.variables
        and isinstance(amount, int)
        and limit is not None
        and amount > limit
    ):
        finding = Finding(
            "SCR-TEMPLATE-AMOUNT-OVER-LAWFUL",
            Category.OVER_DEMAND,
            Verdict.BLOCK,
            (Span(0, len(text), text, "SCR-TEMPLATE-AMOUNT-OVER-LAWFUL"),),
        )
        result = replace(
            result,
            verdict=worst(result.verdict, Verdict.BLOCK),
            findings=(*result.findings, finding),
            categories=tuple(dict.fromkeys((*result.categories, Category.OVER_DEMAND))),
        )
    return RenderedScript(text, key, version.version, result)


def check_free_text(
    audit: AuditTrail,
    *,
    text: str,
    context: ScreeningContext,
    by: str,
    subject: str,
    at: datetime,
) -> Screening:
    """Screen a collector's own text before it may be sent; the outcome is audited (the text
    itself is not stored in the log, only its hash: it may hold personal data)."""
    result = screen(text, context=context)
    audit.append_records(
        [
            AuditRecord(
                AuditKind.MESSAGE_SCREENED,
                at,
                by,
                subject,
                {
                    "text_sha256": _sha(text),
                    "verdict": result.verdict.value,
                    "rules": list(result.rules),
                    "source": "free_text",
                },
            )
        ]
    )
    return result
