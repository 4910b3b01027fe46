"""Messages outside the customer's turn reach Telegram through the outbox (stage notices, agents'
words), and the webhook is registered by an explicit command: all against the Bot API stand-in."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Iterator

import pytest
from aiogram.utils import exceptions as tg

from bot.claims.lifecycle import advance_claim
from bot.outbox import senders as notify
from bot.outbox.delivery import deliver_pending
from bot.outbox.notices import list_notices, queue_message
from bot.settings import get_settings
from bot.store.db import unit_of_work
from bot.store.models import Claim
from channels import telegram_setup
from channels.telegram import TelegramInput
from channels.telegram_output import TelegramNoticeSender, is_permanent
from tests.standins.telegram import BLOCKED, CHAT_NOT_FOUND, SECRET, TOKEN, TelegramStandIn
from tests.support.store import seeded_store

CHAT = 80004321
CONVERSATION = f"tg-{CHAT}"
AUTO_CLAIM = "CLM-2026-000004"  # in documents_review: -> assessment sends "documents accepted"


@pytest.fixture(scope="module")
def telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn() as standin:
        yield standin


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          telegram: TelegramStandIn) -> Iterator[str]:
    telegram.reset()
    monkeypatch.delenv("CLAIMS_PUBLIC_URL", raising=False)
    with seeded_store(monkeypatch, tmp_path, TELEGRAM_TOKEN=TOKEN, TELEGRAM_SECRET_TOKEN=SECRET,
                      TELEGRAM_API_SERVER=telegram.base_url) as url:
        yield url


@pytest.fixture
def senders(telegram: TelegramStandIn) -> dict:
    return {"telegram": TelegramNoticeSender(TOKEN, telegram.base_url)}


def _tie_claim_to_chat(url: str, number: str = AUTO_CLAIM) -> None:
    """As if the claim had been reported in this Telegram chat."""
    with unit_of_work(url) as uow:
        claim = uow.session.query(Claim).filter_by(number=number).one()
        claim.channel, claim.conversation_id = "telegram", CONVERSATION
        uow.commit()


def _later(minutes: int) -> dt.datetime:
    return dt.datetime.utcnow() + dt.timedelta(minutes=minutes)


def test_a_stage_notice_is_sent_to_the_chat_once(store: str, telegram: TelegramStandIn,
                                                 senders: dict) -> None:
    _tie_claim_to_chat(store)
    advance_claim(AUTO_CLAIM, "assessment", actor="core-system", url=store)
    report = deliver_pending(senders, url=store)
    assert len(report.sent) == 1
    [text] = telegram.texts_to(CHAT)
    assert AUTO_CLAIM in text
    assert deliver_pending(senders, url=store, now=_later(120)).sent == []
    assert len(telegram.texts_to(CHAT)) == 1
    [notice] = list_notices(claim_number=AUTO_CLAIM, url=store)
    assert (notice.status, notice.channel, notice.attempts) == ("sent", "telegram", 1)


def test_a_failed_attempt_is_retried_and_delivered_once(store: str, telegram: TelegramStandIn,
                                                        senders: dict) -> None:
    _tie_claim_to_chat(store)
    advance_claim(AUTO_CLAIM, "assessment", actor="core-system", url=store)
    telegram.fail_next(500, "Internal Server Error")
    first = deliver_pending(senders, url=store)
    assert first.sent == [] and len(first.retrying) == 1
    assert telegram.texts_to(CHAT) == []
    assert deliver_pending(senders, url=store, now=_later(2)).sent == first.retrying
    assert len(telegram.texts_to(CHAT)) == 1
    [notice] = list_notices(claim_number=AUTO_CLAIM, url=store)
    assert (notice.status, notice.attempts) == ("sent", 2)


@pytest.mark.parametrize("failure", [BLOCKED, CHAT_NOT_FOUND])
def test_a_customer_who_blocked_the_bot_is_recorded_and_never_retried(
    store: str, telegram: TelegramStandIn, senders: dict, failure: tuple
) -> None:
    _tie_claim_to_chat(store)
    advance_claim(AUTO_CLAIM, "assessment", actor="core-system", url=store)
    telegram.fail_next(*failure)
    assert len(deliver_pending(senders, url=store).failed) == 1
    [notice] = list_notices(claim_number=AUTO_CLAIM, url=store)
    assert notice.status == "failed" and notice.last_error.startswith("permanent:")
    assert failure[1].split(": ", 1)[1] in notice.last_error.lower()
    assert deliver_pending(senders, url=store, now=_later(600)).sent == []
    assert len(telegram.calls_to("sendMessage")) == 1
    with unit_of_work(store) as uow:
        audited = [entry.action for entry in uow.audit.for_subject("notification", notice.id)]
    assert "notification.failed" in audited


def test_a_wrong_bot_token_is_retried_not_given_up(store: str, telegram: TelegramStandIn
                                                   ) -> None:
    _tie_claim_to_chat(store)
    advance_claim(AUTO_CLAIM, "assessment", actor="core-system", url=store)
    wrong = {"telegram": TelegramNoticeSender("999:wrong-token", telegram.base_url)}
    report = deliver_pending(wrong, url=store)
    assert report.failed == [] and len(report.retrying) == 1
    [notice] = list_notices(claim_number=AUTO_CLAIM, url=store)
    assert notice.status == "pending" and "Unauthorized" in notice.last_error


def test_an_agents_words_in_a_handoff_go_through_the_outbox_to_the_chat(
    store: str, telegram: TelegramStandIn, senders: dict
) -> None:
    from channels.agent_console import AgentConsoleInput

    class App:
        class ctx:  # noqa: N801 - Sanic's app.ctx
            input_channels = [TelegramInput(token=TOKEN, secret_token=SECRET,
                                            api_server=telegram.base_url)]

    # The console pushes only through an output channel; Telegram's has none, so it queues.
    assert AgentConsoleInput._push_output(App, "telegram") is None
    long_text = "您好，我是王小明，" + "我们正在核对您的材料。" * 500
    queue_message(CONVERSATION, "telegram", long_text, kind="agent_message", language="zh",
                  url=store)
    assert len(deliver_pending(senders, url=store).sent) == 1
    parts = telegram.texts_to(CHAT)
    assert len(parts) == 2 and all(len(part) <= 4096 for part in parts)
    assert "".join(parts) == long_text


def test_a_message_for_a_conversation_that_is_not_telegrams_fails_at_once(
    store: str, senders: dict, telegram: TelegramStandIn
) -> None:
    queue_message("web-123", "telegram", "你好", kind="agent_message", url=store)
    assert len(deliver_pending(senders, url=store).failed) == 1
    assert telegram.calls == []


def test_the_channel_registers_its_sender_only_when_configured(
    store: str, telegram: TelegramStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify, "_registry", {})
    TelegramInput(token="", secret_token=SECRET).blueprint(lambda message: None)
    assert notify.registered_senders() == {}
    TelegramInput().blueprint(lambda message: None)  # from the environment
    assert isinstance(notify.registered_senders()["telegram"], TelegramNoticeSender)


@pytest.mark.parametrize("error,permanent", [
    (tg.BotBlocked("Forbidden: bot was blocked by the user"), True),
    (tg.UserDeactivated("Forbidden: user is deactivated"), True),
    (tg.ChatNotFound("Bad Request: chat not found"), True),
    (tg.Unauthorized("forbidden: bot is not a member of the channel chat"), True),
    (tg.Unauthorized("Unauthorized"), False),
    (tg.RetryAfter(30), False),
    (tg.NetworkError("aiohttp client throws an error"), False),
    (tg.TelegramAPIError("Internal Server Error"), False),
])
def test_which_bot_api_errors_are_permanent(error: Exception, permanent: bool) -> None:
    assert is_permanent(error) is permanent


# --- python -m channels.telegram_setup ...  -------------------------------------------------

def test_set_webhook_registers_the_url_with_the_secret_and_the_update_types(
    store: str, telegram: TelegramStandIn, capsys: pytest.CaptureFixture
) -> None:
    assert telegram_setup.main(["set-webhook", "https://claims.example.com"]) == 0
    assert telegram.webhook["url"] == "https://claims.example.com/webhooks/telegram/webhook"
    assert telegram.webhook["secret_token"] == SECRET
    assert telegram.webhook["allowed_updates"] == ["message", "edited_message",
                                                   "callback_query"]
    out = capsys.readouterr().out
    assert "webhooks/telegram/webhook" in out and SECRET not in out

    assert telegram_setup.main(["webhook-info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["url"] == "https://claims.example.com/webhooks/telegram/webhook"
    assert telegram_setup.main(["webhook-info"]) == 0
    assert "claims.example.com" in capsys.readouterr().out

    assert telegram_setup.main(["delete-webhook", "--drop-pending-updates"]) == 0
    assert telegram.webhook == {}
    assert telegram.calls_to("deleteWebhook") == [{"drop_pending_updates": "true"}]


def test_set_webhook_defaults_to_the_public_url(store: str, telegram: TelegramStandIn,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_PUBLIC_URL", "https://claims.example.org/")
    get_settings.cache_clear()
    assert telegram_setup.main(["set-webhook", "--max-connections", "10"]) == 0
    assert telegram.webhook["url"] == "https://claims.example.org/webhooks/telegram/webhook"
    assert telegram.webhook["max_connections"] == "10"


@pytest.mark.parametrize("unset,args", [
    ("TELEGRAM_TOKEN", ["webhook-info"]),
    ("TELEGRAM_SECRET_TOKEN", ["set-webhook", "https://claims.example.com"]),
    (None, ["set-webhook"]),  # no URL and no CLAIMS_PUBLIC_URL
    (None, ["set-webhook", "claims.example.com/hook"]),
])
def test_webhook_commands_refuse_without_what_they_need(
    store: str, telegram: TelegramStandIn, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture, unset: str | None, args: list,
) -> None:
    if unset:
        monkeypatch.delenv(unset)
        get_settings.cache_clear()
    assert telegram_setup.main(args) == 2
    assert capsys.readouterr().err.strip()
    assert telegram.calls == []


def test_a_refusal_by_telegram_is_reported(store: str, telegram: TelegramStandIn,
                                           capsys: pytest.CaptureFixture) -> None:
    telegram.fail_next(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook",
                       method="setWebhook")
    assert telegram_setup.main(["set-webhook", "https://claims.example.com/x"]) == 1
    err = capsys.readouterr().err
    assert "https url must be provided" in err.lower() and SECRET not in err
