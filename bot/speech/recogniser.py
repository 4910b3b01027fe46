"""What the customer said in an audio clip, or why it could not be understood.

recognise() never raises for bad audio: empty, corrupt, too large, too long, silence, music and
mumbling all come back as a Transcript with understood=False and a reason, so a channel can ask
again instead of passing on words the customer never said.
"""
from __future__ import annotations

import logging
import math
import re
import time
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from bot.language import DEFAULT_LANGUAGE, EN, ZH, to_simplified
from bot.settings import get_settings
from bot.speech.audio import SAMPLE_RATE, AudioInput, AudioRejected, decode, read_bytes
from bot.speech.language_model import CharModel, chinese, domain_model
from bot.speech.model import LoadedModel, shared_model
from bot.speech.numbers import spoken_to_digits

logger = logging.getLogger(__name__)

SILENCE = "silence"
LOW_CONFIDENCE = "low_confidence"
# The reasons recognise() gives; audio.py's EMPTY, UNDECODABLE, TOO_LONG and TOO_LARGE besides.
REASONS = ("empty", SILENCE, LOW_CONFIDENCE, "undecodable", "too_long", "too_large")

# Confidence limits, calibrated on espeak-ng clips (tests/bot/test_speech.py, the benchmark's 20
# sentences at 16 and 8 kHz): speech the model got right or nearly right decodes at an average
# token log-probability of -0.08 to -0.8; speech played backwards at -1.3, German forced into
# English at -1.04, speech drowned in noise at -0.97, English forced into Chinese at -1.4 to -1.9.
MIN_AVG_LOGPROB = -0.95
# A window the model itself thinks holds no speech, decoded with middling confidence: Whisper's
# own rule for dropping a hallucinated segment.
NO_SPEECH_PROB = 0.6
NO_SPEECH_LOGPROB = -0.5
# Text that loops ("the the the the...") compresses far better than speech.
MAX_COMPRESSION_RATIO = 2.4
# Decoder loops: a short piece of text repeated over and over ("0, 0, 0, 0, ...", "meromeerom").
_LOOP_RE = re.compile(r"(.{2,8}?)\1{6,}|(.)\2{11,}", re.DOTALL)
# Below this peak the clip is silent whatever the VAD says (-60 dBFS).
SILENT_PEAK = 0.001

# Whisper's well-known inventions on noise (subtitle credits, sign-offs): never the customer's.
# (Only sign-offs nobody says to an insurer: "thank you" and "bye" alone may be the customer's.)
_HALLUCINATIONS = re.compile(
    r"^\W*(?:thanks? (?:you )?for watching|please subscribe.*|subtitles? by.*|字幕.*"
    r"|谢谢(?:观看|收看)|請不吝.*|请不吝.*|明镜.*|优优独播剧场.*|amara\.org.*)\W*$",
    re.IGNORECASE,
)
# A nudge towards simplified characters and punctuation, in the claims domain's words: plain
# decoding. Domain-aware decoding (the default) uses bot.speech.lexicon.prompt instead.
_ZH_PROMPT = "以下是普通话的句子，关于保险理赔。"
# Below this much speech the language is not guessed: the conversation's choice, or else the
# service's first language (a second of audio is too little to tell Mandarin from English).
SHORT_CLIP_S = 1.5
# Below this much speech the domain prompt names only the key requests (lexicon.prompt(short)):
# on the Mandarin test set's one- and two-word answers the full list made the decoder answer
# with one of its words; the short one leaves them not understood, and asked again, instead.
# Sentences of five to seven characters ("保额是多少", "自费药能赔吗") take 1.5 to 2 s and do better
# with the full prompt (CER at 8 kHz 11.9% -> 11.5% with 2.0 s -> 1.5 s, better on both halves).
SHORT_PROMPT_S = 1.5
# What the assistant just said (its question and the options under it: `context`) is the
# decoder's previous text for Mandarin clips of less than this much speech: a one- or two-word
# answer means little without its question ("没有" after "有人受伤吗？"). On the Mandarin test set
# at 8 kHz (make bench-asr: each answer after the reply the product says before it):
# CER 10.2% -> 9.8%, intent agreement 89.4% -> 90.8%; at 20 dB SNR (60 sentences) 14.9% -> 13.7%
# and 85.0% -> 90.0%.
# Longer clips keep the domain prompt alone: in a trial with the question as well, they did
# worse (CER 10.8% with it up to 2.5 s, 11.4% with it always). Put after questions they do not
# all answer (75 clips of answers, requests, complaints and status questions, 3 questions), the
# clips acted on as a wrong intent went from 5 to 3-4, and none became a yes or a no it did not
# say ("确认" became "谢谢"); silence, a tone and speech played backwards stay not understood
# (tests/bot/test_speech_mandarin.py).
CONTEXT_MAX_S = SHORT_PROMPT_S
# The end of what the assistant said is its question: so much of it is kept.
CONTEXT_MAX_CHARS = 60
# A key request ("转人工", "算了") or a known short answer ("好的", "没有", lexicon.short_answer)
# heard with less confidence than MIN_AVG_LOGPROB is still taken down to this: short phrases
# decode with lower confidence, and missing them costs most.
KEY_REQUEST_MIN_LOGPROB = -1.5

