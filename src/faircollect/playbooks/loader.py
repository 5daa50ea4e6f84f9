"""Reading a playbook: YAML with line numbers, checked against the templates, the channels and
the pack before it can run (each template a step names is screened under the pack, as
templates.refusal says). Every error names the file, the line and the reason."""

from __future__ import annotations

import hashlib
from datetime import time
from importlib import resources
from typing import Any

import yaml

from faircollect.kit.limits import MAX_EXCERPT
from faircollect.playbooks.model import (
    CONTACTING,
    Action,
    Conditions,
    EventKind,
    Playbook,
    Step,
    Trigger,
)
from faircollect.playbooks.templates import Catalogue, refusal
from faircollect.policy.packs import RulePack
from faircollect.policy.rules.common import clock

#: Channels a playbook may use. Public social media is never a channel (CN-NO-PUBLIC,
#: US-SOCIAL); visits are arranged by people, not playbooks.
CHANNELS = frozenset({"sms", "email", "push", "letter", "call", "ai_voice"})
#: Who a playbook may address: the debtor, and a guarantor where the contract allows it. Designated
#: contacts (only to restore contact) and third parties are for people, never automated steps;
#: numbers from an address book are never used (CN-WHO-ADDRESSBOOK).
RECIPIENTS = frozenset({"debtor", "guarantor"})
REFUSED_RECIPIENTS = {
    "address_book": "numbers from an address book are never contacted (PIPL; CN-WHO-ADDRESSBOOK)",
    "designated_contact": "designated contacts are only asked to restore contact, by a person",
    "third_party": "third parties are never told of the debt (CN-WHO-DEBTOR, US-3P-BAN)",
    "contacts": "contact lists are never harvested or messaged",
}
STEP_KEYS = frozenset({"id", "when", "if", "do", "channel", "template", "to", "at", "then",
                       "after_days", "params"})  # fmt: skip
CONDITION_KEYS = {"bucket": "buckets", "product": "products", "score_band": "score_bands",
                  "segment": "segments", "language": "languages"}  # fmt: skip
MAX_DPD = 3650


class PlaybookError(ValueError):
    """A playbook that cannot run; the message is `where:line: reason`."""


class _Lines(dict[str, Any]):
    line: int = 0


def _construct(node: yaml.Node, seen: set[int]) -> Any:
    # compose() resolves an alias to the node it names, so a node met twice is an alias: refused
    # (a playbook needs none, and a recursive or exponential alias would never finish).
    if id(node) in seen:
        raise _AliasError(node.start_mark.line + 1)
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        out = _Lines()
        out.line = node.start_mark.line + 1
        for key, value in node.value:
            out[str(_construct(key, seen))] = _construct(value, seen)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, seen) for v in node.value]
    return yaml.SafeLoader(  # a scalar resolved by YAML's safe rules (ints, bools, strings)
        ""
    ).construct_object(node)


