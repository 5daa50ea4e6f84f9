"""Amounts demanded: never more than the lawful outstanding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faircollect.kit.money import format_minor
from faircollect.policy.decision import Reason
from faircollect.policy.model import ContactRequest, Facts
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import missing, reason


@rule("CN-AMOUNT-LAWFUL")
def cn_lawful_amount(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """A demand may not exceed the lawful outstanding: interest above the cap is unenforceable and
    pressing for it is the crime of Criminal Law art. 293-1 (SPC private lending arts. 25-29)."""
    return _check("CN-AMOUNT-LAWFUL", req, facts, params)


@rule("US-AMOUNTS")
def us_amounts(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Collect only amounts the agreement or law authorises (12 CFR 1006.22(b))."""
    return _check("US-AMOUNTS", req, facts, params)


def _check(
    rule_id: str, req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    return demand_reason(rule_id, params, req.demanded_amount, facts.lawful_outstanding)


def demand_reason(
    rule_id: str, params: Mapping[str, Any], demanded: int | None, lawful: int | None
) -> Reason | None:
    """The amount rule on plain values (shared with the batch evaluator)."""
    if demanded is None:
        return None
    if lawful is None:
        return missing(rule_id, params, "lawful outstanding of the debt")
    if demanded <= lawful:
        return None
    excess = format_minor(demanded - lawful)
    return reason(
        rule_id,
        params,
        f"催收金额超过合法应还金额{excess}元，超出部分不得主张",
        f"the demand exceeds the lawful outstanding by {excess}; the excess is never demanded",
    )
