"""`python -m bot report kpis|monthly|definitions`: the service KPIs over a period (table, JSON,
CSV or HTML), the monthly report a manager forwards (HTML and PDF), and docs/kpis.md."""
from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path

from bot.clock import as_utc_naive, format_local, parse_now
from bot.kpis import Period, UnknownLine, compute
from bot.kpis.report import CHANNEL_NAMES
from bot.store.models import LINES_OF_BUSINESS

EXIT_OK, EXIT_REFUSED = 0, 2
EMPTY_MESSAGE = ("no data: nothing in this period for any KPI to count (no claims, complaints, "
                 "handoffs or scores); every figure is shown as 无数据 / no data")


def _refuse(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_REFUSED


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # beyond: no store holds it


def _day(text: str, option: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option}: not a date (YYYY-MM-DD): {text}") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{option}: {text} is out of range ({EARLIEST} to {LATEST})")
    return day


def _now(text: str | None):
    try:
        return parse_now(text)
    except ValueError:
        raise ValueError(f"--now: not an ISO date or date/time (YYYY-MM-DD or "
                         f"YYYY-MM-DDTHH:MM): {text}") from None


def _write(path: str, option: str, text: str) -> None:
    """Write `text` to `path`; ValueError naming the option when it cannot be written."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{option}: cannot write {path}: "
                         f"{error.strerror or error}") from None


def known_channels(url: str | None) -> list[str]:
    """The channels a report can be cut by: those the channels write (report.CHANNEL_NAMES)
    and any other the store's claims hold."""
    from bot.kpis.compute import stored_channels
    from bot.kpis.report import CHANNEL_NAMES

    return sorted(set(CHANNEL_NAMES) | set(stored_channels(url)))


def _check_channel(channel: str | None, url: str | None) -> None:
    if channel is None:
        return
    known = known_channels(url)
    if channel not in known:
        raise ValueError(f"--channel: unknown channel {channel!r}; known: " + ", ".join(known))


def _check_line(line: str | None) -> None:
    if line is not None and line not in LINES_OF_BUSINESS:
        raise UnknownLine(f"unknown line of business {line!r}; known: "
                          + ", ".join(LINES_OF_BUSINESS))


