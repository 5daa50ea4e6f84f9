"""The policy gate over many accounts at once: which catalogue actions it would allow now.

Each account's situation at a slot is reduced to a canonical contact state (time zone, open
holds, who collects, and the day's calls and messages so far); the real gate
(`faircollect.policy.evaluate`) decides each distinct (state, action, slot) once on a request and
facts built from it, and the answer is shared by every account in that state. The CN rules read
only the request's local day (hours, daily caps), the holds and the demanded amount against the
lawful outstanding, which the state carries as "within the lawful amount or not"; the message is
the real template filled with a canonical amount. `replay` (simulation.audit) checks executed
contacts again on their exact facts, so a state that left out something the gate reads would show
there as a violation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from faircollect.policy import (
    Attempt,
    CaseFlags,
    Channel,
    ContactRequest,
    Facts,
    Outcome,
    RecipientRole,
    RulePack,
    evaluate,
    load_pack,
)
from faircollect.policy.model import AgencyStatus
from faircollect.policy.rules.common import at_local
from faircollect.screening.templates import render, sample_values
from faircollect.strategy.actions import ACTIONS, SLOTS, catalogue

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

TIMEZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong")
AGENCY = "agency-approved-pool"
CANONICAL_LAWFUL = 100_000  # the lawful outstanding every canonical request is measured against
# Caps are counted up to one past the largest daily limit; more attempts decide the same.
COUNT_CAP = 7
PHONE, EMAIL = "phone-0", "email-0"


@dataclass(frozen=True)
class ContactState:
    """Per account, what the gate reads at a slot (arrays of equal length)."""

    tz: I64  # index into TIMEZONES
    dispute: Mask
    complaint: Mask
    hardship: Mask
    agency: Mask  # collected by the placed agency rather than the lender
    over_lawful: Mask  # the amount a message would state exceeds the lawful outstanding
    connected_today: I64
    unanswered_today: I64
    messages_today: I64

    def keys(self) -> I64:
        """One integer per account for its canonical state."""
        c = COUNT_CAP + 1
        key = self.tz.astype(np.int64)
        for bit in (self.dispute, self.complaint, self.hardship, self.agency, self.over_lawful):
            key = key * 2 + bit
        for n in (self.connected_today, self.unanswered_today, self.messages_today):
            key = key * c + np.minimum(n, COUNT_CAP)
        return key


@dataclass
class GateView:
    """The gate for a pack, memoised on canonical states; counts the real decisions it made."""

    pack_id: str = "CN"
    decisions: int = 0
    _packs: dict[date, RulePack] = field(default_factory=dict)
    _memo: dict[tuple[str, int, int], Mask] = field(default_factory=dict)
    _reasons: dict[tuple[str, int, int], tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def pack(self, day: date) -> RulePack:
        if day not in self._packs:
            self._packs[day] = load_pack(self.pack_id, on=day)
        return self._packs[day]

    def allowed(self, state: ContactState, slot: int, day: date) -> Mask:
        """(accounts × actions): the actions the gate allows each account at `slot` on `day`."""
        unique, inverse = np.unique(state.keys(), return_inverse=True)
        pack = self.pack(day)
        table = np.array([self._row(pack, int(key), slot, day) for key in unique.tolist()])
        return table.reshape(len(unique), len(ACTIONS))[inverse.reshape(-1)]

    def reasons(self, state_key: int, action: int, slot: int, day: date) -> tuple[str, ...]:
        """The rule ids behind a canonical decision (for reports)."""
        pack = self.pack(day)
        self._row(pack, state_key, slot, day)
        return self._reasons[(pack.version, state_key, slot)][action]

    def _row(self, pack: RulePack, key: int, slot: int, day: date) -> Mask:
        memo_key = (pack.version, key, slot)
        found = self._memo.get(memo_key)
        if found is None:
            verdicts, reasons = [], []
            for action in range(len(ACTIONS)):
                request, facts = canonical_inputs(key, action, slot, day)
                decision = evaluate(request, facts, pack)
                verdicts.append(decision.allowed)
                reasons.append(tuple(r.rule_id for r in decision.reasons))
            self.decisions += len(ACTIONS)
            found = self._memo[memo_key] = np.array(verdicts)
            self._reasons[memo_key] = tuple(reasons)
        return found


def decode(key: int) -> dict[str, int]:
    """The fields of a canonical state key (the inverse of `ContactState.keys`)."""
    c = COUNT_CAP + 1
    out: dict[str, int] = {}
    for name in ("messages_today", "unanswered_today", "connected_today"):
        key, out[name] = divmod(key, c)
    for name in ("over_lawful", "agency", "hardship", "complaint", "dispute"):
        key, out[name] = divmod(key, 2)
    out["tz"] = key
    return out


def message_for(action: int, amount_minor: int, lawful_minor: int) -> tuple[str, int | None]:
    """The filled text of an action's template, and the demanded amount when it states one."""
    spec = ACTIONS[action]
    template = catalogue().get(spec.template, "zh")
    values = sample_values(template)
    values["amount"] = amount_minor
    text = render(template, values)
    return text, amount_minor if "amount" in template.variables else None


def agencies(day: date) -> dict[str, AgencyStatus]:
    """The simulated placement agency: approved, agreement on record, evaluated this year."""
    return {AGENCY: AgencyStatus(True, day - timedelta(days=90), True)}


def canonical_inputs(key: int, action: int, slot: int, day: date) -> tuple[ContactRequest, Facts]:
    """A real request and facts for a canonical state, an action and a slot."""
    f = decode(key)
    spec = ACTIONS[action]
    tz = TIMEZONES[f["tz"]]
    at = at_local(day, SLOTS[slot], tz)
    demand = CANONICAL_LAWFUL + (1 if f["over_lawful"] else 0)
    text, demanded = message_for(action, demand, CANONICAL_LAWFUL)
    history: list[Attempt] = []
    # Today's attempts just before the request, oldest first (the CN caps count the local day).
    kinds = (
        [(Channel.CALL, Outcome.CONNECTED, PHONE)] * f["connected_today"]
        + [(Channel.CALL, Outcome.NO_ANSWER, PHONE)] * f["unanswered_today"]
        + [(Channel.SMS, Outcome.CONNECTED, PHONE)] * f["messages_today"]
    )
    for k, (channel, outcome, point) in enumerate(kinds):
        moment = (at - timedelta(seconds=len(kinds) - k)).astimezone(UTC)
        history.append(Attempt(moment, channel, RecipientRole.DEBTOR, point, "loan",
                               outcome, conversation=outcome is Outcome.CONNECTED))  # fmt: skip
    by = AGENCY if f["agency"] else "lender"
    request = ContactRequest(
        at=at, channel=spec.channel, recipient_role=RecipientRole.DEBTOR,
        contact_point=EMAIL if spec.channel is Channel.EMAIL else PHONE, debt_id="loan",
        timezones=(tz,), demanded_amount=demanded, message=text, by=by,
    )  # fmt: skip
    flags = CaseFlags(
        dispute_open=bool(f["dispute"]),
        complaint_open=bool(f["complaint"]),
        hardship_open=bool(f["hardship"]),
    )
    facts = Facts(
        history=tuple(history), flags=flags, lawful_outstanding=CANONICAL_LAWFUL,
        agencies=agencies(day),
    )  # fmt: skip
    return request, facts


def slot_instant(day: date, slot: int, tz: str) -> datetime:
    """The instant of a slot on a day in a zone."""
    return at_local(day, SLOTS[slot], tz)
