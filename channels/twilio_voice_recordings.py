"""The caller's recordings at Twilio: fetched (the account's own only) and deleted, with the
account's credentials; the audio is only ever held in memory."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from bot.settings import Settings


@dataclass(frozen=True)
class Recording:
    """One recorded caller turn, as Twilio's callback names it."""

    sid: str
    url: str
    duration_s: float




class RecordingUnavailable(Exception):
    """The recording could not be fetched: the reason is safe to log."""


def _api_root(settings: Settings) -> str:
    return f"{settings.twilio_api_base}/2010-04-01/Accounts/{settings.twilio_account_sid}"


def _auth(settings: Settings) -> aiohttp.BasicAuth:
    return aiohttp.BasicAuth(settings.twilio_account_sid, settings.twilio_auth_token)


async def fetch_recording(recording_url: str, settings: Settings, *, timeout_s: float,
                          max_bytes: int, attempts: int = 3) -> bytes:
    """The recording as WAV bytes, fetched with the account's credentials. Only from the
    account's own recordings on the configured API base: the credentials go nowhere else.
    A 404 is retried briefly (a fresh recording can take a moment to appear)."""
    root = _api_root(settings) + "/Recordings/"
    if not settings.twilio_account_sid or not recording_url.startswith(root):
        raise RecordingUnavailable("the recording URL is not one of this account's recordings")
    url = recording_url if recording_url.rsplit("/", 1)[-1].count(".") else recording_url + ".wav"
    deadline = time.monotonic() + timeout_s
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout, auth=_auth(settings)) as session:
        for attempt in range(1, attempts + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RecordingUnavailable("timed out")
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=left)) as got:
                    if got.status == 404 and attempt < attempts:
                        await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
                        continue
                    if got.status != 200:
                        raise RecordingUnavailable(f"HTTP {got.status}")
                    if (got.content_length or 0) > max_bytes:
                        raise RecordingUnavailable(f"over {max_bytes} bytes")
                    body = bytearray()
                    async for chunk in got.content.iter_chunked(64 * 1024):
                        body += chunk
                        if len(body) > max_bytes:
                            raise RecordingUnavailable(f"over {max_bytes} bytes")
                    return bytes(body)
            except asyncio.TimeoutError as error:
                raise RecordingUnavailable("timed out") from error
            except aiohttp.ClientError as error:
                raise RecordingUnavailable(type(error).__name__) from error
    raise RecordingUnavailable("not found")


async def delete_recording(recording_sid: str, settings: Settings, *,
                           timeout_s: float = 5.0) -> bool:
    """Deletes the recording at Twilio; True when it is gone (404: it already was)."""
    url = f"{_api_root(settings)}/Recordings/{recording_sid}.json"
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout, auth=_auth(settings)) as session, \
                session.delete(url) as got:
            return got.status in (200, 204, 404)
    except (asyncio.TimeoutError, aiohttp.ClientError):
        return False