def _cmd_kpis(args: argparse.Namespace) -> int:
    from bot.kpis import report

    try:
        now = _now(args.now)
        first, last = _day(args.from_, "--from"), _day(args.to, "--to")
        if last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first}): "
                             "--to must be on or after --from")
        _check_line(args.line)
        _check_channel(args.channel, args.db_url)
        period = Period.of_days(first, last)
        results = compute(period, line=args.line, channel=args.channel, url=args.db_url,
                          now=now)
    except ValueError as error:  # UnknownLine and PeriodNotStarted are ones
        return _refuse(str(error))
    if args.json:
        print(json.dumps(report.to_json(results, period, args.line, args.channel),
                         ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(report.to_csv(results))
    elif args.html:
        page = report.kpis_html(results, period, args.line, args.channel)
        if args.html == "-":
            print(page)
        else:
            try:
                _write(args.html, "--html", page)
            except ValueError as error:
                return _refuse(str(error))
            print(f"wrote {args.html}")
    else:
        as_of = now if now is not None else as_utc_naive(None)
        so_far = (f"（截至 {format_local(as_of)} / so far, to {format_local(as_of)}）"
                  if as_of < period.end else "")
        print(f"服务指标 service KPIs {report.period_text(period)}{so_far}"
              + (f"，险种 line {report.line_name(args.line)}" if args.line else "")
              + (f"，渠道 channel {report.channel_name(args.channel)}" if args.channel else ""))
        print(report.text_table(report.HEADERS, report.rows(results)))
    if report.is_empty(results):
        return _refuse(EMPTY_MESSAGE)
    return EXIT_OK


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _cmd_monthly(args: argparse.Namespace) -> int:
    from bot.kpis import report

    match = _MONTH.match(args.month or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return _refuse(f"--month: not a month (YYYY-MM): {args.month}")
    try:
        now = _now(args.now)
        _check_line(args.line)
        year = int(match.group(1))
        if not EARLIEST.year <= year <= LATEST.year:
            raise ValueError(f"--month: {args.month} is out of range "
                             f"({EARLIEST:%Y-%m} to {LATEST:%Y-%m})")
        monthly = report.monthly_report(year, int(match.group(2)), line=args.line,
                                        url=args.db_url, now=now)
    except ValueError as error:  # PeriodNotStarted: a month after --now
        return _refuse(str(error))
    page = report.monthly_html(monthly)
    if args.html:
        try:
            Path(args.html).parent.mkdir(parents=True, exist_ok=True)
            _write(args.html, "--html", page)
        except (OSError, ValueError) as error:
            return _refuse(str(error) if isinstance(error, ValueError)
                           else f"--html: cannot write {args.html}: {error.strerror or error}")
        print(f"wrote {args.html}")
    if args.pdf:
        try:
            report.print_pdf(page, Path(args.pdf))
        except report.PdfToolMissing as error:
            return _refuse(str(error))
        except OSError as error:
            return _refuse(f"--pdf: cannot write {args.pdf}: {error.strerror or error}")
        print(f"wrote {args.pdf}")
    if not (args.html or args.pdf):
        print(report.monthly_title(monthly))
        print(report.text_table(report.MONTHLY_HEADERS, report.monthly_text(monthly)))
    if monthly.empty:
        return _refuse(EMPTY_MESSAGE)
    return EXIT_OK


def _cmd_definitions(args: argparse.Namespace) -> int:
    from bot.kpis.definitions import DOCS_FILE, render_markdown

    text = render_markdown() + "\n"
    if args.write:
        DOCS_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {DOCS_FILE}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def add_report_commands(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report", help="service KPIs against their targets; the monthly report")
    actions = report.add_subparsers(dest="report_command", required=True, metavar="ACTION")

    kpis = actions.add_parser(
        "kpis", help="every service KPI over local days FROM to TO (both included)",
        description="Each KPI beside its target and source (definitions: docs/kpis.md). A KPI "
        "with nothing to count shows 无数据 / no data, never 0%. Exit code 2 for a period "
        "ending before it starts or starting after --now, dates outside 2000-2099, an unknown "
        "line of business or channel, a file that cannot be written, or a period with no "
        "data.")
    kpis.add_argument("--from", dest="from_", required=True, help="first day, YYYY-MM-DD")
    kpis.add_argument("--to", required=True, help="last day, YYYY-MM-DD (included)")
    kpis.add_argument("--line", help="one line of business: " + ", ".join(LINES_OF_BUSINESS))
    kpis.add_argument("--channel", help="one channel (the claim's, complaint's or handoff's): "
                      + ", ".join(CHANNEL_NAMES))
    kpis.add_argument("--now", help="pretend it is this ISO date/time (local time)")
    form = kpis.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true")
    form.add_argument("--html", metavar="FILE", help="write an HTML page (- for stdout)")
    kpis.set_defaults(handler=_cmd_kpis)

    monthly = actions.add_parser(
        "monthly", help="one month against the one before: tables and charts, HTML and PDF",
        description="The month's KPIs with last month's and the change, charts (inline SVG), "
        "and the headline figures per line of business and per channel. --pdf prints the "
        "same page with headless Chromium (/usr/bin/chromium or CLAIMS_CHROMIUM). Without "
        "--html or --pdf: a table on stdout.")
    monthly.add_argument("--month", required=True, help="YYYY-MM")
    monthly.add_argument("--line", help="one line of business")
    monthly.add_argument("--html", metavar="FILE", help="write the report as HTML")
    monthly.add_argument("--pdf", metavar="FILE", help="write the report as PDF")
    monthly.add_argument("--now", help="pretend it is this ISO date/time (local time)")
    monthly.set_defaults(handler=_cmd_monthly)

    definitions = actions.add_parser(
        "definitions", help="each KPI's definition as Markdown (docs/kpis.md)")
    definitions.add_argument("--write", action="store_true", help="write docs/kpis.md")
    definitions.set_defaults(handler=_cmd_definitions)
