"""Registers, removes and shows the Telegram webhook (never automatic at start-up):

    python -m channels.telegram_setup set-webhook [URL]   # default CLAIMS_PUBLIC_URL + WEBHOOK_PATH
    python -m channels.telegram_setup webhook-info [--json]
    python -m channels.telegram_setup delete-webhook [--drop-pending-updates]

Needs TELEGRAM_TOKEN (and TELEGRAM_SECRET_TOKEN to set the webhook). The channel itself is
channels/telegram.py; the update types it asks Telegram for are `ALLOWED_UPDATES`, here only.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any, Sequence
from urllib.parse import urlsplit

from bot.cli import EXIT_OK, EXIT_REFUSED, _print_json, _table
from bot.clock import format_local
from bot.privacy import restrict_new_files
from bot.settings import get_settings

WEBHOOK_PATH = "/webhooks/telegram/webhook"
# The update types the webhook asks Telegram for; others are dropped by the channel if they come.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
EXIT_TELEGRAM_FAILED = 1
METHODS = {"set-webhook": "setWebhook", "delete-webhook": "deleteWebhook",
           "webhook-info": "getWebhookInfo"}


def telegram_call(method: str, params: dict[str, str] | None = None) -> Any:
    """One Bot API call with TELEGRAM_TOKEN against TELEGRAM_API_SERVER (aiogram raises its
    errors: a malformed token, an unreachable server, Telegram's refusal)."""
    import asyncio

    from aiogram import Bot
    from aiogram.bot.api import TelegramAPIServer

    settings = get_settings()

    async def call() -> Any:
        bot = Bot(settings.telegram_token, timeout=30,
                  server=TelegramAPIServer.from_base(settings.telegram_api_server))
        try:
            return await bot.request(method, params or {})
        finally:
            await bot.session.close()

    return asyncio.run(call())


def _webhook_params(args: argparse.Namespace) -> dict[str, str] | None:
    """setWebhook's parameters, or None (after saying why) when something it needs is missing."""
    settings = get_settings()
    secret = settings.telegram_secret_token
    if not secret or not all(ch.isalnum() or ch in "_-" for ch in secret) or len(secret) > 256:
        print("TELEGRAM_SECRET_TOKEN must be set: 1-256 letters, digits, '_' or '-' "
              "(e.g. openssl rand -hex 32)", file=sys.stderr)
        return None
    url = args.url or (settings.public_url + WEBHOOK_PATH if settings.public_url else "")
    if urlsplit(url).scheme not in ("https", "http") or not urlsplit(url).netloc:
        print("give the webhook URL (https://your.host/webhooks/telegram/webhook) or set "
              "CLAIMS_PUBLIC_URL", file=sys.stderr)
        return None
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + WEBHOOK_PATH
    params = {"url": url, "secret_token": secret,
              "allowed_updates": json.dumps(list(ALLOWED_UPDATES))}
    if args.max_connections:
        params["max_connections"] = str(args.max_connections)
    return params


def _show_webhook_info(result: Any, as_json: bool) -> None:
    if as_json:
        _print_json(result)
        return
    info = dict(result or {})
    last_error = info.get("last_error_date")
    rows = [["url", info.get("url") or "(none)"],
            ["pending updates", str(info.get("pending_update_count", 0))],
            ["allowed updates", ", ".join(info.get("allowed_updates") or []) or "(all)"],
            ["last error", (format_local(datetime.utcfromtimestamp(last_error))
                            + f" {info.get('last_error_message', '')}")
             if last_error else "-"]]
    print(_table(["webhook", ""], rows))


def run_command(args: argparse.Namespace) -> int:
    """One webhook command; returns the exit code (2: refused, 1: Telegram said no)."""
    from aiogram.utils.exceptions import TelegramAPIError

    if not get_settings().telegram_token:
        print("TELEGRAM_TOKEN is not set (the bot's token from @BotFather)", file=sys.stderr)
        return EXIT_REFUSED
    params: dict[str, str] = {}
    if args.command == "set-webhook":
        built = _webhook_params(args)
        if built is None:
            return EXIT_REFUSED
        params = built
    if getattr(args, "drop_pending_updates", False):
        params["drop_pending_updates"] = "true"
    method = METHODS[args.command]
    try:
        result = telegram_call(method, params)
    except (TelegramAPIError, OSError) as error:  # the secret never appears in these
        print(f"telegram {method} failed: {error}", file=sys.stderr)
        return EXIT_TELEGRAM_FAILED
    if method == "setWebhook":
        print(f"webhook set: {params['url']} (updates: {', '.join(ALLOWED_UPDATES)}; "
              "authenticated with TELEGRAM_SECRET_TOKEN)")
    elif method == "deleteWebhook":
        print("webhook deleted: Telegram keeps updates for up to 24 hours until one is set")
    else:
        _show_webhook_info(result, args.json)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m channels.telegram_setup",
        description="register or remove the Telegram webhook (TELEGRAM_TOKEN)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")
    set_webhook = commands.add_parser(
        "set-webhook", help="send Telegram's updates to this server, with the secret token",
        description="Registers URL (default: CLAIMS_PUBLIC_URL + "
        f"{WEBHOOK_PATH}) with TELEGRAM_SECRET_TOKEN as the header Telegram sends.",
    )
    set_webhook.add_argument("url", nargs="?", help="the public HTTPS webhook URL")
    set_webhook.add_argument("--max-connections", type=int, choices=range(1, 101),
                             metavar="1-100", help="parallel deliveries (Telegram: 40)")
    set_webhook.add_argument("--drop-pending-updates", action="store_true")
    delete_webhook = commands.add_parser("delete-webhook", help="stop the webhook")
    delete_webhook.add_argument("--drop-pending-updates", action="store_true")
    webhook_info = commands.add_parser(
        "webhook-info", help="the registered URL, pending updates and the last delivery error")
    webhook_info.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one webhook command; returns the exit code (2: refused or bad usage)."""
    restrict_new_files()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help and on usage errors
        return int(exit_.code or 0)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
