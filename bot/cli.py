"""Command line for operators and the back office: migrate, seed, list/show/advance claims,
deadline lights, the notice outbox, complaints, tasks, agent accounts and Telegram's webhook."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.agents import AgentError, add_agent, list_agents
from bot.agents import reset_password as reset_agent_password
from bot.agents import set_active as set_agent_active
from bot.agents import set_role as set_agent_role
from bot.claims.deadlines import ClaimDeadlines, Clock
from bot.claims.lifecycle import advance_claim, open_claims_by_light
from bot.claims.model import ClaimError, ClaimStage
from bot.clock import as_utc_naive, format_local, local_today, parse_now, to_local, utc_now
from bot.complaints import STATUSES as COMPLAINT_STATUSES
from bot.complaints import ComplaintClock, ComplaintView, list_complaints
from bot.dates import EXACT, incident_time_text
from bot.outbox.delivery import DEFAULT_MAX_ATTEMPTS, deliver_pending
from bot.outbox.notices import list_notices, notice_kind
from bot.outbox.senders import FALLBACK_CHANNEL, print_sender, registered_senders
from bot.privacy import mask_phone, restrict_new_files
from bot.seed import is_empty, seed
from bot.store import migrate
from bot.store.db import engine_for, unit_of_work
from bot.store.models import AGENT_ROLES, Claim
from bot.tasks import KINDS as TASK_KINDS
from bot.tasks import TaskError, TaskView, finish_task, list_tasks, take_task

EXIT_OK, EXIT_REFUSED = 0, 2
AGENT_PASSWORD_ENV = "CLAIMS_AGENT_PASSWORD"


# --- plain data for --json --------------------------------------------------------------------

def _json_value(value: Any) -> Any:
    """ISO dates, local ISO datetimes with offset, amounts as exact strings ("3200.00")."""
    if isinstance(value, datetime):
        return to_local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, ClaimStage):
        return value.value
    return value


def _summary(claim: Claim) -> dict[str, Any]:
    policy = claim.policy
    return {
        "number": claim.number,
        "stage": claim.stage,
        "policy_number": policy.number,
        "line_of_business": policy.line_of_business,
        "customer_name": policy.customer.name,
        "incident_type": claim.incident_type,
        "reported_at": claim.reported_at,
        "estimated_amount": claim.estimated_amount,
    }


def _detail(claim: Claim) -> dict[str, Any]:
    policy, customer = claim.policy, claim.policy.customer
    return {
        **_summary(claim),
        "incident_at": claim.incident_at,
        "incident_time_precision": claim.incident_time_precision,
        "incident_place": claim.incident_place,
        "description": claim.description,
        "injuries": claim.injuries,
        "approved_amount": claim.approved_amount,
        "paid_amount": claim.paid_amount,
        "paid_at": claim.paid_at,
        "denial_reason_zh": claim.denial_reason_zh,
        "denial_reason_en": claim.denial_reason_en,
        "denial_clause": claim.denial_clause,
        "channel": claim.channel,
        "language": claim.language,
        "documents_completed_at": claim.documents_completed_at,
        "flags": list(claim.flags or []),
        "policy": {
            "number": policy.number,
            "line_of_business": policy.line_of_business,
            "product_name_zh": policy.product_name_zh,
            "product_name_en": policy.product_name_en,
            "sum_insured": policy.sum_insured,
            "deductible": policy.deductible,
            "start_date": policy.start_date,
            "end_date": policy.end_date,
            "status": policy.status,
        },
        "customer": {"name": customer.name, "phone_masked": mask_phone(customer.phone)},
        "documents": [
            {
                "code": doc.code,
                "label_zh": doc.label_zh,
                "label_en": doc.label_en,
                "mandatory": doc.mandatory,
                "fetched_by_insurer": doc.fetched_by_insurer,
                "status": doc.status,
                "received_at": doc.received_at,
            }
            for doc in claim.documents
        ],
        "events": [
            {
                "from_stage": event.from_stage,
                "to_stage": event.to_stage,
                "at": event.at,
                "actor": event.actor,
                "note": event.note,
            }
            for event in claim.events
        ],
    }


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _jsonable(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_jsonable(value) for value in data]
    return _json_value(data)


def _print_json(data: Any) -> None:
    print(json.dumps(_jsonable(data), ensure_ascii=False, indent=2))


# --- human output ------------------------------------------------------------------------------

def _width(text: str) -> int:
    # Chinese characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([_width(h)] + [_width(row[i]) for row in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=False))
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _stage_text(stage: str) -> str:
    return f"{stage} ({ClaimStage(stage).label_zh})"


def _incident_time(data: dict[str, Any]) -> str:
    """The incident time with its precision ("2026-11-14 15:00", "约 下午 / afternoon (approx.)",
    "时间不详 / time of day unknown"); claims stored before precision was kept read as exact."""
    precision = data.get("incident_time_precision")
    if precision in (None, EXACT):
        return format_local(data["incident_at"])
    return (f"{incident_time_text(data['incident_at'], precision, 'zh')} / "
            f"{incident_time_text(data['incident_at'], precision, 'en')}")


def _print_claim(data: dict[str, Any]) -> None:
    policy, customer = data["policy"], data["customer"]
    print(f"Claim     {data['number']}  {_stage_text(data['stage'])}")
    print(f"Policy    {policy['number']}  {policy['product_name_zh']} / {policy['product_name_en']}"
          f"  ({policy['start_date']} .. {policy['end_date']}, {policy['status']})")
    print(f"Customer  {customer['name']}  {customer['phone_masked']}")
    print(f"Incident  {data['incident_type']}  {_incident_time(data)}  "
          f"{data['incident_place'] or ''}".rstrip())
    if data["description"]:
        print(f"          {data['description']}")
    print(f"Reported  {format_local(data['reported_at'])} via {data['channel'] or '-'}")
    print(f"Amounts   estimated {_amount(data['estimated_amount']) or '-'}  "
          f"approved {_amount(data['approved_amount']) or '-'}  "
          f"paid {_amount(data['paid_amount']) or '-'} {format_local(data['paid_at'])}".rstrip())
    if data["denial_reason_zh"] or data["denial_reason_en"]:
        print(f"Denial    {data['denial_clause'] or ''}")
        for reason in (data["denial_reason_zh"], data["denial_reason_en"]):
            if reason:
                print(f"          {reason}")
    print("\nDocuments")
    rows = [
        [
            doc["status"] + (" (insurer fetches)" if doc["fetched_by_insurer"] else ""),
            "mandatory" if doc["mandatory"] else "optional",
            doc["code"],
            f"{doc['label_zh']} / {doc['label_en']}",
            format_local(doc["received_at"]),
        ]
        for doc in data["documents"]
    ]
    print(_table(["status", "need", "code", "document", "received"], rows) if rows else "  none")
    print("\nEvents")
    rows = [
        [format_local(e["at"]), e["from_stage"] or "-", e["to_stage"], e["actor"], e["note"] or ""]
        for e in data["events"]
    ]
    print(_table(["at", "from", "to", "actor", "note"], rows) if rows else "  none")


# --- commands ---------------------------------------------------------------------------------

def _cmd_migrate(args: argparse.Namespace) -> int:
    migrate.upgrade(args.db_url)
    url = engine_for(args.db_url).url.render_as_string(hide_password=True)
    print(f"{url}: at revision {migrate.current_revision(args.db_url)}")
    return EXIT_OK


def _cmd_seed(args: argparse.Namespace) -> int:
    # s-seed-alerts: --history's days and clock are checked before anything is written.
    if getattr(args, "history", None) is not None and args.history < 1:
        print("--history: at least 1 day", file=sys.stderr)
        return EXIT_REFUSED
    history_now = _now_option(getattr(args, "now", None))
    if args.reset:
        migrate.reset(args.db_url)
    else:
        migrate.upgrade(args.db_url)
    if args.if_empty and not is_empty(args.db_url):
        print("store already holds customers; nothing seeded")
        return EXIT_OK
    today = date.fromisoformat(args.today) if args.today else None
    if today is None and history_now is not None:
        today = local_today(history_now)
    report = seed(args.db_url, today=today)
    created = ", ".join(f"{count} {kind}" for kind, count in report.created.items())
    print(f"seeded: {created}" if report.changed else "demo data already present; nothing changed")
    if getattr(args, "history", None) is not None:
        return _seed_history(args, history_now)
    return EXIT_OK


def _cmd_claims_list(args: argparse.Namespace) -> int:
    with unit_of_work(args.db_url) as uow:
        claims = [_summary(claim) for claim in uow.claims.list(stage=args.stage)]
    if args.json:
        _print_json(claims)
        return EXIT_OK
    rows = [
        [
            c["number"], _stage_text(c["stage"]), c["policy_number"], c["customer_name"],
            c["incident_type"], format_local(c["reported_at"]), _amount(c["estimated_amount"]),
        ]
        for c in claims
    ]
    headers = ["number", "stage", "policy", "customer", "incident", "reported", "estimated"]
    print(_table(headers, rows) if rows else "no claims")
    return EXIT_OK


def _cmd_claims_show(args: argparse.Namespace) -> int:
    with unit_of_work(args.db_url) as uow:
        claim = uow.claims.by_number(args.number)
        data = _detail(claim) if claim is not None else None
    if data is None:
        print(f"claim {args.number} not found", file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        _print_json(data)
    else:
        _print_claim(data)
    return EXIT_OK


def _cmd_claims_advance(args: argparse.Namespace) -> int:
    now = _now_option(args.now)
    try:
        view = advance_claim(
            args.number, args.stage, actor=args.actor, note=args.note, now=now, url=args.db_url
        )
    except ClaimError as error:
        print(str(error), file=sys.stderr)
        return EXIT_REFUSED
    last = view.events[-1]
    # advance_claim queued the customer's notice of this move, if it is one they are told about.
    notice = notice_kind(last.from_stage, view.stage)
    if args.json:
        _print_json({
            "number": view.number,
            "from_stage": last.from_stage,
            "stage": view.stage,
            "at": last.at,
            "actor": last.actor,
            "note": last.note,
            "notice": notice,
        })
    else:
        from_text = last.from_stage.value if last.from_stage else "-"
        print(f"{view.number}: {from_text} -> {view.stage.value} ({view.stage.label_zh}) "
              f"by {last.actor}")
        if notice:
            print(f"notice queued: {notice} (python -m bot notices deliver)")
    return EXIT_OK


_parse_now = parse_now  # bot.clock: one reading of --now for every command


class _Refused(Exception):
    """A command refused with a one-line message: main() prints it and exits 2."""


def _now_option(text: str | None) -> datetime | None:
    """The --now option read once (bot.clock.parse_now); a bad value refuses the command."""
    try:
        return parse_now(text)
    except ValueError:
        raise _Refused(f"--now: not an ISO date or datetime: {text}") from None


def _clock_data(clock: Clock) -> dict[str, Any]:
    return {
        "name": clock.name,
        "band": clock.band,
        "status": clock.status.value,
        "late": clock.late,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "red_at": clock.red_at,
        "met_at": clock.met_at,
        "label_zh": clock.label("zh"),
        "label_en": clock.label("en"),
    }


def _deadlines_data(item: ClaimDeadlines) -> dict[str, Any]:
    return {
        "number": item.number,
        "stage": item.stage,
        "light": item.light.value,
        "binding": _clock_data(item.binding) if item.binding else None,
        "clocks": [_clock_data(clock) for clock in item.clocks],
    }


def _cmd_deadlines(args: argparse.Namespace) -> int:
    now = _now_option(args.now)
    items = open_claims_by_light(now, url=args.db_url)
    if args.json:
        _print_json([_deadlines_data(item) for item in items])
        return EXIT_OK
    rows = []
    for item in items:
        binding = item.binding
        rows.append([
            item.light.value.upper(), item.number, _stage_text(item.stage.value),
            binding.name if binding else "-",
            format_local(binding.due_at) if binding else "-",
            binding.status.value if binding else "-",
            binding.label(args.lang) if binding else "",
        ])
    headers = ["light", "claim", "stage", "binding", "due", "status", "deadline"]
    print(_table(headers, rows) if rows else "no open claims")
    return EXIT_OK


def _cmd_notices_list(args: argparse.Namespace) -> int:
    notices = list_notices(status=args.status, claim_number=args.claim, url=args.db_url)
    if args.json:
        _print_json([dict(vars(notice)) for notice in notices])
        return EXIT_OK
    rows = [
        [
            str(n.id), n.status, n.claim_number or "-", n.kind, n.channel or "-",
            n.language or "-", str(n.attempts), format_local(n.created_at),
            format_local(n.sent_at) or format_local(n.next_attempt_at),
            (n.last_error or "")[:60],
        ]
        for n in notices
    ]
    headers = ["id", "status", "claim", "kind", "channel", "lang", "tries", "queued",
               "sent/next", "last error"]
    print(_table(headers, rows) if rows else "no notices")
    return EXIT_OK


def _cmd_notices_deliver(args: argparse.Namespace) -> int:
    senders = registered_senders()
    if not args.only_registered:
        senders.setdefault(FALLBACK_CHANNEL, print_sender)
    if not senders:
        print("no senders registered; nothing delivered", file=sys.stderr)
        return EXIT_OK
    now = _now_option(args.now)
    report = deliver_pending(senders, now=now, max_attempts=args.max_attempts, url=args.db_url)
    print(f"sent {len(report.sent)}, retrying {len(report.retrying)}, "
          f"failed {len(report.failed)}")
    return EXIT_OK


def _cmd_notices_stats(args: argparse.Namespace) -> int:
    from bot.outbox.stats import delivery_stats, period_from_text

    try:
        now = _parse_now(args.now) or as_utc_naive(None)
    except ValueError:
        print(f"--now: not an ISO date or date/time: {args.now}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        start, end = period_from_text(args.from_, args.to, days=args.days, now=now)
        stats = delivery_stats(start, end, url=args.db_url)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        _print_json(stats.as_dict())
        return EXIT_OK

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    def duration(seconds: float | None) -> str:
        if seconds is None:
            return "-"
        return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"

    rows = [[row.channel, row.kind, str(row.queued), str(row.delivered), str(row.by_sms),
             str(row.failed), str(row.pending), share(row.share), duration(row.median_seconds),
             duration(row.p90_seconds)] for row in (*stats.rows, stats.total, stats.proactive)]
    print(f"通知送达统计 {format_local(stats.start)} 至 {format_local(stats.end)} / "
          f"notices queued {format_local(stats.start)} to {format_local(stats.end)}")
    print(_table(["渠道 channel", "类型 kind", "排队 queued", "送达 delivered", "短信 by SMS",
                  "失败 failed", "待发 pending", "送达率 share", "中位 median", "P90"], rows))
    verdict = {None: "期间无主动通知 / no proactive notices in the period",
               True: "达标 / met", False: "未达标 / NOT met"}
    print(f"主动状态通知送达率 / proactive status notices delivered: "
          f"{share(stats.proactive.share)} (目标 target {stats.target:.0%}): "
          f"{verdict[stats.met]}")
    return EXIT_OK


def _complaint_clock_data(clock: ComplaintClock) -> dict[str, Any]:
    return {"due_at": clock.due_at, "status": clock.status.value, "met_at": clock.met_at,
            "late": clock.late}


def _complaint_data(view: ComplaintView) -> dict[str, Any]:
    return {
        "reference": view.reference,
        "status": view.status,
        "received_at": view.received_at,
        "channel": view.channel,
        "complainant_name": view.complainant_name,
        "phone_masked": view.phone_masked,
        "verified_customer": view.customer_id is not None,
        "about_kind": view.about_kind,
        "subject": view.subject,
        "claim_number": view.claim_number,
        "request": view.request,
        "facts": view.facts,
        "complexity": view.complexity,
        "repeat_of": view.repeat_of,
        "repeated": view.repeated,
        "acknowledge": _complaint_clock_data(view.acknowledge),
        "decision": _complaint_clock_data(view.decision),
        "outcome": view.outcome,
        "accepted": view.accepted,
        "decided_by": view.decided_by,
    }


def _clock_cell(clock: ComplaintClock) -> str:
    state = "late" if clock.late else clock.status.value
    return f"{format_local(clock.due_at)} {state}"


def _cmd_complaints_list(args: argparse.Namespace) -> int:
    now = _now_option(args.now)
    views = list_complaints(args.status, now=now, url=args.db_url)
    if args.json:
        _print_json([_complaint_data(view) for view in views])
        return EXIT_OK
    rows = [
        [
            view.reference, view.status, format_local(view.received_at),
            view.complainant_name or "-", view.about_kind, view.subject[:30],
            _clock_cell(view.acknowledge), _clock_cell(view.decision), view.complexity,
            view.repeat_of or "",
            {True: "yes", False: "no", None: ""}[view.accepted],
        ]
        for view in views
    ]
    headers = ["reference", "status", "received", "complainant", "about", "subject",
               "acknowledge by", "decide by", "complexity", "repeat of", "accepted"]
    print(_table(headers, rows) if rows else "no complaints")
    return EXIT_OK


def _cmd_agents_add(args: argparse.Namespace) -> int:
    password = os.environ.get(AGENT_PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            print(f"no password: set {AGENT_PASSWORD_ENV} or run in a terminal", file=sys.stderr)
            return EXIT_REFUSED
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            print("the passwords differ; nothing created", file=sys.stderr)
            return EXIT_REFUSED
    try:
        agent = add_agent(args.username, password, args.display_name, role=args.role,
                          url=args.db_url)
    except AgentError as error:
        print(str(error), file=sys.stderr)
        return EXIT_REFUSED
    print(f"agent {agent.username} ({agent.display_name}, {agent.role}) created")
    return EXIT_OK


def _cmd_agents_list(args: argparse.Namespace) -> int:
    agents = list_agents(url=args.db_url)
    if args.json:
        _print_json([dict(vars(agent)) for agent in agents])
        return EXIT_OK
    rows = [[a.username, a.display_name, a.role, "active" if a.active else "inactive"]
            for a in agents]
    print(_table(["username", "name", "role", "state"], rows) if rows else "no agents")
    return EXIT_OK


def _new_agent_password() -> str | None:
    """The password from AGENT_PASSWORD_ENV, or asked twice in a terminal; None (said why)."""
    password = os.environ.get(AGENT_PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        print(f"no password: set {AGENT_PASSWORD_ENV} or run in a terminal", file=sys.stderr)
        return None
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        print("the passwords differ; nothing changed", file=sys.stderr)
        return None
    return password


def _cmd_agents_change(args: argparse.Namespace) -> int:
    """set-role, disable, enable, reset-password: each ends the account's console sessions."""
    action = args.agents_command
    try:
        if action == "set-role":
            agent, ended = set_agent_role(args.username, args.role, url=args.db_url)
            done = f"is now {agent.role}"
        elif action in ("disable", "enable"):
            agent, ended = set_agent_active(args.username, action == "enable", url=args.db_url)
            done = f"{action}d"
        else:
            password = _new_agent_password()
            if password is None:
                return EXIT_REFUSED
            agent, ended = reset_agent_password(args.username, password, url=args.db_url)
            done = "has a new password"
    except AgentError as error:
        print(str(error), file=sys.stderr)
        return EXIT_REFUSED
    print(f"agent {agent.username} {done}; {ended} console session(s) ended")
    return EXIT_OK