_FINAL_PUNCTUATION = "。．.？?！!，,、：:；; "

# One Whisper window is 30 s; shorter speech is encoded with this much context around it.
WINDOW_S = 30
# Calibrated on the benchmark's clips (benchmarks/asr.py): with 4 s of margin the words match
# those of the full 30 s window (WER 11 % at 16 kHz, 20 % at 8 kHz, against 13 % and 24 %) at
# a third of the CPU time; with less, the decoder tends to run on past the end of the speech.
MIN_CONTEXT_S = 6
CONTEXT_MARGIN_S = 4
MAX_TOKENS_BASE, MAX_TOKENS_PER_S = 24, 12

# Domain decoding keeps the decoder's HYPOTHESES best guesses (beam search) and takes the one with
# the best acoustic log-probability (summed) + LM_WEIGHT x the claims language model's
# (bot.speech.language_model) + LENGTH_BONUS per character heard. Tuned on the even-numbered half
# of the Mandarin test set at 8 kHz, with the test sentences left out of the language model; on
# the odd half the character error rate of the raw guesses went from 13.9% to 10.6% (5 guesses),
# and 8 guesses took the whole pipeline's from 13.4% to 12.5% on another rendering of the set.
HYPOTHESES = 8
LM_WEIGHT = 0.3
LENGTH_BONUS = 1.0

VAD_PARAMETERS = {"min_silence_duration_ms": 500, "speech_pad_ms": 300, "threshold": 0.5}


@dataclass(frozen=True)
class Transcript:
    """What recognise() heard. `text` (digits for spoken numbers) is what goes to the NLU."""

    understood: bool
    reason: str | None = None
    text: str = ""
    raw_text: str = ""
    language: str | None = None
    duration_s: float = 0.0
    confidence: float = 0.0  # exp(average token log-probability), 0..1
    speech_s: float = 0.0  # speech left after the VAD
    no_speech_prob: float = 0.0
    processing_s: float = 0.0
    # (heard, corrected) for each near-homophone mapped to the domain's word; raw_text keeps
    # what the model said before any correction, for audit.
    corrections: tuple = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _not_understood(reason: str, started: float, **fields: Any) -> Transcript:
    return Transcript(understood=False, reason=reason,
                      processing_s=time.perf_counter() - started, **fields)


def _speech_only(samples: np.ndarray) -> np.ndarray:
    """The parts of `samples` the Silero VAD takes for speech, joined (empty: none)."""
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    chunks = get_speech_timestamps(samples, VadOptions(**VAD_PARAMETERS))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(collect_chunks(samples, chunks)[0])


def _pick_language(loaded: LoadedModel, encoder_output: Any) -> tuple[str, float]:
    """Chinese or English, whichever the model finds likelier (any other language detected
    counts for neither: the service speaks only these two)."""
    if not loaded.model.model.is_multilingual:
        return EN, 1.0
    scores = {token[2:-2]: prob for token, prob in loaded.model.model.detect_language(
        encoder_output)[0]}
    zh, en = scores.get(ZH, 0.0), scores.get(EN, 0.0)
    return (ZH, zh) if zh >= en else (EN, en)


@lru_cache(maxsize=8)
def _tokenizer(loaded: LoadedModel, language: str) -> Any:
    from faster_whisper.tokenizer import Tokenizer

    return Tokenizer(loaded.model.hf_tokenizer, loaded.model.model.is_multilingual,
                     task="transcribe", language=language)


