"""What every benchmark shares: the machine's CPU name and a percentile of measured times."""
from __future__ import annotations

import contextlib
import platform
from pathlib import Path
from typing import Sequence


def cpu_name(default: str = "") -> str:
    """The CPU's model name from /proc/cpuinfo, else `default` (or what `platform` knows)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return default or platform.processor()


def percentile(values: Sequence[float], p: float) -> float:
    """The `p`th percentile (0-100), interpolating between the closest ranks (numpy's
    default); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
