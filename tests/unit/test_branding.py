"""The lender's branding is configuration: read from FAIRCOLLECT_BRAND_*, used where a template
is filled for screening, and no sample brand is written into the pages or the screening code."""

from __future__ import annotations

from pathlib import Path

from faircollect.config import Settings
from faircollect.screening.templates import parse_template, render, sample_values

SRC = Path(__file__).parents[2] / "src" / "faircollect"
SAMPLE_BRAND = ("示例金融", "400-000-0000", "Example Finance", "1-800-000-0000")


def test_the_brand_comes_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "FAIRCOLLECT_BRAND_NAME": "Lender Ltd",
            "FAIRCOLLECT_BRAND_SMS_SIGNATURE": "Lender",
            "FAIRCOLLECT_BRAND_HOTLINE": "+86 10 5555 0000",
            "FAIRCOLLECT_BRAND_PORTAL_URL": "https://pay.lender.example",
        }
    )
    assert settings.brand_name == "Lender Ltd"
    assert settings.brand_sms_signature == "Lender"
    assert settings.brand_hotline == "+86 10 5555 0000"
    assert settings.brand_portal_url == "https://pay.lender.example"
    unset = Settings.from_env({})
    assert unset.brand_hotline == ""
    assert unset.brand_name not in SAMPLE_BRAND


def test_screening_fills_the_configured_lender_or_a_plain_description() -> None:
    template = parse_template("{lender}提醒：请致电{phone}。", lang="zh", channel="sms")
    text = render(template, sample_values(template, lender="某某银行", phone="95555"))
    assert text == "某某银行提醒：请致电95555。"
    plain = render(template, sample_values(template))
    assert not any(sample in plain for sample in SAMPLE_BRAND)
    english = parse_template("{lender}: call {phone}.", lang="en", channel="sms")
    assert render(english, sample_values(english)) == "our company: call the service number."


def test_no_sample_brand_is_written_into_the_pages_or_screening() -> None:
    places = [SRC / "config.py", *(SRC / "screening").rglob("*.py")]
    places += [p for p in (SRC / "entrypoints" / "web").rglob("*") if p.suffix in (".py", ".html")]
    found = [
        (str(p.relative_to(SRC)), sample)
        for p in places
        for sample in SAMPLE_BRAND
        if sample in p.read_text(encoding="utf-8")
    ]
    assert found == []
