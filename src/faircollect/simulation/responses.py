"""How a simulated borrower answers a contact: one home for the response model.

`world.World` reads its chances here; every effect size comes from parameters.toml.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import time

import numpy as np
import numpy.typing as npt

from faircollect.policy.model import VOICE
from faircollect.simulation.params import Parameters
from faircollect.strategy.actions import ACTIONS, SLOTS

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
CHANNELS = ("sms", "email", "call", "ai_voice")


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


def slot_at(local: time) -> int:
    """The catalogue slot a local time falls in (the last slot at or before it)."""
    return max(bisect_right(SLOTS, local) - 1, 0)


def action_for(channel: str, template: str, task_action: str) -> int:
    """The catalogue action a message is: its channel and template (a market's own text,
    "uk.overdue.first", as the template it stands for), else the channel's polite action."""
    market, _, rest = template.partition(".")
    name = rest if market in ("cn", "us", "uk") and rest else template
    if task_action == "offer_plan":
        name = "call.plan" if channel in VOICE else "plan.offer"
    fallback = None
    for k, a in enumerate(ACTIONS):
        if a.channel.value == channel:
            if a.template == name:
                return k
            if fallback is None and a.tone == "polite" and a.offer == "none":
                fallback = k
    if fallback is None:
        raise ValueError(f"no catalogue action for channel {channel!r}")
    return fallback
