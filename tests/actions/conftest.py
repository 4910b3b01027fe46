"""Fixtures for the action tests: the domain the actions are run with (helpers that build
trackers and run actions: tests/support/actions.py; the seeded store: tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
