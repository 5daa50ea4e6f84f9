"""The action catalogue: what a strategy may propose for an account at a time of day.

An action is a channel, a template (its tone) and an offer (none, an instalment plan, a penalty
waiver); "wait" is the action of not contacting. Times of day are a fixed list of local slots;
two of them (07:30, 22:30) lie in the CN quiet hours, so a ladder that tries them meets the gate.
Every template body is screened with neutral values when the catalogue loads.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time
from functools import cache
from importlib import resources

from faircollect.playbooks import Catalogue, shipped_templates
from faircollect.policy import Channel
from faircollect.screening import ScreeningContext, screen
from faircollect.screening.model import Verdict
from faircollect.screening.templates import Template, parse_template, render, sample_values

WAIT = "wait"
TONES = ("polite", "firm", "stern")
OFFERS = ("none", "plan", "waiver")

#: Local times a contact may be proposed at (the cycle's playbook times fall on these).
SLOTS: tuple[time, ...] = tuple(
    time(h, m)
    for h, m in ((7, 30), (9, 0), (10, 0), (11, 0), (12, 0), (13, 0), (15, 0), (17, 0),
                 (19, 0), (21, 0), (22, 30))
)  # fmt: skip


def slot_index(text: str) -> int:
    """The index of a slot given as "HH:MM"."""
    hours, _, minutes = text.partition(":")
    moment = time(int(hours), int(minutes or 0))
    if moment not in SLOTS:
        raise ValueError(f"{text} is not a slot; slots: {', '.join(f'{t:%H:%M}' for t in SLOTS)}")
    return SLOTS.index(moment)


class CatalogueError(ValueError):
    """A template or action the catalogue cannot offer; the message names it."""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One contacting action: the key strategies name it by, and what it does."""

    key: str
    channel: Channel
    template: str
    tone: str = "polite"
    offer: str = "none"

    @property
    def is_voice(self) -> bool:
        return self.channel.is_voice


#: The contacting actions, in a fixed order (an action's index is its position).
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("sms.predue", Channel.SMS, "reminder.predue"),
    ActionSpec("sms.polite", Channel.SMS, "overdue.first"),
    ActionSpec("sms.firm", Channel.SMS, "overdue.firm", tone="firm"),
    ActionSpec("sms.stern", Channel.SMS, "overdue.stern", tone="stern"),
    ActionSpec("sms.plan", Channel.SMS, "plan.offer", offer="plan"),
    ActionSpec("sms.waiver", Channel.SMS, "waiver.offer", offer="waiver"),
    ActionSpec("sms.promise", Channel.SMS, "promise.reminder"),
    ActionSpec("sms.plan_missed", Channel.SMS, "plan.missed"),
    ActionSpec("sms.thanks", Channel.SMS, "payment.thanks"),
    ActionSpec("email.polite", Channel.EMAIL, "overdue.email"),
    ActionSpec("call.polite", Channel.CALL, "call.script"),
    ActionSpec("call.firm", Channel.CALL, "call.firm", tone="firm"),
    ActionSpec("call.stern", Channel.CALL, "call.stern", tone="stern"),
    ActionSpec("call.plan", Channel.CALL, "call.plan", offer="plan"),
    ActionSpec("ai_voice.polite", Channel.AI_VOICE, "call.script"),
)
INDEX: dict[str, int] = {a.key: k for k, a in enumerate(ACTIONS)}
KNOWN = frozenset(INDEX) | {WAIT}


def action_index(key: str, where: str = "action") -> int:
    """The index of a contacting action; an unknown key is refused with the known ones."""
    if key not in INDEX:
        raise CatalogueError(f"{where}: unknown action {key!r}; known: {', '.join(sorted(KNOWN))}")
    return INDEX[key]


@cache
def catalogue() -> Catalogue:
    """The shipped templates and this package's tone variants, each screened once with neutral
    values: a body that does not pass screening is refused here, before any strategy runs."""
    text = (resources.files("faircollect.strategy") / "data" / "templates.toml").read_text("utf-8")
    extra: dict[str, dict[str, Template]] = {}
    for key, entry in tomllib.loads(text)["templates"].items():
        channel = str(entry["channel"])
        extra[key] = {
            lang: parse_template(str(entry[lang]), lang=lang, channel=channel)
            for lang in ("zh", "en")
            if lang in entry
        }
    merged = Catalogue({**shipped_templates().templates, **extra})
    for spec in ACTIONS:
        if spec.template not in merged:
            raise CatalogueError(f"action {spec.key}: no template {spec.template!r}")
        body = merged.get(spec.template, "zh")
        values = sample_values(body)
        context = ScreeningContext(
            pack="CN", lawful_outstanding_minor=values["amount"], channel=spec.channel.value
        )
        result = screen(render(body, values), context=context)
        if result.verdict is not Verdict.PASS:
            raise CatalogueError(
                f"template {spec.template!r} does not pass screening: {', '.join(result.rules)}"
            )
    return merged
