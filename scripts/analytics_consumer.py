"""Reads Rasa's conversation events from RabbitMQ and counts conversations, claims, handoffs and
failures (bot/analytics.py), printing the counts as JSON.

    python scripts/analytics_consumer.py                  # runs until Ctrl-C, reports every 10 s
    python scripts/analytics_consumer.py --drain --json   # what is queued now, then exits

CLAIMS_RABBITMQ_URL and CLAIMS_RABBITMQ_QUEUE (or --url, --queue) say where; the queue is the
one the Rasa servers publish to (rasa_server/stores.py). Each message is acknowledged once counted.
--out writes the latest counts to a file as well.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.analytics import Tally, parse_body  # noqa: E402

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _write(tally: Tally, out: Path | None, as_json: bool) -> None:
    summary = tally.summary()
    text = json.dumps(summary, ensure_ascii=False, indent=2 if as_json else None)
    print(text, flush=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(out)


async def consume(url: str, queue_name: str, *, drain: bool = False, idle_s: float = 1.0,
                  report_every_s: float = 10.0, out: Path | None = None,
                  as_json: bool = False) -> Tally:
    """Counts the queue's events; with `drain`, stops once no message came for `idle_s`."""
    import aio_pika

    tally = Tally()
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)
        # Same declaration as Rasa's broker (durable), so either side may start first.
        queue = await channel.declare_queue(queue_name, durable=True)
        if drain:
            while True:
                message = await queue.get(no_ack=False, fail=False, timeout=idle_s)
                if message is None:
                    break
                tally.add(parse_body(message.body))
                await message.ack()
            _write(tally, out, as_json)
            return tally

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                tally.add(parse_body(message.body))

        await queue.consume(on_message)
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), report_every_s)
            _write(tally, out, as_json)
    return tally


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("CLAIMS_RABBITMQ_URL") or DEFAULT_URL)
    parser.add_argument("--queue",
                        default=os.environ.get("CLAIMS_RABBITMQ_QUEUE") or "claims_events")
    parser.add_argument("--drain", action="store_true",
                        help="count what is queued, then exit")
    parser.add_argument("--idle", type=float, default=1.0,
                        help="with --drain: stop after this many seconds without a message")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between reports")
    parser.add_argument("--out", type=Path, help="also write the counts to this JSON file")
    parser.add_argument("--json", action="store_true", help="indented JSON")
    args = parser.parse_args(argv)
    try:
        asyncio.run(consume(args.url, args.queue, drain=args.drain, idle_s=args.idle,
                            report_every_s=args.every, out=args.out, as_json=args.json))
    except OSError as err:  # aio_pika's connection errors are OSErrors
        print(f"RabbitMQ cannot be reached: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
