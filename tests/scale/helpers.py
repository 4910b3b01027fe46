"""What the scale tests share: the services' addresses, talking to the deployment, reading
what PostgreSQL and RabbitMQ hold."""
from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Dict, List, Tuple
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

from bot.clock import local_today
from rasa_server.launcher import REST_PATH, WEBCHAT_WEBHOOK_PATH
from tests.scale.tcp_proxy import CuttableProxy
from tests.support.webchat import signed_headers

PG_SERVER = os.environ.get("CLAIMS_SCALE_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("CLAIMS_SCALE_REDIS", "redis://127.0.0.1:6379/1")
RABBITMQ_SERVER = os.environ.get("CLAIMS_SCALE_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/")


def report_messages(days_ago: int) -> List[str]:
    """A motor collision reported in five messages, `days_ago` days before today (each day is
    another incident: the same incident twice is refused as already reported; 3 days ago is
    the demo data's own collision)."""
    assert days_ago >= 4
    day = local_today() - timedelta(days=days_ago)
    return [f"我要报案,{day.month}月{day.day}日下午三点在中山路被追尾了,后保险杠坏了,大概三千块",
            "AUTO-2026-0001", DATE_OF_BIRTH, "没人受伤", "对"]


DATE_OF_BIRTH = "1985-04-12"  # 张伟's, the demo data's


def as_stored(messages: List[str]) -> List[str]:
    """The customer's messages as the tracker store keeps them: the answer to the identity
    question is replaced by its label (bot/privacy.py), never kept in clear."""
    from bot.privacy import answer_label

    return [answer_label(m, "zh") if m == DATE_OF_BIRTH else m for m in messages]


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return url.replace(parts.netloc, f"{netloc[0]}@{host}" if len(netloc) == 2 else host, 1)


@dataclass
class ScaleServices:
    """Addresses of the real services (direct) and of the proxies the servers use."""

    claims_db: str  # direct, for the tests' own checks
    trackers_db: str
    redis: str
    rabbitmq: str
    queue: str
    pg_proxy: CuttableProxy
    redis_proxy: CuttableProxy
    rabbitmq_proxy: CuttableProxy

    @property
    def claims_db_via_proxy(self) -> str:
        return _with_port(self.claims_db, self.pg_proxy.port)

    @property
    def trackers_db_via_proxy(self) -> str:
        return _with_port(self.trackers_db, self.pg_proxy.port)

    @property
    def redis_via_proxy(self) -> str:
        return _with_port(self.redis, self.redis_proxy.port)

    @property
    def rabbitmq_via_proxy(self) -> str:
        return _with_port(self.rabbitmq, self.rabbitmq_proxy.port)



@dataclass
class Answer:
    status: int
    texts: List[str]
    retry_after: str | None = None


def say(base_url: str, sender: str, message: str, *, timeout: float = 120,
        metadata: Dict | None = None) -> Answer:
    """One web chat message to `base_url` (the balancer or one replica)."""
    body: Dict = {"sender": sender, "message": message}
    if metadata:
        body["metadata"] = metadata
    res = requests.post(base_url + WEBCHAT_WEBHOOK_PATH, json=body, timeout=timeout,
                        headers=signed_headers(sender))
    try:
        payload = res.json()
    except ValueError:
        payload = None
    texts = [m.get("text", "") for m in payload] if isinstance(payload, list) else []
    return Answer(res.status_code, texts, res.headers.get("Retry-After"))


def say_until_handled(base_url: str, sender: str, message: str, *, patience_s: float = 90,
                      log: List[Tuple[str, int]] | None = None) -> Answer:
    """Sends `message` again after each 'try again shortly' (503) or broken connection, as a
    customer would, until it is handled; `log` collects (message, status) of every try."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            answer = say(base_url, sender, message)
        except requests.RequestException:
            answer = Answer(0, [])
        if log is not None:
            log.append((message, answer.status))
        if answer.status == 200 or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def rest(base_url: str, sender: str, message: str) -> requests.Response:
    return requests.post(base_url + REST_PATH, json={"sender": sender, "message": message},
                         timeout=120)


def stored_events(trackers_db: str, sender: str) -> List[dict]:
    """The conversation's events as stored in PostgreSQL, in order."""
    engine = sa.create_engine(trackers_db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row[0]) for row in rows]


def user_texts(trackers_db: str, sender: str) -> List[str]:
    return [e.get("text") for e in stored_events(trackers_db, sender) if e["event"] == "user"]


def claims_of(claims_db: str, conversation_id: str) -> List[str]:
    engine = sa.create_engine(claims_db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT number FROM claims WHERE conversation_id = :c ORDER BY id"),
                {"c": conversation_id},
            ).all()
    finally:
        engine.dispose()
    return [row[0] for row in rows]


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def _drain(url: str, queue: str, idle_s: float) -> List[dict]:
    import aio_pika

    events: List[dict] = []
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, durable=True)
        while True:
            message = await q.get(no_ack=False, fail=False, timeout=idle_s)
            if message is None:
                return events
            events.append(json.loads(message.body))
            await message.ack()


def drain_events(services: ScaleServices, idle_s: float = 2.0) -> List[dict]:
    """Every event the replicas published since the last drain."""
    return asyncio.run(_drain(services.rabbitmq, services.queue, idle_s))


def wait_for(predicate, timeout: float = 30.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def drop_database(server: str, name: str) -> None:
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()
