"""Rule families. Each rule is `fn(request, facts, params) -> Reason | None`, registered by id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from faircollect.policy.decision import Reason
from faircollect.policy.model import ContactRequest, Facts

Rule = Callable[[ContactRequest, Facts, Mapping[str, Any]], Reason | None]
REGISTRY: dict[str, Rule] = {}
# The rules that also decide a transactional message (a sign-in code the person asked for): what
# is said and through which medium; the collection rules (hours, caps, holds) do not apply.
TRANSACTIONAL: set[str] = set()
_LOADED: list[bool] = []  # set once every rule module has been imported


def rule(rule_id: str, *, transactional: bool = False) -> Callable[[Rule], Rule]:
    """Register a rule function under its stable id; `transactional` when it also decides a
    transactional message."""

    def register(fn: Rule) -> Rule:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        REGISTRY[rule_id] = fn
        if transactional:
            TRANSACTIONAL.add(rule_id)
        return fn

    return register


def load_all() -> dict[str, Rule]:
    """Import every rule module (they register themselves) and return the registry."""
    if _LOADED:
        return REGISTRY
    from faircollect.policy.rules import (  # noqa: F401 - imported for registration
        amounts,
        content,
        disclosure,
        frequency,
        holds,
        hours,
        outsourcing,
        recipients,
    )

    _LOADED.append(True)
    return REGISTRY
