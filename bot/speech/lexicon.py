"""The claims vocabulary for the recogniser: the words Whisper is nudged towards, and the
correction of near-homophones ("礼培" → "理赔") by pinyin after it has spoken.

    from bot.speech.lexicon import prompt, correct, key_request
    prompt("zh")                 # the initial prompt: a sentence and the domain's words (hotwords)
    fixed = correct("我的礼培进度")  # Correction(text="我的理赔进度", changes=(("礼培", "理赔"),))
    key_request("转人工客服")       # "转人工": one of the requests that must never be missed

The words come from where the assistant already keeps them: the checklist items
(bot/documents/checklists.yml), the clause topics' customer wording and keywords and the product
names (bot/clauses), the lines' names (bot/catalog), and the short phrases of the intents
(data/nlu/zh). A correction is made only when the evidence is clear (see `correct`); the raw
text stays on the Transcript.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from bot.language import EN

ROOT = Path(__file__).resolve().parent.parent.parent
NLU_ZH = ROOT / "data" / "nlu" / "zh"

# The requests a caller must never have to repeat, and the intent each one is.
KEY_REQUESTS = {"转人工": "request_human", "报案": "report_claim", "查进度": "check_status",
                "投诉": "complain", "不对": "deny", "算了": "cancel"}
# Words of the claims domain that every caller uses and general Mandarin rarely does: the ones
# Whisper base gets wrong most ("理赔" as "礼培", "免赔额" as "面牌额").
CORE_TERMS = ("理赔", "免赔额", "拒赔", "保险杠", "保单号", "赔款", "保险公司", "人工客服",
              "理赔进度", "等待期", "追尾", "定损", "报销", "住院", "发票", "身份证", "银行卡",
              "驾驶证", "行驶证", "出险", "赔付", "保额", "条款", "交警", "事故认定书", "病历",
              "出院小结", "核赔")
# The intents whose short phrases the prompt and the corrections know.
PHRASE_INTENTS = ("report_claim", "ask_documents", "check_status", "ask_clause", "complain",
                  "dispute_decision", "request_human", "cancel", "deny", "affirm")

# The intents of a one- to four-character answer to the assistant's questions.
ANSWER_INTENTS = ("affirm", "deny", "cancel", "request_human", "thank", "goodbye", "greet",
                  "check_status", "report_claim", "complain")
SHORT_ANSWER_MAX = 4

_ZH_SENTENCE = "以下是普通话的句子，关于保险理赔。"
_EN_SENTENCE = "An insurance claims call."
_EN_WORDS = ("claim", "deductible", "policy number", "agent", "report", "status", "complaint",
             "bumper", "invoice", "hospital")
# The prompt is read before every clip: long enough to carry the domain, short enough that the
# decoder neither slows down nor starts to recite it.
PROMPT_MAX_CHARS = 110

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")


def _han(word: str) -> bool:
    return bool(_HAN.match(word))


def _checklist_names() -> list[str]:
    from bot.documents.checklist import catalogue

    names = []
    for item in catalogue().values():
        name = re.sub(r"[(（].*?[)）]", "", item.name("zh") if hasattr(item, "name")
                      else item.zh).strip()
        names.extend(part for part in re.split(r"[/、,，或和]", name) if part)
    return names


def _clause_words() -> list[str]:
    from bot.clauses.catalog import products, topic_synonyms

    words: list[str] = []
    for by_lang in topic_synonyms().values():
        words.extend(by_lang.get("zh", ()))
    for product in products().values():
        words.append(product.name_zh.removesuffix("条款"))
        words.append(_line_name(product.line_of_business))
        for clause in product.clauses:
            words.append(clause.title_zh)
            words.extend(clause.keywords_zh)
    return words


def _line_name(line: str) -> str:
    """What customers call a line of business ("车险", "医疗险"): bot/catalog's names."""
    from bot.replies import say

    try:
        return say(f"line.{line}", "zh")
    except KeyError:
        return ""