@lru_cache(maxsize=8)
def _suppressed(loaded: LoadedModel, language: str) -> tuple[int, ...]:
    from faster_whisper.transcribe import get_suppressed_tokens

    return tuple(get_suppressed_tokens(_tokenizer(loaded, language), [-1]))


@dataclass(frozen=True)
class _Segment:
    """One decoded window, shaped like faster-whisper's Segment where _decide reads it."""

    text: str
    tokens: list
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


def _prompt(language: str, domain: bool | None, speech_s: float = WINDOW_S,
            context: str | None = None) -> str | None:
    """The domain prompt (True), the plain one (False), or none at all (None: after the decoder
    recited a prompt). A short Mandarin clip's domain prompt ends with `context`, what the
    assistant just said (CONTEXT_MAX_S)."""
    if domain is None:
        return None
    if domain:
        from bot.speech.lexicon import prompt

        if language != ZH:
            return None
        text = prompt(language, short=speech_s < SHORT_PROMPT_S)
        asked = spoken_context(context) if speech_s < CONTEXT_MAX_S else ""
        # An English question is no help to Mandarin decoding (the bot spoke English).
        return text + asked if chinese(asked) else text
    return _ZH_PROMPT if language == ZH else None


def spoken_context(context: str | None) -> str:
    """What the assistant said, as the decoder's previous text: simplified, one line, no emoji
    or bullets, its last CONTEXT_MAX_CHARS characters from the start of a sentence or phrase."""
    if not context:
        return ""
    text = to_simplified(context)
    text = re.sub(r"[^\w\s，。？！、：；“”（）,.?!:;'\"()\-]", " ", text)
    text = re.sub(r"(?<=[。？！?!；;：:，,])\s*\n\s*", "", text.strip())
    text = re.sub(r"\s*\n\s*", "。", text)
    text = re.sub(r"\s+", " ", text).lstrip(" 。").rstrip()
    if len(text) > CONTEXT_MAX_CHARS:
        tail = text[-CONTEXT_MAX_CHARS:]
        cut = re.search(r"[。？！?!]", tail) or re.search(r"[；;，,：:]", tail)
        text = tail[cut.end():] if cut and cut.end() < len(tail) else tail
    return text.strip()


# So many Chinese characters of the assistant's words, heard as the caller's, are a recital.
RECITED_MIN_CHARS = 4


def recites_context(text: str, context: str | None) -> bool:
    """Whether `text` is the decoder reciting what the assistant said (`context`) rather than
    the caller's words: RECITED_MIN_CHARS or more Chinese characters, all of them copied from
    within one of its phrases ("我可以帮您" out of "您好，我可以帮您报案、…"). A whole phrase (an
    option's title or a listed choice, said back), a key request and a known short answer are
    the caller's. Heard again without the prompt, what the caller really said stays."""
    from bot.speech.lexicon import key_request, short_answer

    heard = chinese(text)
    if len(heard) < RECITED_MIN_CHARS or not context or key_request(text) or short_answer(text):
        return False
    phrases = {chinese(part) for part in re.split(r"[\n，。？！、：；,.?!:;“”\"()（）]+",
                                                 to_simplified(context))}
    return heard not in phrases and any(heard in phrase for phrase in phrases)


