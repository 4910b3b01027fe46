"""Setting the servers' hour: what depends on the time of day (the agents' hours, which day
"明天" means) is tested at a chosen local hour, never at whatever hour the suite happens to run.

`shift_to(22)` is the CLAIMS_CLOCK_SHIFT (bot/clock.py) that puts local time at the next 22:00,
less than a day ahead. It is measured on this process's clock, so it holds for servers started
from here and for code in this process alike, also when the suite runs a year ahead
(CLAIMS_TEST_CLOCK_SHIFT_DAYS, tests/conftest.py)."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from bot.clock import local_zone

CLOCK_SHIFT_ENV = "CLAIMS_CLOCK_SHIFT"


def shift_to(hour: int, minute: int = 0) -> str:
    """Seconds from now to the next local hour:minute (0 < shift <= 1 day), as the env value."""
    now = datetime.now(timezone.utc).astimezone(local_zone())
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return str(math.ceil((target - now).total_seconds()))  # at or just after it
