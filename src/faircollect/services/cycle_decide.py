"""The cycle's deciding stage: each due task through the gate, per chunk of tasks.

A chunk is one transaction: its debtors are locked and their facts read up front, each task
leaves `planned` with its decision recorded and, when allowed, its outbox message queued; the
chunk's audit records are appended once. Steps for people (review, placement, referral, pause)
are recorded without a contact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.playbooks import Action
from faircollect.playbooks.model import CONTACTING
from faircollect.playbooks.templates import message_language
from faircollect.policy import Channel, ContactRequest, RecipientRole
from faircollect.policy.packs import PACK_CURRENCY, PACK_OF_CURRENCY
from faircollect.policy.rules.common import local
from faircollect.screening.templates import render
from faircollect.services.contacts import HISTORY_DAYS, ContactStore, request_contact
from faircollect.services.cycle_ports import CycleStore, CycleUnit
from faircollect.services.cycle_report import CycleError, CycleReport

if TYPE_CHECKING:
    from faircollect.services.cycle import CycleJob

RETRY_DAYS = 3  # a blocked step waits for its not_before only this long
MAX_TRIES = 3
CHUNK = 200  # tasks decided (and messages sent) per transaction, by default
# Names stay encrypted: messages address the borrower neutrally, in the message's language.
SALUTATION = {"zh": "客户", "en": "Customer"}
PAUSE_DAYS = 30  # a `pause` step without `days`
ACTOR = "cycle"  # how the audit log names the job's own records


class Buffered:
    """Audit records collected through a chunk and appended once, in the same transaction."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def append_records(self, records: Sequence[AuditRecord]) -> int:
        self.records.extend(records)
        return len(records)

    def flush(self, uow: CycleUnit) -> None:
        """Append what was collected to the unit's audit log."""
        if self.records:
            uow.audit.append_records(self.records)
            self.records = []


def decide(job: CycleJob, as_of: date, report: CycleReport) -> None:
    """Decide every task due by `as_of`, a chunk per transaction, in task order. With a
    strategy step wired (`job.strategy`, services/cycle_strategy.py), the day's assignment is
    recorded first and each chunk's tasks are played by their accounts' cells before the gate."""
    if job.strategy is not None:
        job.strategy.start_day(as_of)
    last = 0
    while True:
        with job.units() as uow:
            store = uow.cycle
            tasks = store.due_tasks(as_of, last, job.chunk)
            if not tasks:
                return
            audit, chunk_end = Buffered(), tasks[-1]["id"]
            if job.strategy is not None:
                tasks = job.strategy.fill(uow, tasks, as_of, job.books, audit.append_records)
            contacting = [t for t in tasks if Action(t["action"]) in CONTACTING]
            # The amounts the messages may state, for the chunk's loans at once.
            dues = store.amounts_due([t["loan_key"] for t in contacting], as_of)
            requests = {
                t["id"]: request_for(
                    job, t, as_of, PACK_OF_CURRENCY[t["currency"]], dues[t["loan_key"]]
                )
                for t in contacting
            }
            contacts = _chunk_contacts(store, tasks, requests)
            held = store.held(as_of)
            for task in tasks:
                last = task["id"]
                _decide_one(job, uow, contacts, audit, held, task, requests.get(task["id"]),
                            as_of, report)  # fmt: skip
            last = chunk_end  # tasks the strategy step dropped are behind it too
            audit.flush(uow)
            uow.commit()


