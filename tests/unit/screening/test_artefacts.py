"""The corpus, the lexicon and the classifier artefact: reproducible, consistent, and the
held-out figures the issue asks for."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest

from faircollect.screening.classifier import ClassifierError, default_classifier, load_classifier
from faircollect.screening.corpus import CorpusError, read_corpus, split_hash
from faircollect.screening.evaluation import evaluate, evasions
from faircollect.screening.lexicon import LexiconError, parse_lexicon
from faircollect.screening.model import TEXT_CATEGORIES

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "data" / "screening" / "corpus.jsonl"


@pytest.fixture(scope="module")
def rows():
    return read_corpus(CORPUS)


def test_corpus_file_is_what_the_builder_makes() -> None:
    spec = importlib.util.spec_from_file_location("build_corpus", CORPUS.parent / "build_corpus.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render(module.build()) == CORPUS.read_text(encoding="utf-8")


def test_corpus_size_languages_and_categories(rows) -> None:
    assert len(rows) >= 2000
    assert {r.lang for r in rows} == {"zh", "en"}
    for split in ("train", "dev", "test"):
        labels = {r.label for r in rows if r.split == split}
        assert "compliant" in labels
        assert {c.value for c in TEXT_CATEGORIES} <= labels, split
    # Held out by template: no template contributes to two splits.
    groups: dict[str, str] = {}
    for r in rows:
        assert groups.setdefault(r.group, r.split) == r.split


def test_classifier_was_trained_on_this_corpus(rows) -> None:
    meta = default_classifier().meta
    assert meta["train_sha256"] == split_hash(rows, ("train",)), "corpus changed: run screen train"
    assert meta["dev_sha256"] == split_hash(rows, ("dev",)), "corpus changed: run screen train"


def test_held_out_figures_meet_the_targets(rows) -> None:
    result = evaluate(rows, "test")
    assert result["block_recall"] >= 0.95
    assert result["compliant_blocked_rate"] <= 0.02
    assert result["evasion_variants"] >= 1000
    assert result["evasion_recall"] >= result["block_recall"] - 0.01


def test_evasion_variants_change_the_text() -> None:
    text = "你再不还钱，我就弄死你! 3天"
    variants = evasions(text, [(8, 10)], "seed")
    assert set(variants) == {"fullwidth", "separators", "traditional", "pinyin", "mixed"}
    assert all(v != text for v in variants.values())
    english = evasions("we will come to your house", [(8, 26)], "seed")
    assert {"leet", "homoglyph", "mixed"} <= set(english)


def test_damaged_or_mismatched_classifier_is_refused() -> None:
    data = default_classifier().to_bytes()
    with pytest.raises(ClassifierError, match="not a screening classifier"):
        load_classifier(data[:100] + b"tampered" + data[108:], "x.npz")
    with pytest.raises(ClassifierError, match="not a screening classifier"):
        load_classifier(b"not a file", "x.npz")
    buf = io.BytesIO()
    header = {"classes": ["compliant", "threat"], "vocab": ["a"], "block_threshold": 0.9,
              "review_threshold": 0.8, "meta": {}}  # fmt: skip
    np.savez(buf, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
             weights=np.zeros((2, 3)), intercept=np.zeros(2))  # fmt: skip
    with pytest.raises(ClassifierError, match="do not match"):
        load_classifier(buf.getvalue(), "x.npz")


def test_round_trip_keeps_predictions() -> None:
    clf = default_classifier()
    again = load_classifier(clf.to_bytes(), "copy")
    assert again.vocab == clf.vocab
    assert again.classes == clf.classes
    assert again.block_threshold == clf.block_threshold


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": "1", "rules": [{"id": "R", "category": "threat", "any": ["NOPE"]}]}, "unknown group"),
        ({"version": "1", "groups": {"G": {"zh": ["x"]}},
          "rules": [{"id": "R", "category": "threat", "any": ["G"], "all": ["G"]}]}, "exactly one"),
        ({"version": "1", "groups": {"G": {"zh": ["x"]}},
          "rules": [{"id": "R", "category": "threat", "any": ["G"]},
                    {"id": "R", "category": "threat", "any": ["G"]}]}, "duplicate"),
        ({"version": "1", "groups": {"G": {"zh": ["x"]}},
          "rules": [{"id": "R", "category": "nonsense", "any": ["G"]}]}, "nonsense"),
        ({"groups": {}}, "version"),
    ],
)  # fmt: skip
def test_bad_lexicon_is_refused_with_the_place(data: dict, message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        parse_lexicon(data, "test.toml")


def test_bad_corpus_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"id": "a", "group": "a", "lang": "zh", "label": "nope", "split": "train", '
                   '"text": "x", "source": "hand"}\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(CorpusError, match=r"c.jsonl:1: unknown label"):
        read_corpus(bad)
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c.jsonl:1"):
        read_corpus(bad)


FROZEN = ROOT / "data" / "screening" / "test_frozen.jsonl"
FROZEN_SHA256 = "fabdbd9a0050f76bc113270de0430a812bb66b7e42eadd72a7a1e410c9d15597"


def test_frozen_test_split_is_unchanged_and_meets_the_targets() -> None:
    import hashlib

    from faircollect.screening import Verdict, screen

    assert hashlib.sha256(FROZEN.read_bytes()).hexdigest() == FROZEN_SHA256
    assert FROZEN_SHA256 in (ROOT / "docs" / "screening.md").read_text(encoding="utf-8")
    rows = read_corpus(FROZEN)
    assert {r.split for r in rows} == {"test"}
    must = [r for r in rows if r.must_block]
    fine = [r for r in rows if not r.must_block]
    verdicts = {r.id: screen(r.text, context=r.screening_context()).verdict for r in rows}
    caught = sum(verdicts[r.id] is not Verdict.PASS for r in must) / len(must)
    blocked = sum(verdicts[r.id] is Verdict.BLOCK for r in must) / len(must)
    wrongly = sum(verdicts[r.id] is Verdict.BLOCK for r in fine) / len(fine)
    assert caught >= 0.97
    assert blocked >= 0.90
    assert wrongly <= 0.02


def test_classifier_features_are_the_known_ngrams(rows) -> None:
    from faircollect.screening.classifier import feature_text, ngrams
    from faircollect.screening.normalize import build_views

    clf = default_classifier()
    for r in rows[::7]:
        views = build_views(r.text)
        text = feature_text(views, views.lang)
        known = {clf.vocab[g] for g in ngrams(text) if g in clf.vocab}
        assert sorted(clf.features(text)) == sorted(known), r.id


FROZEN_V2 = ROOT / "data" / "screening" / "test_frozen_v2.jsonl"
FROZEN_V2_SHA256 = "bff6ff7475c211c2b59190db89b4a134d7f8b9332ad3335045782828f0adce1e"


def test_frozen_v2_split_is_unchanged_and_kept_out_of_tuning(rows) -> None:
    """The second frozen split (written before issue #15's third round of tuning) is byte for
    byte as frozen, recorded in the docs, and shares no text with the corpus that is tuned on or with the first frozen split."""
    import hashlib

    assert hashlib.sha256(FROZEN_V2.read_bytes()).hexdigest() == FROZEN_V2_SHA256
    assert FROZEN_V2_SHA256 in (ROOT / "docs" / "screening.md").read_text(encoding="utf-8")
    frozen = read_corpus(FROZEN_V2)
    assert len(frozen) >= 300
    assert {r.split for r in frozen} == {"test"}
    assert {r.lang for r in frozen} == {"zh", "en"}
    must = sum(r.must_block for r in frozen)
    assert 0.4 <= must / len(frozen) <= 0.6
    seen = {r.text for r in rows} | {r.text for r in read_corpus(FROZEN)}
    assert not seen & {r.text for r in frozen}


FROZEN_V3 = ROOT / "data" / "screening" / "test_frozen_v3.jsonl"
FROZEN_V3_SHA256 = "5d94d9280e712077716c75bd499fefc5e398c18185c90aecc2640de72679c213"


def test_frozen_v3_split_is_unchanged_and_kept_out_of_tuning(rows) -> None:
    """The third frozen split (written before issue #15's fourth round of fixes) is byte for byte
    as frozen, recorded in the docs, mostly hard negatives, and shares no text with any other
    labelled file (corpus, earlier frozen splits, hand-written and dev messages)."""
    import hashlib

    assert hashlib.sha256(FROZEN_V3.read_bytes()).hexdigest() == FROZEN_V3_SHA256
    assert FROZEN_V3_SHA256 in (ROOT / "docs" / "screening.md").read_text(encoding="utf-8")
    frozen = read_corpus(FROZEN_V3)
    assert len(frozen) >= 160
    assert {r.split for r in frozen} == {"test"}
    assert {r.lang for r in frozen} == {"zh", "en"}
    assert 0.3 <= sum(r.must_block for r in frozen) / len(frozen) <= 0.5
    others = sorted(p for p in (ROOT / "data" / "screening").glob("*.jsonl") if p != FROZEN_V3)
    assert len(others) >= 5
    seen = {r.text for r in rows} | {r.text for p in others for r in read_corpus(p)}
    texts = [r.text for r in frozen]
    assert len(set(texts)) == len(texts)
    assert not seen & set(texts)


FROZEN_V4 = ROOT / "data" / "screening" / "test_frozen_v4.jsonl"
FROZEN_V4_SHA256 = "15683395ad243a65a124d987c4e8dfa3b7661a5a3938eebfda09ed13f9e51345"


def test_frozen_v4_split_is_unchanged_and_kept_out_of_tuning(rows) -> None:
    """The fourth frozen split (written before issue #15's fifth round of changes) is byte for
    byte as frozen, recorded in the docs, mostly compliant, and shares no text with any other
    labelled file."""
    import hashlib

    assert hashlib.sha256(FROZEN_V4.read_bytes()).hexdigest() == FROZEN_V4_SHA256
    assert FROZEN_V4_SHA256 in (ROOT / "docs" / "screening.md").read_text(encoding="utf-8")
    frozen = read_corpus(FROZEN_V4)
    assert len(frozen) >= 160
    assert {r.split for r in frozen} == {"test"}
    assert {r.lang for r in frozen} == {"zh", "en"}
    assert 0.35 <= sum(r.must_block for r in frozen) / len(frozen) <= 0.45
    others = sorted(p for p in (ROOT / "data" / "screening").glob("*.jsonl") if p != FROZEN_V4)
    assert len(others) >= 6
    seen = {r.text for r in rows} | {r.text for p in others for r in read_corpus(p)}
    texts = [r.text for r in frozen]
    assert len(set(texts)) == len(texts)
    assert not seen & set(texts)


DEV_ROUND6 = ROOT / "data" / "screening" / "dev_round6.jsonl"


def test_round_six_dev_messages_meet_the_targets() -> None:
    """The hand-written dev messages of the third round (tuned on: the rules were fixed until
    these passed), so a later change that breaks them shows here."""
    rows = read_corpus(DEV_ROUND6)
    assert {r.split for r in rows} == {"dev"}
    result = evaluate(rows, "dev", with_evasion=False)
    assert result["caught_recall"] >= 0.97
    assert result["block_recall"] >= 0.95
    assert result["compliant_blocked_rate"] <= 0.02


DEV_ROUND7 = ROOT / "data" / "screening" / "dev_round7.jsonl"


def test_round_seven_dev_messages_meet_the_targets() -> None:
    """The hand-written dev batch of the fourth round (tuned on), so a later change that breaks
    its negations, reports and contact-rule statements shows here."""
    rows = read_corpus(DEV_ROUND7)
    assert {r.split for r in rows} == {"dev"}
    result = evaluate(rows, "dev", with_evasion=False)
    assert result["caught_recall"] >= 0.97
    assert result["block_recall"] >= 0.95
    assert result["compliant_blocked_rate"] <= 0.02


DEV_ROUND8 = ROOT / "data" / "screening" / "dev_round8.jsonl"


def test_round_eight_dev_messages_meet_the_targets() -> None:
    """The hand-written dev batch of the fifth round (tuned on): stopped acts, waived fees,
    promise lists, reported and refuted claims, warnings over two sentences, and their
    must-block look-alikes."""
    rows = read_corpus(DEV_ROUND8)
    assert {r.split for r in rows} == {"dev"}
    result = evaluate(rows, "dev", with_evasion=False)
    assert result["caught_recall"] >= 0.97
    assert result["block_recall"] >= 0.95
    assert result["compliant_blocked_rate"] <= 0.02


FROZEN_V5 = ROOT / "data" / "screening" / "test_frozen_v5.jsonl"
FROZEN_V5_SHA256 = "353a57b03493e235019daeefe1323e8592fd8a53c4c9947f1b66ad9f914ec01f"


def test_frozen_v5_split_is_unchanged_and_kept_out_of_tuning(rows) -> None:
    """The fifth frozen split (written before issue #15's sixth round of changes) is byte for
    byte as frozen, recorded in the docs, mostly compliant, bilingual with Chinese the larger
    part, and shares no text with any other labelled file."""
    import hashlib

    assert hashlib.sha256(FROZEN_V5.read_bytes()).hexdigest() == FROZEN_V5_SHA256
    assert FROZEN_V5_SHA256 in (ROOT / "docs" / "screening.md").read_text(encoding="utf-8")
    frozen = read_corpus(FROZEN_V5)
    assert len(frozen) >= 120
    assert {r.split for r in frozen} == {"test"}
    assert 0.55 <= sum(r.lang == "zh" for r in frozen) / len(frozen) <= 0.65
    assert 0.35 <= sum(r.must_block for r in frozen) / len(frozen) <= 0.45
    others = sorted(p for p in (ROOT / "data" / "screening").glob("*.jsonl") if p != FROZEN_V5)
    assert len(others) >= 7
    seen = {r.text for r in rows} | {r.text for p in others for r in read_corpus(p)}
    texts = [r.text for r in frozen]
    assert len(set(texts)) == len(texts)
    assert not seen & set(texts)
