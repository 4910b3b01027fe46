"""Servers started the way `make run` starts them, for the attacks in this room.

`default_servers` (session) is rasa_server.launcher.Servers with nothing opted into: Rasa's HTTP API
off, CORS for the web chat's own origin, the action server on 127.0.0.1 behind a secret made for
the run. `claims_servers` (tests/conftest.py) is the same with the API opted into by a token.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from rasa_server.launcher import Servers
from tests.support.e2e import E2E_CREDENTIALS, serve


@pytest.fixture(scope="session")
def default_servers(claims_model: Path, claims_db_url: str,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    work = tmp_path_factory.mktemp("security-servers")
    credentials = work / "credentials.yml"
    credentials.write_text(E2E_CREDENTIALS, encoding="utf-8")
    servers = Servers(claims_model, credentials=credentials, log_dir=work / "logs", env={
        "CLAIMS_DB_URL": claims_db_url,
        "CLAIMS_VAR_DIR": str(work / "var"),
        "RASA_TELEMETRY_ENABLED": "false",
        # Nothing opted into, whatever the developer's shell holds.
        "CLAIMS_RASA_API_TOKEN": "", "CLAIMS_RASA_JWT_SECRET": "", "CLAIMS_CORS_ORIGINS": "",
        "CLAIMS_ACTION_SERVER_TOKEN": "", "SANIC_REQUEST_MAX_SIZE": "", "CLAIMS_ENV": "",
        "CLAIMS_WEBCHAT_SESSION_KEY": "",
        # These servers share the store with claims_servers, whose suite checks hundreds of
        # identity answers a minute; the global limit has tests of its own.
        "CLAIMS_IDENTITY_ATTEMPTS_PER_MINUTE": "100000",
        # Every test conversation comes from 127.0.0.1 (the per-address limit has unit tests).
        "CLAIMS_IDENTITY_ADDRESS_CHECKS": "0",
    })
    yield from serve(servers)
