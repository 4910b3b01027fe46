"""How likely a Mandarin sentence is in a claims conversation: a character n-gram model of the
assistant's own Chinese text, used to choose among the recogniser's best guesses.

    from bot.speech.language_model import domain_model
    domain_model().log_prob("我要查理赔进度")   # higher (less negative) than "我要查礼培进度"

Whisper base hears "后保险杠坏了" as "后宝显高坏了" or as the right words, and its own scores often
cannot tell which. Which one a claims customer says is what this model knows: it is trained on
the intents' examples (data/nlu/zh), the assistant's Chinese replies, the policy clauses and the
documents checklist. Witten-Bell interpolation of character trigrams, backing off to a uniform
distribution over the characters, so a word the model never saw (a street, a name) costs more,
never infinitely much. Punctuation, digits and Latin letters are left out: the model scores the
Chinese characters only, sentence by sentence.

The benchmark (benchmarks/speech_zh) trains it without the test sentences (`without`), so its
figures are for sentences the model has not seen.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from bot.language import to_simplified

ROOT = Path(__file__).resolve().parent.parent.parent
# The assistant's own Chinese text. Tests and benchmarks are never part of it.
SOURCES = ("data/nlu/zh", "bot/catalog/replies.yml", "bot/clauses/products",
           "bot/clauses/synonyms.yml", "bot/documents/checklists.yml")
ORDER = 3
# Characters the model may meet and has not seen: the common CJK characters, roughly.
VOCABULARY = 8000
_START, _END = "^", "$"
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")
_ENTITY = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def chinese(text: str) -> str:
    """The Chinese characters of `text`, in simplified form (what the model scores)."""
    return _NOT_HAN.sub("", to_simplified(text or ""))


def _phrases(text: str) -> Iterator[str]:
    """The runs of Chinese between punctuation: n-grams never cross a sentence's edge."""
    for run in re.split(r"[，。！？；：、,.!?;:\s（）()“”\"'…—\-]+", to_simplified(text)):
        run = chinese(run)
        if run:
            yield run


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def example_text(line: str) -> str:
    """One line of an NLU file's examples as the customer wrote it: no "- ", entities unmarked
    ("[中山路](place)" is "中山路")."""
    line = line.strip()
    if line.startswith("- "):
        line = line[2:].strip()
    return _ENTITY.sub(lambda m: m.group(1) or m.group(2) or "", line)


def _lines(path: Path) -> Iterator[str]:
    """Each Chinese text in a YAML file; an NLU file's examples one by one, entities unmarked."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for text in _strings(data):
        for line in text.splitlines():
            line = example_text(line)
            if chinese(line):
                yield line


def corpus(root: Path = ROOT) -> list[str]:
    """The texts the model learns from (see SOURCES)."""
    out: list[str] = []
    for source in SOURCES:
        path = root / source
        for file in sorted(path.glob("*.yml")) if path.is_dir() else [path]:
            out.extend(_lines(file))
    return out


class CharModel:
    """A character n-gram model with Witten-Bell interpolation."""

    def __init__(self, texts: Iterable[str], order: int = ORDER,
                 vocabulary: int = VOCABULARY) -> None:
        self.order = order
        self.uniform = 1.0 / vocabulary
        self.counts: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            for phrase in _phrases(text):
                padded = _START * (order - 1) + phrase + _END
                for i in range(order - 1, len(padded)):
                    for n in range(order):  # contexts of 0 .. order-1 characters
                        self.counts[padded[i - n:i]][padded[i]] += 1
        self.totals = {context: sum(c.values()) for context, c in self.counts.items()}

    def prob(self, context: str, char: str) -> float:
        p = self.uniform
        for n in range(self.order):
            if n > len(context):
                break
            history = context[len(context) - n:] if n else ""
            following = self.counts.get(history)
            if not following:
                break
            total, types = self.totals[history], len(following)
            p = (following.get(char, 0) + types * p) / (total + types)
        return p

    def log_prob(self, text: str) -> float:
        """Natural log-probability of the Chinese characters of `text`, phrase by phrase (0.0
        for text with none)."""
        score = 0.0
        for phrase in _phrases(text):
            padded = _START * (self.order - 1) + phrase + _END
            for i in range(self.order - 1, len(padded)):
                score += math.log(self.prob(padded[i - self.order + 1:i], padded[i]))
        return score


@lru_cache(maxsize=4)
def domain_model(without: frozenset[str] = frozenset()) -> CharModel:
    """The model of the assistant's Chinese text; `without`: texts left out of it (compared by
    their Chinese characters), for measuring on sentences it has not seen."""
    left_out = {chinese(text) for text in without}
    return CharModel(text for text in corpus() if chinese(text) not in left_out)