class _AliasError(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _yaml_line(exc: yaml.YAMLError, text: str) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(exc, "position", None)  # a ReaderError: a character YAML refuses
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else 1


def _compose(text: str, where: str) -> Any:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            raise PlaybookError(f"{where}:1: empty playbook")
        return _construct(node, set())
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "syntax"
        raise PlaybookError(
            f"{where}:{_yaml_line(exc, text)}: not valid YAML ({str(problem)[:MAX_EXCERPT]})"
        ) from exc
    except _AliasError as exc:
        raise PlaybookError(f"{where}:{exc.line}: anchors and aliases are not allowed") from None
    except RecursionError:
        raise PlaybookError(f"{where}:1: nested too deeply") from None
    except ValueError as exc:  # a scalar YAML resolves but Python cannot hold (a bad timestamp)
        if isinstance(exc, PlaybookError):
            raise
        raise PlaybookError(f"{where}:1: a value that cannot be read") from exc


def pack_named(text: str, *, where: str) -> str:
    """The pack id a playbook names, read with the same parser (so errors carry their line)."""
    doc = _compose(text, where)
    if not isinstance(doc, _Lines) or "pack" not in doc:
        raise PlaybookError(f"{where}:{getattr(doc, 'line', 1)}: missing 'pack'")
    return str(doc["pack"])


def load_playbook(text: str, *, where: str, templates: Catalogue, pack: RulePack) -> Playbook:
    """Parse and check a playbook against the template catalogue and the rule pack."""
    doc = _compose(text, where)
    if not isinstance(doc, _Lines):
        raise PlaybookError(f"{where}:1: a playbook is a mapping with name, version, pack, steps")

    def fail(line: int, reason: str) -> PlaybookError:
        return PlaybookError(f"{where}:{line}: {reason}")

    for key in ("name", "version", "pack", "steps"):
        if key not in doc:
            raise fail(doc.line, f"missing {key!r}")
    if str(doc["pack"]) != pack.pack_id:
        raise fail(
            doc.line, f"playbook is for pack {doc['pack']!r}, checked against {pack.pack_id!r}"
        )
    version = doc["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(doc.line, "version must be a positive integer")
    if not isinstance(doc["steps"], list) or not doc["steps"]:
        raise fail(doc.line, "steps must be a non-empty list")
    steps: list[Step] = []
    for raw in doc["steps"]:
        if not isinstance(raw, _Lines):
            raise fail(doc.line, "each step is a mapping")
        steps.append(_step(raw, fail, templates, pack))
    seen: dict[str, int] = {}
    for s in steps:
        if s.step_id in seen:
            raise fail(s.line, f"step id {s.step_id!r} already used on line {seen[s.step_id]}")
        seen[s.step_id] = s.line
    _check_follow_ups(steps, fail)
    engine = doc.get("engine", True)
    if not isinstance(engine, bool):
        raise fail(doc.line, "engine must be true or false (whether the strategy engine may"
                             " fill this playbook's open choices)")  # fmt: skip
    return Playbook(
        name=str(doc["name"]), version=version, pack=pack.pack_id, steps=tuple(steps),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        description=str(doc.get("description", "")), engine=engine,
    )  # fmt: skip


def _step(raw: _Lines, fail: Any, templates: Catalogue, pack: RulePack) -> Step:
    line = raw.line
    unknown = sorted(set(raw) - STEP_KEYS)
    if unknown:
        raise fail(line, f"unknown key(s) {', '.join(unknown)}")
    step_id = str(raw.get("id", "")).strip()
    if not step_id:
        raise fail(line, "a step needs an id")
    where = f"step {step_id!r}"
    try:
        action = Action(str(raw.get("do")))
    except ValueError:
        raise fail(line, f"{where}: unknown action {raw.get('do')!r} "
                         f"(one of {', '.join(a.value for a in Action)})") from None  # fmt: skip
    trigger = _trigger(raw.get("when"), line, where, fail)
    recipient = str(raw.get("to", "debtor"))
    if recipient in REFUSED_RECIPIENTS:
        raise fail(
            line, f"{where}: recipient {recipient!r} refused: {REFUSED_RECIPIENTS[recipient]}"
        )
    if recipient not in RECIPIENTS:
        raise fail(line, f"{where}: unknown recipient {recipient!r} (debtor or guarantor)")
    channel = raw.get("channel")
    template = raw.get("template")
    if action in CONTACTING:
        if action is Action.CALL_TASK:
            channel = channel or "call"
        if channel is None:
            raise fail(line, f"{where}: action {action.value} needs a channel")
        channel = str(channel)
        if channel in ("social_public", "social_private", "visit"):
            raise fail(line, f"{where}: channel {channel!r} is never used by a playbook"
                             " (public social media never; visits are arranged by people)")  # fmt: skip
        if channel not in CHANNELS:
            raise fail(
                line, f"{where}: unknown channel {channel!r} ({', '.join(sorted(CHANNELS))})"
            )
        if action is not Action.CALL_TASK and template is None:
            raise fail(line, f"{where}: action {action.value} needs a template")
        if template is not None:
            template = str(template)
            if template not in templates:
                raise fail(line, f"{where}: unknown template {template!r}")
            by_lang = templates.templates[template]
            if all(t.channel != channel for t in by_lang.values()):
                raise fail(line, f"{where}: template {template!r} is not written for {channel}")
            refused = refusal(templates, template, pack=pack.pack_id, channel=channel,
                              role=recipient)  # fmt: skip
            if refused:
                raise fail(line, f"{where}: {refused}")
    elif channel is not None or template is not None:
        raise fail(line, f"{where}: action {action.value} sends nothing; drop channel/template")
    at = _time(raw.get("at", "10:00"), line, where, fail)
    if action in CONTACTING:
        _inside_hours(at, pack, line, where, fail)
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise fail(line, f"{where}: params must be a mapping")
    _check_params(action, params, line, where, fail)
    conditions = _conditions(raw.get("if", {}), line, where, fail)
    then = raw.get("then")
    after = raw.get("after_days", 0)
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= 365:
        raise fail(line, f"{where}: after_days must be a whole number of days, 0-365")
    if then is not None and after < 1:
        raise fail(line, f"{where}: a follow-up ('then') needs after_days of at least 1")
    return Step(
        step_id=step_id, trigger=trigger, action=action, line=line, conditions=conditions,
        channel=channel, template=template, recipient=recipient, at=at,
        params=tuple(sorted((str(k), str(v)) for k, v in params.items())),
        then=None if then is None else str(then), after_days=after,
    )  # fmt: skip


def _trigger(raw: Any, line: int, where: str, fail: Any) -> Trigger:
    if raw is None:
        return Trigger()  # reached only as a follow-up of another step
    if not isinstance(raw, dict) or len(set(raw) - {"bucket"}) != 1:
        raise fail(line, f"{where}: 'when' holds exactly one of days_before_due, dpd, event")
    if "days_before_due" in raw or "dpd" in raw:
        key = "days_before_due" if "days_before_due" in raw else "dpd"
        n = raw[key]
        low = 0 if key == "days_before_due" else 1
        if not isinstance(n, int) or isinstance(n, bool) or not low <= n <= MAX_DPD:
            raise fail(line, f"{where}: {key} must be a whole number from {low} to {MAX_DPD}")
        return Trigger(days_before_due=n) if key == "days_before_due" else Trigger(dpd=n)
    if "event" in raw:
        try:
            kind = EventKind(str(raw["event"]))
        except ValueError:
            raise fail(line, f"{where}: unknown event {raw['event']!r}") from None
        bucket = raw.get("bucket")
        if bucket is not None and kind is not EventKind.BUCKET_CHANGED:
            raise fail(line, f"{where}: 'bucket' goes with event bucket_changed only")
        return Trigger(event=kind, bucket=None if bucket is None else str(bucket))
    raise fail(line, f"{where}: unknown trigger {', '.join(raw)}")


def _time(raw: Any, line: int, where: str, fail: Any) -> time:
    if isinstance(raw, int):  # YAML 1.1 reads 10:00 as a sexagesimal number
        raw = f"{raw // 60:02d}:{raw % 60:02d}"
    try:
        return clock(str(raw))
    except (ValueError, TypeError):
        raise fail(line, f"{where}: 'at' must be a local time HH:MM, not {raw!r}") from None


def _inside_hours(at: time, pack: RulePack, line: int, where: str, fail: Any) -> None:
    for rule in ("CN-HOURS-NIGHT", "US-TIME-8-21"):
        params = pack.rules.get(rule)
        if params and not clock(params["start"]) <= at < clock(params["end"]):
            raise fail(line, f"{where}: {at:%H:%M} is outside the pack's hours "
                             f"{params['start']}-{params['end']} ({rule})")  # fmt: skip


def _check_params(action: Action, params: dict[str, Any], line: int, where: str, fail: Any) -> None:
    limits = {"instalments": (2, 36), "waive_percent": (1, 100), "days": (1, 90)}
    for key, value in params.items():
        if key in limits:
            low, high = limits[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise fail(line, f"{where}: params.{key} must be {low}-{high}")
    if action is Action.OFFER_PLAN and "instalments" not in params:
        raise fail(line, f"{where}: offer_plan needs params.instalments (within product limits)")
    if action is Action.WAIVE_PENALTY and "waive_percent" not in params:
        raise fail(line, f"{where}: waive_penalty needs params.waive_percent")
    if action is Action.REFER and params.get("to") not in ("mediation", "legal"):
        raise fail(line, f"{where}: refer needs params.to: mediation or legal")


def _conditions(raw: Any, line: int, where: str, fail: Any) -> Conditions:
    if not isinstance(raw, dict):
        raise fail(line, f"{where}: 'if' must be a mapping")
    unknown = sorted(set(raw) - set(CONDITION_KEYS))
    if unknown:
        raise fail(line, f"{where}: unknown condition(s) {', '.join(unknown)}")
    values: dict[str, tuple[str, ...]] = {}
    for key, attr in CONDITION_KEYS.items():
        if key in raw:
            v = raw[key]
            values[attr] = tuple(str(x) for x in (v if isinstance(v, list) else [v]))
    return Conditions(**values)


def _check_follow_ups(steps: list[Step], fail: Any) -> None:
    by_id = {s.step_id: s for s in steps}
    for s in steps:
        if s.then is not None and s.then not in by_id:
            raise fail(s.line, f"step {s.step_id!r}: follow-up {s.then!r} is not a step here")
        if s.trigger == Trigger() and not any(o.then == s.step_id for o in steps):
            raise fail(s.line, f"step {s.step_id!r} has no 'when' and no step leads to it")
    for s in steps:
        path, current = [s.step_id], s
        while current.then is not None:
            current = by_id[current.then]
            if current.step_id in path:
                loop = " -> ".join([*path[path.index(current.step_id) :], current.step_id])
                raise fail(current.line, f"steps loop: {loop}")
            path.append(current.step_id)


def shipped_playbook(pack: RulePack, templates: Catalogue) -> Playbook:
    """The default playbook for a pack (playbooks/data/<pack>-default.yaml)."""
    name = f"{pack.pack_id.lower()}-default.yaml"
    text = (resources.files("faircollect.playbooks") / "data" / name).read_text("utf-8")
    return load_playbook(text, where=name, templates=templates, pack=pack)
