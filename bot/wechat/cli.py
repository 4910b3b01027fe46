"""`python -m bot wechat menu install|show`: the Official Account's custom menu from
bot/wechat/menu.yml, installed through WeChat's menu/create."""
from __future__ import annotations

import argparse
import json
from typing import Any


def _cmd_menu_show(args: argparse.Namespace) -> int:
    from bot.wechat.config import menu

    print(json.dumps(menu(), ensure_ascii=False, indent=2))
    return 0


def _cmd_menu_install(args: argparse.Namespace) -> int:
    import sys

    from bot.wechat.api import WeChatError, call, client_from_settings
    from bot.wechat.config import menu

    client = client_from_settings()
    if client is None:
        print("set WECHAT_APP_ID and WECHAT_APP_SECRET first", file=sys.stderr)
        return 2
    items = menu()
    try:
        call(lambda: client.menu.create(items))
    except WeChatError as error:
        print(f"WeChat refused the menu: {error}", file=sys.stderr)
        return 1
    names = " / ".join(str(button.get("name")) for button in items["button"])
    print(f"menu installed: {names}")
    return 0


def add_wechat_commands(commands: Any) -> None:
    wechat = commands.add_parser("wechat", help="the WeChat Official Account")
    wechat_commands = wechat.add_subparsers(dest="wechat_command", required=True,
                                            metavar="COMMAND")
    menu = wechat_commands.add_parser("menu", help="the custom menu (bot/wechat/menu.yml)")
    menu_commands = menu.add_subparsers(dest="menu_command", required=True, metavar="COMMAND")
    install = menu_commands.add_parser(
        "install", help="install the menu through WeChat's API (needs WECHAT_APP_ID/SECRET)")
    install.set_defaults(handler=_cmd_menu_install)
    show = menu_commands.add_parser("show", help="print the menu JSON that install sends")
    show.set_defaults(handler=_cmd_menu_show)
