"""How well the NLU model understands: a report (`make eval`) and a CI gate (`make nlu-gate`).

Report (default): the trained model on the held-out set (tests/nlu/zh.yml, tests/nlu/en.yml, never
trained on) with intent precision/recall/F1 per intent and language, macro F1 per language, entity
F1 for policy and claim numbers, the most confused intent pairs, confidence calibration and, unless
`--folds 0`, k-fold cross-validation on the training data (trains k models: slow). Writes
results/nlu/report.md, results/nlu/report.json, results/nlu/confusion_matrix.png and Rasa's own
reports under results/nlu/rasa/; `--copy docs/nlu-report.md` also writes the committed copy.

Gate (`--gate`): no training; fails when a held-out text appears in the training data (after
normalisation) or when held-out intent macro F1 of a language, or entity F1, is below the
threshold in tests/nlu_gate/thresholds.yml.

    python benchmarks/evaluate_nlu.py [--model models/current.tar.gz] [--folds 5] [--copy FILE]
    python benchmarks/evaluate_nlu.py --gate
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.language import detect, normalise  # noqa: E402

HELD_OUT = {"zh": ROOT / "tests/nlu/zh.yml", "en": ROOT / "tests/nlu/en.yml"}
TRAINING_DATA = ROOT / "data"
DOMAIN = ROOT / "domain.yml"
CONFIG = ROOT / "config.yml"
THRESHOLDS = ROOT / "tests/nlu_gate/thresholds.yml"
OUT = ROOT / "results/nlu"
ENTITY_TYPES = ("policy_number", "claim_number")
LANGUAGES = ("zh", "en")
SWEEP = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)
OTHER = "other"  # training examples bot.language.detect cannot place (codes, "ok", digits)

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)

logger = logging.getLogger("evaluate_nlu")


# --------------------------------------------------------------------------------------------
# Data: loading, the leak check and duplicate detection (no model needed)
# --------------------------------------------------------------------------------------------


def leak_key(text: str) -> str:
    """The form two texts are compared in: the model's normalisation, case, no punctuation/space."""
    return _NOT_WORD.sub("", normalise(text).casefold())


def load_training_examples() -> List[Tuple[str, str]]:
    """(text, intent) of every intent example in data/, as Rasa reads it (entity markup removed)."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(TRAINING_DATA)], domain_path=str(DOMAIN)
    )
    return [(m.get("text"), m.get("intent")) for m in importer.get_nlu_data().intent_examples]


def load_held_out(language: str):
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(HELD_OUT[language]))


def find_leaks(
    held_out: Dict[str, List[Tuple[str, str]]], training: List[Tuple[str, str]]
) -> List[Dict[str, str]]:
    """Held-out texts that are also training texts once normalised (any intent)."""
    trained = defaultdict(list)
    for text, intent in training:
        trained[leak_key(text)].append((text, intent))
    leaks = []
    for language, examples in held_out.items():
        for text, intent in examples:
            for train_text, train_intent in trained.get(leak_key(text), []):
                leaks.append(
                    {
                        "language": language,
                        "held_out": text,
                        "held_out_intent": intent,
                        "training": train_text,
                        "training_intent": train_intent,
                    }
                )
    return leaks


def find_duplicates(training: List[Tuple[str, str]]) -> Dict[str, List[Dict[str, Any]]]:
    """Training texts that are the same once normalised: within one intent, and across intents."""
    groups = defaultdict(list)
    for text, intent in training:
        groups[leak_key(text)].append((text, intent))
    same, conflicting = [], []
    for items in groups.values():
        if len(items) < 2:
            continue
        intents = sorted({intent for _, intent in items})
        entry = {"texts": [t for t, _ in items], "intents": intents}
        (conflicting if len(intents) > 1 else same).append(entry)
    return {"same_intent": same, "conflicting_intents": conflicting}


def held_out_pairs() -> Dict[str, List[Tuple[str, str]]]:
    pairs = {}
    for language in LANGUAGES:
        examples = load_held_out(language).intent_examples
        pairs[language] = [(m.get("text"), m.get("intent")) for m in examples]
    return pairs


# --------------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------------


@dataclass
class Prediction:
    text: str
    language: str
    intent: str
    predicted: str
    confidence: float
    fell_back: bool  # the FallbackClassifier would have answered nlu_fallback
    second: float = 0.0  # confidence of the runner-up intent (for the fallback sweep)
    entities: List[Dict[str, Any]] = field(default_factory=list)
    predicted_entities: List[Dict[str, Any]] = field(default_factory=list)


async def _predict(processor, examples, language: str) -> Tuple[List[Prediction], list, list]:
    """Parses every example once; returns our records and Rasa's evaluation result objects."""
    from rasa.core.channels import UserMessage
    from rasa.nlu.classifiers import fallback_classifier
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.nlu.test import EntityEvaluationResult, IntentEvaluationResult

    records, intent_results, entity_results = [], [], []
    for example in examples:
        text = example.get("text")
        result = await processor.parse_message(
            UserMessage(text=text), tracker=None, only_output_properties=False
        )
        fell_back = fallback_classifier.is_fallback_classifier_prediction(result)
        if fell_back:  # score the intent the model chose, as `rasa test nlu` does
            result = fallback_classifier.undo_fallback_prediction(result)
        intent = result.get("intent") or {}
        ranking = result.get("intent_ranking") or []
        targets = list(example.get("entities") or [])
        predicted_entities = [
            {k: e.get(k) for k in ("entity", "value", "start", "end", "extractor")}
            for e in result.get("entities") or []
        ]
        records.append(
            Prediction(
                text=text,
                language=language or detect(text) or OTHER,
                intent=example.get("intent"),
                predicted=intent.get("name"),
                confidence=float(intent.get("confidence") or 0.0),
                fell_back=fell_back,
                second=float(ranking[1].get("confidence") or 0.0) if len(ranking) > 1 else 0.0,
                entities=[{k: e[k] for k in ("entity", "value", "start", "end")} for e in targets],
                predicted_entities=predicted_entities,
            )
        )
        intent_results.append(
            IntentEvaluationResult(
                example.get("intent"), intent.get("name"), text, intent.get("confidence")
            )
        )
        entity_results.append(
            EntityEvaluationResult(
                targets,
                result.get("entities") or [],
                result.get(TOKENS_NAMES["text"], []),
                result.get("text"),
            )
        )
    return records, intent_results, entity_results


