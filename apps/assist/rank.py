"""BM25 over a few hundred candidates, in Python.

The score each suggestion shows is the BM25 score over the most the text could score (each of
its terms that some document holds, weighed by rarity), capped at 1, so 0.4 reads "four tenths
of what this question says is in there" whatever the question's length; suggestions below a
threshold are not shown.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .text import CJK_CHAR

K1 = 1.2
B = 0.75
# A glossary concept stands in for words in another language: it counts, a little less than
# the person's own word would.
CONCEPT_WEIGHT = 0.8


@dataclass(frozen=True)
class Scored:
    key: int
    score: float
    matched: tuple[str, ...]


def idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


# A document measured against what its languages could hold is measured against at least this
# share of the whole question (chosen on bench/assist/eval-set.json; bench/ASSIST.md).
CROSS_FLOOR = 0.3


def script(term: str) -> str:
    """c: a glossary concept; z: a Chinese word; e: an English stem (or a number)."""
    if term.startswith("qc"):
        return "c"
    return "z" if CJK_CHAR.search(term) else "e"


def _weight(term: str) -> float:
    return CONCEPT_WEIGHT if term.startswith("qc") else 1.0


def bm25(
    query: Sequence[str],
    documents: Mapping[int, Sequence[str]],
    frequencies: Mapping[str, int],
    n: int,
    *,
    translated: frozenset[str] = frozenset(),
) -> list[Scored]:
    """The documents that hold any query term, best first.

    Each document is scored twice, on the question's own terms and with the dictionary's
    translations of its Chinese words (`translated`) added, and keeps the better: translations
    open an English-only document to a Chinese question without drowning, in noise, the
    Chinese document that says the same in the question's own words."""
    unique = [t for t in dict.fromkeys(query) if not t.startswith("qs")]
    if not unique or not documents:
        return []
    # A term no document holds can match nothing: it is no part of what a document could score.
    weights = {t: idf(frequencies[t], n) * _weight(t) for t in unique if frequencies.get(t, 0) > 0}
    own = {t: w for t, w in weights.items() if t not in translated}
    # The languages the question is written in, whether or not any document holds its words.
    own_scripts = {script(t) for t in unique if t not in translated} - {"c"}
    average = sum(len(d) for d in documents.values()) / len(documents) or 1.0
    results = []
    for key, terms in documents.items():
        counts = Counter(terms)
        scripts = {script(t) for t in counts}
        norm = K1 * (1 - B + B * len(terms) / average)
        gains = {}
        for term, weight in weights.items():
            tf = counts.get(term, 0)
            if tf:
                gains[term] = weight * tf * (K1 + 1) / (tf + norm)
        if not gains:
            continue
        # On its own terms, a document is measured against all the question says; with the
        # translations, against what it could hold in its languages.
        passes = [(own, sum(own.values()))] if own else []
        if own_scripts - scripts or not own:
            passes.append((weights, _reachable(weights, scripts)))
        best = max(
            ((sum(gains.get(t, 0.0) for t in part) / (most or 1.0), part) for part, most in passes),
            key=lambda scored: scored[0],
        )
        matched = tuple(t for t in best[1] if t in gains)
        if matched:
            results.append(Scored(key, min(best[0], 1.0), matched))
    results.sort(key=lambda s: -s.score)
    return results


def _reachable(weights: Mapping[str, float], scripts: set[str]) -> float:
    """What a document could score at best on these terms: a Chinese word of the question
    cannot be in an English-only document, which meets it through the glossary's concepts and
    the dictionary's translations alone (but never less than a share of the whole, so that one
    concept in common does not make a match)."""
    reachable = sum(w for t, w in weights.items() if script(t) == "c" or script(t) in scripts)
    return max(reachable, CROSS_FLOOR * sum(weights.values()))
