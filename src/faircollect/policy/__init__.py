"""The contact policy gate: every contact and message is decided here, before any channel.

`evaluate(request, facts, pack) -> Decision` is pure: no I/O, no clock; rule packs are
versioned data (TOML) with one module per rule family. May import `faircollect.kit` only.
"""

from faircollect.policy.decision import Decision, Reason, Verdict
from faircollect.policy.engine import evaluate
from faircollect.policy.model import (
    Attempt,
    CaseFlags,
    Channel,
    ContactRequest,
    ContactSource,
    Facts,
    Outcome,
    PolicyInputError,
    Purpose,
    RecipientRole,
)
from faircollect.policy.packs import PackError, RulePack, load_pack

__all__ = [
    "Attempt",
    "CaseFlags",
    "Channel",
    "ContactRequest",
    "ContactSource",
    "Decision",
    "Facts",
    "Outcome",
    "PackError",
    "PolicyInputError",
    "Purpose",
    "Reason",
    "RecipientRole",
    "RulePack",
    "Verdict",
    "evaluate",
    "load_pack",
]
