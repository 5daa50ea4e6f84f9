"""The uplift model recovers planted effects; IPS and DR recover a known value; the engine obeys
the gate and its budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from faircollect.strategy.actions import INDEX
from faircollect.strategy.engine import FIRST_SLOT, EngineSettings, EngineStrategy
from faircollect.strategy.ope import evaluate
from faircollect.strategy.uplift import FEATURES, LoggedDecisions, TLearner
from faircollect.strategy.view import NONE, AccountView

SMS, CALL = INDEX["sms.polite"], INDEX["call.polite"]


def _logs(n: int, seed: int) -> tuple[LoggedDecisions, np.ndarray]:
    """Randomised logs where an SMS helps accounts with a high first feature and a call helps
    everyone a little: the planted effects on the share of arrears collected."""
    rng = np.random.default_rng(seed)
    p = len(FEATURES)
    x = np.column_stack([np.ones(n), rng.random((n, p - 1))])
    arm = rng.choice(np.array([NONE, SMS, CALL]), size=n, p=[0.5, 0.25, 0.25])
    prob = np.where(arm == NONE, 0.5, 0.25)
    base = 0.1 + 0.1 * x[:, 2]
    effect = np.where(arm == SMS, 0.3 * x[:, 1], np.where(arm == CALL, 0.05, 0.0))
    share = np.clip(base + effect + rng.normal(0, 0.05, n), 0, 1)
    arrears = np.full(n, 100_000.0)
    logs = LoggedDecisions(x, arm, prob, share * arrears, np.zeros(n), arrears, np.arange(n))
    return logs, base


def test_the_t_learner_recovers_the_planted_uplift() -> None:
    logs, _ = _logs(40_000, 1)
    model = TLearner((SMS, CALL)).fit(logs)
    x = logs.x[:5].copy()
    x[:, 1] = [0.0, 0.25, 0.5, 0.75, 1.0]
    pay, _ = model.predict(x, np.full(5, 100_000.0))
    sms_uplift = (pay[:, 1] - pay[:, 0]) / 100_000.0
    assert np.allclose(sms_uplift, 0.3 * x[:, 1], atol=0.02)
    assert np.allclose((pay[:, 2] - pay[:, 0]) / 100_000.0, 0.05, atol=0.02)


def test_ips_and_doubly_robust_contain_the_true_value_of_a_new_policy() -> None:
    logs, base = _logs(40_000, 2)
    model = TLearner((SMS, CALL)).fit(_logs(20_000, 3)[0])
    target = np.where(logs.x[:, 1] > 0.2, SMS, CALL)  # text the responsive, call the rest
    truth = float(np.mean((base + np.where(target == SMS, 0.3 * logs.x[:, 1], 0.05)) * 100_000))
    found = evaluate(logs, target, model)
    assert found.ips.contains(truth)
    assert found.dr.contains(truth)
    assert found.dr.half_width < found.ips.half_width  # the model takes variance out
    assert found.max_weight == 4.0


def _view(n: int, dpd: np.ndarray) -> AccountView:
    z = np.zeros(n, dtype=np.int64)
    f = np.zeros(n, dtype=bool)
    return AccountView(
        day=date(2026, 12, 3), day_index=2, dpd=dpd, prev_dpd=dpd, days_to_due=z + 10,
        arrears_minor=z + 100_000, instalment_minor=z + 100_000, attempts_today=z,
        calls_today=z, messages_today=z, attempts_7d=z, connected_7d=z, days_since_contact=z + 9,
        promises_broken=z, promise_open=f, plan_active=f, agency=f, held=f, cures=z,
        complaints=z, promise_broken_today=f, plan_missed_today=f, paid_yesterday=f,
        best_slot=z - 1, propensity=np.full(n, 0.5), late_months=z,
    )  # fmt: skip


def test_the_engine_picks_only_allowed_actions_within_its_budget() -> None:
    logs, _ = _logs(20_000, 4)
    model = TLearner((SMS, CALL)).fit(logs)
    costs = tuple(5 for _ in range(20))
    engine = EngineStrategy(model, EngineSettings((SMS, CALL), 0.5, 0, 0, costs))
    n = 1_000
    view = _view(n, np.where(np.arange(n) < 800, 10, 0))
    allowed = np.ones((n, 20), dtype=bool)
    allowed[:100, SMS] = False  # the gate refuses texts to the first hundred
    picks, _ = engine.decide(view, allowed)
    chosen = picks[picks != NONE]
    rows = np.flatnonzero(picks != NONE)
    assert allowed[rows, chosen].all()
    assert len(chosen) <= 0.5 * 800  # the budget: half of the accounts in arrears
    assert (picks[800:] == NONE).all()  # nobody current is chased
    # The slot picks at the decision slot are only those planned for it.
    at_first = engine.choose(view, FIRST_SLOT, allowed)
    assert set(np.unique(at_first)) <= {NONE, *np.unique(picks)}


PREDUE = INDEX["sms.predue"]


def _predue_model(worth_late_months: float) -> TLearner:
    """A reminder model: paying on time is 60 % without a reminder; a reminder adds
    `worth_late_months` × the late-months feature (0-1)."""
    p = len(FEATURES)
    model = TLearner((PREDUE,))
    base = np.zeros(p)
    base[0] = 0.6
    with_reminder = base.copy()
    with_reminder[FEATURES.index("late_months")] = worth_late_months
    model.pay, model.complaint = (
        {NONE: base, PREDUE: with_reminder},
        {NONE: base * 0, PREDUE: base * 0},
    )
    return model


def _late_model() -> TLearner:
    """A late accounts' model: a text collects 10 % of the arrears more than waiting."""
    p = len(FEATURES)
    model = TLearner((SMS,))
    wait, text = np.zeros(p), np.zeros(p)
    text[0] = 0.1
    model.pay, model.complaint = {NONE: wait, SMS: text}, {NONE: wait * 0, SMS: wait * 0}
    return model


