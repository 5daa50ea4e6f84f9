"""The gate: run every rule of the pack on the request and facts, and combine their verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from faircollect.policy.decision import SEVERITY_ORDER, Decision, Reason, Verdict
from faircollect.policy.model import ContactRequest, Facts, Purpose
from faircollect.policy.packs import RulePack
from faircollect.policy.rules import TRANSACTIONAL, Rule, load_all

Compiled = tuple[tuple[Rule, Mapping[str, Any]], ...]
# The last packs compiled to (rule function, parameters) pairs, by identity: a pack is read-only
# once loaded, and every decision under it runs the same list (all rules; the transactional ones).
_COMPILED: dict[int, tuple[RulePack, Compiled, Compiled]] = {}


def _compiled(pack: RulePack, purpose: Purpose) -> Compiled:
    entry = _COMPILED.get(id(pack))
    if entry is None or entry[0] is not pack:
        registry = load_all()
        if len(_COMPILED) > 64:
            _COMPILED.clear()
        rules = pack.rules.items()
        entry = (
            pack,
            tuple((registry[rid], params) for rid, params in rules),
            tuple((registry[rid], params) for rid, params in rules if rid in TRANSACTIONAL),
        )
        _COMPILED[id(pack)] = entry
    return entry[1] if purpose is Purpose.COLLECTION else entry[2]


def combine(reasons: Sequence[Reason]) -> tuple[Verdict, datetime | None]:
    """The verdict of some reasons (the most severe) and when trying again helps: the latest
    `not_before` of the blocking ones, when every one of them has one."""
    verdict = max((r.verdict for r in reasons), key=SEVERITY_ORDER.__getitem__)
    blocking = [r.not_before for r in reasons if r.verdict is Verdict.BLOCK]
    waits = [w for w in blocking if w is not None]
    return verdict, max(waits) if blocking and len(waits) == len(blocking) else None


def evaluate(request: ContactRequest, facts: Facts, pack: RulePack) -> Decision:
    """Decide a contact: BLOCK if any rule blocks, REVIEW if any asks for a person, else ALLOW.

    `not_before` is the earliest time the same contact could pass, when every blocking rule
    would lift by then (quiet hours, daily or weekly caps); None when waiting does not help.
    A transactional request (a sign-in code the person asked for) runs only the rules marked
    transactional: content screening and the person's own opt-outs, not hours, caps or holds.
    """
    reasons: list[Reason] = []
    for rule, params in _compiled(pack, request.purpose):
        found = rule(request, facts, params)
        if found is not None:
            reasons.append(found)
    verdict, not_before = combine(reasons) if reasons else (Verdict.ALLOW, None)
    return Decision(
        verdict=verdict,
        reasons=tuple(reasons),
        not_before=not_before,
        pack_id=pack.pack_id,
        pack_version=pack.version,
        inputs=(request, facts),
    )
