"""How a simulated borrower answers a contact: one home for the response model.

The in-memory world (`world.World`, for strategy evaluation) and the demo's borrowers answering
the real cycle's messages (`answer_message`) both read these formulas, so the demo plays against
the same borrowers a strategy is evaluated on. Every effect size comes from parameters.toml.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass
from datetime import time

import numpy as np
import numpy.typing as npt

from faircollect.simulation.params import TYPES, Parameters
from faircollect.strategy.actions import SLOTS

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
CHANNELS = ("sms", "email", "call", "ai_voice")
GROUPS = ("M0", "M1", "M2_M3", "M4_plus")


@dataclass(frozen=True)
class ResponseModel:
    """The parameters' per-type and per-channel arrays, and the chances built from them."""

    p: Parameters
    k_hazard: F64
    k_ontime: F64
    k_reminder: F64
    k_plan: F64
    k_waiver: F64
    k_promise: F64
    k_keep: F64
    k_dispute: F64
    k_hardship: F64
    k_complaint: F64
    k_tone: F64  # (types × tones): payment factor
    c_reach: F64
    c_cost: I64
    c_effect: F64
    c_complaint: F64
    tone_complaint: F64
    slot_answer: F64  # (answer patterns × slots)

    @classmethod
    def of(cls, t: Parameters) -> ResponseModel:
        ch = t["channels"]
        s = t["slots"]
        return cls(
            p=t, k_hazard=t.by_type("hazard"), k_ontime=t.by_type("ontime"),
            k_reminder=t.by_type("reminder"), k_plan=t.by_type("plan_accept"),
            k_waiver=t.by_type("waiver"), k_promise=t.by_type("promise"),
            k_keep=t.by_type("keep"), k_dispute=t.by_type("dispute"),
            k_hardship=t.by_type("hardship"), k_complaint=t.by_type("complaint_mult"),
            k_tone=t.tone_pay(),
            c_reach=np.array([ch["sms"]["read"], ch["email"]["read"], ch["call"]["answer"],
                              ch["ai_voice"]["answer"]]),
            c_cost=np.array([ch[c]["cost_minor"] for c in CHANNELS], dtype=np.int64),
            c_effect=np.array([ch[c]["effect"] for c in CHANNELS]),
            c_complaint=np.array([ch[c]["complaint"] for c in CHANNELS]),
            tone_complaint=np.array([1.0, *t["tone"]["complaint"]]),
            slot_answer=np.array([s["morning"], s["midday"], s["evening"]]),
        )  # fmt: skip

    def answer_chance(self, ch: I64, slot: int | I64, pattern: I64, att7: I64, away: Mask) -> F64:
        """Chance the person reads a text or answers a call: a call's by the hour they answer at,
        falling with this week's attempts, and rarely while they have stopped answering."""
        voice = ch >= 2
        decay = float(self.p["pressure"]["answer_decay_7d"])
        return np.asarray(
            self.c_reach[ch]
            * np.where(voice, self.slot_answer[pattern, slot], 1.0)
            * np.where(voice, np.exp(-decay * att7), 1.0)
            * np.where(away & voice, 0.1, 1.0)
        )

    def attention_gain(self, ch: I64, att7: I64) -> F64:
        """The attention a reached contact restores (saturating with this week's attempts)."""
        decay = float(self.p["pressure"]["effect_decay_7d"])
        return np.asarray(np.clip(self.c_effect[ch] * np.exp(-decay * att7), 0, 1))

    def promise_chance(self, kind: I64, talks: I64) -> F64:
        """Chance a conversation ends in a promise: fewer from people talked to often this week."""
        fatigue = float(self.p["arrangements"]["promise_fatigue"])
        return np.asarray(self.k_promise[kind] * np.exp(-fatigue * talks))

    def keep_chance(self, kind: I64, ability: F64, broken: I64) -> F64:
        """Chance a promise is kept: by type and ability, less for each promise broken before."""
        factor = float(self.p["arrangements"]["broken_keep_factor"])
        keep = self.k_keep[kind] * np.sqrt(ability) * 1.3 * factor**broken
        return np.asarray(np.clip(keep, 0.0, 0.95))

    def plan_keep_chance(self, kind: I64, ability: F64) -> F64:
        """Chance a plan instalment is paid when due."""
        power = float(self.p["arrangements"]["plan_keep_power"])
        keep = self.k_keep[kind] ** 0.5 * ability**power
        return np.asarray(np.clip(keep * 1.6, 0.0, 0.97))

    def hardship_chance(self, kind: I64, shocked: Mask) -> F64:
        return np.asarray(self.k_hardship[kind] * np.where(shocked, 3.0, 1.0))

    def complaint_risk(
        self, kind: I64, ch: I64, tone: I64, before_today: I64, att7: I64, agency: Mask,
        reached: Mask,
    ) -> F64:  # fmt: skip
        """Chance a contact draws a complaint: by channel, tone and type, rising with today's and
        this week's attempts and for an agency ([REGF], [CFPB])."""
        pr = self.p["pressure"]
        return np.asarray(
            self.c_complaint[ch] * self.tone_complaint[tone] * self.k_complaint[kind]
            * (1 + float(pr["complaint_per_today"]) * before_today)
            * (1 + float(pr["complaint_per_7d"]) * att7)
            * np.where(agency, float(self.p["agency"]["complaint_factor"]), 1.0)
            * np.where(reached, 1.0, 0.5)
        )  # fmt: skip

    def stop_chance(self, att7: I64) -> F64:
        """Chance a called person stops answering for a while."""
        return np.asarray(float(self.p["pressure"]["stop_answering"]) * (1 + att7 / 5.0))

    def optout_chance(self, msgs7: I64) -> F64:
        """Chance a person who read a text opts out of texts."""
        return np.asarray(float(self.p["pressure"]["optout_sms"]) * (1 + msgs7 / 3.0))


