"""The workflow as a pure function: an account's state and today's events → the steps to do.

Nothing here sleeps or stores: the runner persists the planned steps (once per key) with their
due times, and a re-run for the same date plans the same keys.
"""

from __future__ import annotations

from datetime import date, timedelta

from faircollect.playbooks.model import CONTACTING, Account, Event, PlannedStep, Playbook, Step
from faircollect.policy.rules.common import at_local


def _applies(step: Step, account: Account) -> bool:
    c = step.conditions
    return (
        (not c.buckets or account.bucket in c.buckets)
        and (not c.products or account.product in c.products)
        and (not c.score_bands or account.score_band in c.score_bands)
        and (not c.segments or account.segment in c.segments)
        and (not c.languages or account.language in c.languages)
    )


def _fires(step: Step, account: Account, events: list[Event]) -> list[str]:
    """The occurrences (an event detail, or "" for a state trigger) on which the step fires."""
    t = step.trigger
    if t.days_before_due is not None:
        return [""] if account.dpd == 0 and account.days_to_due == t.days_before_due else []
    if t.dpd is not None:
        # Crossing, not equality: a date the batch skipped still fires the step once.
        return [""] if account.previous_dpd < t.dpd <= account.dpd else []
    if t.event is not None:
        return [
            e.detail
            for e in events
            if e.kind is t.event and (t.bucket is None or e.detail == t.bucket)
        ]
    return []


def _planned(playbook: Playbook, step: Step, account: Account, on: date, key: str) -> PlannedStep:
    return PlannedStep(
        key=key, loan_id=account.loan_id, borrower_id=account.borrower_id,
        playbook=playbook.name, version=playbook.version, step_id=step.step_id,
        action=step.action, due_at=at_local(on, step.at, account.timezone),
        channel=step.channel, template=step.template, recipient=step.recipient,
    )  # fmt: skip


def plan(
    playbook: Playbook, account: Account, events: list[Event], as_of: date
) -> list[PlannedStep]:
    """Steps that start on `as_of` for this account, with their follow-ups at their later dates.

    Keys are stable (loan, playbook version, step, date, occurrence), so planning a date twice
    yields the same keys and the runner stores each once.
    """
    out: list[PlannedStep] = []
    for step in playbook.steps:
        if not _applies(step, account):
            continue
        if account.paused and step.action in CONTACTING:
            continue  # a pause (a playbook hold) stops contact; people's steps still start
        for detail in _fires(step, account, events):
            key = f"{account.loan_id}|{playbook.name}@{playbook.version}|{step.step_id}|{as_of}"
            key += f"|{detail}" if detail else ""
            out.append(_planned(playbook, step, account, as_of, key))
            current, on, chain = step, as_of, key
            while current.then is not None:  # the loader refuses loops
                on = on + timedelta(days=current.after_days)
                current = playbook.step(current.then)
                chain = f"{chain}>{current.step_id}"
                out.append(_planned(playbook, current, account, on, chain))
    return out
