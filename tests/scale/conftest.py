"""A scaled-out deployment for the scale tests: two Rasa replicas and two action servers behind
the local load balancers, trackers and claims in fresh PostgreSQL databases, locks in Redis,
events to a fresh RabbitMQ queue. PostgreSQL and Redis are reached through cuttable TCP proxies
(tests/scale/tcp_proxy.py) so that a test can take them away and bring them back.

The services must run on 127.0.0.1 (PostgreSQL 5432 as user postgres, Redis 6379, RabbitMQ 5672
guest/guest, or CLAIMS_SCALE_PG / CLAIMS_SCALE_REDIS / CLAIMS_SCALE_RABBITMQ): when one cannot
be reached the tests FAIL, saying which.
"""
from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from rasa_server.launcher import Deployment
from scripts.run_scaled import (
    ServiceUnavailable,
    check_rabbitmq,
    check_redis,
    ensure_postgres_database,
    scale_env,
)
from tests.scale.helpers import (
    PG_SERVER,
    RABBITMQ_SERVER,
    REDIS_SERVER,
    ScaleServices,
    drop_database,
)
from tests.scale.tcp_proxy import CuttableProxy
from tests.support.e2e import (
    E2E_CORE_API_TOKEN,
    E2E_CREDENTIALS,
    E2E_WEBCHAT_SESSION_KEY,
    E2ESetupError,
    find_model,
    seed_database,
    serve,
)


async def _delete_queue(url: str, queue: str) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)


@pytest.fixture(scope="session")
def scale_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleServices]:
    run = uuid.uuid4().hex[:8]
    claims_db = f"{PG_SERVER}/claims_scale_{run}"
    trackers_db = f"{PG_SERVER}/trackers_scale_{run}"
    problem = ""
    try:
        ensure_postgres_database(claims_db)
        ensure_postgres_database(trackers_db)
        check_redis(REDIS_SERVER)
        check_rabbitmq(RABBITMQ_SERVER)
    except ServiceUnavailable as err:
        problem = (f"{err}. The scale tests need PostgreSQL, Redis and RabbitMQ on this "
                   "machine (see README, Scale-out).")
    if problem:
        pytest.fail(problem, pytrace=False)
    pg = urlsplit(PG_SERVER)
    redis_parts = urlsplit(REDIS_SERVER)
    pg_proxy = CuttableProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    redis_proxy = CuttableProxy(redis_parts.hostname or "127.0.0.1",
                                redis_parts.port or 6379).start()
    rabbit = urlsplit(RABBITMQ_SERVER)
    rabbitmq_proxy = CuttableProxy(rabbit.hostname or "127.0.0.1", rabbit.port or 5672).start()
    services = ScaleServices(claims_db, trackers_db, REDIS_SERVER, RABBITMQ_SERVER,
                             f"claims_scale_{run}", pg_proxy, redis_proxy, rabbitmq_proxy)
    try:
        yield services
    finally:
        for proxy in (pg_proxy, redis_proxy, rabbitmq_proxy):
            proxy.stop()
        for name in (f"claims_scale_{run}", f"trackers_scale_{run}"):
            drop_database(PG_SERVER, name)
        with contextlib.suppress(Exception):  # the queue may never have been declared
            asyncio.run(_delete_queue(RABBITMQ_SERVER, services.queue))


@pytest.fixture(scope="session")
def deployment(scale_services: ScaleServices,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Two Rasa replicas, two action servers, two balancers, sharing the services."""
    try:
        model = find_model()
    except E2ESetupError as err:
        pytest.fail(str(err), pytrace=False)
    work = tmp_path_factory.mktemp("scale")
    try:
        seed_database(scale_services.claims_db, work / "var")
    except E2ESetupError as err:
        pytest.fail(str(err), pytrace=False)
    credentials = work / "credentials.yml"
    credentials.write_text(E2E_CREDENTIALS, encoding="utf-8")
    env = scale_env(scale_services.claims_db_via_proxy, scale_services.trackers_db_via_proxy,
                    scale_services.redis_via_proxy, scale_services.rabbitmq_via_proxy,
                    work / "var",
                    queue=scale_services.queue)
    env["CLAIMS_CORE_API_TOKEN"] = E2E_CORE_API_TOKEN
    env["CLAIMS_WEBCHAT_SESSION_KEY"] = E2E_WEBCHAT_SESSION_KEY  # both replicas share it
    env["CLAIMS_AGENT_HOURS"] = "00:00-00:00"
    deployment = Deployment(model, credentials=credentials, env=env, log_dir=work / "logs",
                            health_interval=0.3)
    yield from serve(deployment, "The scaled deployment")
