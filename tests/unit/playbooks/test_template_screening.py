"""A playbook is refused as it loads when a template one of its steps names would not pass its
pack's screening, filled with neutral values, for the step's channel in each language the pack
sends in; the shipped playbooks all load."""

from __future__ import annotations

from importlib import resources

import pytest

from faircollect.playbooks import Catalogue, PlaybookError, load_playbook, shipped_templates
from faircollect.playbooks.loader import pack_named
from faircollect.playbooks.templates import message_language, sent_languages
from faircollect.policy.packs import load_pack
from faircollect.screening.templates import parse_template

TEMPLATES = shipped_templates()
DATA = resources.files("faircollect.playbooks") / "data"


def _book(pack: str, template: str, *, channel: str = "sms", to: str = "debtor") -> str:
    return (f"name: t\nversion: 1\npack: {pack}\nsteps:\n  - id: d1_text\n    when: {{dpd: 1}}\n"
            f"    do: send\n    channel: {channel}\n    template: {template}\n    to: {to}\n")  # fmt: skip


def _load(text: str, pack: str, templates: Catalogue = TEMPLATES):
    return load_playbook(text, where="t.yaml", templates=templates, pack=load_pack(pack))


def test_every_shipped_playbook_loads_under_the_pack_it_names() -> None:
    names = sorted(p.name for p in DATA.iterdir() if p.name.endswith(".yaml"))
    assert {"cn-default.yaml", "us-default.yaml", "uk-default.yaml"} <= set(names)
    for name in names:
        text = (DATA / name).read_text("utf-8")
        book = load_playbook(text, where=name, templates=TEMPLATES,
                             pack=load_pack(pack_named(text, where=name)))  # fmt: skip
        assert any(s.template for s in book.steps), name


def test_a_us_playbook_naming_a_uk_text_is_refused_naming_the_step_template_and_rule() -> None:
    # The UK texts do not say they are from a debt collector, which Regulation F requires of
    # every US collection message (§1006.18(e)).
    with pytest.raises(PlaybookError) as refused:
        _load(_book("US", "uk.overdue.first"), "US")
    message = str(refused.value)
    assert message.startswith("t.yaml:5: step 'd1_text': template 'uk.overdue.first'")
    assert "US screening" in message
    assert "US-MINI-MIRANDA" in message
    # The same text is for the UK pack, and loads there.
    assert _load(_book("UK", "uk.overdue.first"), "UK").steps[0].template == "uk.overdue.first"


def test_a_cn_playbook_naming_a_threatening_chinese_text_is_refused() -> None:
    threat = (
        "【{lender}】{name}，欠款{amount}今天不还，我们就上门找你家人，让你全村都知道你是老赖。"
    )
    catalogue = Catalogue({
        **TEMPLATES.templates,
        "threat.home": {"zh": parse_template(threat, lang="zh", channel="sms")},
    })  # fmt: skip
    with pytest.raises(PlaybookError) as refused:
        _load(_book("CN", "threat.home"), "CN", catalogue)
    message = str(refused.value)
    assert "step 'd1_text': template 'threat.home' (zh, sms) does not pass CN screening" in message
    assert "SCR-THREAT-VISIT" in message
    # The catalogue's other texts still load under CN.
    assert _load(_book("CN", "overdue.first"), "CN").steps[0].template == "overdue.first"


def test_a_chinese_text_cn_sends_passes_only_where_english_is_not_required() -> None:
    # US messages go out in English: a template with only a Chinese text falls back to it, which
    # carries no debt-collector disclosure, so a US playbook cannot name it.
    zh_only = "【{lender}】{name}您好，您的借款已逾期，当前应还{amount}。请致电{phone}。回T退订"
    catalogue = Catalogue({"zh.only": {"zh": parse_template(zh_only, lang="zh", channel="sms")}})
    assert _load(_book("CN", "zh.only"), "CN", catalogue).steps[0].template == "zh.only"
    with pytest.raises(PlaybookError, match=r"template 'zh.only' \(zh, sms\).*US-MINI-MIRANDA"):
        _load(_book("US", "zh.only"), "US", catalogue)


def test_the_uk_pack_allows_a_us_text_carrying_the_debt_collector_disclosure() -> None:
    # No UK rule requires the Regulation F disclosure or forbids it: the US texts pass UK
    # screening (CONC 7.3.10R, 7.9) in both languages, so a UK playbook may name one. The
    # shipped UK playbook names texts of its own (test_uk_texts.py).
    for template in ("overdue.first", "overdue.email"):
        channel = TEMPLATES.get(template, "en").channel
        assert "debt collector" in TEMPLATES.get(template, "en").body
        book = _load(_book("UK", template, channel=channel), "UK")
        assert book.steps[0].template == template


def test_a_text_written_for_another_channel_in_a_language_the_pack_sends_is_refused() -> None:
    en = ("Hi {name}, this is a communication from a debt collector. {amount} is due."
          " Reply STOP to opt out.")  # fmt: skip
    zh = "【{lender}】{name}您好，当前应还{amount}。回T退订"
    catalogue = Catalogue({"mixed": {
        "zh": parse_template(zh, lang="zh", channel="sms"),
        "en": parse_template(en, lang="en", channel="email"),
    }})  # fmt: skip
    # Some text of it is written for each channel; the one the pack would send is not.
    with pytest.raises(PlaybookError, match=r"'mixed' \(en\) is written for email, not sms"):
        _load(_book("US", "mixed"), "US", catalogue)
    with pytest.raises(PlaybookError, match=r"'mixed' \(zh\) is written for sms, not email"):
        _load(_book("CN", "mixed", channel="email"), "CN", catalogue)


def test_the_languages_screened_are_those_the_cycle_sends_in() -> None:
    for pack in ("CN", "US", "UK"):
        chosen = {message_language(pack, lang) for lang in ("zh", "en", "fr", "")}
        assert chosen == set(sent_languages(pack)), pack
    assert sent_languages("US") == ("en",)


def test_each_text_is_screened_once_a_process_however_often_playbooks_load(monkeypatch) -> None:
    from faircollect.playbooks import templates as module

    calls: list[tuple[str, str]] = []
    real = module.screen_sample

    def counted(template, **kwargs):
        calls.append((template.body, kwargs["pack"]))
        return real(template, **kwargs)

    monkeypatch.setattr(module, "screen_sample", counted)
    module._screened.cache_clear()
    text = (DATA / "cn-default.yaml").read_text("utf-8")
    for _ in range(3):
        _load(text, "CN")
    assert calls
    assert len(calls) == len(set(calls))  # the second and third loads screened nothing
    module._screened.cache_clear()