def _intent_phrases(intents: Iterable[str] = PHRASE_INTENTS, shortest: int = 2,
                    longest: int = 6) -> list[str]:
    """The short examples (`shortest` to `longest` characters) of `intents`."""
    import yaml

    from bot.speech.language_model import example_text

    phrases: list[str] = []
    for path in sorted(NLU_ZH.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or ():
            if block.get("intent") not in intents:
                continue
            for line in str(block.get("examples") or "").splitlines():
                text = example_text(line)
                if shortest <= len(text) <= longest:
                    phrases.append(text)
    return phrases


@lru_cache(maxsize=1)
def _short_answers() -> frozenset[str]:
    from bot.language import to_simplified

    return frozenset(to_simplified(text) for text in _intent_phrases(
        ANSWER_INTENTS, shortest=1, longest=SHORT_ANSWER_MAX) if _han(to_simplified(text)))


def short_answer(text: str) -> str | None:
    """`text` when, punctuation aside, it is one of the short answers the assistant's intents
    know ("好的", "没有", "不用了", "谢谢"); None otherwise."""
    from bot.language import to_simplified

    bare = re.sub(r"[^\u4e00-\u9fff]", "", to_simplified(text or ""))
    return bare if bare in _short_answers() else None


@lru_cache(maxsize=1)
def domain_terms() -> tuple[str, ...]:
    """Every Chinese domain word, 2 to 10 characters, most important first, each once."""
    seen: dict[str, None] = {}
    for word in (*KEY_REQUESTS, *CORE_TERMS, *_checklist_names(), *_clause_words(),
                 *_intent_phrases()):
        word = word.strip()
        if _han(word) and 2 <= len(word) <= 10:
            seen.setdefault(word, None)
    return tuple(seen)


@lru_cache(maxsize=8)
def prompt(lang: str | None, short: bool = False) -> str:
    """Whisper's initial prompt for `lang`: a sentence saying what is spoken, then the domain's
    words (hotwords) up to PROMPT_MAX_CHARS. `short`: the key requests and "理赔" only, for a
    clip of a word or two, where a long list of words tempts the decoder to pick one of them
    ("确认" heard as "驾驶证") instead of admitting it did not catch it."""
    if lang == EN:
        return f"{_EN_SENTENCE} {', '.join(_EN_WORDS)}."
    words: list[str] = []
    length = len(_ZH_SENTENCE) + 4
    for word in (*KEY_REQUESTS, "理赔") if short else (*KEY_REQUESTS, *CORE_TERMS,
                                                      *_checklist_names()):
        if word in words or not _han(word) or length + len(word) + 1 > PROMPT_MAX_CHARS:
            continue
        words.append(word)
        length += len(word) + 1
    return f"{_ZH_SENTENCE}常用词：{'、'.join(words)}。"


def echoes_prompt(text: str, lang: str | None) -> bool:
    """Whether `text` recites the prompt (a decoder with little audio to go on may): six
    characters of its sentence, its label ("词：转人工", from "常用词：转人工、…", was heard in a
    Japanese voice note), or a list ("、") of two or more of its words."""
    if not text:
        return False
    if lang == EN:
        return _EN_SENTENCE[:-1].lower() in text.lower() or ", ".join(_EN_WORDS[:3]) in text
    sentence = _ZH_SENTENCE
    if text.startswith(sentence[:3]) or any(sentence[i:i + 6] in text
                                            for i in range(len(sentence) - 5)):
        return True
    if re.search(r"常用词|(?:^|[^\w])词[：:]", text):
        return True
    words = set(re.split(r"[、，,：:。]", prompt(lang)))
    pieces = [re.sub(r"[^\u4e00-\u9fff]", "", piece) for piece in text.split("、")]
    return len(pieces) > 2 and sum(piece in words for piece in pieces) >= 2


# --- correction by pinyin ------------------------------------------------------------------

_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q",
             "x", "r", "z", "c", "s", "y", "w")
# Sounds that Whisper (and Mandarin speakers from many regions) swap: half a syllable apart.
_NEAR_INITIALS = [{"z", "zh"}, {"c", "ch"}, {"s", "sh"}, {"l", "n"}, {"f", "h"}]
_NEAR_FINALS = [{"an", "ang"}, {"en", "eng"}, {"in", "ing"}, {"ian", "iang"}, {"uan", "uang"},
                {"ai", "ei"}]
# Words in jieba's dictionary at least this frequent are real words: never "corrected" into a
# domain word that merely sounds like them ("保安" is not "报案", "部队" is not "不对").
COMMON_WORD_FREQ = 50


def _split(syllable: str) -> tuple[str, str]:
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return initial, syllable[len(initial):]
    return "", syllable


def _near(a: str, b: str, pairs: list[set[str]]) -> bool:
    return any(a in pair and b in pair for pair in pairs)


@lru_cache(maxsize=65536)
def syllable_distance(a: str, b: str) -> float:
    """0 for the same syllable (tones ignored), 0.5 for a near one (zh/z, an/ang...), else 1."""
    if a == b:
        return 0.0
    (ia, fa), (ib, fb) = _split(a), _split(b)
    distance = 0.0
    for x, y, pairs in ((ia, ib, _NEAR_INITIALS), (fa, fb, _NEAR_FINALS)):
        if x != y:
            distance += 0.5 if _near(x, y, pairs) else 1.0
    return min(distance, 1.0)


