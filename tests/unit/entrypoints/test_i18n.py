"""The catalogs hold every message the pages show, and the language is chosen as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from faircollect.entrypoints.web.i18n import LOCALES, choose_language, translations

WEB = Path(__file__).parents[3] / "src" / "faircollect" / "entrypoints" / "web"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def shown_messages() -> set[str]:
    keywords = {"_": None, "gettext": None, "N_": None}
    found = extract_from_dir(str(WEB), METHODS, keywords=keywords)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_shown_message_is_in_the_catalog(language: str) -> None:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    known = {m.id for m in catalog if m.id}
    assert shown_messages() - known == set()
    if language == "zh":
        untranslated = [m.id for m in catalog if m.id and not m.string]
        assert untranslated == []


def test_the_chinese_catalog_translates_and_english_keeps_the_text() -> None:
    assert translations("zh").gettext("Sign in") == "登录"
    assert translations("en").gettext("Sign in") == "Sign in"
    with pytest.raises(ValueError, match="unsupported"):
        translations("fr")


@pytest.mark.parametrize(
    ("choice", "accept", "expected"),
    [
        ("en", "zh-CN,zh;q=0.9", "en"),  # the user's choice first
        (None, "en-GB,en;q=0.8", "en"),  # then the browser
        (None, "fr-FR, zh-TW;q=0.5", "zh"),
        ("xx", "de", "zh"),  # then Chinese
        (None, None, "zh"),
        (None, "en;q=0.1, zh;q=0.9", "zh"),
    ],
)
def test_language_choice(choice: str | None, accept: str | None, expected: str) -> None:
    assert choose_language(choice, accept) == expected
