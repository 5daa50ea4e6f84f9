"""Rule packs: versioned TOML data naming the rules that apply and their parameters.

A pack may `extends` another (its rules are inherited, then overridden). A lender's overlay
(`overlay_of`) may only tighten: lower limits, a narrower window, longer waits, a stricter
verdict, more rules; an overlay that loosens anything is refused on load.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from faircollect.policy.decision import SEVERITY_ORDER, Verdict
from faircollect.policy.rules import load_all
from faircollect.policy.rules.common import clock

# How each parameter tightens: "lower" means a smaller value is stricter.
TIGHTER = {
    "limit": "lower",
    "daily_limit": "lower",
    "max_age_days": "lower",
    "rapid_minutes": "higher",
    "end": "earlier",
    "start": "later",
    "days": "higher",
    "min_collectors": "higher",
    "notice_days": "lower",  # US-VALIDATION: less time to send the notice
    "recent_days": "lower",  # US-TEXT-SAFE-HARBOR: a more recent use or check
    "opt_out_days": "higher",  # US-EMAIL-SAFE-HARBOR: a longer opt-out period in the notice
    "unanswered_uses_up": "higher",  # US-LOCATION: true (every attempt uses up the once) is stricter
}
SEVERITY = SEVERITY_ORDER

#: The currency of each shipped pack's amounts (what its content rule screens amounts in).
PACK_CURRENCY = {"CN": "CNY", "US": "USD", "UK": "GBP"}
#: The pack whose rules apply to a loan in each currency: the one home of that mapping, derived
#: from PACK_CURRENCY so a new pack (GBP -> UK) is never missing from it.
PACK_OF_CURRENCY = {currency: pack for pack, currency in PACK_CURRENCY.items()}


class PackError(ValueError):
    """A pack or overlay that is malformed, unknown, or loosens its base."""


@dataclass(frozen=True)
class RulePack:
    """A resolved pack: id, version, effective date and each rule's parameters, in order."""

    pack_id: str
    version: str
    effective_from: date
    rules: dict[str, dict[str, Any]]


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{where}: not valid TOML ({exc})") from exc
    for key in ("id", "version", "rules"):
        if key not in doc:
            raise PackError(f"{where}: missing {key!r}")
    known = load_all()
    for rule_id, params in doc["rules"].items():
        if rule_id not in known:
            raise PackError(f"{where}: unknown rule {rule_id!r}")
        if not isinstance(params, dict):
            raise PackError(f"{where}: rule {rule_id!r} needs a table of parameters")
        try:
            Verdict(params.get("verdict", "block"))
        except ValueError as exc:
            raise PackError(f"{where}: rule {rule_id!r} has an unknown verdict") from exc
    return doc


def _versions(pack_id: str) -> list[tuple[date, str, str]]:
    """Every shipped version of a pack as (effective date, version, text), oldest first.

    The current version is `<id>.toml`; earlier ones are kept as `<id>@<version>.toml`.
    """
    folder = resources.files("faircollect.policy") / "packs"
    stem = pack_id.lower()
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name == f"{stem}.toml" or (name.startswith(f"{stem}@") and name.endswith(".toml")):
            text = entry.read_text("utf-8")
            doc = _parse(text, name)
            found.append((doc.get("effective_from", date(1970, 1, 1)), str(doc["version"]), text))
    if not found:
        raise PackError(f"unknown pack {pack_id!r}")
    return sorted(found)


def _shipped(pack_id: str, version: str | None = None, on: date | None = None) -> str:
    """The text of a shipped pack: a named version, the one in force on a date, or the newest."""
    versions = _versions(pack_id)
    if version is not None:
        for _, name, text in versions:
            if name == version:
                return text
        known = ", ".join(v for _, v, _ in versions)
        raise PackError(f"pack {pack_id!r} has no version {version!r} (shipped: {known})")
    if on is not None:
        in_force = [text for effective, _, text in versions if effective <= on]
        if not in_force:
            raise PackError(f"no version of pack {pack_id!r} was in force on {on}")
        return in_force[-1]
    return versions[-1][2]


def _resolve(doc: dict[str, Any], where: str, depth: int = 0) -> dict[str, dict[str, Any]]:
    if depth > 5:
        raise PackError(f"{where}: packs extend each other in a loop")
    rules: dict[str, dict[str, Any]] = {}
    base = doc.get("extends")
    if base:
        rules = _resolve(_parse(_shipped(base), base), base, depth + 1)
    for rule_id, params in doc["rules"].items():
        rules[rule_id] = {**rules.get(rule_id, {}), **params}
    return rules


def load_pack(
    pack_id: str,
    *,
    version: str | None = None,
    on: date | None = None,
    overlay: str | None = None,
) -> RulePack:
    """A shipped pack (a named version, the version in force `on` a date, or the newest),
    optionally tightened by an overlay (TOML text)."""
    doc = _parse(_shipped(pack_id, version, on), pack_id)
    rules = _resolve(doc, pack_id)
    effective = doc.get("effective_from", date(1970, 1, 1))
    pack_version = str(doc["version"])
    if overlay is not None:
        extra = _parse(overlay, "overlay")
        if extra.get("overlay_of") != doc["id"]:
            raise PackError(f"overlay: overlay_of must name the pack {doc['id']!r}")
        rules = tighten(rules, extra["rules"])
        pack_version = f"{pack_version}+{extra['id']}@{extra['version']}"
    return RulePack(str(doc["id"]), pack_version, effective, rules)


def tighten(base: dict[str, dict[str, Any]], overlay: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Apply an overlay, refusing any change that would loosen a rule."""
    merged = {k: dict(v) for k, v in base.items()}
    for rule_id, params in overlay.items():
        current = merged.get(rule_id, {})
        for key, value in params.items():
            if key in current:
                _check_tighter(rule_id, key, current[key], value)
        merged[rule_id] = {**current, **params}
    return merged


def _check_tighter(rule_id: str, key: str, old: Any, new: Any) -> None:
    where = f"overlay: {rule_id}.{key} = {new!r}"
    if key == "verdict":
        if SEVERITY[Verdict(new)] < SEVERITY[Verdict(old)]:
            raise PackError(f"{where} loosens the verdict {old!r}")
        return
    direction = TIGHTER.get(key)
    if direction is None:
        return
    old_value: object
    new_value: object
    if direction in ("earlier", "later"):
        old_value, new_value = clock(old), clock(new)
    else:
        old_value, new_value = int(old), int(new)
    later_or_more = new_value > old_value  # type: ignore[operator]
    earlier_or_less = new_value < old_value  # type: ignore[operator]
    loosens = later_or_more if direction in ("lower", "earlier") else earlier_or_less
    if loosens:
        raise PackError(f"{where} loosens the pack's {old!r}")
