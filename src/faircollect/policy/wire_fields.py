"""Field readers the policy wire format shares between requests and facts (policy/wire.py,
policy/wire_facts.py), and its error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from faircollect.kit import fields as f
from faircollect.kit.fields import FieldError
from faircollect.kit.limits import MAX_MINOR, MAX_TEXT
from faircollect.policy.model import PolicyInputError

T = TypeVar("T")


class WireError(PolicyInputError, FieldError):
    """A request or facts that break the wire format; `field` is the path of the offending field
    (`request.demanded_amount`, `facts.history[3].at`) and `code` says how (kit.fields). Both a
    PolicyInputError (what the gate's callers catch) and a FieldError (what an edge that reads
    several formats catches)."""


def strict(parse: Callable[[Any], T], data: Any, field: str) -> T:
    """Run `parse`, turning a field error, or a model invariant it breaks, into a WireError."""
    try:
        return parse(data)
    except FieldError as exc:
        raise WireError(exc.field, exc.code, str(exc)) from None
    except PolicyInputError as exc:
        raise WireError(field, "invalid", f"{field}: {exc}") from None


def optional(d: dict[str, Any], key: str, parse: Callable[[Any, str], T], field: str) -> T | None:
    """`d[key]` read by `parse` (its field named `field.key`), None when absent or null."""
    value = d.get(key)
    return None if value is None else parse(value, f"{field}.{key}")


def amount(value: Any, field: str) -> int:
    """An amount in integer minor units, 0 to MAX_MINOR."""
    return f.integer(value, field, low=0, high=MAX_MINOR)


def ident(value: Any, field: str) -> str:
    """An identifier: non-empty bounded text."""
    return f.text(value, field, max_chars=MAX_TEXT["id"])


def point(value: Any, field: str) -> str:
    """A contact point (a keyed token or an address): non-empty bounded text."""
    return f.text(value, field, max_chars=MAX_TEXT["contact_point"])


def flag(d: dict[str, Any], key: str, field: str) -> bool:
    """An optional boolean field, false when absent."""
    return f.boolean(d.get(key, False), f"{field}.{key}")


def label(value: Any, field: str) -> str:
    """A place label ("work", "home"): short non-empty text."""
    return f.text(value, field, max_chars=MAX_TEXT["id"])
