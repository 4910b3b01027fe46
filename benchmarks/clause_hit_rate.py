"""Clause retrieval hit rate per language on the labelled customer questions.

A question counts as a hit when find_clause returns the labelled clause, or returns nothing for a
question labelled "none". Prints the rates (overall, and for the questions the retrieval was tuned
on apart from the held-out ones) and the misses; writes results/clause_hit_rate.json.

    .venv/bin/python benchmarks/clause_hit_rate.py [--questions FILE] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.clauses import find_clause  # noqa: E402

QUESTIONS = ROOT / "tests" / "bot" / "clause_questions.yml"
OUT = ROOT / "results" / "clause_hit_rate.json"
NONE = "none"


@dataclass
class LanguageResult:
    total: int = 0
    hits: int = 0
    answerable: int = 0  # questions labelled with a clause
    answerable_hits: int = 0
    unanswerable: int = 0  # questions labelled "none"
    correctly_declined: int = 0
    misses: List[Dict[str, object]] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / self.total if self.total else 0.0


def load_questions(path: Path = QUESTIONS) -> Dict[str, List[dict]]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def evaluate(questions: Dict[str, List[dict]], split: str | None = None
             ) -> Dict[str, LanguageResult]:
    """Results per language; with `split` ("tuning" or "heldout") only that part of the set."""
    results: Dict[str, LanguageResult] = {}
    for lang, items in questions.items():
        result = results.setdefault(lang, LanguageResult())
        for item in items:
            if split is not None and item.get("split", "tuning") != split:
                continue
            match = find_clause(item["q"], item["product"])
            got = match.clause.id if match else NONE
            expected = item["expect"]
            result.total += 1
            if expected == NONE:
                result.unanswerable += 1
            else:
                result.answerable += 1
            if got == expected:
                result.hits += 1
                if expected == NONE:
                    result.correctly_declined += 1
                else:
                    result.answerable_hits += 1
            else:
                result.misses.append({
                    "question": item["q"], "product": item["product"], "expected": expected,
                    "got": got, "score": round(match.score, 2) if match else None,
                })
    return results


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    results = evaluate(questions)
    report: Dict[str, object] = {}
    for lang, result in results.items():
        print(f"{lang}: hit rate {result.hit_rate:.1%} ({result.hits}/{result.total}); "
              f"answerable {result.answerable_hits}/{result.answerable}, "
              f"declined {result.correctly_declined}/{result.unanswerable}")
        for miss in result.misses:
            print(f"  miss: {miss['question']} [{miss['product']}] expected {miss['expected']}, "
                  f"got {miss['got']} (score {miss['score']})")
        report[lang] = {**asdict(result), "hit_rate": round(result.hit_rate, 4)}
    for split in ("tuning", "heldout"):
        for lang, result in evaluate(questions, split).items():
            print(f"{lang} {split}: {result.hit_rate:.1%} ({result.hits}/{result.total})")
            report[f"{lang}_{split}"] = {"hits": result.hits, "total": result.total,
                                         "hit_rate": round(result.hit_rate, 4)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
