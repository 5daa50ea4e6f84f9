"""Script templates (话术): text with typed variables, validated on drafting, rendered for sending.

Variables are a closed set with types, so a template cannot smuggle in anything the screening
and the amount check do not understand: {name} (the recipient's name), {amount} (money in minor
units, checked against the lawful outstanding when rendered), {due_date} (a date), {channel},
{lender} and {phone} (the lender's service number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from string import Formatter
from typing import Any

from faircollect.screening.engine import check_text, screen
from faircollect.screening.model import Screening, ScreeningContext, ScreeningError

VARIABLES: dict[str, type] = {
    "name": str,
    "amount": int,
    "due_date": date,
    "channel": str,
    "lender": str,
    "phone": str,
}
LANGS = frozenset({"zh", "en"})
CHANNELS = frozenset({"sms", "email", "push", "letter", "call", "ai_voice", "social_private"})
_CURRENCY = {"CNY": ("", "元"), "USD": ("$", ""), "GBP": ("£", "")}


class TemplateError(ValueError):
    """A template or its values that cannot be used; the message names the place."""


@dataclass(frozen=True, slots=True)
class Template:
    """A validated template body and the variables it uses."""

    body: str
    lang: str
    channel: str
    variables: tuple[str, ...]


def parse_template(body: str, *, lang: str, channel: str) -> Template:
    """Validate a template: known language and channel, only known variables, balanced braces."""
    if lang not in LANGS:
        raise TemplateError(f"unknown language {lang!r}; use zh or en")
    if channel not in CHANNELS:
        raise TemplateError(f"unknown channel {channel!r}")
    try:
        check_text(body)
    except ScreeningError as exc:
        raise TemplateError(f"template body: {exc}") from exc
    used: list[str] = []
    try:
        for literal_end, field, spec, conversion in Formatter().parse(body):
            del literal_end
            if field is None:
                continue
            if field not in VARIABLES:
                known = ", ".join(VARIABLES)
                raise TemplateError(f"unknown variable {{{field}}}; known: {known}")
            if spec or conversion:
                raise TemplateError(f"variable {{{field}}} takes no format or conversion")
            if field not in used:
                used.append(field)
    except ValueError as exc:
        if isinstance(exc, TemplateError):
            raise
        raise TemplateError(f"template body: {exc}") from exc
    return Template(body, lang, channel, tuple(used))


def format_amount(minor: int, currency: str, lang: str) -> str:
    """Exact money text from minor units: 1,280.50元 or $1,280.50."""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    prefix, suffix = _CURRENCY.get(currency, ("", f" {currency}"))
    return f"{sign}{prefix}{units:,}.{cents:02d}{suffix}"


def format_date(value: date, lang: str) -> str:
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value:%B} {value.day}, {value.year}"


def render(template: Template, values: dict[str, Any], *, currency: str = "CNY") -> str:
    """The text with every variable filled; each value is checked against its type."""
    missing = [v for v in template.variables if v not in values]
    if missing:
        raise TemplateError(f"missing value(s) for {', '.join('{' + m + '}' for m in missing)}")
    filled: dict[str, str] = {}
    for name in template.variables:
        value = values[name]
        kind = VARIABLES[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise TemplateError(f"{{{name}}} must be an amount in minor units (integer)")
        if kind is date and not isinstance(value, date):
            raise TemplateError(f"{{{name}}} must be a date")
        if kind is str and (not isinstance(value, str) or not value.strip()):
            raise TemplateError(f"{{{name}}} must be non-empty text")
        if name == "amount":
            if value < 0:
                raise TemplateError("{amount} cannot be negative")
            filled[name] = format_amount(value, currency, template.lang)
        elif name == "due_date":
            filled[name] = format_date(value, template.lang)
        else:
            filled[name] = str(value)
    return template.body.format(**filled)


def sample_values(
    template: Template, *, lender: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    """Neutral values used to screen a template at approval.

    `lender` and `phone` are the lender's configured name and hotline (Settings.brand_name,
    Settings.brand_hotline) when the caller has them; otherwise a plain description stands in,
    never a sample brand that could pass for a real lender's.
    """
    zh = template.lang == "zh"
    return {
        "name": "张三" if zh else "Alex Doe",
        "amount": 100_000,
        "due_date": date(2026, 12, 31),
        "channel": template.channel,
        "lender": lender or ("本公司" if zh else "our company"),
        "phone": phone or ("客服电话" if zh else "the service number"),
    }


def screen_sample(
    template: Template, *, pack: str, currency: str, role: str = "debtor",
    lender: str | None = None, phone: str | None = None,
) -> Screening:  # fmt: skip
    """The screening of the text `template` sends, filled with neutral values (`sample_values`)
    under `pack` for its channel, the amount in `currency` and demanded as the lawful balance.

    How a body is checked before any borrower's values fill it: by the script library (with the
    lender's `lender` and `phone`) and when a playbook naming it is loaded. The gate screens the
    real text again when it is sent.
    """
    values = sample_values(template, lender=lender, phone=phone)
    context = ScreeningContext(
        pack=pack,
        role=role,
        channel=template.channel,
        lawful_outstanding_minor=values["amount"],
        currency=currency,
    )
    return screen(render(template, values, currency=currency), lang=template.lang, context=context)
