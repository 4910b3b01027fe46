"""The training data the NLU components learn from: enough of it per intent and language, no
repeats, and nothing the classifier cannot learn from."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from benchmarks.evaluate_nlu import leak_key

ROOT = Path(__file__).resolve().parents[2]
MINIMUM_PER_INTENT = 40
# Intents no customer types: set by the agent console or by components.guard.
NOT_TRAINED = {"EXTERNAL_handed_back", "message_too_long", "no_text", "report_urgent",
               "amend_claim"}


def _examples(language: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "data/nlu" / language).glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                found += [(line.strip()[2:], block["intent"])
                          for line in block["examples"].splitlines()
                          if line.strip().startswith("- ")]
    return found


def _domain_intents() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]} - NOT_TRAINED


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_intent_has_enough_examples_in_each_language(language):
    counts = Counter(intent for _, intent in _examples(language))
    thin = {intent: counts[intent] for intent in _domain_intents()
            if counts[intent] < MINIMUM_PER_INTENT}
    assert not thin, f"{language}: fewer than {MINIMUM_PER_INTENT} examples for {thin}"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_example_is_repeated_once_normalised(language):
    # Traditional and simplified spellings of one sentence are one example to the model (the
    # normaliser converts), and a repeat only weighs the sentence twice.
    seen = defaultdict(list)
    for text, intent in _examples(language):
        seen[leak_key(text)].append(f"{text} ({intent})")
    repeats = [texts for texts in seen.values() if len(texts) > 1]
    assert not repeats, f"{language}: repeated examples {repeats}"


def test_examples_are_only_of_intents_the_domain_knows():
    known = _domain_intents()
    unknown = {intent for language in ("zh", "en") for _, intent in _examples(language)} - known
    assert not unknown
