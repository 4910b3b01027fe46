"""`python -m bot documents chase|rerequests`: one missing-document chase round (the server
runs the same on its own interval), and the share of claims asked for a document again."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.clock import parse_now as _parse_now  # one reading of --now for every command

EXIT_OK, EXIT_REFUSED = 0, 2


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _cmd_chase(args: argparse.Namespace) -> int:
    from bot.documents.chase import chase_missing_documents

    try:
        now = _parse_now(args.now)
    except ValueError:
        print(f"--now: not an ISO date or datetime: {args.now}", file=sys.stderr)
        return EXIT_REFUSED
    report = chase_missing_documents(now, url=args.db_url)
    if args.json:
        _print_json(report.as_dict())
    else:
        print(f"checked {report.checked} claims; reminded {len(report.reminded)} "
              f"({', '.join(report.reminded) or '-'}); complete {len(report.complete)}; "
              f"chase tasks {len(report.tasks)}")
    return EXIT_OK


def _cmd_rerequests(args: argparse.Namespace) -> int:
    from bot.documents.chase import rerequest_figures

    figures = rerequest_figures(url=args.db_url)
    if args.json:
        _print_json(figures)
    else:
        print(f"{figures['rerequested']} of {figures['claims']} claims re-requested "
              f"({figures['share']:.1%}; target at most {figures['target']:.0%}, "
              f"was {figures['baseline']:.0%})")
    return EXIT_OK


def add_documents_commands(commands: argparse._SubParsersAction) -> None:
    documents = commands.add_parser("documents", help="chase missing documents; re-requests")
    actions = documents.add_subparsers(dest="documents_command", required=True, metavar="ACTION")
    chase = actions.add_parser(
        "chase", help="one chase round: reminders due, chase tasks, stop when complete",
        description="Queues a reminder (outbox) for each claim whose reminder is due "
        "(CLAIMS_DOCUMENT_REMINDER_DAYS after the report, and 24 h after a 'documents later' "
        "promise), naming only items of the first notice or rejected since (bot/documents/"
        "chase.py).")
    chase.add_argument("--now", help="pretend it is this ISO date/time")
    chase.add_argument("--json", action="store_true")
    chase.set_defaults(handler=_cmd_chase)
    rerequests = actions.add_parser(
        "rerequests", help="the share of claims asked for a document again (target <= 10%%)")
    rerequests.add_argument("--json", action="store_true")
    rerequests.set_defaults(handler=_cmd_rerequests)