def _task_data(view: TaskView) -> dict[str, Any]:
    return view.as_dict()


def _print_tasks(views: Sequence[TaskView]) -> None:
    now = utc_now()
    rows = [[str(v.id), v.kind, v.owner_role, v.status, format_local(v.due_at)
             + (" overdue" if v.overdue(now) else ""), v.claim_number or v.complaint_reference
             or "-", v.assignee or "-", v.title[:40]] for v in views]
    headers = ["id", "kind", "owner", "status", "due", "about", "assignee", "title"]
    print(_table(headers, rows) if rows else "no tasks")


def _cmd_tasks_list(args: argparse.Namespace) -> int:
    views = list_tasks(status=args.status, role=args.role, claim_number=args.claim,
                       kind=args.kind, url=args.db_url)
    if args.json:
        _print_json([_task_data(view) for view in views])
    else:
        _print_tasks(views)
    return EXIT_OK


def _cmd_tasks_work(args: argparse.Namespace) -> int:
    try:
        if args.tasks_command == "take":
            view = take_task(args.task_id, args.agent, url=args.db_url)
        else:
            view = finish_task(args.task_id, args.agent, args.outcome, url=args.db_url)
    except TaskError as error:
        if args.json:
            _print_json({"error": error.code, "message": error.message})
        print(error.message, file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        _print_json(_task_data(view))
    else:
        _print_tasks([view])
    return EXIT_OK


def _cmd_retention_run(args: argparse.Namespace) -> int:
    from bot.retention import RetentionError, run_retention

    now = _parse_now(args.now) if args.now else None
    try:
        report = run_retention(now, dry_run=args.dry_run, db_url=args.db_url,
                               actor="cli:retention")
        problems: list[str] = []
    except RetentionError as error:
        report, problems = error.report, error.errors
    if args.json:
        _print_json({**report.as_dict(), "errors": problems})
    else:
        title = "would remove (dry run)" if report.dry_run else "removed or anonymised"
        print(_table(["kind", title], [[kind, str(count)]
                                       for kind, count in report.counts.items()]))
        for problem in problems:
            print(f"failed: {problem}", file=sys.stderr)
    return EXIT_REFUSED if problems else EXIT_OK


# --- w-lights (issue #14): the back-office round and the escalations ---------------------------

_EXIT_ROUND_FAILED = 1  # some claim or complaint could not be saved; the next round retries


def _cmd_back_office_run(args: argparse.Namespace) -> int:
    from bot.back_office import run_back_office_round

    now = _now_option(args.now)
    report = run_back_office_round(now, url=args.db_url, actor="cli:back-office")
    from bot.alerts import run_alerts  # s-seed-alerts: the alerts round follows the round

    alerts = run_alerts(now, url=args.db_url, actor="cli:back-office")
    if args.json:
        _print_json({**report.as_dict(), "alerts": alerts.as_dict()})
        return _EXIT_ROUND_FAILED if report.failed else EXIT_OK
    rows = [[what, ", ".join(items) or "-"] for what, items in (
        ("supervision tasks opened", report.supervision_opened),
        ("escalated", report.escalated),
        ("review tasks opened", report.reviews_opened),
        ("complaint clock tasks opened", report.complaint_clocks_opened),
        ("alert tasks opened", alerts.opened),
        ("failed (next round tries again)", report.failed),
    )]
    rows.append(["tasks cancelled", str(report.cancelled)])
    rows.append(["seen", f"{report.claims_seen} claims, {report.complaints_seen} complaints"])
    print(_table(["back-office round", "at " + format_local(report.at)], rows))
    return _EXIT_ROUND_FAILED if report.failed else EXIT_OK


def _cmd_escalations_list(args: argparse.Namespace) -> int:
    from bot.escalations import list_escalations

    views = list_escalations(regulator_only=args.regulator, claim_number=args.claim,
                             url=args.db_url)
    if args.json:
        _print_json([view.as_dict() for view in views])
        return EXIT_OK
    rows = [[str(v.id), v.claim_number, v.light, v.clock, format_local(v.clock_due_at),
             v.sent_to_agent or v.sent_to_role, "yes" if v.regulator_report else "no",
             format_local(v.created_at)] for v in views]
    headers = ["id", "claim", "light", "clock", "due", "sent to", "regulator", "escalated"]
    print(_table(headers, rows) if rows else "no escalations")
    return EXIT_OK


def _add_back_office_commands(commands: Any) -> None:
    back_office = commands.add_parser(
        "back-office", help="the back-office round: lights, complaint clocks, review flags")
    back_office_commands = back_office.add_subparsers(dest="back_office_command", required=True,
                                                      metavar="ACTION")
    round_parser = back_office_commands.add_parser(
        "run", help="one round now (the server runs it every CLAIMS_BACK_OFFICE_MINUTES)",
        description="Yellow claim clocks open supervision tasks, red ones escalations (and the "
        "regulator-reporting list), complaint clocks near or past due open complaint_clock "
        "tasks, review flags open review tasks; tasks of clocks met again are cancelled. "
        "Running it twice opens nothing twice (bot/back_office.py).")
    round_parser.add_argument("--now", help="pretend it is this ISO date/time (local time)")
    round_parser.add_argument("--json", action="store_true")
    round_parser.set_defaults(handler=_cmd_back_office_run)
    escalations = commands.add_parser("escalations", help="claims escalated past their deadline")
    escalation_commands = escalations.add_subparsers(dest="escalations_command", required=True,
                                                     metavar="ACTION")
    escalations_list = escalation_commands.add_parser("list", help="escalations, newest first")
    escalations_list.add_argument("--regulator", action="store_true",
                                  help="only the regulator-reporting list")
    escalations_list.add_argument("--claim", help="only this claim's escalations")
    escalations_list.add_argument("--json", action="store_true")
    escalations_list.set_defaults(handler=_cmd_escalations_list)


# --- s-seed-alerts: demo history and alerts (issue #17, items 4 and 5) ---------------------------

def _add_history_arguments(seed_parser: argparse.ArgumentParser) -> None:
    from bot.seed_history import DEFAULT_SEED

    seed_parser.add_argument(
        "--history", type=int, metavar="DAYS",
        help="also add DAYS of made-up service history (claims, notices, scores, complaints, "
        "handoffs, escalations) ending now; once only (bot/seed_history.py)")
    seed_parser.add_argument("--now", help="the history ends at this ISO date/time (local time)")
    seed_parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                             help=f"random seed of the history (default {DEFAULT_SEED})")


