"""The message templates playbooks may name: shipped, screened, typed (see screening.templates).

A template a playbook step names is screened, filled with neutral values, under the playbook's
pack for the step's channel in every language that pack's messages are sent in (`refusal`), so
a playbook that would send a text its pack blocks is refused when it is loaded, not at send.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from faircollect.policy.packs import PACK_CURRENCY
from faircollect.screening import Screening, ScreeningError, Verdict
from faircollect.screening.templates import Template, parse_template, screen_sample

#: The languages a pack's messages are sent in, when not the borrower's own (zh or en): every
#: US message in English (the language its disclosures are screened in).
PACK_LANGUAGE = {"US": "en"}
BORROWER_LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Catalogue:
    """Templates by key; each key has one body per language."""

    templates: dict[str, dict[str, Template]]

    def get(self, key: str, lang: str) -> Template:
        by_lang = self.templates[key]
        return by_lang.get(lang) or next(iter(by_lang.values()))

    def __contains__(self, key: object) -> bool:
        return key in self.templates


def shipped_templates() -> Catalogue:
    """The default templates (playbooks/data/templates.toml), each parsed and checked."""
    text = (resources.files("faircollect.playbooks") / "data" / "templates.toml").read_text("utf-8")
    doc = tomllib.loads(text)
    out: dict[str, dict[str, Template]] = {}
    for key, entry in doc["templates"].items():
        channel = str(entry["channel"])
        out[key] = {
            lang: parse_template(str(entry[lang]), lang=lang, channel=channel)
            for lang in ("zh", "en")
            if lang in entry
        }
    return Catalogue(out)


def message_language(pack: str, language: str) -> str:
    """The language a message to a borrower speaking `language` is sent in under `pack`: the
    pack's own (PACK_LANGUAGE), else the borrower's if a template language, else zh."""
    if pack in PACK_LANGUAGE:
        return PACK_LANGUAGE[pack]
    return language if language in BORROWER_LANGUAGES else "zh"


def sent_languages(pack: str) -> tuple[str, ...]:
    """Every language `message_language` can choose under `pack`."""
    return (PACK_LANGUAGE[pack],) if pack in PACK_LANGUAGE else BORROWER_LANGUAGES


@lru_cache(maxsize=4096)
def _screened(template: Template, pack: str, role: str) -> Screening:
    # Shipped playbooks are loaded at every draft, every cycle run and in many tests, and name
    # the same few templates: each (text, pack, recipient) is screened once per process.
    return screen_sample(template, pack=pack, currency=PACK_CURRENCY.get(pack, "CNY"), role=role)


def refusal(
    catalogue: Catalogue, key: str, *, pack: str, channel: str, role: str = "debtor"
) -> str | None:
    """Why template `key` cannot be sent on `channel` to a `role` under `pack`, or None.

    Each text the cycle would pick for it (`Catalogue.get` in every `sent_languages` of the
    pack) must be written for the channel and pass the pack's screening filled with neutral
    values (screening.templates.screen_sample); one that would be held for review is refused
    too, as a step sends without a person. The gate still screens the real text at send.
    """
    for lang in sent_languages(pack):
        template = catalogue.get(key, lang)
        if template.channel != channel:
            return (
                f"template {key!r} ({template.lang}) is written for {template.channel},"
                f" not {channel}"
            )
        try:
            result = _screened(template, pack, role)
        except ScreeningError as exc:
            return f"template {key!r} ({template.lang}) cannot be screened: {exc}"
        if result.verdict is not Verdict.PASS:
            return (
                f"template {key!r} ({template.lang}, {channel}) does not pass {pack} screening"
                f" ({result.verdict.value}: {', '.join(result.rules)}:"
                f" {result.explanation()['en']})"
            )
    return None
