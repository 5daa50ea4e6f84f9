"""Chinese and English pages: the catalogs (compiled from the .po files when first used) and the
choice of language (the user's choice in a cookie, then the browser's Accept-Language)."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def N_(message: str) -> str:
    """Mark a message for the catalog that is translated where it is shown."""
    return message


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The catalog of a supported language, compiled in memory from its .po file.

    Compiling at first use keeps the build free of a generated .mo step and the repository free
    of binaries; a catalog holds a few hundred messages, so this takes milliseconds.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language[:16]!r}")
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _weighted(header: str | None) -> list[tuple[str, float]]:
    """Accept-Language entries as (tag, q) in header order; malformed weights count as 0."""
    out = []
    for part in (header or "")[:200].split(","):
        tag, _, params = part.partition(";")
        tag = tag.strip().replace("-", "_")
        if not tag or tag == "*":
            continue
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        out.append((tag, weight))
    return out


def choose_language(choice: str | None, accept_language: str | None) -> str:
    """The user's choice if supported, else the browser's best supported language, else zh."""
    if choice in LANGUAGES:
        return choice
    preferred = [tag for tag, _ in sorted(_weighted(accept_language), key=lambda t: -t[1])]
    found = negotiate_locale(preferred, list(LANGUAGES), sep="_")
    if found:
        return str(found)
    for tag in preferred:
        try:
            language = Locale.parse(tag).language
        except (UnknownLocaleError, ValueError):
            continue
        if language in LANGUAGES:
            return str(language)
    return DEFAULT_LANGUAGE