def _seed_history(args: argparse.Namespace, now: datetime | None) -> int:
    from bot.seed_history import seed_history

    report = seed_history(args.history, now=now, seed=args.seed, url=args.db_url)
    if report.skipped:
        print("history already present; nothing changed")
        return EXIT_OK
    created = ", ".join(f"{count} {kind}" for kind, count in report.created.items())
    print(f"history: {report.days} days to {format_local(report.now)} (seed {report.seed}): "
          f"{created}")
    return EXIT_OK


def _cmd_alerts_run(args: argparse.Namespace) -> int:
    from bot.alerts import run_alerts

    now = _now_option(args.now)
    report = run_alerts(now, url=args.db_url, actor="cli:alerts")
    if args.json:
        _print_json(report.as_dict())
        return _EXIT_ROUND_FAILED if report.email_failed else EXIT_OK
    rows = [[what, ", ".join(items) or "-"] for what, items in (
        ("spikes", report.spikes),
        ("KPIs below target", report.below_target),
        ("alert tasks opened", report.opened),
        ("already open (figures updated)", report.still_open),
        ("e-mailed", report.emailed),
        ("e-mail failed (next round tries again)", report.email_failed),
    )]
    rows.append(["KPIs checked", "yes" if report.kpis_checked else "no (bot.kpis.compute missing)"])
    rows.append(["alert address", report.address or "none (CLAIMS_ALERT_ADDRESS unset)"])
    print(_table(["alerts round", "at " + format_local(report.at)], rows))
    # Each alert as a supervisor reads it: its title and figures, zh and en.
    for alert in report.alerts:
        print(f"\n{alert['title']}\n  {alert['text_zh']}\n  {alert['text_en']}")
    return _EXIT_ROUND_FAILED if report.email_failed else EXIT_OK