def load_processor(model: Path):
    from rasa.core.agent import Agent

    return Agent.load(str(model)).processor


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def intent_metrics(records: List[Prediction]) -> Dict[str, Any]:
    """Per-intent P/R/F1 over the intents under test; macro F1 is their unweighted mean."""
    from rasa.model_testing import get_evaluation_metrics

    if not records:
        return {}
    targets = [r.intent for r in records]
    predictions = [r.predicted or "None" for r in records]
    report, _, weighted_f1, accuracy = get_evaluation_metrics(
        targets, predictions, output_dict=True
    )
    per_intent = {
        label: {
            "precision": report[label]["precision"],
            "recall": report[label]["recall"],
            "f1": report[label]["f1-score"],
            "support": int(report[label]["support"]),
        }
        for label in sorted(set(targets))
    }
    fell_back = [r for r in records if r.fell_back]
    answered = [r for r in records if not r.fell_back]
    return {
        "examples": len(records),
        "accuracy": accuracy,
        "macro_f1": report["macro avg"]["f1-score"],
        "weighted_f1": weighted_f1,
        "per_intent": per_intent,
        "fallback_rate": len(fell_back) / len(records),
        # What the customer sees: a fallback is neither right nor wrong, a wrong answer is worse.
        "correct_when_answered": (
            sum(r.intent == r.predicted for r in answered) / len(answered) if answered else None
        ),
        "wrong_and_answered": sum(r.intent != r.predicted for r in answered),
        "calibration": calibration(records),
    }


def calibration(records: List[Prediction], bins: int = 10) -> Dict[str, Any]:
    """Expected calibration error of the top confidence, and mean confidence right vs wrong."""
    totals = [[0, 0.0, 0] for _ in range(bins)]  # count, confidence sum, correct
    for r in records:
        b = min(int(r.confidence * bins), bins - 1)
        totals[b][0] += 1
        totals[b][1] += r.confidence
        totals[b][2] += r.intent == r.predicted
    n = len(records)
    ece = sum(abs(c / k - ok / k) * k / n for k, c, ok in totals if k)
    right = [r.confidence for r in records if r.intent == r.predicted]
    wrong = [r.confidence for r in records if r.intent != r.predicted]
    return {
        "ece": ece,
        "mean_confidence_correct": sum(right) / len(right) if right else None,
        "mean_confidence_wrong": sum(wrong) / len(wrong) if wrong else None,
        "wrong_with_confidence_over_0.9": sum(c > 0.9 for c in wrong),
    }


