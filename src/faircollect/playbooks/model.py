"""What a playbook is made of, and what the workflow reads and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum


class EventKind(StrEnum):
    """Events that can start a step (besides days before due and days past due)."""

    PROMISE_BROKEN = "promise_broken"
    PROMISE_KEPT = "promise_kept"
    PAYMENT_RECEIVED = "payment_received"
    PLAN_INSTALMENT_MISSED = "plan_instalment_missed"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_CLOSED = "dispute_closed"
    COMPLAINT_OPENED = "complaint_opened"
    COMPLAINT_CLOSED = "complaint_closed"
    HARDSHIP_OPENED = "hardship_opened"
    HARDSHIP_CLOSED = "hardship_closed"
    BUCKET_CHANGED = "bucket_changed"


class Action(StrEnum):
    SEND = "send"  # a template on a written channel
    CALL_TASK = "call_task"  # a call for the in-house queue (voice)
    OFFER_PLAN = "offer_plan"  # an instalment plan, within the product's limits, sent as a message
    WAIVE_PENALTY = "waive_penalty"  # a penalty waiver offer, within limits, sent as a message
    PLACE_AGENCY = "place_agency"
    PAUSE = "pause"
    REFER = "refer"  # to mediation or legal review, by a person
    REVIEW = "review"  # a person looks at the account


#: Actions that contact the borrower, and so pass the gate.
CONTACTING = frozenset({Action.SEND, Action.CALL_TASK, Action.OFFER_PLAN, Action.WAIVE_PENALTY})


@dataclass(frozen=True, slots=True)
class Trigger:
    """When a step starts: N days before a due date, on reaching N days past due, or an event."""

    days_before_due: int | None = None
    dpd: int | None = None
    event: EventKind | None = None
    bucket: str | None = None  # for bucket_changed: the bucket entered


@dataclass(frozen=True, slots=True)
class Conditions:
    """Who a step applies to; an empty tuple means any."""

    buckets: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    score_bands: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One preset step; `line` is where it is written in the playbook file."""

    step_id: str
    trigger: Trigger
    action: Action
    line: int
    conditions: Conditions = field(default_factory=Conditions)
    channel: str | None = None
    template: str | None = None
    recipient: str = "debtor"
    at: time = time(10, 0)  # local time the step is planned for
    params: tuple[tuple[str, str], ...] = ()  # action parameters (e.g. plan instalments)
    then: str | None = None  # a follow-up step, `after_days` later
    after_days: int = 0


@dataclass(frozen=True, slots=True)
class Playbook:
    name: str
    version: int
    pack: str
    steps: tuple[Step, ...]
    sha256: str
    description: str = ""
    # Whether the strategy engine may fill the channel, template or "wait today" of this
    # playbook's open steps for accounts in its cell (`engine: false` opts out).
    engine: bool = True

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.step_id == step_id:
                return s
        raise KeyError(step_id)


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    on: date
    detail: str = ""  # the bucket entered, the promise id, …


@dataclass(frozen=True, slots=True)
class Account:
    """What the workflow knows about an account on a date (from the batch and the case)."""

    loan_id: str
    borrower_id: str
    timezone: str
    dpd: int
    previous_dpd: int  # the day before (a trigger fires when its threshold is crossed)
    bucket: str
    days_to_due: int | None  # days to the next unpaid due date; None when none
    product: str = ""
    score_band: str = ""
    segment: str = ""
    language: str = "zh"
    paused: bool = False  # held by a playbook `pause` step: no contacting step starts


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """A step the workflow wants done: once per key, at or after `due_at`."""

    key: str
    loan_id: str
    borrower_id: str
    playbook: str
    version: int
    step_id: str
    action: Action
    due_at: datetime
    channel: str | None
    template: str | None
    recipient: str