def group_of(dpd: int) -> str:
    """The type-mix group of a loan `dpd` days past due (parameters' types_by_bucket)."""
    return "M0" if dpd <= 0 else "M1" if dpd <= 30 else "M2_M3" if dpd <= 90 else "M4_plus"


def slot_at(local: time) -> int:
    """The catalogue slot a local time falls in (the last slot at or before it)."""
    return max(bisect_right(SLOTS, local) - 1, 0)


@dataclass(frozen=True, slots=True)
class Borrower:
    """One demo borrower's traits."""

    kind: int  # index into TYPES
    ability: float
    willingness: float
    answer_pattern: int


def _rng(seed: int, *key: object) -> np.random.Generator:
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def borrower(params: Parameters, seed: int, loan_key: int, dpd: int) -> Borrower:
    """The borrower of one loan, for `seed`: its type from the type mix of the loan's delinquency
    group (a tape stores no type, so a loan that goes late is answered as the late book is), by
    one fixed draw per loan, and its traits drawn per type."""
    pop = params["population"]
    u = _rng(seed, "type", loan_key).random()
    shares = np.cumsum(pop["types_by_bucket"][group_of(dpd)])
    kind = min(int(np.searchsorted(shares, u, side="right")), len(TYPES) - 1)
    rng = _rng(seed, "traits", loan_key, kind)
    t = params["types"][TYPES[kind]]
    return Borrower(
        kind=kind, ability=float(rng.beta(*t["ability"])),
        willingness=float(rng.beta(*t["willingness"])),
        answer_pattern=int(_rng(seed, "pattern", loan_key).choice(3, p=pop["answer_pattern_shares"])),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Contact:
    """What the borrower receives and what the lender's record says of the last week."""

    channel: int  # index into CHANNELS
    tone: int  # index into strategy.actions.TONES
    plan_offer: bool
    slot: int
    attempts_7d: int  # before this one
    attempts_today: int
    talks_7d: int
    agency: bool
    promises_broken: int
    owing: bool
    promise_open: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """What the borrower does: the call's outcome, a promise (days until due, kept or not, the day
    it is paid), a plan taken and which of its instalments are paid, cases opened (the demo's
    borrowers do not opt out: recording one is a use case of its own, not yet called here)."""

    reached: bool
    promise_days: int | None = None
    promise_paid_after: int | None = None  # days after today; None: broken
    plan_paid: tuple[bool, ...] | None = None  # None: no plan taken
    dispute: bool = False
    hardship: bool = False
    complaint: bool = False


def answer_message(
    model: ResponseModel, who: Borrower, contact: Contact, seed: int, key: object
) -> Answer:
    """How `who` answers one message, deterministic for (`seed`, `key`): the world's chances for
    one contact (no income shocks: the demo's tape holds the payments)."""
    rng = _rng(seed, "answer", key)
    one = np.array([contact.channel])
    kind = np.array([who.kind])
    att7 = np.array([contact.attempts_7d])
    voice = contact.channel >= 2
    chance = model.answer_chance(one, contact.slot, np.array([who.answer_pattern]), att7,
                                 np.array([False]))[0]  # fmt: skip
    reached = bool(rng.random() < min(max(chance, 0.0), 1.0))
    ability = np.array([who.ability])
    promise_days = paid_after = plan = None
    if reached and contact.owing and contact.plan_offer and rng.random() < model.k_plan[who.kind]:
        keep = model.plan_keep_chance(kind, ability)[0]
        count = int(model.p["arrangements"]["plan_instalments"])
        plan = tuple(bool(rng.random() < keep) for _ in range(count))
    talked = reached and voice and contact.owing and not contact.promise_open
    if talked and rng.random() < model.promise_chance(kind, np.array([contact.talks_7d]))[0]:
        lo, hi = model.p["arrangements"]["promise_days"]
        promise_days = int(rng.integers(int(lo), int(hi) + 1))
        keep = model.keep_chance(kind, ability, np.array([contact.promises_broken]))[0]
        if rng.random() < keep:
            paid_after = int(rng.integers(1, promise_days + 1))
    dispute = reached and bool(rng.random() < model.k_dispute[who.kind])
    hardship = reached and bool(rng.random() < model.hardship_chance(kind, np.array([False]))[0])
    risk = model.complaint_risk(kind, one, np.array([contact.tone]),
                                np.array([contact.attempts_today]), att7,
                                np.array([contact.agency]), np.array([reached]))[0]  # fmt: skip
    complaint = bool(rng.random() < risk)
    return Answer(reached=reached, promise_days=promise_days, promise_paid_after=paid_after,
                  plan_paid=plan, dispute=dispute, hardship=hardship, complaint=complaint)  # fmt: skip
