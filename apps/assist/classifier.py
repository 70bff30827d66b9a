"""The suggested category: a linear classifier (logistic regression) over character n-grams and
the assistant's terms, trained on the portal's own resolved requests — their category as the
officers left it, which is what the routing rules then act on. Retrained by `manage.py
train_assist` and nightly by beat; the newest model is used, and a suggestion below the
threshold is not shown. scikit-learn is imported only when a model is trained or first used,
so that a worker which never suggests a category never pays for it.
"""

from __future__ import annotations

import io
import pickle
import threading
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from apps.casework.models import ServiceRequest, State

from .models import CategoryModel
from .text import CJK_CHAR, normalise, terms_of

# Chosen on bench/assist/eval-set.json (bench/ASSIST.md): above it, the suggestion is right
# far more often than not.
THRESHOLD = 0.45
TRAIN_LIMIT = 20_000
MINIMUM = 20
KEEP = 3
_NEWEST_KEY = "assist:category-model"


def features(text: str) -> list[str]:
    """Character 1–3-grams of the text (they need no dictionary and serve both languages), and
    its terms (words, stems and glossary concepts: the concepts carry across languages)."""
    text = normalise(text)
    grams = [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]
    # A single Chinese character means something (试, 械); a single letter or sign does not.
    return [g for g in grams if not g.isspace() and (len(g) > 1 or CJK_CHAR.match(g))] + [
        "w:" + t for t in terms_of(text)
    ]


def _training_rows(limit: int) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(state__in=(State.RESOLVED, State.CLOSED)).order_by("-pk")[:limit]


def fit(texts: list[str], labels: list[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=1, max_features=200_000)
    return make_pipeline(vectorizer, LogisticRegression(max_iter=2000, C=10.0)).fit(texts, labels)


@dataclass
class Trained:
    samples: int
    accuracy: float
    baseline: float


def evaluate(texts: list[str], labels: list[str]) -> Trained:
    """Accuracy on a fifth held out (stratified where every category has two), beside always
    guessing the training part's most common category."""
    from collections import Counter

    from sklearn.model_selection import train_test_split

    counts = Counter(labels)
    stratify = labels if min(counts.values()) >= 2 else None
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.2, random_state=7, stratify=stratify
    )
    model = fit(train_x, train_y)
    accuracy = float((model.predict(test_x) == test_y).mean()) if test_y else 0.0
    majority = Counter(train_y).most_common(1)[0][0]
    baseline = sum(1 for y in test_y if y == majority) / max(len(test_y), 1)
    return Trained(len(texts), accuracy, baseline)


def train(*, limit: int = TRAIN_LIMIT) -> CategoryModel | None:
    """Train on the newest resolved requests; None when there are too few to learn from."""
    rows = list(_training_rows(limit).values_list("title", "description", "category"))
    if len(rows) < MINIMUM or len({r[2] for r in rows}) < 2:
        return None
    texts = [f"{title}\n{description}" for title, description, _ in rows]
    labels = [category for _, _, category in rows]
    measured = evaluate(texts, labels)
    buffer = io.BytesIO()
    pickle.dump(fit(texts, labels), buffer, protocol=pickle.HIGHEST_PROTOCOL)
    model = CategoryModel.objects.create(
        samples=measured.samples,
        accuracy=measured.accuracy,
        baseline=measured.baseline,
        blob=buffer.getvalue(),
    )
    # The last few stay for comparison in the admin; the rest are megabytes nobody reads.
    kept = CategoryModel.objects.values_list("pk", flat=True)[:KEEP]
    CategoryModel.objects.exclude(pk__in=list(kept)).delete()
    cache.delete(_NEWEST_KEY)
    return model


_loaded_lock = threading.Lock()
_loaded: tuple[tuple[int, str], Any] | None = None


def _model() -> Any | None:
    """The newest model, unpickled once per process (and again when a newer one is trained:
    each process learns of it within a minute, through the cache)."""
    global _loaded
    newest = cache.get(_NEWEST_KEY)
    if newest is None:
        row = CategoryModel.objects.values_list("pk", "trained_at").first()
        # The time too: a database restored from a backup may number a new model like an old one.
        newest = (row[0], row[1].isoformat()) if row else (0, "")
        cache.set(_NEWEST_KEY, newest, 60)
    newest = tuple(newest)
    if not newest[0]:
        return None
    with _loaded_lock:
        if _loaded is None or _loaded[0] != newest:
            blob = CategoryModel.objects.filter(pk=newest[0]).values_list("blob", flat=True).first()
            if blob is None:
                return None
            # Only ever the portal's own model, pickled by train() into its own database.
            _loaded = (newest, pickle.loads(bytes(blob)))  # noqa: S301
        return _loaded[1]


def ranked(model: Any, text: str) -> list[tuple[str, float]]:
    probabilities = model.predict_proba([text])[0]
    return sorted(zip(model.classes_, map(float, probabilities), strict=True), key=lambda p: -p[1])


def suggest(title: str, description: str) -> tuple[str, float] | None:
    """The likeliest category and its probability, when it reaches the threshold."""
    text = f"{title}\n{description}".strip()
    model = _model()
    if model is None or not text:
        return None
    value, confidence = ranked(model, text)[0]
    return (str(value), round(confidence, 3)) if confidence >= THRESHOLD else None
