"""How well incident times and dates of birth are read: the hand-written parser (bot/dates.py,
bot/parsing.py) against maintained ones, on the corpus tests/bot/data/dates_corpus.yml.

For each language and parser: accuracy (value and precision both right) and ask-back rate (no
answer where the corpus expects one), on the held-out part (default) or the dev part.

Optional parsers are measured when importable: dateparser (en and zh), jionlp's parse_time (zh),
cn2an (Chinese numerals, as a pre-step to the hand-written parser). They are not part of the
runtime; to measure them install them into a folder of their own and point DATES_EVAL_PATH at it:

    pip install --target /tmp/dates-eval dateparser==1.2.0 jionlp==1.5.31 cn2an==0.5.24
    DATES_EVAL_PATH=/tmp/dates-eval python benchmarks/evaluate_dates.py [--split dev] [--write]

`--write` also writes docs/dates-report.md (kept in git, with the figures the commit was made with).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
for extra in filter(None, os.environ.get("DATES_EVAL_PATH", "").split(os.pathsep)):
    sys.path.append(extra)  # appended: the project's own packages keep precedence

import yaml  # noqa: E402

from bot import dates  # noqa: E402
from bot.parsing import read_date_of_birth  # noqa: E402

CORPUS = ROOT / "tests/bot/data/dates_corpus.yml"
REPORT = ROOT / "docs/dates-report.md"
LANGUAGES = ("zh", "en")
Reading = tuple  # (value or None, precision)


def load_corpus(path: Path = CORPUS) -> tuple[dict[str, datetime], list[dict]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    nows = {key: datetime.fromisoformat(value)
            for key, value in document["reference_times"].items()}
    return nows, document["entries"]


# --- readers: each maps (text, now, lang, kind) to (value, precision) ----------------------------


def _from_parsed(parsed: dates.ParsedDateTime, text: str) -> Reading:
    if parsed.future:
        return None, "future"
    precision = parsed.precision
    if precision == dates.EXACT:
        return f"{parsed.local:%Y-%m-%dT%H:%M}", precision
    if precision in (dates.PART_OF_DAY, dates.DAY):
        return parsed.date.isoformat(), precision
    if not parsed.found and dates.says_time_unknown(text):
        return None, "unknown"
    return None, "none"


def _dob_reading(born: date | None, alternatives: tuple = ()) -> Reading:
    if born is not None:
        return born.isoformat(), "day"
    return (None, "ask") if len(alternatives) == 2 else (None, "none")


def handwritten(text: str, now: datetime, lang: str, kind: str,
                known_date: date | None = None) -> Reading:
    if kind == "dob":
        reading = read_date_of_birth(text, today=now.date())
        return _dob_reading(reading.date, reading.alternatives)
    parsed = dates.parse_incident_datetime(text, now, lang, known_date=known_date)
    return _from_parsed(parsed, text)


def _cn2an_transform():
    import cn2an

    def transform(text: str) -> str:
        try:
            return cn2an.transform(text, "cn2an")
        except Exception:  # noqa: BLE001 - a text it cannot convert is left as written
            return text

    return transform


def handwritten_cn2an() -> Callable[[str, datetime, str, str], Reading]:
    transform = _cn2an_transform()

    def read(text: str, now: datetime, lang: str, kind: str,
             known_date: date | None = None) -> Reading:
        return handwritten(transform(text) if lang == "zh" else text, now, lang, kind,
                           known_date)

    return read


def _dateparser_reader() -> Callable[[str, datetime, str, str], Reading]:
    import dateparser
    from dateparser.search import search_dates

    def read(text: str, now: datetime, lang: str, kind: str,
             known_date: date | None = None) -> Reading:
        base = now.replace(tzinfo=None)  # a time alone is read on this day, as known_date says
        languages = ["zh", "en"] if lang == "zh" else ["en"]
        settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past",
                    "RETURN_TIME_AS_PERIOD": True, "DATE_ORDER": "DMY"}
        parser = dateparser.date.DateDataParser(languages=languages, settings=settings)
        data = parser.get_date_data(text)
        if data.date_obj is None:
            found = search_dates(text, languages=languages, settings=settings)
            if not found:
                return None, "none"
            data = parser.get_date_data(found[0][0])
            if data.date_obj is None:
                return None, "none"
        moment = data.date_obj.replace(tzinfo=None)
        if kind == "dob":
            return moment.date().isoformat(), "day"
        if moment > base:
            return None, "future"
        if data.period == "time":
            return f"{moment:%Y-%m-%dT%H:%M}", "exact"
        if data.period == "day":
            return moment.date().isoformat(), "day"
        return None, "none"

    return read


def _jionlp_reader() -> Callable[[str, datetime, str, str], Reading]:
    import jionlp

    def read(text: str, now: datetime, lang: str, kind: str,
             known_date: date | None = None) -> Reading:
        base = now.replace(tzinfo=None)  # a time alone is read on this day, as known_date says
        try:
            result = jionlp.parse_time(text, time_base=base.timestamp())
        except Exception:  # noqa: BLE001 - it raises on text without a time
            return None, "none"
        if not result or result.get("type") not in ("time_point", "time_span"):
            return None, "none"
        try:
            start, end = (datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
                          for value in result["time"][:2])
        except (TypeError, ValueError):  # open-ended spans ("-inf", "inf")
            return None, "none"
        if kind == "dob":
            return start.date().isoformat(), "day"
        if start > base:
            return None, "future"
        span = end - start
        if span <= timedelta(hours=1):
            return f"{start:%Y-%m-%dT%H:%M}", "exact"
        if start.date() == end.date() and span < timedelta(hours=23):
            return start.date().isoformat(), "part_of_day"
        if span < timedelta(days=1):
            return start.date().isoformat(), "day"
        return None, "none"

    return read


def fallback(first: Callable, second: Callable) -> Callable:
    """`first`, and `second` only where `first` has no answer."""

    def read(text: str, now: datetime, lang: str, kind: str,
             known_date: date | None = None) -> Reading:
        reading = first(text, now, lang, kind, known_date)
        return second(text, now, lang, kind, known_date) if reading[1] == "none" else reading

    return read


def readers() -> dict[str, tuple[Callable, tuple[str, ...]] | str]:
    """name -> (reader, languages), or the reason it could not be measured."""
    out: dict[str, tuple[Callable, tuple[str, ...]] | str] = {
        "hand-written (bot/dates.py)": (handwritten, LANGUAGES),
    }
    for name, factory, languages in (
        ("dateparser 1.2", _dateparser_reader, LANGUAGES),
        ("jionlp parse_time", _jionlp_reader, ("zh",)),
        ("hand-written + cn2an numerals", handwritten_cn2an, ("zh",)),
    ):
        try:
            out[name] = (factory(), languages)
        except ImportError as error:
            out[name] = f"not installed ({error.name})"
    if isinstance(out["dateparser 1.2"], tuple):
        out["hand-written, dateparser where it has none"] = (
            fallback(handwritten, out["dateparser 1.2"][0]), LANGUAGES)
    return out


@dataclass
class Score:
    total: int = 0
    right: int = 0
    asked: int = 0  # no answer where one was expected
    answerable: int = 0
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def ask_back(self) -> float:
        return self.asked / self.answerable if self.answerable else 0.0


def evaluate(reader: Callable, entries: list[dict], nows: dict[str, datetime]
             ) -> tuple[Score, list[tuple[dict, Reading]]]:
    score, failures = Score(), []
    started = time.perf_counter()
    for entry in entries:
        known = entry.get("known_date")
        reading = reader(entry["text"], nows[entry["now"]], entry["lang"], entry["kind"],
                         date.fromisoformat(known) if known else None)
        expected = (entry["value"], entry["precision"])
        score.total += 1
        if entry["precision"] != "none":
            score.answerable += 1
            score.asked += reading[1] == "none"
        if tuple(reading) == expected:
            score.right += 1
        else:
            failures.append((entry, reading))
    score.seconds = time.perf_counter() - started
    return score, failures


def run(split: str) -> tuple[list[str], dict]:
    nows, entries = load_corpus()
    chosen = [entry for entry in entries if entry["split"] == split]
    results: dict = {}
    lines = [f"Corpus: {CORPUS.relative_to(ROOT)}, split `{split}` "
             f"({len(chosen)} of {len(entries)} entries).", "",
             "| parser | language | kind | n | accuracy | ask-back | ms/entry |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for name, spec in readers().items():
        if isinstance(spec, str):
            lines.append(f"| {name} | - | - | - | {spec} | | |")
            continue
        reader, languages = spec
        for lang in languages:
            for kind in ("incident", "dob", "all"):
                subset = [entry for entry in chosen if entry["lang"] == lang
                          and (kind == "all" or entry["kind"] == kind)]
                score, failures = evaluate(reader, subset, nows)
                results[(name, lang, kind)] = (score, failures)
                lines.append(
                    f"| {name} | {lang} | {kind} | {score.total} | {score.accuracy:.3f} | "
                    f"{score.ask_back:.3f} | {1000 * score.seconds / max(score.total, 1):.2f} |")
    return lines, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("heldout", "dev"), default="heldout")
    parser.add_argument("--failures", type=int, default=0,
                        help="print up to N failures of the hand-written parser per language")
    parser.add_argument("--write", action="store_true", help=f"write {REPORT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    lines, results = run(args.split)
    print("\n".join(lines))
    if args.failures:
        for lang in LANGUAGES:
            _, failures = results[("hand-written (bot/dates.py)", lang, "all")]
            print(f"\n{lang}: {len(failures)} failures")
            for entry, reading in failures[: args.failures]:
                print(f"  {entry['text']!r} @{entry['now']}: expected "
                      f"{entry['value']}/{entry['precision']}, got {reading[0]}/{reading[1]}")
    if args.write:
        notes = REPORT.read_text(encoding="utf-8").split("<!-- figures -->")[0] \
            if REPORT.exists() else "# Dates and times: parsers compared\n\n"
        REPORT.write_text(notes + "<!-- figures -->\n\n" + "\n".join(lines) + "\n",
                          encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
