"""Fitting the screening classifier on the train split and its thresholds on the dev split.

The test split is never read here. scikit-learn is imported only when training runs.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import numpy as np

from faircollect.screening.classifier import Classifier, feature_text, ngrams, scale
from faircollect.screening.corpus import Row, split_hash
from faircollect.screening.engine import screen
from faircollect.screening.lexicon import Lexicon, default_lexicon
from faircollect.screening.model import NEW_TEXT_CATEGORIES, TEXT_CATEGORIES, Verdict
from faircollect.screening.normalize import build_views

#: Compliant dev messages the classifier alone may block (its share of the 2 % budget).
DEV_BLOCK_BUDGET = 0.005
DEV_REVIEW_BUDGET = 0.03
MIN_DF = 2
C = 10.0


def _texts(rows: list[Row]) -> list[str]:
    out = []
    for r in rows:
        views = build_views(r.text)
        out.append(feature_text(views, views.lang))
    return out


def train(rows: list[Row], *, trained_at: datetime, author: str) -> Classifier:
    """Fit on the train split (text categories and compliant rows), set thresholds on dev."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    text_labels = {"compliant", *(c.value for c in (*TEXT_CATEGORIES, *NEW_TEXT_CATEGORIES))}
    # Text categories only: a row whose label depends on its context (a contact's role, the
    # Regulation F disclosure, an amount) teaches the text nothing.
    train_rows = [r for r in rows if r.split == "train" and r.label in text_labels]
    grams = [ngrams(t) for t in _texts(train_rows)]
    df: dict[str, int] = {}
    for gs in grams:
        for g in gs:
            df[g] = df.get(g, 0) + 1
    vocab = {g: i for i, g in enumerate(sorted(g for g, n in df.items() if n >= MIN_DF))}
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for gs in grams:
        present = sorted(vocab[g] for g in gs if g in vocab)
        indices.extend(present)
        values.extend([scale(len(present))] * len(present))
        indptr.append(len(indices))
    x = csr_matrix(
        (np.asarray(values), np.asarray(indices), np.asarray(indptr)),
        shape=(len(train_rows), len(vocab)),
    )
    y = [r.label for r in train_rows]
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    model.fit(x, y)
    classes = tuple(str(c) for c in model.classes_)
    meta: dict[str, Any] = {
        "train_sha256": split_hash(rows, ("train",)),
        "dev_sha256": split_hash(rows, ("dev",)),
        "train_rows": len(train_rows),
        "vocabulary": len(vocab),
        "features": "char 1-4 grams (zh compact view); char 3-5 grams, words and word pairs (en word view); binary, scaled by 1/sqrt(n)",
        "model": f"LogisticRegression(C={C}, class_weight=balanced), min_df={MIN_DF}",
        "author": author,
        "trained_at": trained_at.isoformat(),
    }
    meta["version"] = (
        "lr-"
        + hashlib.sha256((meta["train_sha256"] + meta["dev_sha256"]).encode()).hexdigest()[:12]
    )
    draft = Classifier(
        classes, vocab, np.asarray(model.coef_), np.asarray(model.intercept_), 1.0, 1.0, meta
    )
    block_t, review_t = _thresholds(draft, [r for r in rows if r.split == "dev"])
    meta["dev_block_threshold"] = block_t
    return Classifier(classes, vocab, draft.weights, draft.intercept, block_t, review_t, meta)


def _thresholds(
    clf: Classifier, dev: list[Row], lexicon: Lexicon | None = None
) -> tuple[float, float]:
    """The lowest thresholds whose share of compliant dev messages blocked (or sent to review)
    by the classifier alone stays within budget."""
    lex = lexicon or default_lexicon()
    silent = Classifier(("compliant",), {}, np.zeros((1, 0)), np.zeros(1), 2.0, 2.0, {})
    scores = []
    for r in dev:
        if r.label != "compliant":
            continue
        rules_only = screen(r.text, context=r.screening_context(), lexicon=lex, classifier=silent)
        if rules_only.verdict is Verdict.BLOCK:
            continue  # already blocked by the rules: the classifier is not what blocked it
        views = build_views(r.text)
        scores.append(clf.predict(views, views.lang)[1])
    scores.sort(reverse=True)
    n = max(len(scores), 1)

    def at(budget: float) -> float:
        k = int(budget * n)
        if k >= len(scores):
            return 0.5
        return float(max(0.5, scores[k] + 1e-6))

    block = min(0.99, max(at(DEV_BLOCK_BUDGET), 0.7))
    review = min(block, at(DEV_REVIEW_BUDGET))
    return round(block, 6), round(review, 6)
