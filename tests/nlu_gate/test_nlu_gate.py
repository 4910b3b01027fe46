"""The NLU gate's data half (no model needed) and its threshold logic.

The model half runs in `make nlu-gate` (benchmarks/evaluate_nlu.py --gate) after training.
"""
from __future__ import annotations

import pytest

from benchmarks.evaluate_nlu import (
    LANGUAGES,
    THRESHOLDS,
    Prediction,
    entity_metrics,
    find_leaks,
    gate_failures,
    held_out_pairs,
    intent_metrics,
    leak_key,
    load_thresholds,
    load_training_examples,
)


def test_no_held_out_text_is_in_the_training_data():
    leaks = find_leaks(held_out_pairs(), load_training_examples())
    assert not leaks, "held-out texts in data/nlu (remove them from training):\n" + "\n".join(
        f"  [{x['language']}] {x['held_out']!r} == {x['training']!r}" for x in leaks
    )


def test_held_out_set_has_enough_examples_per_intent_and_language():
    for language, pairs in held_out_pairs().items():
        counts: dict[str, int] = {}
        for _, intent in pairs:
            counts[intent] = counts.get(intent, 0) + 1
        thin = {intent: n for intent, n in counts.items() if n < 25}
        assert not thin, f"{language}: fewer than 25 held-out examples for {thin}"


def test_thresholds_cover_both_languages_and_are_figures():
    thresholds = load_thresholds()
    assert set(thresholds["intent_macro_f1"]) == set(LANGUAGES), THRESHOLDS
    for value in [*thresholds["intent_macro_f1"].values(), thresholds["entity_f1"]]:
        assert 0.5 < value <= 1.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("我要報案", "我要报案"),  # traditional and simplified
        ("ＡＵＴＯ－２０２６", "auto-2026"),  # full-width
        ("Hi, there!", "hi there"),  # case, punctuation, spacing
        ("<b>取消</b>", "取消"),  # markup
    ],
)
def test_leak_key_sees_through_normalisation(a, b):
    assert leak_key(a) == leak_key(b)


def test_find_leaks_names_both_sides():
    leaks = find_leaks({"zh": [("我要報案！", "report_claim")]}, [("我要报案", "report_claim")])
    assert leaks == [
        {
            "language": "zh",
            "held_out": "我要報案！",
            "held_out_intent": "report_claim",
            "training": "我要报案",
            "training_intent": "report_claim",
        }
    ]


def _record(intent, predicted, language="zh", confidence=0.9, entities=(), found=()):
    return Prediction(
        text="x",
        language=language,
        intent=intent,
        predicted=predicted,
        confidence=confidence,
        fell_back=False,
        entities=list(entities),
        predicted_entities=list(found),
    )


def test_gate_fails_with_the_figures_when_macro_f1_drops():
    records = [_record("greet", "greet"), _record("thank", "greet"), _record("thank", "thank")]
    held = {
        "intents": {"zh": intent_metrics(records)},
        "entities": {"all": entity_metrics(records)},
    }
    failures = gate_failures(held, {"intent_macro_f1": {"zh": 0.9, "en": 0.9}, "entity_f1": 0.9})
    expected = "zh: held-out intent macro F1 0.667 < threshold 0.900"
    assert any(f.startswith(expected) for f in failures), failures
    assert any("en" in f and "no held-out examples" in f for f in failures)
    assert gate_failures(held, {"intent_macro_f1": {"zh": 0.6}}) == []


def test_entity_f1_counts_exact_values_per_type():
    policy = {"entity": "policy_number", "value": "AUTO-2026-0001", "start": 0, "end": 14}
    claim = {"entity": "claim_number", "value": "CLM-2026-000001", "start": 0, "end": 15}
    spaced = {**policy, "value": "auto 2026 0001"}
    records = [
        _record("inform", "inform", entities=[policy], found=[spaced]),
        _record("inform", "inform", entities=[claim], found=[]),
    ]
    scores = entity_metrics(records)
    assert scores["policy_number"]["f1"] == 1.0
    assert scores["claim_number"]["recall"] == 0.0
    assert scores["all"]["f1"] == pytest.approx(2 / 3)
