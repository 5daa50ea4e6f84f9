"""Hostile script templates: parsing answers TemplateError naming the template's place (its
body, a variable), rendering a parsed template never raises anything but TemplateError, and
screening a rendered text never raises. Examples: FAIRCOLLECT_FUZZ_EXAMPLES (default small)."""

from __future__ import annotations

import os
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircollect.screening.templates import VARIABLES, TemplateError, parse_template, render

EXAMPLES = int(os.environ.get("FAIRCOLLECT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
PIECES = [*(f"{{{v}}}" for v in VARIABLES), "{", "}", "{{", "}}", "{0}", "{}", "{name!r}",
          "{amount:>10}", "{name.__class__}", "{name[0]}", "{unknown}", "您好", "请还款",
          "Dear ", "\x00", "\u202e", "\ufeff", "%s", "${name}", "{{name}}", " ", "\n",
          "x" * 50]  # fmt: skip
VALUES = {"name": "王小明", "lender": "示例金融", "amount": 128050, "due_date": date(2026, 12, 1),
          "phone": "400-000-0000", "lawful_outstanding": 128050}  # fmt: skip


def _parse(body: str, lang: str, channel: str) -> None:
    message: str | None = None
    try:
        template = parse_template(body, lang=lang, channel=channel)
    except TemplateError as exc:
        message = str(exc)
    if message is not None:
        assert message.startswith(("template body:", "unknown variable {", "variable {",
                                   "unknown language", "unknown channel")), message  # fmt: skip
        assert len(message) < 2_000
        return
    values = {k: VALUES.get(k, "x") for k in template.variables}
    rendered = render(template, values, currency="CNY")  # a parsed template always renders
    assert isinstance(rendered, str)


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join),
       st.sampled_from(["zh", "en"]), st.sampled_from(["sms", "email", "call"]))  # fmt: skip
def test_pieces_of_templates(body: str, lang: str, channel: str) -> None:
    _parse(body, lang, channel)


@FUZZ
@given(st.text(max_size=600), st.text(max_size=4), st.text(max_size=6))
def test_arbitrary_bodies_languages_and_channels(body: str, lang: str, channel: str) -> None:
    _parse(body, lang, channel)
