"""Rule violations of a run, counted independently of the memoised gate.

`replay` takes executed contacts and decides each again with the real gate on its exact facts:
its own date and time, the real amount in the text against the lawful outstanding, and the
account's whole contact history of the previous seven days. `invariants` checks every contact of
the run against the CN limits directly (quiet hours, daily caps, no contact during a hold).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import numpy as np

from faircollect.policy import Attempt, CaseFlags, ContactRequest, Facts, Outcome, RecipientRole
from faircollect.policy import evaluate as gate
from faircollect.simulation.driver import RunResult
from faircollect.simulation.world import CONNECTED, READ
from faircollect.strategy.actions import ACTIONS, SLOTS
from faircollect.strategy.gate import (
    AGENCY,
    EMAIL,
    PHONE,
    TIMEZONES,
    GateView,
    agencies,
    message_for,
    slot_instant,
)

VOICE_ACTIONS = np.array([a.is_voice for a in ACTIONS])
QUIET = tuple(k for k, t in enumerate(SLOTS) if t.hour < 8 or t.hour >= 22)


@dataclass
class Violations:
    """What the checks found: contacts the exact gate would not allow, and limit breaches."""

    replayed: int = 0
    refused: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    breaches: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.refused + sum(self.breaches.values())


def replay(result: RunResult, *, sample: int | None = 500, seed: int = 0,
           gate_view: GateView | None = None) -> Violations:  # fmt: skip
    """Decide `sample` executed contacts (all when None) again on their exact facts."""
    log = result.log
    total = len(log["account"])
    out = Violations()
    if not total:
        return out
    order = np.lexsort((log["slot"], log["day"], log["account"]))
    acc = log["account"][order]
    position = np.empty(total, dtype=np.int64)
    position[order] = np.arange(total)
    rng = np.random.default_rng([seed, 4])
    chosen = (
        np.arange(total) if sample is None or sample >= total else rng.choice(total, sample, False)
    )
    view = gate_view or GateView()
    pop = result.population
    for k in chosen.tolist():
        j = int(position[k])
        i, d, s = int(log["account"][k]), int(log["day"][k]), int(log["slot"][k])
        lo = int(np.searchsorted(acc, i, "left"))
        day = result.start + timedelta(days=d)
        tz = TIMEZONES[int(pop.tz[i])]
        at = slot_instant(day, s, tz)
        history = []
        for m in order[lo:j].tolist():
            dm = int(log["day"][m])
            if dm < d - 7:
                continue
            a = int(log["action"][m])
            spec = ACTIONS[a]
            moment = slot_instant(result.start + timedelta(days=dm), int(log["slot"][m]), tz)
            outcome = int(log["outcome"][m])
            history.append(Attempt(
                moment.astimezone(UTC), spec.channel, RecipientRole.DEBTOR,
                EMAIL if spec.channel.value == "email" else PHONE, "loan",
                Outcome.CONNECTED if outcome in (CONNECTED, READ) or not spec.is_voice
                else Outcome.NO_ANSWER,
                conversation=outcome == CONNECTED,
                by=AGENCY if log["agency"][m] else "lender",
            ))  # fmt: skip
        a = int(log["action"][k])
        spec = ACTIONS[a]
        text, demanded = message_for(a, int(log["amount"][k]), int(log["lawful"][k]))
        bits = int(result.flags_at_contact[k]) if len(result.flags_at_contact) else 0
        request = ContactRequest(
            at=at, channel=spec.channel, recipient_role=RecipientRole.DEBTOR,
            contact_point=EMAIL if spec.channel.value == "email" else PHONE, debt_id="loan",
            timezones=(tz,), demanded_amount=demanded, message=text,
            by=AGENCY if log["agency"][k] else "lender",
        )  # fmt: skip
        facts = Facts(
            history=tuple(history),
            flags=CaseFlags(dispute_open=bool(bits & 1), complaint_open=bool(bits & 2),
                            hardship_open=bool(bits & 4)),
            lawful_outstanding=int(log["lawful"][k]), agencies=agencies(day),
        )  # fmt: skip
        decision = gate(request, facts, view.pack(day))
        out.replayed += 1
        if not decision.allowed:
            out.refused += 1
            out.rules.update(r.rule_id for r in decision.reasons)
    return out


def invariants(result: RunResult) -> Counter[str]:
    """Every contact of the run against the CN limits: counts of breaches by limit."""
    log = result.log
    found: Counter[str] = Counter()
    if not len(log["account"]):
        return found
    found["quiet hours (08:00-22:00)"] = int(np.isin(log["slot"], QUIET).sum())
    if len(result.flags_at_contact):
        found["contact during a hold"] = int((result.flags_at_contact > 0).sum())
    found["amount above the lawful outstanding"] = int((log["amount"] > log["lawful"]).sum())
    key = log["account"] * (result.days + 1) + log["day"]
    voice = VOICE_ACTIONS[log["action"]]
    for name, rows, cap in (
        ("more than 3 connected calls a day", voice & (log["outcome"] == CONNECTED), 3),
        ("more than 6 unanswered calls a day", voice & (log["outcome"] != CONNECTED), 6),
        ("more than 3 messages a day", ~voice, 3),
    ):
        _, counts = np.unique(key[rows], return_counts=True)
        found[name] = int(np.maximum(counts - cap, 0).sum())
    return +found
