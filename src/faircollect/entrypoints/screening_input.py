"""The screening input format: one message to screen, {"id", "text", "context"}, strictly checked.

What `faircollect screen` reads per line and the service's screening endpoint per body. Exact
types and known values only: a role, pack, currency or channel outside the product's is a
`FieldError` naming the field, never screened under a guess (docs/limits.md, Screening input).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faircollect.kit import fields as f
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_MINOR, MAX_TEXT
from faircollect.policy import Channel, RecipientRole
from faircollect.policy.packs import PACK_CURRENCY
from faircollect.screening import ScreeningContext

PACKS = tuple(PACK_CURRENCY)
CURRENCIES = tuple(dict.fromkeys(PACK_CURRENCY.values()))
ITEM_KEYS = {"id", "text", "context"}
CONTEXT_KEYS = {
    "pack",
    "role",
    "lawful_outstanding_minor",
    "currency",
    "first_communication",
    "channel",
    "time_barred",
    "sender",
    "legal_action",
}
SENDERS = ("collector", "creditor")
LEGAL_ACTIONS = ("none", "filed", "judgment")
# An id is text or a whole number a database would store (a signed 64-bit integer).
MAX_INT_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ScreenItem:
    """One message to screen: the caller's id (echoed back), its text and its context."""

    ident: str | int | None
    text: str
    context: ScreeningContext


def item_id(data: object) -> str | int | None:
    """The id of a line when it has a valid one, else None (so an error can still echo it)."""
    if not isinstance(data, dict):
        return None
    try:
        return _ident(data.get("id"))
    except FieldError:
        return None


def _ident(value: Any) -> str | int | None:
    if value is None or isinstance(value, str):
        return None if value is None else f.text(value, "id", max_chars=MAX_TEXT["id"], empty=True)
    return f.integer(value, "id", low=-MAX_INT_ID, high=MAX_INT_ID)


def _known(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise FieldError(field, "wrong_type", f"{field}: must be a string")
    if value not in allowed:
        raise FieldError(
            field,
            "unknown_value",
            f"{field}: unknown value {f.excerpt(value)} (one of {', '.join(allowed)})",
        )
    return value


def context_from_dict(data: Any, *, pack: str | None = None) -> ScreeningContext:
    """The screening context from its wire form; `pack` when the context names none."""
    if data is None:
        data = {}
    d = f.obj(data, "context", allowed=CONTEXT_KEYS)
    chosen = d.get("pack", pack)
    lawful = d.get("lawful_outstanding_minor")
    channel = d.get("channel")
    return ScreeningContext(
        pack=None if chosen is None else _known(chosen, "context.pack", PACKS),
        role=f.choice(RecipientRole, d.get("role", "debtor"), "context.role").value,
        lawful_outstanding_minor=None
        if lawful is None
        else f.integer(lawful, "context.lawful_outstanding_minor", high=MAX_MINOR),
        currency=_known(d.get("currency", "CNY"), "context.currency", CURRENCIES),
        first_communication=f.boolean(
            d.get("first_communication", False), "context.first_communication"
        ),
        channel=None if channel is None else f.choice(Channel, channel, "context.channel").value,
        time_barred=f.boolean(d.get("time_barred", False), "context.time_barred"),
        sender=_known(d.get("sender", "collector"), "context.sender", SENDERS),
        legal_action=None
        if d.get("legal_action") is None
        else _known(d["legal_action"], "context.legal_action", LEGAL_ACTIONS),
    )


def item_from_dict(data: Any, *, pack: str | None = None) -> ScreenItem:
    """One message to screen from its wire form; FieldError naming the field when it breaks it.

    The text is only checked to be a string here: `screening.check_text` says whether it can be
    screened (empty, too long, control characters).
    """
    d = f.obj(data, "line", allowed=ITEM_KEYS)
    if "text" not in d:
        raise FieldError("text", "missing", 'line: missing "text"')
    text = d["text"]
    if not isinstance(text, str):
        raise FieldError("text", "wrong_type", "text: must be a string")
    return ScreenItem(_ident(d.get("id")), text, context_from_dict(d.get("context"), pack=pack))
