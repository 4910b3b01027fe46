"""Offline clause retrieval: Okapi BM25 over character n-grams (Chinese) and words (English).

Chinese has no spaces, so a clause is indexed by its characters and character pairs: "免赔额"
gives 免, 赔, 额, 免赔, 赔额 (pairs that hold a particle such as 的 or 吗 are skipped). English is
indexed by lower-cased, lightly stemmed words. Both languages of a clause go into one document,
so a question matches in whichever language it is written.

Two sets of statistics, two jobs:
- ranking uses the customer's own product only, so words every clause of that product shares
  ("home" in the home wording) count for little and the distinguishing ones decide;
- the evidence score that decides "is there an answer at all" uses the whole library of
  wordings, where a question about bank cards or the weather finds little that is rare.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Dict, Iterable, List, Sequence

from bot.clauses.catalog import Clause, Product, all_clauses, topic_synonyms
from bot.language import to_simplified

# Okapi BM25's usual constants: term-frequency saturation and length normalisation.
K1 = 1.5
B = 0.75
# How many times each field counts: titles and customer wording say most about a clause.
FIELD_WEIGHTS = {"title": 2, "text": 1, "plain": 1, "keywords": 2}

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Single characters too common to say anything about a question; pairs keep them ("不赔").
_STOP_CHARS = frozenset(
    "的了吗呢啊吧呀哦嘛么我你您他她它们是在和与及或就都也这那些什怎会能要还把个一里请问为到给让"
    "对从得地着过又很太才已该再此其之以于而且并则吧哈嗯呃"
)
_STOP_WORDS = frozenset((
    "a", "an", "the", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him",
    "his", "she", "her", "it", "its", "they", "them", "their", "this", "that", "these", "those",
    "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "have",
    "has", "had", "having", "can", "could", "will", "would", "should", "shall", "may", "might",
    "must", "to", "of", "in", "on", "at", "for", "from", "by", "with", "about", "as", "and", "or",
    "but", "if", "so", "then", "than", "there", "here", "what", "when", "where", "which", "who",
    "whom", "why", "how", "any", "some", "all", "just", "also", "get", "got", "into", "out", "up",
    "down", "over", "again", "only", "own", "same", "too", "very", "s", "t", "please", "hi",
    "hello", "thanks", "thank", "policy", "insurance", "insurer", "ok", "okay", "want", "know",
    "tell", "say", "said", "one"
))
_NEGATIONS = {"won't", "don't", "doesn't", "didn't", "isn't", "aren't", "can't", "wasn't",
              "weren't", "haven't", "hasn't", "shouldn't", "wouldn't"}


def _stem(word: str) -> str:
    """A light suffix stripper for plurals and -ing/-ed forms ('bikes' -> 'bike', 'waiting' ->
    'wait'); irregular forms ('stolen', 'broke') are left to the synonym lists."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    """Full-width forms to half-width, traditional to simplified, lower case."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def tokens(text: str) -> List[str]:
    """Index terms of `text`: Chinese characters and character pairs, English word stems."""
    text = normalise(text)
    found: List[str] = []
    for run in _CJK_RUN.findall(text):
        found.extend(ch for ch in run if ch not in _STOP_CHARS)
        found.extend(
            run[i:i + 2] for i in range(len(run) - 1)
            if run[i] not in _STOP_CHARS and run[i + 1] not in _STOP_CHARS
        )
    for word in _WORD.findall(text):
        if word in _NEGATIONS:
            found.append("not")
        elif word not in _STOP_WORDS:
            found.append(_stem(word))
    return found


def _clause_terms(clause: Clause) -> List[str]:
    synonyms = topic_synonyms().get(clause.topic, {})
    fields = {
        "title": [clause.title_zh, clause.title_en],
        "text": [clause.text_zh, clause.text_en],
        "plain": [clause.plain_zh, clause.plain_en],
        "keywords": [
            *clause.keywords_zh, *clause.keywords_en,
            *synonyms.get("zh", ()), *synonyms.get("en", ()),
        ],
    }
    terms: List[str] = []
    for field, texts in fields.items():
        field_terms = [term for text in texts for term in tokens(text)]
        terms.extend(field_terms * FIELD_WEIGHTS[field])
    return terms


@dataclass(frozen=True)
class Hit:
    clause: Clause
    rank_score: float  # BM25 against the product's own clauses: orders the candidates
    score: float  # BM25 against the whole library: the evidence that this clause answers


class ClauseIndex:
    """BM25 statistics over a set of clauses."""

    def __init__(self, clauses: Sequence[Clause]) -> None:
        self.clauses = tuple(clauses)
        self._tf: Dict[str, Counter] = {}
        self._length: Dict[str, int] = {}
        document_frequency: Counter = Counter()
        for clause in self.clauses:
            terms = _clause_terms(clause)
            self._tf[clause.id] = Counter(terms)
            self._length[clause.id] = len(terms)
            document_frequency.update(set(terms))
        count = len(self.clauses)
        self._avg_length = sum(self._length.values()) / max(count, 1)
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }

    def idf(self, term: str) -> float:
        return self._idf.get(term, 0.0)

    def score(self, query_terms: Iterable[str], clause: Clause) -> float:
        """Okapi BM25 of the unique query terms against `clause` (one of this index's)."""
        tf, length = self._tf[clause.id], self._length[clause.id]
        norm = K1 * (1 - B + B * length / self._avg_length)
        total = 0.0
        for term in set(query_terms):
            freq = tf.get(term, 0)
            if freq:
                total += self.idf(term) * freq * (K1 + 1) / (freq + norm)
        return total


@lru_cache(maxsize=1)
def library_index() -> ClauseIndex:
    """Statistics over every clause of every product."""
    return ClauseIndex(all_clauses())


@cache
def product_index(product: Product) -> ClauseIndex:
    """Statistics over one product's clauses."""
    return ClauseIndex(product.clauses)


def rank(question: str, product: Product) -> List[Hit]:
    """The product's clauses that share a term with `question`, best first."""
    query = tokens(question)
    local, library = product_index(product), library_index()
    hits = [
        Hit(clause, local.score(query, clause), library.score(query, clause))
        for clause in product.clauses
    ]
    hits = [hit for hit in hits if hit.rank_score > 0]
    return sorted(hits, key=lambda hit: (-hit.rank_score, -hit.score, hit.clause.number))
