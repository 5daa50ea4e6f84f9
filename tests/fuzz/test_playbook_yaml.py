"""Hostile playbook YAML: the loader answers with PlaybookError naming `file:line`, or a
playbook, never another exception. Examples per test: FAIRCOLLECT_FUZZ_EXAMPLES (default small,
so `make test` stays quick; a campaign by hand sets it high)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from importlib import resources

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.playbooks import PlaybookError, load_playbook, shipped_templates
from faircollect.playbooks.loader import pack_named
from faircollect.policy.packs import load_pack

EXAMPLES = int(os.environ.get("FAIRCOLLECT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
WHERE = "hostile.yaml"
PLACE = re.compile(rf"^{re.escape(WHERE)}:\d+: ")
SHIPPED = (resources.files("faircollect.playbooks") / "data" / "cn-default.yaml").read_text("utf-8")
TEMPLATES = shipped_templates()
PACK = load_pack("CN")

FRAGMENTS = [
    "name: x\n", "version: 1\n", "pack: CN\n", "pack: ZZ\n", "steps:\n", "steps: []\n",
    "  - id: a\n", "    when: {dpd: 1}\n", "    do: send\n", "    channel: sms\n",
    "    template: overdue.first\n", "    do: call_task\n", "    if: {score_band: [low]}\n",
    "    params: {days: 10}\n", "    after: a\n", "    after_days: -3\n", "version: -1\n",
    "version: 1e400\n", "version: 99999999999999999999999\n", "&a [*a]\n", "a: &x {b: *x}\n",
    "!!python/object:os.system ls\n", "!!binary aGVsbG8=\n", "? [a, b]\n: c\n", "- - - -\n",
    "{", "}", "[", "]", ":", "- ", "\t", "\x00", "\ufeff", "'", '"', "%YAML 1.1\n", "---\n",
    "...\n", "*undefined\n", "key: !!timestamp 2026-13-45\n", "when: {dpd: [1, 2]}\n",
    "    when: {event: promise_broken}\n", "    do: pause\n", "    to: address_book\n",
]  # fmt: skip


def _refusal(call: Callable[[], object]) -> str | None:
    """The PlaybookError message `call` raises, None if it succeeds; anything else propagates."""
    try:
        call()
    except PlaybookError as exc:
        return str(exc)
    return None


def _check(text: str) -> None:
    for message in (
        _refusal(lambda: load_playbook(text, where=WHERE, templates=TEMPLATES, pack=PACK)),
        _refusal(lambda: pack_named(text, where=WHERE)),
    ):
        if message is not None:
            assert PLACE.match(message), message
            assert "\n" not in message
            assert len(message) < 500


@FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_fragments_of_playbooks(text: str) -> None:
    _check(text)


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@FUZZ
@given(st.data())
def test_mutations_of_the_shipped_playbook(data: st.DataObject) -> None:
    lines = SHIPPED.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        k = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "insert", "indent", "replace"]))
        if op == "drop" and len(lines) > 1:
            del lines[k]
        elif op == "dup":
            lines.insert(k, lines[k])
        elif op == "insert":
            lines.insert(k, data.draw(st.sampled_from(FRAGMENTS)))
        elif op == "indent":
            lines[k] = " " + lines[k]
        else:
            lines[k] = data.draw(st.text(max_size=40)) + "\n"
    _check("".join(lines))


def test_deep_nesting_and_alias_bombs_are_named_errors() -> None:
    for text in ("[" * 5_000 + "]" * 5_000, "a: " + "{b: " * 3_000 + "1" + "}" * 3_000,
                 "&a [*a]\n", "a: &x {b: *x}\n",
                 "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                 "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                 "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                 "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"):  # fmt: skip
        _check(text)