def fallback_config() -> Dict[str, float]:
    """The FallbackClassifier's thresholds in config.yml."""
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return {
                "threshold": float(component.get("threshold", 0.3)),
                "ambiguity_threshold": float(component.get("ambiguity_threshold", 0.1)),
            }
    return {"threshold": 0.0, "ambiguity_threshold": 0.0}


def fallback_sweep(
    records: List[Prediction], ambiguity: float, thresholds: Iterable[float] = SWEEP
) -> List[Dict[str, Any]]:
    """What each FallbackClassifier threshold would do on these messages.

    A fallback on an out_of_scope message is fine (both answer with what the assistant can do);
    on any other message it costs the customer a turn; a wrong intent answered is worst.
    """
    rows = []
    in_scope = [r for r in records if r.intent != "out_of_scope"]
    for threshold in thresholds:
        def falls(r: Prediction, t: float = threshold) -> bool:
            return r.confidence < t or r.confidence - r.second < ambiguity

        answered = [r for r in records if not falls(r)]
        rows.append(
            {
                "threshold": threshold,
                "fallback_rate": 1 - len(answered) / len(records) if records else 0.0,
                "in_scope_fallback_rate": (
                    sum(falls(r) for r in in_scope) / len(in_scope) if in_scope else 0.0
                ),
                "wrong_answers": sum(r.intent != r.predicted for r in answered),
                "accuracy_when_answered": (
                    sum(r.intent == r.predicted for r in answered) / len(answered)
                    if answered else None
                ),
            }
        )
    return rows


def _entity_key(entity: Dict[str, Any]) -> Tuple[str, str]:
    return entity["entity"], leak_key(str(entity.get("value") or ""))


def entity_metrics(records: List[Prediction]) -> Dict[str, Any]:
    """Exact-match entity P/R/F1 per type: right type and the same value (case, spaces aside)."""
    counts = {t: Counter() for t in ENTITY_TYPES}
    for r in records:
        gold = Counter(_entity_key(e) for e in r.entities if e["entity"] in ENTITY_TYPES)
        found = Counter(
            _entity_key(e) for e in r.predicted_entities if e["entity"] in ENTITY_TYPES
        )
        for key in set(gold) | set(found):
            tp = min(gold[key], found[key])
            counts[key[0]]["tp"] += tp
            counts[key[0]]["fn"] += gold[key] - tp
            counts[key[0]]["fp"] += found[key] - tp
    result: Dict[str, Any] = {}
    total = Counter()
    for entity, c in counts.items():
        total.update(c)
        result[entity] = _prf(c)
    result["all"] = _prf(total)
    return result


def _prf(c: Counter) -> Dict[str, Any]:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision, "recall": recall, "f1": f1, "support": tp + fn, "found": tp + fp
    }


