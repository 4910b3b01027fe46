"""Time helpers: the store keeps naive UTC; people see the settings timezone."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from bot.settings import get_settings


@lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo  # Python 3.9+

        return ZoneInfo(name)
    except ImportError:  # Python 3.8: Rasa 3.6 still supports it
        from dateutil import tz

        zone = tz.gettz(name)
        if zone is None:
            raise ValueError(f"unknown timezone {name!r}") from None
        return zone


def local_zone() -> tzinfo:
    """The timezone customers and staff live in (settings, Asia/Shanghai by default)."""
    return _zone(get_settings().timezone)


def utc_now() -> datetime:
    """Now, as the naive UTC value the store keeps; CLAIMS_CLOCK_SHIFT (seconds, settings) moves
    it for demos and tests of what depends on the hour, in every server process alike."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    shift = get_settings().clock_shift_seconds
    return now + timedelta(seconds=shift) if shift else now


def as_utc_naive(moment: datetime | None) -> datetime:
    """Naive UTC for the store; an aware value is converted, a naive one is taken as UTC."""
    if moment is None:
        return utc_now()
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """An aware datetime in the settings timezone, from a stored naive UTC value."""
    aware = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
    return aware.astimezone(local_zone())


def from_local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """Naive UTC for a wall-clock time in the settings timezone."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=local_zone())
    return as_utc_naive(local)


def local_today(now: datetime | None = None) -> date:
    """The calendar day in the settings timezone at `now` (naive UTC or aware)."""
    return to_local(as_utc_naive(now)).date()


def format_local(moment: datetime | None, with_time: bool = True) -> str:
    """Readable local time, e.g. '2026-11-19 10:15'; empty for None."""
    if moment is None:
        return ""
    local = to_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if with_time else local.strftime("%Y-%m-%d")


def age_on(born: date, day: date) -> int:
    """Completed years of age on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def parse_now(text: str | None) -> datetime | None:
    """A command's --now: an ISO date or datetime; without an offset it is local time (the
    settings' timezone). None for no text; ValueError when it is not ISO."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return as_utc_naive(moment)
