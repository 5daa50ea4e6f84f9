"""The simulated borrowers' days: how they answer contacts, pay, promise, dispute and complain.

Pure and seeded: a `World` holds per-borrower state arrays and one NumPy generator. The driver
calls `begin_day`, then `contact` for the contacts the gate allowed at each slot, then `end_day`.
Every effect size comes from parameters.toml.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from faircollect.simulation.outcomes import ContactLog, ContactResult, Paid, Totals
from faircollect.simulation.params import Parameters
from faircollect.simulation.population import Population
from faircollect.simulation.responses import CHANNELS, ResponseModel
from faircollect.strategy.actions import ACTIONS, OFFERS, TONES
from faircollect.strategy.view import AccountView

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
# Per action: channel code, tone code, offer code (the catalogue's order).
_CH = np.array([CHANNELS.index(a.channel.value) for a in ACTIONS])
_TONE = np.array([TONES.index(a.tone) for a in ACTIONS])
_OFFER = np.array([OFFERS.index(a.offer) for a in ACTIONS])
VOICE_CODES = (2, 3)
NEVER = -10_000
# Outcome codes in the contact log.
CONNECTED, NO_ANSWER, READ, UNREAD = 1, 2, 3, 4


class World:
    """The borrowers' state; `rng` is the world's only source of chance."""

    def __init__(self, pop: Population, params: Parameters, start: date, seed: int) -> None:
        n = pop.n
        self.pop, self.p, self.start, self.n = pop, params, start, n
        self.rng = np.random.default_rng([seed, 2])
        z = np.zeros(n, dtype=np.int64)
        self.dpd = pop.start_dpd.copy()
        self.prev_dpd = self.dpd.copy()
        self.days_to_due = pop.start_days_to_due.copy()
        owed = np.ceil(self.dpd / 30.0).astype(np.int64) * pop.instalment_minor
        self.arrears = np.floor(owed * pop.lawful_ratio).astype(np.int64)
        self.stim = np.zeros(n)
        self.tone_pay = np.ones(n)
        self.spent_until = np.full(n, NEVER)
        self._paid_today = np.zeros(n, dtype=bool)
        self.shock_left, self.waiver_until = z.copy(), np.full(n, NEVER)
        self.promise_due, self.promise_keep = np.full(n, NEVER), np.zeros(n, dtype=bool)
        self.plan_left, self.plan_next, self.plan_part = z.copy(), np.full(n, NEVER), z.copy()
        self.hold = {k: np.full(n, NEVER) for k in ("dispute", "complaint", "hardship", "away")}
        self.opted_sms = np.zeros(n, dtype=bool)
        self.ring = np.zeros((3, 7, n), dtype=np.int64)  # attempts, connected, messages by day
        self.today = np.zeros((4, n), dtype=np.int64)  # attempts, connected, unanswered, messages
        self.last_contact, self.best_slot = np.full(n, NEVER), np.full(n, -1)
        self.broken, self.cures, self.seen_complaints = z.copy(), z.copy(), z.copy()
        self.events = np.zeros((3, n), dtype=bool)  # promise broken, plan missed, paid yesterday
        self.totals = Totals(*(z.copy() for _ in range(10)))
        self.log = ContactLog()
        self.paid: list[Paid] = []  # every payment, in order (a caller may drain it)
        self.dpd_by_day: list[I64] = []
        self.propensity = np.full(n, 0.5)
        # What a lender's statements show: months past due in the history before the run.
        self.late_months = (pop.status > 0).sum(axis=1).astype(np.int64)
        self.day = 0
        self.m = ResponseModel.of(params)

    # --- what the lender can see ---------------------------------------------------------------

    def held(self) -> Mask:
        d = self.day
        return (
            (self.hold["dispute"] >= d)
            | (self.hold["complaint"] >= d)
            | (self.hold["hardship"] >= d)
        )

    def agency(self) -> Mask:
        return self.dpd >= int(self.p["agency"]["from_dpd"])

    def view(self) -> AccountView:
        d = self.day
        return AccountView(
            day=self.start + timedelta(days=d), day_index=d, dpd=self.dpd, prev_dpd=self.prev_dpd,
            days_to_due=self.days_to_due, arrears_minor=self.arrears,
            instalment_minor=self.pop.instalment_minor, attempts_today=self.today[0],
            calls_today=self.today[1] + self.today[2], messages_today=self.today[3],
            attempts_7d=self.ring[0].sum(axis=0), connected_7d=self.ring[1].sum(axis=0),
            days_since_contact=np.minimum(d - self.last_contact, 999),
            promises_broken=self.broken, promise_open=self.promise_due >= d,
            plan_active=self.plan_left > 0, agency=self.agency(), held=self.held(),
            cures=self.cures, complaints=self.seen_complaints,
            promise_broken_today=self.events[0], plan_missed_today=self.events[1],
            paid_yesterday=self.events[2], best_slot=self.best_slot, propensity=self.propensity,
            late_months=self.late_months,
        )  # fmt: skip

    def ability_now(self) -> F64:
        shocked = self.shock_left > 0
        return self.pop.ability * np.where(shocked, float(self.p["shocks"]["ability_factor"]), 1.0)

    # --- the day -------------------------------------------------------------------------------

    def begin_day(self, d: int) -> None:
        """Shocks start, promises and plan instalments fall due, today's counters reset."""
        self.day, rng, n = d, self.rng, self.n
        sh = self.p["shocks"]
        new = (self.shock_left <= 0) & (rng.random(n) < float(sh["daily_rate"]))
        self.shock_left[new] = rng.geometric(1.0 / float(sh["mean_days"]), int(new.sum()))
        self.events[:] = False
        self.events[2] = self._paid_today
        self._paid_today = np.zeros(n, dtype=bool)
        due = self.promise_due == d
        kept = due & self.promise_keep & (self.arrears > 0)
        # A promise is for what is due now: all of a one-instalment arrears, else one instalment.
        one = kept & (self.arrears <= self.pop.instalment_minor)
        self._pay(np.flatnonzero(one), self.arrears[one], full=True, why="promise")
        more = np.flatnonzero(kept & ~one)
        self._pay(more, self.pop.instalment_minor[more], full=False, why="promise")
        broken = due & ~kept & (self.arrears > 0)
        self.events[0] = broken
        self.broken += broken
        self.promise_due[due] = NEVER
        self._plan_instalments(d)
        self.ring[:, d % 7, :] = 0
        self.today[:] = 0

    def _plan_instalments(self, d: int) -> None:
        due = np.flatnonzero((self.plan_left > 0) & (self.plan_next == d))
        if not len(due):
            return
        keep = self.m.plan_keep_chance(self.pop.kind[due], self.ability_now()[due])
        paid = self.rng.random(len(due)) < keep
        rows = due[paid]
        part = np.minimum(self.plan_part[rows], self.arrears[rows])
        last = self.plan_left[rows] == 1
        self._pay(rows[last], self.arrears[rows[last]], full=True, why="plan")
        self._pay(rows[~last], part[~last], full=False, why="plan")
        self.plan_left[rows] -= 1
        self.plan_next[rows] = d + 30
        missed = due[~paid]
        self.plan_left[missed] = 0
        self.events[1, missed] = True

    def contact(self, rows: I64, actions: I64, slot: int) -> ContactResult | None:
        """The borrowers in `rows` receive `actions` (allowed by the gate) at `slot`; what they
        did (None when `rows` is empty)."""
        if not len(rows):
            return None
        d, rng, kind, k = self.day, self.rng, self.pop.kind[rows], len(rows)
        ch, tone, offer = _CH[actions], _TONE[actions], _OFFER[actions]
        voice = ch >= 2
        m = self.m
        att7 = self.ring[0][:, rows].sum(axis=0)
        before_today = self.today[0, rows]
        away = self.hold["away"][rows] >= d
        answer = m.answer_chance(ch, slot, self.pop.answer_pattern[rows], att7, away)
        reached = rng.random(k) < np.clip(answer, 0.0, 1.0)
        talked = reached & voice
        # Attention in [0, 1]: a reached contact tops it up, repeated ones saturate and tire.
        gain = m.attention_gain(ch, att7)
        got = rows[reached]
        self.stim[got] = 1.0 - (1.0 - self.stim[got]) * (1.0 - gain[reached])
        self.tone_pay[got] = self.m.k_tone[kind[reached], tone[reached]]
        owing = self.arrears[rows] > 0
        plan_taken = self._offers(rows, kind, reached & owing, offer)
        promised = self._promises(rows, kind, talked & owing & (self.promise_due[rows] < d))
        dispute, hardship, complaint = self._cases(rows, kind, reached, ch, tone, before_today,
                                                   att7)  # fmt: skip
        stop = voice & (rng.random(k) < m.stop_chance(att7))
        self.hold["away"][rows[stop]] = d + int(self.p["holds"]["unreachable_days"])
        msgs7 = self.ring[2][:, rows].sum(axis=0)
        opt = (ch == 0) & reached & (rng.random(k) < m.optout_chance(msgs7))
        self.opted_sms[rows[opt]] = True
        self.totals.optouts[rows[opt]] += 1
        r = d % 7
        np.add.at(self.ring[0, r], rows, 1)
        np.add.at(self.ring[1, r], rows, talked)
        np.add.at(self.ring[2, r], rows, ~voice)
        np.add.at(self.today[0], rows, 1)
        np.add.at(self.today[1], rows, talked)
        np.add.at(self.today[2], rows, voice & ~talked)
        np.add.at(self.today[3], rows, ~voice)
        self.last_contact[rows] = d
        self.best_slot[rows[talked]] = slot
        np.add.at(self.totals.contacts, rows, 1)
        np.add.at(self.totals.cost, rows, self.m.c_cost[ch])
        log = self.log
        log.account.append(rows.copy())
        log.day.append(np.full(k, d))
        log.slot.append(np.full(k, slot))
        log.action.append(actions.copy())
        log.outcome.append(np.where(voice, np.where(talked, CONNECTED, NO_ANSWER),
                                    np.where(reached, READ, UNREAD)))  # fmt: skip
        log.agency.append(self.agency()[rows])
        log.amount.append(self.arrears[rows].copy())
        log.lawful.append(self.arrears[rows].copy())
        return ContactResult(reached=reached, talked=talked, promised=promised,
                             plan_taken=plan_taken, dispute=dispute, hardship=hardship,
                             complaint=complaint, opted_out=opt)  # fmt: skip

    def _offers(self, rows: I64, kind: I64, reached: Mask, offer: I64) -> Mask:
        d, rng, ar = self.day, self.rng, self.p["arrangements"]
        plan = reached & (offer == 1) & (self.plan_left[rows] == 0)
        take = plan & (rng.random(len(rows)) < self.m.k_plan[kind])
        got = rows[take]
        m = int(ar["plan_instalments"])
        self.plan_left[got] = m
        self.plan_next[got] = d + 7
        self.plan_part[got] = -(-self.arrears[got] // m)
        self.totals.plans[got] += 1
        waiver = rows[reached & (offer == 2)]
        self.waiver_until[waiver] = d + int(ar["waiver_days"])
        return np.asarray(take)

    def _promises(self, rows: I64, kind: I64, talked: Mask) -> Mask:
        d, rng = self.day, self.rng
        ar = self.p["arrangements"]
        # Fewer promises from people talked to often this week; a borrower who broke promises
        # keeps the next one less often (assumptions, the same for every strategy).
        talks = self.ring[1][:, rows].sum(axis=0)
        chance = self.m.promise_chance(kind, talks)
        make = talked & (rng.random(len(rows)) < chance)
        got, gk = rows[make], kind[make]
        lo, hi = ar["promise_days"]
        self.promise_due[got] = d + rng.integers(int(lo), int(hi) + 1, len(got))
        keep = self.m.keep_chance(gk, self.ability_now()[got], self.broken[got])
        self.promise_keep[got] = rng.random(len(got)) < keep
        self.totals.promises[got] += 1
        return make

    def _cases(self, rows: I64, kind: I64, reached: Mask, ch: I64, tone: I64, before_today: I64,
               att7: I64) -> tuple[Mask, Mask, Mask]:  # fmt: skip
        d, rng, k, holds = self.day, self.rng, len(rows), self.p["holds"]
        dispute = reached & (rng.random(k) < self.m.k_dispute[kind])
        self.hold["dispute"][rows[dispute]] = d + int(holds["dispute_days"]) - 1
        self.totals.disputes[rows[dispute]] += 1
        shocked = self.shock_left[rows] > 0
        hard = reached & (rng.random(k) < self.m.hardship_chance(kind, shocked))
        self.hold["hardship"][rows[hard]] = d + int(holds["hardship_days"]) - 1
        self.totals.hardships[rows[hard]] += 1
        agency = self.agency()[rows]
        risk = self.m.complaint_risk(kind, ch, tone, before_today, att7, agency, reached)
        complain = rng.random(k) < risk
        got = rows[complain]
        self.hold["complaint"][got] = d + int(holds["complaint_days"]) - 1
        self.totals.complaints[got] += 1
        self.seen_complaints[got] += 1
        return dispute, hard, complain

    def end_day(self, d: int) -> None:
        """Payments by the day's hazard, due dates of current loans, and ageing of arrears."""
        rng, n, h, kind = self.rng, self.n, self.p["hazard"], self.pop.kind
        ability = self.ability_now()
        self.prev_dpd = self.dpd.copy()
        late = (self.dpd > 0) & (self.plan_left == 0) & (self.arrears > 0)
        today = self.start + timedelta(days=d)
        payday = float(self.p["payday"]["factor"]) if today.day in self.p["payday"]["days"] else 1.0
        age = np.maximum(0.5 ** (self.dpd / float(h["dpd_halflife"])), float(h["min_factor"]))
        waiver = self.waiver_until >= d
        hazard = (
            self.m.k_hazard[kind] * ability * self.pop.willingness ** float(h["willingness_power"])
            * age * payday * (1.0 + self.m.k_reminder[kind] * self.stim * self.tone_pay) * np.where(waiver, 1.0 + self.m.k_waiver[kind], 1.0)
            * float(self.p["agency"]["pay_factor"]) ** self.agency()
            * np.where(self.spent_until >= d, float(h["after_part_factor"]), 1.0)
        )  # fmt: skip
        pays = late & (rng.random(n) < np.clip(hazard, 0.0, 0.9))
        one = self.arrears <= self.pop.instalment_minor
        share = np.where(one, float(h["full_share_one"]), float(h["full_share_more"]))
        full = pays & (rng.random(n) < np.clip(share * np.where(waiver, 2.0, 1.0), 0.0, 1.0))
        rows = np.flatnonzero(full)
        cost = float(self.p["arrangements"]["waiver_cost_share"])
        amount = self.arrears[rows] - np.where(
            waiver[rows], np.floor(self.arrears[rows] * cost).astype(np.int64), 0
        )
        self._pay(rows, amount, full=True, why="hazard")
        part = np.flatnonzero(pays & ~full)
        self._pay(part, np.where(one[part], self.arrears[part] // 2,
                                 np.minimum(self.pop.instalment_minor[part], self.arrears[part])),
                  full=False, why="hazard")  # fmt: skip
        self._due_dates(d, ability)
        still = (self.dpd > 0) & (self.plan_left == 0) & (self.arrears > 0)
        self.dpd[still] += 1
        new_instalment = still & (self.dpd % 30 == 1)
        self.arrears[new_instalment] += np.floor(
            self.pop.instalment_minor[new_instalment] * self.pop.lawful_ratio[new_instalment]
        ).astype(np.int64)
        self.stim *= float(h["reminder_decay"])
        self.shock_left -= 1
        self.dpd_by_day.append(self.dpd.copy())

    def _due_dates(self, d: int, ability: F64) -> None:
        current = self.dpd == 0
        self.days_to_due[current] -= 1
        due = np.flatnonzero(current & (self.days_to_due <= 0))
        kind = self.pop.kind[due]
        boost = (
            1.0
            + float(self.p["hazard"]["predue_effect"]) * self.m.k_reminder[kind] * self.stim[due]
        )
        miss = (1.0 - self.m.k_ontime[kind]) * 2.0 * (1.0 - ability[due]) / boost
        missed = self.rng.random(len(due)) < np.clip(miss, 0.0, 1.0)
        paid = due[~missed]
        self.totals.ontime[paid] += self.pop.instalment_minor[paid]
        self.paid.append(Paid(paid, self.pop.instalment_minor[paid].copy(), True, "ontime"))
        self.days_to_due[due] = 30
        late = due[missed]
        self.dpd[late] = 1
        self.days_to_due[late] = 0
        self.arrears[late] = np.floor(
            self.pop.instalment_minor[late] * self.pop.lawful_ratio[late]
        ).astype(np.int64)

    def _pay(self, rows: I64, amount: I64, *, full: bool, why: str) -> None:
        if not len(rows):
            return
        self.paid.append(Paid(rows.copy(), np.asarray(amount, dtype=np.int64).copy(), full, why))
        self.totals.collected[rows] += amount
        self._paid_today[rows] = True
        if full:
            self.arrears[rows] = 0
            was = self.dpd[rows]
            self.cures[rows] += was > 0
            self.days_to_due[rows] = np.maximum(30 - was % 30, 1)
            self.dpd[rows] = 0
            self.plan_left[rows] = 0
            self.promise_due[rows] = NEVER
        else:
            # A part payment uses up what the borrower could spare for a while.
            self.spent_until[rows] = self.day + int(self.p["hazard"]["after_part_days"])
            self.arrears[rows] -= amount
            two = self.arrears[rows] > 0
            self.dpd[rows] = np.where(
                (amount >= self.pop.instalment_minor[rows] * 0.8) & two,
                np.maximum(self.dpd[rows] - 30, 1),
                self.dpd[rows],
            )