def confused_pairs(records: List[Prediction], top: int = 10) -> List[Dict[str, Any]]:
    pairs: Dict[Tuple[str, str, str], List[Prediction]] = defaultdict(list)
    for r in records:
        if r.intent != r.predicted:
            pairs[(r.language, r.intent, r.predicted)].append(r)
    ranked = sorted(pairs.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [
        {
            "language": language,
            "intent": intent,
            "predicted": predicted,
            "count": len(items),
            "examples": [
                f"{r.text} ({r.confidence:.2f}{', fallback' if r.fell_back else ''})"
                for r in items[:3]
            ],
        }
        for (language, intent, predicted), items in ranked[:top]
    ]


def by_language(records: List[Prediction]) -> Dict[str, List[Prediction]]:
    grouped: Dict[str, List[Prediction]] = defaultdict(list)
    for r in records:
        grouped[r.language].append(r)
    return grouped


# --------------------------------------------------------------------------------------------
# Evaluation runs
# --------------------------------------------------------------------------------------------


def evaluate_held_out(model: Path, rasa_out: Path | None) -> Dict[str, Any]:
    """One pass of the trained model over both held-out files."""
    from rasa.nlu.test import (
        _get_active_entity_extractors,
        evaluate_entities,
        evaluate_intents,
    )

    started = time.monotonic()
    processor = load_processor(model)
    loaded = time.monotonic()
    records, intent_results, entity_results = [], [], []
    for language in LANGUAGES:
        data = load_held_out(language)
        r, i, e = asyncio.run(_predict(processor, data.intent_examples, language))
        records += r
        intent_results += i
        entity_results += e
    parsed = time.monotonic()

    result: Dict[str, Any] = {
        "model": str(model.resolve().relative_to(ROOT) if model.resolve().is_relative_to(ROOT)
                     else model.resolve()),
        "seconds": {"load": round(loaded - started, 1), "parse": round(parsed - loaded, 1)},
        "intents": {lang: intent_metrics(rs) for lang, rs in by_language(records).items()},
        "entities": {lang: entity_metrics(rs) for lang, rs in by_language(records).items()},
        "confused": confused_pairs(records),
    }
    result["intents"]["all"] = intent_metrics(records)
    fallback = fallback_config()
    result["fallback"] = {
        **fallback,
        "sweep": {
            lang: fallback_sweep(
                rs, fallback["ambiguity_threshold"], sorted({*SWEEP, fallback["threshold"]})
            )
            for lang, rs in by_language(records).items()
        },
    }
    result["entities"]["all"] = entity_metrics(records)

    if rasa_out is not None:  # Rasa's own reports (both languages together) next to ours
        rasa_out.mkdir(parents=True, exist_ok=True)
        rasa_intents = evaluate_intents(
            intent_results, str(rasa_out), False, True, True, report_as_dict=True
        )
        result["rasa"] = {
            "intent_weighted_f1": rasa_intents["f1_score"],
            "intent_accuracy": rasa_intents["accuracy"],
        }
        with_entities = [e for e in entity_results if e.entity_targets]
        if with_entities:
            extractors = _get_active_entity_extractors(entity_results)
            rasa_entities = evaluate_entities(
                entity_results, extractors, str(rasa_out), False, True, True,
                report_as_dict=True,
            )
            result["rasa"]["entity_token_f1"] = {
                name: r["f1_score"] for name, r in rasa_entities.items()
            }
    result["_records"] = records
    return result


def cross_validate(folds: int, config: Path = CONFIG) -> Dict[str, Any]:
    """Rasa's stratified k-fold cross-validation on the training data (trains `folds` models)."""
    from rasa.nlu.test import cross_validate as rasa_cross_validate
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(TRAINING_DATA)], domain_path=str(DOMAIN)
    )
    data = importer.get_nlu_data()
    # Language of each training text as written (predictions only carry the normalised text).
    language_of = {normalise(m.get("text")): detect(m.get("text")) or OTHER
                   for m in data.intent_examples}
    started = time.monotonic()
    intent_cv, entity_cv, _ = asyncio.run(
        rasa_cross_validate(data, folds, str(config), None, False, False, True,
                            report_as_dict=True)
    )
    seconds = time.monotonic() - started
    records = [
        Prediction(
            text=p["text"],
            language=language_of.get(p["text"]) or detect(p["text"]) or OTHER,
            intent=p["intent"],
            predicted=p["predicted"],
            confidence=float(p["confidence"] or 0.0),
            fell_back=False,
        )
        for p in intent_cv.evaluation.get("predictions", [])
    ]
    return {
        "folds": folds,
        "seconds": round(seconds),
        "training_examples": len(data.intent_examples),
        "intents": {lang: intent_metrics(rs) for lang, rs in by_language(records).items()},
        "all": intent_metrics(records),
        "confused": confused_pairs(records),
        "fold_test_f1": intent_cv.test.get("F1-score", []),
    }


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def plot_confusion(records: List[Prediction], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    grouped = by_language(records)
    languages = [lang for lang in LANGUAGES if lang in grouped]
    labels = sorted({r.intent for r in records} | {r.predicted or "None" for r in records})
    index = {label: i for i, label in enumerate(labels)}
    fig, axes = plt.subplots(1, len(languages), figsize=(9 * len(languages), 8.5))
    axes = np.atleast_1d(axes)
    for ax, language in zip(axes, languages, strict=True):
        matrix = np.zeros((len(labels), len(labels)), dtype=int)
        for r in grouped[language]:
            matrix[index[r.intent], index[r.predicted or "None"]] += 1
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(labels)):
            for j in range(len(labels)):
                if matrix[i, j]:
                    colour = "white" if shares[i, j] > 0.6 else ("firebrick" if i != j else "black")
                    ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=8, color=colour)
        ax.set_xticks(range(len(labels)))
        ax.set_yticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=9)
        ax.set_yticklabels(labels, fontsize=9)
        ax.set_xlabel("predicted intent")
        ax.set_ylabel("true intent")
        macro = intent_metrics(grouped[language])["macro_f1"]
        count = len(grouped[language])
        ax.set_title(f"held-out {language}: {count} examples, macro F1 {macro:.3f}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def summary_table(held_out: Dict[str, Any]) -> List[str]:
    """The per-language table used in the report and in README."""
    lines = [
        "| language | held-out examples | intent macro F1 | accuracy | entity F1 "
        "| fallback rate | ECE |",
        "|---|---|---|---|---|---|---|",
    ]
    for language in (*LANGUAGES, "all"):
        m = held_out["intents"].get(language)
        if not m:
            continue
        e = held_out["entities"][language]["all"]
        lines.append(
            f"| {language} | {m['examples']} | {_f(m['macro_f1'])} | {_f(m['accuracy'])} "
            f"| {_f(e['f1'])} ({e['support']}) | {m['fallback_rate']:.1%} "
            f"| {_f(m['calibration']['ece'])} |"
        )
    return lines


def render_markdown(report: Dict[str, Any]) -> str:
    held = report["held_out"]
    lines = [
        "# NLU evaluation report",
        "",
        f"Generated {report['generated']} by `make eval` (`benchmarks/evaluate_nlu.py`) "
        f"for model `{held['model']}`, pipeline `config.yml` (fingerprint in the model name).",
        "",
        "Held-out set: `tests/nlu/zh.yml` and `tests/nlu/en.yml`, never trained on (the gate",
        "checks it). Intent scores are the model's own top intent, as `rasa test nlu` scores",
        "them; *fallback rate* is the share the FallbackClassifier would turn into",
        "`nlu_fallback`. ECE is the expected calibration error of the top confidence",
        "(10 bins; 0 is perfectly calibrated).",
        "",
        "## Summary (held-out)",
        "",
        *summary_table(held),
        "",
    ]
    for language in LANGUAGES:
        m = held["intents"].get(language)
        if not m:
            continue
        c = m["calibration"]
        lines += [
            f"## Intents, {language} (held-out)",
            "",
            f"Macro F1 {_f(m['macro_f1'])}, accuracy {_f(m['accuracy'])}; "
            f"correct when not falling back {_f(m['correct_when_answered'])} "
            f"({m['wrong_and_answered']} wrong answers given); mean confidence "
            f"{_f(c['mean_confidence_correct'])} when right, {_f(c['mean_confidence_wrong'])} "
            f"when wrong ({c['wrong_with_confidence_over_0.9']} wrong above 0.9).",
            "",
            "| intent | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
        ]
        for intent, s in m["per_intent"].items():
            flag = " ⚠" if s["f1"] < 0.9 else ""
            lines.append(
                f"| {intent}{flag} | {_f(s['precision'])} | {_f(s['recall'])} "
                f"| {_f(s['f1'])} | {s['support']} |"
            )
        lines.append("")
    lines += [
        "## Entities (held-out, exact value match)",
        "",
        "| language | entity | precision | recall | F1 | support |",
        "|---|---|---|---|---|---|",
    ]
    for language in (*LANGUAGES, "all"):
        for entity in (*ENTITY_TYPES, "all"):
            e = held["entities"].get(language, {}).get(entity)
            if e and e["support"] + e["found"]:
                lines.append(
                    f"| {language} | {entity} | {_f(e['precision'])} | {_f(e['recall'])} "
                    f"| {_f(e['f1'])} | {e['support']} |"
                )
    if "rasa" in held and held["rasa"].get("entity_token_f1"):
        token = ", ".join(f"{k} {_f(v)}" for k, v in held["rasa"]["entity_token_f1"].items())
        lines += ["", f"Rasa's token-level entity F1 (weighted): {token}."]
    fallback = held.get("fallback")
    if fallback:
        lines += [
            "",
            "## Fallback threshold (held-out)",
            "",
            f"config.yml: FallbackClassifier threshold {fallback['threshold']}, ambiguity "
            f"threshold {fallback['ambiguity_threshold']}. What other thresholds would do "
            "(in-scope: messages whose intent is not out_of_scope; wrong: answered with the "
            "wrong intent):",
            "",
            "| threshold | "
            + " | ".join(f"{lang} fallback (in-scope) | {lang} wrong" for lang in LANGUAGES)
            + " |",
            "|---|" + "---|---|" * len(LANGUAGES),
        ]
        sweeps = [fallback["sweep"].get(lang, []) for lang in LANGUAGES]
        for i, row in enumerate(sweeps[0]):
            threshold = row["threshold"]
            mark = " ←" if abs(threshold - fallback["threshold"]) < 1e-9 else ""
            cells = [
                f"{s[i]['fallback_rate']:.1%} ({s[i]['in_scope_fallback_rate']:.1%}) "
                f"| {s[i]['wrong_answers']}"
                for s in sweeps
                if len(s) > i
            ]
            lines.append(f"| {threshold}{mark} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Most confused intent pairs (held-out)",
        "",
        "| language | true intent | predicted | count | examples (confidence) |",
        "|---|---|---|---|---|",
    ]
    for p in held["confused"]:
        examples = "; ".join(x.replace("|", "/") for x in p["examples"])
        lines.append(
            f"| {p['language']} | {p['intent']} | {p['predicted']} | {p['count']} | {examples} |"
        )
    if not held["confused"]:
        lines.append("| – | – | – | 0 | no confusions |")
    cv = report.get("cross_validation")
    if cv:
        lines += [
            "",
            f"## {cv['folds']}-fold cross-validation on the training data",
            "",
            f"{cv['training_examples']} training examples; Rasa's stratified folds; "
            f"{cv['seconds']} s. Language by `bot.language.detect` (`other`: codes, digits, "
            "single short words).",
            "",
            "| language | examples | intent macro F1 | accuracy | ECE |",
            "|---|---|---|---|---|",
        ]
        for language in (*LANGUAGES, OTHER):
            m = cv["intents"].get(language)
            if m:
                lines.append(
                    f"| {language} | {m['examples']} | {_f(m['macro_f1'])} | "
                    f"{_f(m['accuracy'])} | {_f(m['calibration']['ece'])} |"
                )
        lines += ["", "Most confused (cross-validation):", ""]
        for p in cv["confused"][:8]:
            lines.append(
                f"- {p['language']} {p['intent']} → {p['predicted']} ×{p['count']}: "
                + "; ".join(p["examples"][:2])
            )
    data = report.get("data", {})
    lines += [
        "",
        "## Data checks",
        "",
        f"- Held-out texts found in the training data: {len(data.get('leaks', []))}.",
        f"- Training texts repeated in one intent: {len(data.get('same_intent', []))}; "
        f"under different intents: {len(data.get('conflicting_intents', []))}.",
    ]
    for d in [*data.get("conflicting_intents", []), *data.get("same_intent", [])][:12]:
        lines.append(f"  - {' / '.join(d['texts'])}: {', '.join(d['intents'])}")
    lines += [
        "",
        "Confusion matrices: `results/nlu/confusion_matrix.png` (not committed; run `make eval`).",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Gate
# --------------------------------------------------------------------------------------------


def load_thresholds(path: Path = THRESHOLDS) -> Dict[str, Any]:
    import yaml

    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def gate_failures(held: Dict[str, Any], thresholds: Dict[str, Any]) -> List[str]:
    """What falls below the thresholds, one line each with the figures."""
    failures = []
    for language, minimum in (thresholds.get("intent_macro_f1") or {}).items():
        m = held["intents"].get(language)
        if not m:
            failures.append(f"no held-out examples for language {language!r}")
        elif m["macro_f1"] < minimum:
            weak = sorted(m["per_intent"].items(), key=lambda kv: kv[1]["f1"])[:3]
            failures.append(
                f"{language}: held-out intent macro F1 {m['macro_f1']:.3f} < threshold "
                f"{minimum:.3f} (weakest: "
                + ", ".join(f"{k} {v['f1']:.2f}" for k, v in weak)
                + ")"
            )
    minimum = thresholds.get("entity_f1")
    if minimum is not None:
        e = held["entities"]["all"]["all"]
        if e["f1"] < minimum:
            failures.append(
                f"held-out entity F1 {e['f1']:.3f} < threshold {minimum:.3f} "
                f"(precision {e['precision']:.3f}, recall {e['recall']:.3f})"
            )
    return failures


def run_gate(model: Path, out: Path = OUT) -> int:
    thresholds = load_thresholds()
    training = load_training_examples()
    leaks = find_leaks(held_out_pairs(), training)
    if leaks:
        print(f"NLU gate FAILED: {len(leaks)} held-out text(s) appear in the training data:")
        for leak in leaks[:20]:
            print(
                f"  [{leak['language']}] {leak['held_out']!r} ({leak['held_out_intent']}) "
                f"== training {leak['training']!r} ({leak['training_intent']})"
            )
        print("Remove them from data/nlu (the held-out set must stay unseen).")
        return 1
    held = evaluate_held_out(model, None)
    held.pop("_records")
    out.mkdir(parents=True, exist_ok=True)
    (out / "gate.json").write_text(json.dumps(held, indent=2, ensure_ascii=False) + "\n")
    figures = "; ".join(
        f"{lang} macro F1 {held['intents'][lang]['macro_f1']:.3f}"
        f" (threshold {thresholds.get('intent_macro_f1', {}).get(lang, 0):.3f})"
        for lang in LANGUAGES
        if lang in held["intents"]
    )
    entity = held["entities"]["all"]["all"]["f1"]
    figures += f"; entity F1 {entity:.3f} (threshold {thresholds.get('entity_f1', 0):.3f})"
    failures = gate_failures(held, thresholds)
    if failures:
        print("NLU gate FAILED: held-out understanding dropped below the thresholds in "
              f"{THRESHOLDS.relative_to(ROOT)}:")
        for failure in failures:
            print(f"  {failure}")
        print(f"  all figures: {figures}")
        print("Fix the data or pipeline, or run `make eval` for the full report.")
        return 1
    print(f"NLU gate passed: {figures}; no held-out text in the training data.")
    return 0


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def run_report(
    model: Path, folds: int, copies: Iterable[Path], out: Path = OUT, config: Path = CONFIG
) -> int:
    training = load_training_examples()
    duplicates = find_duplicates(training)
    leaks = find_leaks(held_out_pairs(), training)
    held = evaluate_held_out(model, out / "rasa")
    records = held.pop("_records")
    out.mkdir(parents=True, exist_ok=True)
    plot_confusion(records, out / "confusion_matrix.png")
    (out / "predictions.json").write_text(
        json.dumps([asdict(r) for r in records], indent=1, ensure_ascii=False) + "\n"
    )
    report: Dict[str, Any] = {
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "held_out": held,
        "data": {"leaks": leaks, **duplicates},
    }
    if folds:
        report["cross_validation"] = cross_validate(folds, config)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    markdown = render_markdown(report)
    (out / "report.md").write_text(markdown)
    for copy in copies:
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(markdown)
    print("\n".join(summary_table(held)))
    print(f"\nReport: {out / 'report.md'} (+ report.json, confusion_matrix.png)")
    if leaks:
        print(f"WARNING: {len(leaks)} held-out text(s) are in the training data.")
    return 0


def quiet() -> None:
    """Only warnings and errors from Rasa, TensorFlow and friends: the figures are the output."""
    import warnings

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    warnings.filterwarnings("ignore")
    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)
    for name in ("matplotlib", "absl", "tensorflow"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        type=Path,
        default=Path(os.environ.get("CLAIMS_MODEL") or ROOT / "models/current.tar.gz"),
    )
    parser.add_argument("--gate", action="store_true", help="the fast CI check only")
    parser.add_argument("--out", type=Path, default=OUT, help="where results are written")
    parser.add_argument("--config", type=Path, default=CONFIG,
                        help="pipeline for cross-validation (experiments)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds; 0: none")
    parser.add_argument("--copy", type=Path, action="append", default=[],
                        help="also write the Markdown report here (e.g. docs/nlu-report.md)")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    quiet()
    if not args.model.is_file():
        print(f"No trained model at {args.model}: run `make model` first.", file=sys.stderr)
        return 2
    if args.gate:
        return run_gate(args.model, args.out)
    return run_report(args.model, args.folds, args.copy, args.out, args.config)


if __name__ == "__main__":
    sys.exit(main())
