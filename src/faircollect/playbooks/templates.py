"""The message templates playbooks may name: shipped, screened, typed (see screening.templates)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from faircollect.screening.templates import Template, parse_template


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
