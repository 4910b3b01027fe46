"""A shared location from any channel (Telegram's location or venue, WhatsApp's Latitude and
Longitude) in the customer's words, which the report form takes as the place."""
from __future__ import annotations

import re
from typing import Any, Mapping

from bot.replies import say


def _dms(value: float, positive: str, negative: str) -> str:
    hemisphere = positive if value >= 0 else negative
    seconds_total = round(abs(value) * 3600)
    degrees, rest = divmod(seconds_total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{degrees}°{minutes:02d}'{seconds:02d}\"{hemisphere}"


def coordinates_text(latitude: float, longitude: float) -> str:
    """'31°13\'49"N 121°28\'25"E': readable in both languages, unchanged by the NLU's NFKC
    normalisation, with no "." or "," that the report form's place correction would stop at."""
    return f"{_dms(latitude, 'N', 'S')} {_dms(longitude, 'E', 'W')}"


def location_text(location: Mapping[str, Any], lang: str,
                  venue: Mapping[str, Any] | None = None) -> str | None:
    """The customer's words for a shared location (or a place picked from the map), or None when
    the coordinates are not numbers on the globe."""
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if isinstance(latitude, bool) or isinstance(longitude, bool):
        return None
    if not isinstance(latitude, (int, float)) or not isinstance(longitude, (int, float)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    coordinates = coordinates_text(float(latitude), float(longitude))
    name = ""
    if venue:
        name = " ".join(str(venue.get(key) or "").strip() for key in ("title", "address"))
        name = " ".join(re.sub(r"[,，.。]+", " ", name).split())[:80]
    if name:
        return say("telegram_location_named", lang, name=name, coordinates=coordinates)
    return say("telegram_location", lang, coordinates=coordinates)
