"""Measures the WeChat callback against WeChat's 5-second limit, in-process (no Rasa model: a
stand-in agent echoes), with the API played by the local stand-in and a fresh seeded store:

- how long a text callback takes to be answered "success", plain and in safe mode (AES), and
  how long until the reply reached the customer-service message API;
- a voice message (AMR, espeak-ng speech): when WeChat got its answer, and when "I heard: …"
  arrived (download, decode, recognition on this machine).

    .venv/bin/python benchmarks/wechat_callback.py --messages 50

Figures are printed; nothing is asserted (tests/channels/test_wechat.py tests the behaviour).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import cpu_name, percentile  # noqa: E402


def _figures(values: List[float]) -> Dict[str, float]:
    return {"p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--no-voice", action="store_true")
    args = parser.parse_args()

    from rasa.core.channels.channel import register
    from rasa.shared.core.domain import Domain
    from sanic import Sanic

    from bot.settings import get_settings
    from bot.store.db import dispose_engines
    from channels.wechat import WeChatInput
    from tests.channels.test_telegram import StandInAgent
    from tests.standins.wechat import APP_ID, APP_SECRET, WeChatStandIn
    from tests.support.asgi import AsgiClient
    from tests.support.store import migrate_and_seed

    results: Dict[str, Any] = {"cpu": cpu_name(), "messages": args.messages}
    with tempfile.TemporaryDirectory() as tmp, WeChatStandIn() as wechat:
        url = f"sqlite:///{Path(tmp) / 'claims.db'}"
        os.environ.update(CLAIMS_DB_URL=url, CLAIMS_VAR_DIR=tmp, WECHAT_APP_ID=APP_ID,
                          WECHAT_APP_SECRET=APP_SECRET, WECHAT_TOKEN=wechat.token,
                          WECHAT_ENCODING_AES_KEY=wechat.aes_key,
                          WECHAT_API_BASE=wechat.base_url + "/cgi-bin/")
        get_settings.cache_clear()
        migrate_and_seed(url)
        agent = StandInAgent(Domain.load(str(ROOT / "domain.yml")))
        channel = WeChatInput()  # the deployed 4-second answer
        app = Sanic(f"wechat_bench_{uuid.uuid4().hex}")
        app.ctx.agent = agent
        register([channel], app, route="/webhooks/")
        with AsgiClient(app) as client:
            for mode in ("plain", "aes"):
                acks, replies = [], []
                for index in range(args.messages):
                    open_id = f"oBench{mode}{index:06d}"
                    query, body = wechat.sealed(wechat.text(open_id, f"message {index}"),
                                                encrypted=mode == "aes")
                    target = "/webhooks/wechat/webhook?" + "&".join(
                        f"{k}={v}" for k, v in query.items())
                    started = time.perf_counter()
                    answer = client.post(target, body=body.encode("utf-8"))
                    acks.append(time.perf_counter() - started)
                    assert answer.text == "success", answer.text
                    client.loop.run_until_complete(channel.wait_idle(30))
                    replies.append(time.perf_counter() - started)
                results[f"text_{mode}_ack"] = _figures(acks)
                results[f"text_{mode}_reply_sent"] = _figures(replies)
            if not args.no_voice:
                from tests.support.audio import amr, speak

                agent.set_slots("wx-oBenchVoice000001", language="en")
                clip = amr(speak("I want to check the status of my claim.", "wav"))
                media_id = wechat.add_media(clip, "audio/amr")
                query, body = wechat.sealed(wechat.voice("oBenchVoice000001", media_id))
                target = "/webhooks/wechat/webhook?" + "&".join(
                    f"{k}={v}" for k, v in query.items())
                started = time.perf_counter()
                answer = client.post(target, body=body.encode("utf-8"))
                ack = time.perf_counter() - started
                client.loop.run_until_complete(channel.wait_idle(300))
                done = time.perf_counter() - started
                heard = wechat.texts_to("oBenchVoice000001")
                results["voice"] = {"amr_bytes": len(clip), "ack_s": round(ack, 2),
                                    "answered_success": answer.text == "success",
                                    "heard_after_s": round(done, 2),
                                    "heard": heard[0] if heard else None}
        dispose_engines()
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    sys.exit(main())
