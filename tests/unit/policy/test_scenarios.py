"""Table-driven scenarios for every rule of the shipped packs (tests/unit/policy/scenarios)."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from faircollect.policy import evaluate, load_pack
from faircollect.policy.wire import facts_from_dict, request_from_dict

HERE = Path(__file__).parent / "scenarios"
DEFAULTS = {
    "CN": {"channel": "call", "role": "debtor", "contact_point": "m1", "debt_id": "D1"},
    "US": {
        "channel": "call",
        "role": "debtor",
        "contact_point": "m1",
        "debt_id": "D1",
        "timezones": ["America/New_York"],
    },
    "UK": {
        "channel": "call",
        "role": "debtor",
        "contact_point": "m1",
        "debt_id": "D1",
        "timezones": ["Europe/London"],
    },
}
PACKS = ("CN", "US", "UK")
HISTORY_DEFAULTS = {"channel": "call", "role": "debtor", "contact_point": "m1", "debt_id": "D1"}
# A written contact always carries its text. Scenarios about other rules get a compliant one, so
# each scenario tests what it names; the content scenarios state their own message.
WRITTEN = {"sms", "email", "push", "letter", "social_private"}
MESSAGES = {
    "CN": "您好，您的账单已逾期，请通过APP官方渠道还款，如有困难可申请分期。",
    "US": "This communication is from a debt collector. Please contact us about your account. "
    "Reply STOP to opt out.",
    "UK": "Hello, this is FairCollect about your account. Please call us on 0161 496 0000.",
}


def cases(pack: str) -> list[dict[str, Any]]:
    return tomllib.loads((HERE / f"{pack.lower()}.toml").read_text("utf-8"))["case"]


def run(pack_id: str, case: dict[str, Any]):
    raw = {**DEFAULTS[pack_id], **case["request"]}
    if raw["channel"] in WRITTEN and "message" not in raw:
        raw["message"] = MESSAGES[pack_id]
    request = request_from_dict(raw)
    facts = dict(case.get("facts", {}))
    if pack_id == "US" and raw["channel"] == "sms" and "text_numbers" not in facts:
        # Likewise a US text goes to a number the consumer texted from that day (1006.6(d)(5));
        # the safe-harbor scenarios state their own numbers.
        facts["text_numbers"] = {raw["contact_point"]: {"last_used": raw["at"][:10]}}
    if pack_id == "US" and raw["channel"] == "email" and "email_addresses" not in facts:
        # And a US e-mail to an address the consumer wrote from that day (1006.6(d)(4)(i)(A)).
        facts["email_addresses"] = {raw["contact_point"]: {"used": raw["at"][:10]}}
    facts["history"] = [{**HISTORY_DEFAULTS, **h} for h in facts.get("history", [])]
    return evaluate(request, facts_from_dict(facts), load_pack(pack_id))


@pytest.mark.parametrize(
    ("pack", "case"),
    [(p, c) for p in PACKS for c in cases(p)],
    ids=lambda v: v["name"] if isinstance(v, dict) else v,
)
def test_scenario(pack: str, case: dict[str, Any]) -> None:
    decision = run(pack, case)
    assert decision.verdict.value == case["expect"], decision.to_dict()
    assert sorted(r.rule_id for r in decision.reasons) == sorted(case.get("rules", [])), (
        decision.to_dict()
    )
    if "not_before" in case:
        assert decision.not_before == datetime.fromisoformat(case["not_before"])


def test_every_rule_has_an_allow_and_a_block_case() -> None:
    """Each rule of each pack fires in some scenario and stays silent in an allowed one."""
    for pack in PACKS:
        fired = {r for c in cases(pack) for r in c.get("rules", [])}
        assert fired == set(load_pack(pack).rules), pack
        assert any(c["expect"] == "allow" for c in cases(pack))