def request_for(
    job: CycleJob, task: Mapping[str, Any], as_of: date, pack_id: str, due: tuple[int, date]
) -> ContactRequest:
    """The contact request of a task: its message rendered from the template in the borrower's
    language with the lender's branding and the lawful amount `due` (amount, date; the
    store's `amounts_due`)."""
    brand = job.brand
    amount, due_on = due
    lang = message_language(pack_id, task["language"])
    template = job.templates.get(task["template"], lang) if task["template"] else None
    text = None
    if template is not None:
        # The lender's signature or name and hotline: what the script library screened.
        text = render(template, {"name": SALUTATION.get(template.lang, "Customer"),
                                 "amount": amount, "due_date": due_on, "channel": template.channel,
                                 **brand.fills(template.channel)},
                      currency=PACK_CURRENCY[pack_id])  # fmt: skip
    at = _aware(task["due_at"])
    return ContactRequest(
        at=at, channel=Channel(task["channel"]), recipient_role=RecipientRole(task["recipient"]),
        contact_point=str(task["phone_index"]), debt_id=task["loan_id"], timezones=(task["timezone"],),
        demanded_amount=amount if text and "{amount}" in (template.body if template else "") else None,
        message=text, by="lender",
    )  # fmt: skip


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _chunk_contacts(
    store: CycleStore, tasks: Sequence[Mapping[str, Any]], requests: Mapping[int, ContactRequest]
) -> ContactStore:
    """The chunk's debtors locked and their facts read up front."""
    cases = [
        (t["borrower_id"], t["loan_id"], local(r.at, r.timezones[0]).date())
        for t in tasks
        if (r := requests.get(t["id"])) is not None
    ]
    since = (
        min(r.at for r in requests.values()) - timedelta(days=HISTORY_DAYS)
        if requests
        else datetime.min.replace(tzinfo=UTC)
    )
    return store.chunk_contacts(cases, since)


def _decide_one(job: CycleJob, uow: CycleUnit, contacts: ContactStore, audit: Buffered,
                held: set[str], task: Mapping[str, Any], request: ContactRequest | None,
                as_of: date, report: CycleReport) -> None:  # fmt: skip
    store = uow.cycle
    action = Action(task["action"])
    pack_id = PACK_OF_CURRENCY[task["currency"]]
    if action not in CONTACTING:
        # Review, placement and referral go to people; recorded, nothing is sent. A pause holds
        # the loan's contacting steps for its days.
        done: dict[str, Any] = {"status": "done"}
        if action is Action.PAUSE:
            days = int(dict(job.step_params(task)).get("days", PAUSE_DAYS))
            done["hold_until"] = as_of + timedelta(days=days - 1)
            held.add(task["loan_id"])
        store.set_task(task["id"], done)
        audit.append_records([AuditRecord(
            AuditKind.PLAYBOOK_STEP, uow.clock.now(), ACTOR, f"loan:{task['loan_id']}",
            {"step": task["step_id"], "action": action.value, "playbook": task["playbook"],
             "version": task["version"], "key": task["key"]},
        )])  # fmt: skip
        report.done_without_contact += 1
        return
    if task["loan_id"] in held:
        store.set_task(task["id"], {"status": "dropped", "reasons": json.dumps(["PLAYBOOK-HOLD"])})
        report.dropped += 1
        return
    if request is None:  # built for every contacting step before the chunk is decided
        raise CycleError(f"task {task['id']}: no request was built for its contact")
    pack = job.pack(pack_id, as_of)
    answer = request_contact(store=contacts, audit=audit, pack=pack, borrower_id=task["borrower_id"],
                             loan_id=task["loan_id"], request=request)  # fmt: skip
    decision = answer.decision
    report.decided += 1
    report.screened += request.message is not None
    reasons = json.dumps([r.rule_id for r in decision.reasons])
    if answer.attempt_id is not None:
        report.allowed += 1
        store.queue_message({
            "task_id": task["id"], "attempt_id": answer.attempt_id,
            "borrower_id": task["borrower_id"], "loan_id": task["loan_id"],
            "channel": request.channel.value, "contact_point": request.contact_point,
            "body": request.message or "", "planned_at": request.at.astimezone(UTC),
            "status": "queued",
        })  # fmt: skip
        store.set_task(task["id"], {"status": "queued", "decision_id": decision.decision_id,
                                    "reasons": reasons})  # fmt: skip
        return
    for r in decision.reasons:
        report.blocked_by_rule[r.rule_id] += 1
    values: dict[str, Any] = {"decision_id": decision.decision_id, "reasons": reasons}
    wait = decision.not_before
    if decision.verdict.value == "review":
        report.review += 1
        values["status"] = "review"  # a person must approve it
    elif (
        wait is not None
        and task["tries"] < MAX_TRIES
        and wait - request.at <= timedelta(days=RETRY_DAYS)
    ):
        report.rescheduled += 1
        values.update(status="planned", due_at=wait.astimezone(UTC),
                      due_day=local(wait, request.timezones[0]).date(), tries=task["tries"] + 1)  # fmt: skip
    else:
        report.dropped += 1
        values["status"] = "dropped"
    store.set_task(task["id"], values)