def _one_window(loaded: LoadedModel, speech: np.ndarray, language: str | None,
                beam_size: int, domain: bool | None = True,
                rescoring: CharModel | None = None,
                context: str | None = None) -> tuple[list[_Segment], str, float]:
    """Speech up to a window long, decoded with the encoder seeing only as much audio as there
    is (plus a margin) instead of 30 s padded with silence: the encoder is most of the cost of a
    short utterance, and this makes it several times cheaper with the same words out."""
    import ctranslate2
    from faster_whisper.transcribe import get_compression_ratio

    whisper = loaded.model
    features = whisper.feature_extractor(speech)
    seconds = min(WINDOW_S, max(MIN_CONTEXT_S, math.ceil(speech.shape[0] / SAMPLE_RATE
                                                        + CONTEXT_MARGIN_S)))
    frames = seconds * 100
    features = features[:, :frames]
    if features.shape[1] < frames:
        features = np.pad(features, ((0, 0), (0, frames - features.shape[1])))
    encoder_output = whisper.model.encode(
        ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], np.float32)))
    if language in (ZH, EN):
        chosen, probability = language, 1.0
    else:
        chosen, probability = _pick_language(loaded, encoder_output)
    tokenizer = _tokenizer(loaded, chosen)
    prompt: list[int] = []
    previous = _prompt(chosen, domain, speech.shape[0] / SAMPLE_RATE, context)
    if previous:
        prompt = [tokenizer.sot_prev, *tokenizer.encode(" " + previous)]
    prompt += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    # Fast speech is about 5 tokens a second; a decoder running far past that is looping.
    max_new = int(MAX_TOKENS_BASE + MAX_TOKENS_PER_S * speech.shape[0] / SAMPLE_RATE)
    rescore = rescoring is not None and chosen == ZH
    hypotheses = HYPOTHESES if rescore else 1
    result = whisper.model.generate(
        encoder_output, [prompt], beam_size=max(beam_size, hypotheses),
        num_hypotheses=hypotheses, return_scores=True,
        return_no_speech_prob=True, suppress_blank=True,
        suppress_tokens=list(_suppressed(loaded, chosen)),
        max_length=min(len(prompt) + max_new, whisper.max_length),
    )[0]
    best = _best_guess(result, tokenizer, rescoring) if rescore else 0
    tokens = result.sequences_ids[best]
    text = tokenizer.decode(tokens).strip()
    avg_logprob = result.scores[best] * len(tokens) / (len(tokens) + 1)
    looped = len(tokens) >= max_new  # cut off: not a sentence the customer finished
    if looped:
        # The usual way a decoder runs on: the whole sentence again, and again. Once is what
        # was said; anything else that hits the limit is not understood.
        once = _said_once(text)
        looped = once is None
        text = once or text
    segment = _Segment(text=text, tokens=tokens, avg_logprob=avg_logprob,
                       no_speech_prob=result.no_speech_prob,
                       compression_ratio=99.0 if looped else get_compression_ratio(text))
    return ([segment] if text else []), chosen, probability


def _best_guess(result: Any, tokenizer: Any, model: CharModel) -> int:
    """The index of the decoder's guess that is likeliest as a claims customer's sentence (see
    HYPOTHESES). A guess with a character nobody says (`_unspoken`) comes after every guess
    without one: the language model scores Chinese only, so a guess of zero-width joiners alone
    had the best score of all ("\u200d\u200d\u200d。" over "那帮我拒赢公罢。")."""
    def score(index: int) -> tuple[bool, float]:
        tokens = result.sequences_ids[index]
        text = to_simplified(tokenizer.decode(tokens))
        heard = len(re.sub(r"[^\w]|_", "", text))
        return (not _unspoken(text),
                result.scores[index] * (len(tokens) + 1) + LM_WEIGHT * model.log_prob(text)
                + LENGTH_BONUS * heard)

    return max(range(len(result.sequences_ids)), key=score)


# Unicode categories of nothing a caller says: invisible format characters (zero-width joiners,
# direction marks), private use, unassigned, symbols (emoji, notes) and modifier symbols.
_UNSPOKEN_CATEGORIES = frozenset({"Cf", "Co", "Cn", "Cs", "So", "Sk"})


def _unspoken(text: str) -> bool:
    """Whether `text` holds a character no caller says (`_UNSPOKEN_CATEGORIES`, or the
    replacement character of half a byte-level token)."""
    return any(char == "\ufffd" or unicodedata.category(char) in _UNSPOKEN_CATEGORIES
               for char in text)


