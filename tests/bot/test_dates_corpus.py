"""The held-out corpus of how customers say when something happened and their date of birth
(tests/bot/data/dates_corpus.yml, written by build_dates_corpus.py): the hand-written parsers
must read at least the accuracy reached per language. Reference times are in the corpus."""
from __future__ import annotations

import pytest

from benchmarks.evaluate_dates import evaluate, handwritten, load_corpus

# The figures reached on the held-out part (docs/dates-report.md); a change that reads fewer
# expressions right fails here and lists what it now misreads.
MIN_ACCURACY = {"zh": 0.995, "en": 0.98}
MIN_HELD_OUT = 300


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_held_out_corpus_is_read_at_the_accuracy_reached(corpus, lang: str) -> None:
    nows, entries = corpus
    held_out = [entry for entry in entries if entry["lang"] == lang
                and entry["split"] == "heldout"]
    assert len(held_out) >= MIN_HELD_OUT
    score, failures = evaluate(handwritten, held_out, nows)
    listing = "\n".join(
        f"{entry['text']!r} @{entry['now']}: expected {entry['value']}/{entry['precision']}, "
        f"read {reading[0]}/{reading[1]}" for entry, reading in failures)
    assert score.accuracy >= MIN_ACCURACY[lang], f"{score.accuracy:.3f}\n{listing}"
    assert score.ask_back <= 1 - MIN_ACCURACY[lang], listing


def test_corpus_covers_what_the_issue_names(corpus) -> None:
    _, entries = corpus
    texts = {entry["text"] for entry in entries}
    for text in ("上个月15号", "上個月15號", "the 15th of last month", "a couple of days ago",
                 "around 9ish", "10am", "11pm", "noon", "tonight", "1 Jul 90", "07/01/1990",
                 "85年4月12", "民國74年4月12日", "一九八五年四月十二日",
                 "July 1st 1990", "1990.7.1", "不记得了", "unknown", "not sure"):
        assert text in texts or any(text in other for other in texts), text
    precisions = {entry["precision"] for entry in entries}
    assert {"exact", "part_of_day", "day", "unknown", "future", "none", "ask"} <= precisions
    assert any(entry["lang"] == "zh" and "號" in entry["text"] for entry in entries)
