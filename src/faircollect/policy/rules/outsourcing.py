"""Visits and agencies: how field collection is staffed, and who may collect at all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from faircollect.policy.decision import Reason
from faircollect.policy.model import Channel, ContactRequest, Facts
from faircollect.policy.rules import rule
from faircollect.policy.rules.common import missing, reason, request_local


@rule("CN-VISIT-TWO")
def cn_visit_staffing(
    req: ContactRequest, facts: Facts, params: Mapping[str, Any]
) -> Reason | None:
    """A home or field visit needs at least two collectors and an audio/video recording
    (CBA 2026 art. 22; NIFA 2018 arts. 20-21)."""
    if req.channel is not Channel.VISIT:
        return None
    needed = int(params.get("min_collectors", 2))
    if req.visit_collectors >= needed and req.visit_recorded:
        return None
    return reason(
        "CN-VISIT-TWO",
        params,
        f"上门催收须至少{needed}人并全程录音录像",
        f"a visit needs at least {needed} collectors and a recording",
    )


@rule("UK-VISIT-NOTICE")
def uk_visit_notice(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Before an initial home visit the customer is told its purpose, with adequate notice
    (CONC 7.9.12R, 7.9.13G). Initial: no visit about this debt is in the history."""
    if req.channel is not Channel.VISIT or req.visit_notice_given:
        return None
    if any(a.channel is Channel.VISIT and a.debt_id == req.debt_id for a in facts.history):
        return None
    return reason(
        "UK-VISIT-NOTICE",
        params,
        "首次上门前须提前通知客户并说明目的",
        "an initial home visit needs adequate notice to the customer, explaining its purpose",
    )


@rule("CN-OUT-AGENCY")
def cn_agency(req: ContactRequest, facts: Facts, params: Mapping[str, Any]) -> Reason | None:
    """Agencies collect only when approved, with an entrustment agreement on record and an
    evaluation no older than a year (GB/T 45251-2025; PIPL art. 21; CBA white list)."""
    if req.by == "lender":
        return None
    status = facts.agencies.get(req.by)
    if status is None:
        return missing("CN-OUT-AGENCY", params, f"standing of agency {req.by!r}")
    max_age = timedelta(days=int(params.get("max_age_days", 365)))
    today = request_local(req, req.timezones[0]).date()
    fresh = status.evaluated_on is not None and today - status.evaluated_on <= max_age
    if status.approved and status.agreement_on_record and fresh:
        return None
    return reason(
        "CN-OUT-AGENCY",
        params,
        "委外机构须在准入名单内、有委托协议且一年内经过评估",
        "the agency must be approved, hold an entrustment agreement and have been evaluated within a year",
    )