def test_the_pre_due_reminder_goes_where_it_is_worth_it_and_competes_for_the_budget() -> None:
    n = 200
    view = _view(n, np.zeros(n, dtype=np.int64))
    view = replace(view, days_to_due=np.full(n, 3), late_months=np.where(np.arange(n) < 50, 6, 0))
    allowed = np.ones((n, 20), dtype=bool)
    costs = tuple(5 for _ in range(20))
    engine = EngineStrategy(_late_model(), EngineSettings((SMS,), 1.0, 0, 0, costs),
                            predue=_predue_model(0.3))  # fmt: skip
    # Nobody is late, so the budget is floor(1.0 × max(0, 1)) = 1: the best-worth reminder only.
    picks, _ = engine.decide(view, allowed, budget_share=None)
    assert (picks[50:] == NONE).all()  # no late months: the reminder adds nothing
    assert int((picks == PREDUE).sum()) == 1
    # Without the budget's limit, every account with late months is reminded, the others not.
    picks, _ = engine.decide(view, allowed, budget_share=1.0)
    assert (picks[:50] == PREDUE).all()
    assert (picks[50:] == NONE).all()
    # Without a reminder model the playbook's reminder goes to everyone, as written.
    playbook_like = EngineStrategy(_late_model(), EngineSettings((SMS,), 1.0, 0, 0, costs))
    picks, _ = playbook_like.decide(view, allowed)
    assert (picks == PREDUE).all()
    # One late account: its text is worth 10 % of 100,000, a reminder 30 % of an instalment of
    # 100,000; the budget (one contact) goes to a reminder.
    mixed = replace(view, dpd=np.where(np.arange(n) == 199, 10, 0),
                    days_to_due=np.where(np.arange(n) == 199, 0, 3))  # fmt: skip
    picks, _ = engine.decide(mixed, allowed)
    assert int((picks != NONE).sum()) == 1
    assert picks[:50].tolist().count(PREDUE) == 1


def test_reminders_with_an_allowance_of_their_own_leave_the_late_budget_to_late_accounts() -> None:
    n = 200
    # Accounts 0-99 are current and due today (reminder_day 1); 0-49 have late months; 100-199
    # are late, each worth a text.
    current = np.arange(n) < 100
    view = _view(n, np.where(current, 0, 10))
    view = replace(view, days_to_due=np.where(current, 1, 0),
                   late_months=np.where(np.arange(n) < 50, 6, 0))  # fmt: skip
    allowed = np.ones((n, 20), dtype=bool)
    costs = tuple(5 for _ in range(20))
    settings = EngineSettings((SMS,), 0.1, 0, 0, costs, reminder_day=1, reminder_share=0.2)
    engine = EngineStrategy(_late_model(), settings, predue=_predue_model(0.3))
    picks, _ = engine.decide(view, allowed)
    # The allowance: 20 % of the 100 candidates, all among those the reminder is worth something
    # to; the late budget (10 % of 100 late accounts) goes to late accounts in full.
    assert int((picks == PREDUE).sum()) == 20
    assert (picks[:50][picks[:50] != NONE] == PREDUE).all()
    assert (picks[50:100] == NONE).all()
    assert int((picks[100:] == SMS).sum()) == 10
    # On another day before the due date the reminder is not a candidate.
    earlier = replace(view, days_to_due=np.where(current, 3, 0))
    picks, _ = engine.decide(earlier, allowed)
    assert not (picks == PREDUE).any()
    # Without an allowance (share 0) the reminders compete for the late budget and, worth more
    # here (30 % of an instalment against 10 % of the arrears), take all of it.
    shared = EngineStrategy(_late_model(), replace(settings, reminder_share=0.0),
                            predue=_predue_model(0.3))  # fmt: skip
    picks, _ = shared.decide(view, allowed)
    assert int((picks == PREDUE).sum()) == 10
    assert (picks[100:] == NONE).all()


def test_live_the_playbooks_pre_due_step_is_scored_as_on_the_files_reminder_day() -> None:
    from faircollect.strategy.live import LiveFacts, choose

    costs = tuple(5 for _ in range(20))
    settings = EngineSettings((SMS,), 0.1, 0, 0, costs, reminder_day=1, reminder_share=0.2)
    engine = EngineStrategy(_late_model(), settings, predue=_predue_model(0.3))
    # The playbook planned its reminder three days before the due date; the engine's own day is
    # the due date itself. The reminder is still its choice where it is worth something.
    facts = [LiveFacts("a", 0, 0, 100_000, 3), LiveFacts("b", 0, 0, 100_000, 3)]
    templates = frozenset({"reminder.predue", "overdue.first"})
    chosen = choose(engine, facts, date(2026, 12, 3), templates)
    assert [c.key for c in chosen] == ["wait", "wait"]  # no late months: worth nothing
    planted = replace(engine, predue=_predue_model(0.3))
    planted.predue.pay[PREDUE] = planted.predue.pay[PREDUE].copy()
    planted.predue.pay[PREDUE][0] = 0.9  # a reminder worth 30 % of the instalment to anyone
    chosen = choose(planted, facts, date(2026, 12, 3), templates)
    assert [c.key for c in chosen] == ["sms.predue", "sms.predue"]