def _said_twice(text: str) -> str | None:
    """The sentence when `text` is exactly one sentence said two or more times over, and that
    sentence has words in it (digits alone may repeat: "12341234" is a code); None otherwise."""
    for size in range(4, len(text) // 2 + 1):
        if len(text) % size == 0 and text == text[:size] * (len(text) // size):
            unit = text[:size]
            return unit if len(re.findall(r"[^\W\d_]", unit)) >= 4 else None
    return None


def _answer_said_twice(text: str) -> str | None:
    """A short answer the decoder wrote two or more times, parted by punctuation ("不用了。不用了",
    "不对。不对。"): the answer once. Said twice without a break ("对对对", "算了算了") it is
    left as it is: that is how people say it."""
    from bot.speech.lexicon import key_request, short_answer

    parts = [part for part in re.split(r"[^\w]+", text) if part]
    if len(parts) < 2 or len(set(parts)) != 1:
        return None
    return parts[0] if short_answer(parts[0]) or key_request(parts[0]) == parts[0] else None


def _said_once(text: str) -> str | None:
    """`text` without its repeats when it is one phrase said over and over ("Thank you. Thank
    you. Thank") and nothing else; None otherwise."""
    for period in range(4, len(text) // 2 + 1):
        if all(text[i] == text[i - period] for i in range(period, len(text))):
            return text[:period].strip()
    return None


def _long(loaded: LoadedModel, speech: np.ndarray, language: str | None,
          beam_size: int, domain: bool | None = True,
          rescoring: CharModel | None = None,
          context: str | None = None) -> tuple[list[Any], str, float]:
    """Speech longer than one window: faster-whisper's own windowed decoding."""
    if language in (ZH, EN):
        chosen, probability = language, 1.0
    else:
        from faster_whisper.audio import pad_or_trim

        features = loaded.model.feature_extractor(speech[: WINDOW_S * SAMPLE_RATE])
        chosen, probability = _pick_language(loaded, loaded.model.encode(pad_or_trim(features)))
    segments, _info = loaded.model.transcribe(
        speech, language=chosen, beam_size=beam_size, temperature=0.0,
        vad_filter=False,  # done already, once
        without_timestamps=True, condition_on_previous_text=False,
        initial_prompt=_prompt(chosen, domain, context=context),
    )
    return [seg for seg in segments if seg.text.strip()], chosen, probability


def _decide(segments: Sequence[Any]) -> tuple[str | None, float, float]:
    """(reason it is not understood or None, average log-probability, no-speech probability)."""
    tokens = sum(max(len(seg.tokens), 1) for seg in segments)
    avg_logprob = sum(seg.avg_logprob * max(len(seg.tokens), 1) for seg in segments) / tokens
    no_speech = max(seg.no_speech_prob for seg in segments)
    if avg_logprob < MIN_AVG_LOGPROB:
        return LOW_CONFIDENCE, avg_logprob, no_speech
    if no_speech > NO_SPEECH_PROB and avg_logprob < NO_SPEECH_LOGPROB:
        return LOW_CONFIDENCE, avg_logprob, no_speech
    if any(seg.compression_ratio > MAX_COMPRESSION_RATIO or _LOOP_RE.search(seg.text)
           for seg in segments):
        return LOW_CONFIDENCE, avg_logprob, no_speech
    return None, avg_logprob, no_speech


def recognise(audio: AudioInput, language: str | None = None, *, beam_size: int = 1,
              model: LoadedModel | None = None, domain: bool = True,
              language_model: CharModel | None = None, context: str | None = None) -> Transcript:
    """Transcribe `audio` (bytes or a path, any common format) in `language` ("zh", "en"; None:
    detect which of the two, on clips with at least SHORT_CLIP_S of speech). CPU-bound and
    seconds long: from async code call it with `await asyncio.to_thread(recognise, ...)`.
    Never raises for bad audio.

    `domain` (the default): decoding biased towards the claims vocabulary and the pinyin
    correction pass (bot.speech.lexicon), and for Mandarin the choice among the decoder's best
    guesses by the claims language model (`language_model`, bot.speech.language_model's
    domain_model() unless given); False: plain decoding, as benchmarks/asr.py compares.
    `context`: what the assistant said since the customer last spoke (its question, then the
    options under it), heard before a short Mandarin clip (CONTEXT_MAX_S)."""
    started = time.perf_counter()
    settings = get_settings()
    try:
        data = read_bytes(audio, settings.max_upload_bytes)
        clip = decode(data, settings.max_voice_seconds)
    except AudioRejected as rejected:
        logger.info("speech: audio refused (%s)", rejected)
        return _not_understood(rejected.reason, started, duration_s=rejected.duration_s)

    duration = clip.duration_s
    if clip.samples.size == 0 or float(np.max(np.abs(clip.samples))) < SILENT_PEAK:
        return _not_understood(SILENCE, started, duration_s=duration)
    speech = _speech_only(clip.samples)
    speech_s = speech.shape[0] / SAMPLE_RATE
    if speech_s < 0.2:
        return _not_understood(SILENCE, started, duration_s=duration, speech_s=speech_s)

    if language not in (ZH, EN) and speech_s < SHORT_CLIP_S:
        language = DEFAULT_LANGUAGE  # too short to tell the language by: never guessed
    loaded = model or shared_model()
    decode_window = _one_window if speech_s <= WINDOW_S else _long
    # The claims language model is Chinese: not built for a call forced to English.
    rescoring = (language_model or domain_model()) if domain and language != EN else None
    segments, chosen, language_probability = decode_window(loaded, speech, language, beam_size,
                                                           domain, rescoring, context)
    raw_text = "".join(seg.text for seg in segments).strip()
    if domain and raw_text:
        from bot.speech.lexicon import echoes_prompt

        # Recited the prompt, or what the assistant just said: decode again without either.
        if echoes_prompt(raw_text, chosen) or (speech_s < CONTEXT_MAX_S
                                               and recites_context(raw_text, context)):
            logger.info("speech: the decoder recited the prompt; decoding without one")
            segments, chosen, language_probability = decode_window(loaded, speech, chosen,
                                                                   beam_size, None, rescoring)
            raw_text = "".join(seg.text for seg in segments).strip()
            if echoes_prompt(raw_text, chosen):  # recited with no prompt: nothing heard
                return _not_understood(LOW_CONFIDENCE, started, language=chosen,
                                       duration_s=duration, speech_s=speech_s,
                                       raw_text=raw_text)
    fields: dict[str, Any] = dict(language=chosen, duration_s=duration, speech_s=speech_s)
    if not segments or not raw_text:
        return _not_understood(SILENCE, started, **fields)
    reason, avg_logprob, no_speech = _decide(segments)
    fields.update(confidence=math.exp(avg_logprob), no_speech_prob=no_speech, raw_text=raw_text,
                  details={"avg_logprob": avg_logprob,
                           "language_probability": language_probability,
                           "compression_ratio": max(s.compression_ratio for s in segments)})
    if reason is None and _HALLUCINATIONS.match(raw_text):
        reason = LOW_CONFIDENCE
    display = to_simplified(raw_text) if chosen == ZH else raw_text
    corrections: tuple = ()
    if domain:
        # Half a character (a byte-level token cut off) is nothing said; a sentence said twice
        # over by the decoder ("前天晚上8点左右。前天晚上8点左右。") was said once.
        display = display.replace("\ufffd", "").strip()
        display = _said_twice(display) or _answer_said_twice(display) or display
        if reason is None and not re.search(r"\w", display):
            reason = LOW_CONFIDENCE
    if domain and chosen == ZH:
        from bot.speech.lexicon import correct, key_request, near_key_request, short_answer

        # A turn that is little more than 转人工 as a phone line blurs it ("帮我制人工",
        # "我要责员工"): that request, before the general correction makes something else of it
        # ("帮我要人工").
        near = near_key_request(display)
        fixed = near or correct(display)
        display, corrections = fixed.text, fixed.changes
        if (reason == LOW_CONFIDENCE and KEY_REQUEST_MIN_LOGPROB <= avg_logprob < MIN_AVG_LOGPROB
                and no_speech <= NO_SPEECH_PROB and not _HALLUCINATIONS.match(raw_text)
                and fields["details"]["compression_ratio"] <= MAX_COMPRESSION_RATIO
                and not _LOOP_RE.search(raw_text)
                and (near or key_request(display) or short_answer(display))):
            reason = None  # a key request or a short answer, heard well enough to act on
    if reason is not None:
        logger.info("speech: not understood (%s, logprob %.2f, no-speech %.2f)", reason,
                    avg_logprob, no_speech)
        return _not_understood(reason, started, **fields)
    if chosen == ZH:
        # The sentence's last punctuation is the decoder's guess, not the caller's: the NLU
        # reads "等待期是多久。" other than "等待期是多久" (on the Mandarin test set at 8 kHz,
        # intent agreement 85.0% with it, 87.4% without).
        display = display.rstrip(_FINAL_PUNCTUATION) or display
    text = spoken_to_digits(display)
    if corrections:
        logger.info("speech: corrected %s", ", ".join(f"{a}→{b}" for a, b in corrections))
    return Transcript(understood=True, text=text, processing_s=time.perf_counter() - started,
                      corrections=corrections, **fields)