@lru_cache(maxsize=4096)
def _readings(char: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    return tuple(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


@lru_cache(maxsize=4096)
def _term_pinyin(term: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(term, style=Style.NORMAL))


def pinyin_distance(heard: str, term: str) -> float:
    """Syllable by syllable, how far `heard` sounds from `term` (same length; each character
    of `heard` at its nearest reading)."""
    return sum(min(syllable_distance(reading, syllable) for reading in _readings(char))
               for char, syllable in zip(heard, _term_pinyin(term), strict=True))


def _allowed(length: int) -> float:
    # Two characters must sound the same; three may differ by half a syllable; longer by one.
    return 0.0 if length <= 2 else 0.5 if length == 3 else 1.0


@lru_cache(maxsize=1)
def _word_freq() -> dict[str, int]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt.FREQ


def _is_common_word(word: str) -> bool:
    return _word_freq().get(word, 0) >= COMMON_WORD_FREQ


@dataclass(frozen=True)
class Correction:
    text: str
    changes: tuple[tuple[str, str], ...] = ()  # (heard, corrected), in order


@lru_cache(maxsize=1)
def _terms_by_length() -> dict[int, tuple[str, ...]]:
    """The words corrections map to. Two-character ones only from the curated lists (key
    requests, core terms, checklist items): the long tail's short words ("碎了", "等待") are too
    ordinary to be clear evidence."""
    curated = {*KEY_REQUESTS, *CORE_TERMS, *_checklist_names()}
    return _group(term for term in domain_terms() if len(term) > 2 or term in curated)


def _common_words_in_the_way(text: str, start: int, end: int, term: str) -> bool:
    """Whether a common word of `text` (jieba's segmentation) crosses the edge of start:end, or
    lies inside it and would be changed ("我要保安" is not "我要报案": "保安" is a word)."""
    import jieba

    position = 0
    for word in jieba.cut(text, HMM=False):
        word_end = position + len(word)
        if len(word) > 1 and _is_common_word(word):
            if position < start < word_end or position < end < word_end:
                return True
            if start <= position and word_end <= end and \
                    term[position - start:word_end - start] != word:
                return True
        position = word_end
    return False


def correct(text: str, terms: Iterable[str] | None = None) -> Correction:
    """`text` with the near-homophones of domain words replaced by those words, when the
    evidence is clear: every syllable the same or near (within `_allowed`), exactly one domain
    word that close, the heard characters not a common word themselves and not part of one.
    Otherwise the text is left as it is."""
    if not text:
        return Correction(text)
    by_length = _terms_by_length() if terms is None else _group(terms)
    chars = list(text)
    # Domain words already there are kept: a correction may only cover one whole and unchanged
    # ("寨人工客服" → "转人工客服" keeps "人工客服").
    exact: list[tuple[int, int]] = []
    for length in by_length:
        for start in range(len(chars) - length + 1):
            if "".join(chars[start:start + length]) in by_length[length]:
                exact.append((start, start + length))
    taken = [False] * len(chars)
    readings = [_readings(ch) if _han(ch) else () for ch in chars]
    candidates: list[tuple[float, int, int, str]] = []
    for length in sorted(by_length, reverse=True):
        limit = _allowed(length)
        spelled = _spelled(by_length[length])
        for start in range(len(chars) - length + 1):
            window = readings[start:start + length]
            if not all(window):
                continue
            end = start + length
            kept = [(a, b) for a, b in exact if a < end and b > start]
            if any(a < start or b > end for a, b in kept):
                continue  # it would cut a domain word that is already there
            close = sorted(_close(window, spelled, limit))
            close = [(d, term) for d, term in close
                     if term != text[start:end]
                     and all(term[a - start:b - start] == text[a:b] for a, b in kept)]
            if not close:
                continue
            if len(close) > 1 and close[1][0] == close[0][0]:
                continue  # two domain words sound as close: not clear which was said
            candidates.append((close[0][0], -length, start, close[0][1]))
    changes: list[tuple[int, str, str]] = []
    for _distance, negative_length, start, term in sorted(candidates):
        end = start - negative_length
        if any(taken[start:end]):
            continue
        heard = text[start:end]
        if _is_common_word(heard) or _common_words_in_the_way(text, start, end, term):
            continue
        taken[start:end] = [True] * (end - start)
        changes.append((start, heard, term))
    if not changes:
        return Correction(text)
    changes.sort()
    out, position = [], 0
    for start, heard, term in changes:
        out.append(text[position:start])
        out.append(term)
        position = start + len(heard)
    out.append(text[position:])
    return Correction("".join(out), tuple((heard, term) for _, heard, term in changes))


def _spelled(terms: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((term, _term_pinyin(term)) for term in terms)


def _close(window: list[tuple[str, ...]], spelled, limit: float):
    """(distance, term) for each term within `limit` of the heard characters' readings."""
    for term, syllables in spelled:
        total = 0.0
        for heard, syllable in zip(window, syllables, strict=True):
            total += min(syllable_distance(reading, syllable) for reading in heard)
            if total > limit:
                break
        else:
            yield total, term


def _group(terms: Iterable[str]) -> dict[int, tuple[str, ...]]:
    by_length: dict[int, list[str]] = {}
    for term in terms:
        by_length.setdefault(len(term), []).append(term)
    return {n: tuple(t) for n, t in by_length.items()}


_FILLERS = re.compile(r"[我要想请帮麻烦你们给吧呢啊呀嗯那就个一下的]")


def key_request(text: str) -> str | None:
    """The key request (`KEY_REQUESTS`) `text` is, when it is little more than that request
    ("转人工客服", "我要投诉", "算了吧"); None otherwise."""
    bare = _bare(text or "")
    for phrase in KEY_REQUESTS:
        if phrase in bare and len(_beyond_fillers(bare.replace(phrase, "", 1))) <= 1:
            return phrase
    return None


def _bare(text: str) -> str:
    """The Chinese characters of `text`, nothing else."""
    return re.sub(r"[^\u4e00-\u9fff]", "", text)


def _beyond_fillers(text: str) -> str:
    """What is left of `text` (bare) around a key request once its fillers are taken away."""
    return _FILLERS.sub("", text).replace("客服", "")


# Near misses that are the same request in other words: left as said.
_SAID_ANOTHER_WAY = frozenset({"找人工", "真人工"})


# On a phone line (300-3,400 Hz) the noise of a consonant that tells zh from z from j, or r from
# y, is mostly above the band: Whisper hears 转人工 (zhuan ren gong) as 再研工, 拒人工, 责员工 or
# 专员工. Within one class the initial is the same sound on the line, whatever the final.
_LINE_INITIALS = [{"zh", "z", "j"}, {"ch", "c", "q"}, {"sh", "s", "x"}, {"r", "y"}, {"l", "n"},
                  {"f", "h"}]


def near_key_request(text: str) -> Correction | None:
    """A turn that is little more than a key request of three syllables heard as a phone line
    blurs it: one syllable off by its final or a near initial ("帮我制人工", "寨人工" for 转人工:
    zhi, zhai for zhuan), or the first two off that way while the last is heard right ("我要责员工",
    "帮我再引工": ze yuan, zai yin for zhuan ren, `_LINE_INITIALS`). That request, with the
    change. Only for a whole turn: key_request's fillers around it, or at most two syllables of
    any kind before it (`_blurred_lead_in`), and never when its first syllable makes a word with
    the one before ("在职员工"). Inside a sentence such a near miss is left to correct(), which
    asks for more."""
    if not text or key_request(text):
        return None
    for phrase in (p for p in KEY_REQUESTS if len(p) >= 3):
        syllables = _term_pinyin(phrase)
        for start in range(len(text) - len(phrase) + 1):
            heard = text[start:start + len(phrase)]
            if (not all(_han(ch) for ch in heard) or _is_common_word(heard)
                    or heard in _SAID_ANOTHER_WAY):
                continue
            if start and _is_common_word(text[start - 1:start + 1]):
                continue  # "在职员工": 职 belongs to the word before it (zai zhi, not zhuan)
            off = [min(_line_distance(reading, syllable) for reading in _readings(ch))
                   for ch, syllable in zip(heard, syllables, strict=True)]
            if max(off) > 0.5 or off[-1] or sum(off) == 0:
                continue
            fixed = text[:start] + phrase + text[start + len(phrase):]
            if key_request(fixed) == phrase or _blurred_lead_in(text, start, len(phrase)):
                return Correction(fixed, ((heard, phrase),))
    return None


def _blurred_lead_in(text: str, start: int, length: int) -> bool:
    """Whether the request at text[start:start + length] ends the turn (fillers aside) after at
    most two syllables: on a phone line the words before a request are as blurred as the
    request, so "我要转人工" comes out "位后再研工" and "麻烦转人工" "码反拒员工"."""
    return len(_bare(text[:start])) <= 2 and not _beyond_fillers(_bare(text[start + length:]))


def _line_distance(a: str, b: str) -> float:
    """0 for the same syllable (tones ignored), 0.5 when the initials sound alike on a phone
    line (`_LINE_INITIALS`, or the same initial) whatever the finals, else 1."""
    if a == b:
        return 0.0
    (ia, _fa), (ib, _fb) = _split(a), _split(b)
    return 0.5 if ia == ib or _near(ia, ib, _LINE_INITIALS) else 1.0
