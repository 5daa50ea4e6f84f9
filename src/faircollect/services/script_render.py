"""Use cases: fill an approved script for one recipient, and screen a collector's free text.

Rendering for sending fills the typed variables, refuses an amount above the lawful outstanding,
and screens the final text with the real context. Free text typed by a collector is screened, and
the screening audited, before it can be sent. Both need `message.screen`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from faircollect.audit.records import AuditKind, AuditRecord
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
from faircollect.screening.templates import TemplateError, render
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.ports import Brand, UnitOfWork
from faircollect.services.scripts import ScriptStore, ScriptUnit, active_version

OVER_LAWFUL = "SCR-TEMPLATE-AMOUNT-OVER-LAWFUL"


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


def fill_script(
    store: ScriptStore, *, key: str, values: dict[str, Any], context: ScreeningContext,
    brand: Brand,
) -> RenderedScript:  # fmt: skip
    """Fill the approved version of ``key`` and screen it, inside a transaction the caller holds
    (`render_script` is the use case).

    {lender} and {phone} are the lender's configured branding (`brand`), never the caller's: a
    different value given for either is refused, so the text screened is the text sent. An
    {amount} above ``context.lawful_outstanding_minor`` is blocked here (and the screening's
    amount rule checks every amount in the final text); a template with {amount} needs the lawful
    outstanding.
    """
    version = active_version(store, key)
    template = version.template
    if "amount" in template.variables and context.lawful_outstanding_minor is None:
        raise TemplateError("rendering {amount} needs the lawful outstanding in the context")
    branding = brand.fills(template.channel)
    for name, value in branding.items():
        if name in values and values[name] != value:
            raise TemplateError(
                f"{{{name}}} is the lender's configured branding (FAIRCOLLECT_BRAND_*), not a"
                " value to give"
            )
    text = render(template, {**values, **branding}, currency=context.currency)
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
            OVER_LAWFUL,
            Category.OVER_DEMAND,
            Verdict.BLOCK,
            (Span(0, len(text), text, OVER_LAWFUL),),
        )
        result = replace(
            result,
            verdict=worst(result.verdict, Verdict.BLOCK),
            findings=(*result.findings, finding),
            categories=tuple(dict.fromkeys((*result.categories, Category.OVER_DEMAND))),
        )
    return RenderedScript(text, key, version.version, result)


def render_script(
    uow: ScriptUnit, *, actor: Actor, key: str, values: dict[str, Any], context: ScreeningContext,
    brand: Brand,
) -> RenderedScript:  # fmt: skip
    """Fill the approved version of ``key`` for one recipient with the lender's `brand` and
    screen the result (MESSAGE_SCREEN); reads only."""
    with uow:
        require(uow, actor, Permission.MESSAGE_SCREEN, subject=f"script:{key}")
        return fill_script(uow.scripts, key=key, values=values, context=context, brand=brand)


def check_free_text(
    uow: UnitOfWork, *, actor: Actor, text: str, context: ScreeningContext, subject: str
) -> Screening:
    """Screen a collector's own text before it may be sent (MESSAGE_SCREEN); the outcome is
    audited under the actor (the text itself is not stored in the log, only its hash: it may hold
    personal data)."""
    with uow:
        require(uow, actor, Permission.MESSAGE_SCREEN, subject=subject)
        result = screen(text, context=context)
        uow.audit.append_records([AuditRecord(
            AuditKind.MESSAGE_SCREENED, uow.clock.now(), actor.label, subject,
            {"text_sha256": hashlib.sha256(text.encode()).hexdigest(),
             "verdict": result.verdict.value, "rules": list(result.rules),
             "source": "free_text"},
        )])  # fmt: skip
        uow.commit()
    return result