def _add_alert_commands(commands: Any) -> None:
    alerts = commands.add_parser("alerts", help="spikes and KPIs below target (bot/alerts.py)")
    alert_commands = alerts.add_subparsers(dest="alerts_command", required=True,
                                           metavar="ACTION")
    run_parser = alert_commands.add_parser(
        "run", help="one alerts round now (the back-office round runs it too)",
        description="A sudden rise in complaints or reports for one line, region or keyword, "
        "and any KPI below its target, opens one supervisor task (kind alert) and e-mails "
        "CLAIMS_ALERT_ADDRESS; an open alert is not raised twice (bot/alerts.py).")
    run_parser.add_argument("--now", help="pretend it is this ISO date/time (local time)")
    run_parser.add_argument("--json", action="store_true")
    run_parser.set_defaults(handler=_cmd_alerts_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--db-url", default=None, help="SQLAlchemy URL (default: CLAIMS_DB_URL or var/claims.db)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        handler=_cmd_migrate
    )

    seed_parser = commands.add_parser("seed", help="migrate, then add the demo data")
    seed_parser.add_argument("--reset", action="store_true", help="drop and recreate all tables")
    seed_parser.add_argument(
        "--if-empty", action="store_true", help="seed only when no customers exist"
    )
    seed_parser.add_argument("--today", help="pretend today is YYYY-MM-DD (demo dates)")
    _add_history_arguments(seed_parser)  # s-seed-alerts: --history DAYS [--now] [--seed N]
    seed_parser.set_defaults(handler=_cmd_seed)

    claims = commands.add_parser("claims", help="list, show or advance claims")
    claim_commands = claims.add_subparsers(dest="claims_command", required=True, metavar="ACTION")
    stages = [stage.value for stage in ClaimStage]

    list_parser = claim_commands.add_parser("list", help="claims, newest first")
    list_parser.add_argument("--stage", choices=stages)
    list_parser.add_argument("--json", action="store_true")
    list_parser.set_defaults(handler=_cmd_claims_list)

    show_parser = claim_commands.add_parser("show", help="one claim with documents and events")
    show_parser.add_argument("number")
    show_parser.add_argument("--json", action="store_true")
    show_parser.set_defaults(handler=_cmd_claims_show)

    advance_parser = claim_commands.add_parser("advance", help="move a claim to another stage")
    advance_parser.add_argument("number")
    advance_parser.add_argument("stage", choices=stages)
    advance_parser.add_argument("--actor", default="core-system")
    advance_parser.add_argument("--note")
    advance_parser.add_argument("--json", action="store_true")
    advance_parser.add_argument("--now", help="pretend it is this ISO date/time")
    advance_parser.set_defaults(handler=_cmd_claims_advance)

    deadlines_parser = commands.add_parser(
        "deadlines", help="open claims by traffic light, red first, with the binding deadline"
    )
    deadlines_parser.add_argument(
        "--now", help="pretend it is this ISO date/time (local time unless it has an offset)"
    )
    deadlines_parser.add_argument("--lang", choices=["zh", "en"], default="zh",
                                  help="language of the deadline column")
    deadlines_parser.add_argument("--json", action="store_true")
    deadlines_parser.set_defaults(handler=_cmd_deadlines)

    notices = commands.add_parser("notices", help="the outbox of proactive customer notices")
    notice_commands = notices.add_subparsers(
        dest="notices_command", required=True, metavar="ACTION"
    )
    notices_list = notice_commands.add_parser("list", help="queued and sent notices, oldest first")
    notices_list.add_argument("--status", choices=["pending", "sent", "failed"])
    notices_list.add_argument("--claim", help="only this claim's notices")
    notices_list.add_argument("--json", action="store_true")
    notices_list.set_defaults(handler=_cmd_notices_list)
    notices_deliver = notice_commands.add_parser(
        "deliver",
        help="send pending notices that are due",
        description="Send pending notices through the senders the channels registered "
        "(bot.outbox.senders.register_sender). Notices for a channel with no registered sender are "
        "printed here on stdout and marked sent (demo, or delivery by hand); with "
        "--only-registered they stay pending for a worker that has the channel.",
    )
    notices_deliver.add_argument("--max-attempts", type=int, default=DEFAULT_MAX_ATTEMPTS)
    notices_deliver.add_argument("--only-registered", action="store_true",
                                 help="leave notices of unregistered channels pending")
    notices_deliver.add_argument("--now", help="pretend it is this ISO date/time")
    notices_deliver.set_defaults(handler=_cmd_notices_deliver)
    notices_stats = notice_commands.add_parser(
        "stats", help="share of notices delivered per channel and kind, and how long it took",
        description="Notices queued in the period: how many were delivered (and how many of "
        "them by SMS fallback), failed or still pending, the share delivered, and the median "
        "and P90 time from queueing to delivery; the proactive status notices against the 90% "
        "target (bot/outbox/stats.py).")
    notices_stats.add_argument("--from", dest="from_", metavar="FROM",
                               help="first day YYYY-MM-DD or a moment YYYY-MM-DDTHH:MM "
                               "(local), default: --days before --to")
    notices_stats.add_argument("--to", help="last day YYYY-MM-DD (included, as in report "
                               "kpis) or the moment the period ends (local), default: now")
    notices_stats.add_argument("--days", type=float, default=30.0)
    notices_stats.add_argument("--now", help="pretend it is this ISO date/time")
    notices_stats.add_argument("--json", action="store_true")
    notices_stats.set_defaults(handler=_cmd_notices_stats)

    complaints = commands.add_parser("complaints", help="complaints with their clocks")
    complaint_commands = complaints.add_subparsers(
        dest="complaints_command", required=True, metavar="ACTION"
    )
    complaints_list = complaint_commands.add_parser(
        "list", help="complaints, oldest first, with the acknowledge (48 h) and decision "
        "(15/30/60 days) clocks"
    )
    complaints_list.add_argument("--status", choices=list(COMPLAINT_STATUSES))
    complaints_list.add_argument("--now", help="pretend it is this ISO date/time")
    complaints_list.add_argument("--json", action="store_true")
    complaints_list.set_defaults(handler=_cmd_complaints_list)

    agents = commands.add_parser("agents", help="accounts of the agent console")
    agent_commands = agents.add_subparsers(dest="agents_command", required=True,
                                           metavar="ACTION")
    agents_add = agent_commands.add_parser(
        "add", help="create an agent",
        description=f"Create an agent of the console. The password is asked twice, or read "
        f"from {AGENT_PASSWORD_ENV} (scripts); at least 10 characters.",
    )
    agents_add.add_argument("username")
    agents_add.add_argument("--display-name", help="the name customers see (default: username)")
    agents_add.add_argument("--role", default="agent", choices=AGENT_ROLES,
                            help="what the agent may see and do (default: agent)")
    agents_add.set_defaults(handler=_cmd_agents_add)
    agents_list = agent_commands.add_parser("list", help="agents")
    agents_list.add_argument("--json", action="store_true")
    agents_list.set_defaults(handler=_cmd_agents_list)
    agents_role = agent_commands.add_parser(
        "set-role", help="give an agent another role (ends their sessions)")
    agents_role.add_argument("username")
    agents_role.add_argument("role", choices=AGENT_ROLES)
    agents_role.set_defaults(handler=_cmd_agents_change)
    for verb, what in (("disable", "stop an agent logging in (ends their sessions)"),
                       ("enable", "let a disabled agent log in again")):
        agents_state = agent_commands.add_parser(verb, help=what)
        agents_state.add_argument("username")
        agents_state.set_defaults(handler=_cmd_agents_change)
    agents_reset = agent_commands.add_parser(
        "reset-password", help="a new password (ends their sessions)",
        description=f"A new password for an agent, asked twice or read from "
        f"{AGENT_PASSWORD_ENV}; at least 10 characters. Their console sessions end.")
    agents_reset.add_argument("username")
    agents_reset.set_defaults(handler=_cmd_agents_change)

    tasks = commands.add_parser("tasks", help="the back office's work list (bot/tasks.py)")
    task_commands = tasks.add_subparsers(dest="tasks_command", required=True, metavar="ACTION")
    tasks_list = task_commands.add_parser("list", help="tasks, soonest due first")
    tasks_list.add_argument("--status", default="active",
                            choices=["active", "open", "taken", "done", "cancelled", "all"])
    tasks_list.add_argument("--role", choices=AGENT_ROLES,
                            help="only the tasks an agent of this role may work")
    tasks_list.add_argument("--claim", help="only this claim's tasks")
    tasks_list.add_argument("--kind", choices=sorted(TASK_KINDS), help="only this kind")
    tasks_list.add_argument("--json", action="store_true")
    tasks_list.set_defaults(handler=_cmd_tasks_list)
    tasks_take = task_commands.add_parser("take", help="take a task (it becomes yours)")
    tasks_take.add_argument("task_id", type=int)
    tasks_take.add_argument("--agent", required=True, help="the agent's username")
    tasks_take.add_argument("--json", action="store_true")
    tasks_take.set_defaults(handler=_cmd_tasks_work)
    tasks_done = task_commands.add_parser("done", help="close a task, saying what was done")
    tasks_done.add_argument("task_id", type=int)
    tasks_done.add_argument("--agent", required=True, help="the agent's username")
    tasks_done.add_argument("--outcome", required=True, help="what was done")
    tasks_done.add_argument("--json", action="store_true")
    tasks_done.set_defaults(handler=_cmd_tasks_work)

    retention = commands.add_parser(
        "retention", help="delete or anonymise what is past its retention period")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True,
                                                  metavar="ACTION")
    retention_run = retention_commands.add_parser(
        "run", help="one round: trackers, transcripts, uploads, receipts, notices",
        description="Deletes or anonymises conversations, agents' transcripts, uploads, webhook "
        "receipts and notice texts past the periods in settings (CLAIMS_RETENTION_*; "
        "bot/retention.py). Claim records stay. Prints a count per kind; audited.")
    retention_run.add_argument("--dry-run", action="store_true",
                               help="count only, change nothing")
    retention_run.add_argument("--now", help="pretend it is this ISO date/time")
    retention_run.add_argument("--json", action="store_true")
    retention_run.set_defaults(handler=_cmd_retention_run)

    _add_back_office_commands(commands)  # w-lights: `back-office run`, `escalations list`
    _add_alert_commands(commands)  # s-seed-alerts: `alerts run`

    from bot.speech.cli import add_speech_commands  # `speech prepare`, `speech transcribe`

    add_speech_commands(commands)
    # Promises kept (issue 14): `documents chase`, `documents rerequests`.
    from bot.documents.cli import add_documents_commands

    add_documents_commands(commands)
    # WeChat (issue 15): `wechat menu install`, `wechat menu show`.
    from bot.wechat.cli import add_wechat_commands

    add_wechat_commands(commands)

    # Service KPIs (issue 17): `report kpis`, `report monthly`, `report definitions`.
    from bot.kpis.cli import add_report_commands

    add_report_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (2: refused or bad usage)."""
    restrict_new_files()  # what the CLI writes under var/ (databases, keys) is private
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help and on usage errors
        return int(exit_.code or 0)
    try:
        return int(args.handler(args))
    except _Refused as refused:
        print(refused, file=sys.stderr)
        return EXIT_REFUSED
    except (OperationalError, ProgrammingError) as error:
        if not _missing_table(error):
            raise
        # A store never set up (or behind the code): say what to run, not a traceback.
        print("the claims store is not set up or not up to date: run "
              "`.venv/bin/python -m bot migrate` (or `make run`, which also loads the demo data)",
              file=sys.stderr)
        return EXIT_REFUSED


def _missing_table(error: Exception) -> bool:
    text = str(getattr(error, "orig", error)).lower()
    return "no such table" in text or "does not exist" in text or "undefinedtable" in text
