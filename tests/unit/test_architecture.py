"""Machine-checked rule: no code path reaches a channel without a gate decision.

- one place in the code calls a channel's `send`: the dispatcher, and the decision it passes is
  the one `_recheck` has just taken with the policy engine at send time;
- every channel refuses a message whose decision does not allow it, before doing anything;
- concrete channels are built only by the composition root (bootstrap, entrypoints).
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

import faircollect
from faircollect.adapters.channels.port import NotAllowedError, Outbound
from faircollect.adapters.channels.sandbox import SandboxChannel, VoiceQueue
from faircollect.policy import Channel, ContactRequest, Facts, RecipientRole, evaluate
from faircollect.policy.packs import load_pack

SRC = Path(faircollect.__file__).parent


def _trees() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(SRC)), ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(SRC.rglob("*.py"))]  # fmt: skip


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]


def _send_calls(fn: ast.FunctionDef) -> list[ast.Call]:
    return [n for n in ast.walk(fn) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "send"]  # fmt: skip


def test_only_the_dispatcher_calls_a_channel() -> None:
    callers = {(path, fn.name) for path, tree in _trees() for fn in _functions(tree)
               if _send_calls(fn) and not path.startswith("adapters/channels/")}  # fmt: skip
    assert callers == {("services/cycle_dispatch.py", "_send_one")}


def test_the_dispatcher_passes_the_decision_it_just_took() -> None:
    tree = dict(_trees())["services/cycle_dispatch.py"]
    fns = {fn.name: fn for fn in _functions(tree)}
    dispatch = fns["_send_one"]
    (call,) = _send_calls(dispatch)
    passed = call.args[1]
    assert isinstance(passed, ast.Name)
    sources = [n.value for n in ast.walk(dispatch) if isinstance(n, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id == passed.id for t in n.targets)]  # fmt: skip
    assert sources
    assert all(isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "_recheck"
               for v in sources)  # fmt: skip
    returns = [n.value for n in ast.walk(fns["_recheck"]) if isinstance(n, ast.Return)]
    assert all(isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "evaluate"
               for v in returns)  # fmt: skip


def test_every_channel_checks_the_decision_first() -> None:
    checked = []
    for path, tree in _trees():
        if not path.startswith("adapters/channels/"):
            continue
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            if any(isinstance(b, ast.Name) and b.id == "Protocol" for b in cls.bases):
                continue  # the port itself
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "send"):
                first = fn.body[0]
                assert isinstance(first, ast.Expr), (path, cls.name)
                assert isinstance(first.value, ast.Call), (path, cls.name)
                assert ast.unparse(first.value) == "require_allowed(message, decision)", cls.name
                checked.append(cls.name)
    assert set(checked) == {"SandboxChannel", "VoiceQueue", "SmtpChannel", "HttpSmsChannel",
                            "BoundDelivery"}  # fmt: skip


def test_concrete_channels_are_built_only_by_the_composition_root() -> None:
    importers = set()
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in (
                "faircollect.adapters.channels.sandbox", "faircollect.adapters.channels.external"
            ):  # fmt: skip
                importers.add(path)
    # The router takes the external channels' error type only (to report it as the port's).
    assert importers <= {"bootstrap.py", "adapters/channels/router.py"}


@pytest.mark.parametrize("channel", [SandboxChannel(), VoiceQueue()])
def test_transactional_channels_refuse_a_blocked_message(channel) -> None:
    at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    request = ContactRequest(at=at, channel=Channel.CALL, recipient_role=RecipientRole.DEBTOR,
                             contact_point="p", debt_id="L1")  # fmt: skip
    blocked = evaluate(request, Facts(), load_pack("CN"))
    message = Outbound(outbox_id=1, channel="call", contact_point="p", body="", at=at,
                       borrower_id="B1", loan_id="L1")  # fmt: skip
    with pytest.raises(NotAllowedError):
        channel.send(message, blocked, connection=None)
