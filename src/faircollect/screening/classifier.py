"""The learned layer: a linear model on character n-grams that catches paraphrases the lexicon
has no term for. Features are one pure function shared by training and screening; the trained
weights ship as an artefact (screening/data/classifier.npz) with the hash of the corpus split it
was trained on, so a changed corpus without retraining fails the tests."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from itertools import pairwise
from operator import itemgetter
from typing import Any

import ahocorasick
import numpy as np

from faircollect.screening.normalize import Views


class ClassifierError(ValueError):
    """A classifier artefact that is missing, damaged or of an unknown shape."""


def feature_text(views: Views, lang: str) -> str:
    """What the n-grams are taken from: folded Chinese without symbols, or English words."""
    if lang == "zh":
        return views.compact.text
    return views.english.text


_ZH_SIZES = (1, 2, 3, 4)
_EN_SIZES = (3, 4, 5)
_SECOND = itemgetter(1)


def ngrams(text: str) -> set[str]:
    """Character 1- to 4-grams of the Chinese view; for English (the word view, which starts
    with a space) 3- to 5-grams and whole words, since single letters say nothing."""
    n = len(text)
    english = text.startswith(" ")
    sizes = _EN_SIZES if english else _ZH_SIZES
    # One comprehension over every size: far fewer bytecodes per gram than set.add in a loop.
    out = {text[i : i + size] for size in sizes for i in range(n - size + 1)}
    if english:
        words = text.split()
        out.update(["w:" + w for w in words])
        out.update([f"w:{a}_{b}" for a, b in pairwise(words)])
    return out


def scale(count: int) -> float:
    """Each present feature weighs 1/sqrt(count), so long texts do not score high by length."""
    return 1.0 / float(np.sqrt(count)) if count else 0.0


@dataclass(frozen=True)
class Classifier:
    """Weights (classes × vocabulary), intercepts, thresholds and the metadata of the training."""

    classes: tuple[str, ...]
    vocab: dict[str, int]
    weights: Any  # np.ndarray (n_classes, n_features), float32
    intercept: Any  # np.ndarray (n_classes,)
    block_threshold: float
    review_threshold: float
    meta: dict[str, Any]

    @cached_property
    def columns(self) -> Any:
        """The weights one feature per row (vocabulary × classes), contiguous for fast sums."""
        return np.ascontiguousarray(self.weights.T)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "untrained"))

    @cached_property
    def _compliant(self) -> int:
        return self.classes.index("compliant")

    @cached_property
    def _automata(self) -> tuple[Any, Any]:
        """The vocabulary's character grams in two automata, Chinese (1-4) and English (3-5):
        one scan of a text finds every known gram in C, where slicing out every gram and
        looking each up costs a Python step per gram. The grams found are exactly the known
        members of ``ngrams`` (a test checks it)."""
        automata = []
        for sizes in (_ZH_SIZES, _EN_SIZES):
            auto = ahocorasick.Automaton()
            for gram, i in self.vocab.items():
                if len(gram) in sizes and not gram.startswith("w:"):
                    auto.add_word(gram, i)
            if len(auto):
                auto.make_automaton()
            automata.append(auto)
        return automata[0], automata[1]

    def features(self, text: str) -> list[int]:
        """The vocabulary indices of the features of ``text`` (a ``feature_text``)."""
        zh, en = self._automata
        english = text.startswith(" ")
        auto = en if english else zh
        # map/itemgetter keeps the per-match step in C (a set comprehension is a Python step).
        found = set(map(_SECOND, auto.iter(text))) if len(auto) else set()
        if english:
            get = self.vocab.get
            words = text.split()
            grams = ["w:" + w for w in words]
            grams.extend([f"w:{a}_{b}" for a, b in pairwise(words)])
            found.update(i for i in map(get, grams) if i is not None)
        return list(found)

    def predict(self, views: Views, lang: str) -> tuple[str, float]:
        """The most likely non-compliant class and its probability."""
        idx = self.features(feature_text(views, lang))
        if idx:
            # take() gathers the rows without fancy indexing's overhead (a third faster here).
            summed = self.columns.take(idx, axis=0).sum(axis=0) * scale(len(idx))
            scores = (self.intercept + summed).tolist()
        else:
            scores = self.intercept.tolist()
        # A dozen classes: the softmax in plain floats costs less than numpy's per-call overhead.
        top = max(scores)
        exps = [math.exp(x - top) for x in scores]
        ci = self._compliant
        others = [k for k in range(len(scores)) if k != ci]
        if not others:
            return "compliant", 0.0  # a model with no other class never flags anything
        best = max(others, key=scores.__getitem__)
        return self.classes[best], 1.0 - exps[ci] / sum(exps)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        header = {
            "classes": list(self.classes),
            "vocab": sorted(self.vocab, key=self.vocab.__getitem__),
            "block_threshold": self.block_threshold,
            "review_threshold": self.review_threshold,
            "meta": self.meta,
        }
        np.savez_compressed(
            buf,
            header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), dtype=np.uint8),
            weights=self.weights.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
        )
        return buf.getvalue()


def load_classifier(data: bytes, where: str) -> Classifier:
    """Read an artefact written by ``Classifier.to_bytes``; errors name the file."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = json.loads(bytes(z["header"]).decode())
            weights = np.asarray(z["weights"], dtype=np.float64)
            intercept = np.asarray(z["intercept"], dtype=np.float64)
        vocab = {g: i for i, g in enumerate(header["vocab"])}
        classes = tuple(header["classes"])
    except Exception as exc:  # any damage to the file is the same error to the caller
        raise ClassifierError(f"{where}: not a screening classifier ({exc})") from exc
    if weights.shape != (len(classes), len(vocab)) or intercept.shape != (len(classes),):
        raise ClassifierError(f"{where}: weights do not match classes and vocabulary")
    if "compliant" not in classes:
        raise ClassifierError(f"{where}: no 'compliant' class")
    return Classifier(
        classes,
        vocab,
        weights,
        intercept,
        float(header["block_threshold"]),
        float(header["review_threshold"]),
        dict(header["meta"]),
    )


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The shipped classifier artefact."""
    path = resources.files("faircollect.screening").joinpath("data/classifier.npz")
    return load_classifier(path.read_bytes(), "classifier.npz")
