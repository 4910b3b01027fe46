"""Alerts: a sudden rise in complaints or claim reports for one line of business, region or
keyword, and any service figure (KPI) below its target, each raise one supervisor task (kind
"alert") and an e-mail to the configured address (CLAIMS_ALERT_ADDRESS). Run after each
back-office round (the server's BackOfficeRounds job in rasa_server/jobs.py, and `python -m bot
back-office run`) and by `python -m bot alerts run [--now]`. Not from inside bot.back_office:
the KPIs it reads import code that imports the back office (an import cycle).

The spike rule. For complaints (by the time received) and reports (claims, by the time reported),
each counted under its line of business (the claim's policy), its region (the city of the claim's
place, `region_of`) and each keyword topic its words name (bot/alerts.yml):
- recent   = the count in the last W days before now (CLAIMS_ALERT_WINDOW_DAYS, 3);
- baseline = the count in the B days before those (CLAIMS_ALERT_BASELINE_DAYS, 28);
- expected = baseline x W / B;
- a spike when recent >= the minimum count (CLAIMS_ALERT_MIN_COMPLAINTS 5, CLAIMS_ALERT_MIN_REPORTS
  15: one complaint is never a spike) AND recent >= R x expected (CLAIMS_ALERT_RATIO, 2). With no
  baseline at all the minimum count alone decides.
A KPI is below target when `bot.kpis.compute` over the last CLAIMS_ALERT_KPI_DAYS (30) says
`met is False`, for all lines or for a line, and only when its denominator counts at least
CLAIMS_ALERT_KPI_MIN_CASES (20) cases: a week with three claims says nothing about the service.
One alert per KPI, naming every line where it is below.

Dedupe: an alert is one task while it is open (open or taken): the next rounds update its figures
and send nothing again. Once a supervisor closes it, the same alert may be raised again on a
later local day if it still holds, never twice in one day. The e-mail is sent after the task is
saved, under a 5-minute lease on the task (two servers never both send it); one that could not
be sent is tried again by the next round while the task is open.
"""
from __future__ import annotations

import logging
import re
import smtplib
import ssl
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Sequence, Tuple

import yaml
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc_naive, format_local, local_today
from bot.kpis import KpiResult, Period
from bot.language import to_simplified
from bot.settings import Settings, get_settings
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Task
from bot.tasks import ACTIVE, KINDS, open_task

logger = logging.getLogger(__name__)

ALERT_ACTOR = "alerts"
ALERT_KIND = "alert"
KEY_PREFIX = "alert:"
TOPICS_FILE = Path(__file__).with_name("alerts.yml")
SUBJECTS = ("complaints", "reports")
DIMENSIONS = ("line", "region", "keyword")
LINE_NAMES = {"motor": ("车险", "motor"), "medical": ("医疗险", "medical"),
              "accident": ("意外险", "accident"),
              "critical_illness": ("重疾险", "critical illness"),
              "life": ("寿险", "life"), "home": ("家财险", "home")}
KpiCompute = Callable[..., Sequence[KpiResult]]


# --- what a complaint or a report is counted under ------------------------------------------------

@lru_cache(maxsize=1)
def topics() -> Dict[str, Dict[str, Any]]:
    """The keyword topics of bot/alerts.yml."""
    return yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))["topics"]


def topics_in(text: str | None) -> List[str]:
    """The topics whose words appear in `text` (traditional characters read as simplified)."""
    clean = to_simplified(unicodedata.normalize("NFKC", text or ""))
    lower = clean.lower()
    return [name for name, spec in topics().items()
            if any(word in clean for word in spec.get("zh", ()))
            or any(word.lower() in lower for word in spec.get("en", ()))]


# A province-level name at the start ("广东省", "广西壮族自治区"), never one holding a city.
_PROVINCE = re.compile(r"^[^\d\s市]{2,8}?(?:省|自治区)")
_CITY = re.compile(r"^[^\d\s省市区县]{2,6}?市")


def region_of(place: str | None) -> str | None:
    """The city a claim's place names, as customers write Chinese addresses ("广东省广州市天河区…"
    -> "广州市", "上海市浦东新区…" -> "上海市"); the province when no city follows it; None when
    the place names neither (an English address, a bare street)."""
    text = to_simplified(unicodedata.normalize("NFKC", place or "")).strip()
    province = _PROVINCE.match(text)
    rest = text[province.end():] if province else text
    city = _CITY.match(rest)
    if city:
        return city.group(0)
    return province.group(0) if province else None


_REGION_KINDS = (("自治区", "Autonomous Region"), ("省", "Province"), ("市", ""))


def region_en(region: str) -> str:
    """A region `region_of` gives, in English: its name in pinyin ("广州市" -> "Guangzhou",
    "广东省" -> "Guangdong Province"), the Chinese beside it ("Guangzhou (广州市)")."""
    from pypinyin import lazy_pinyin

    name, kind = region, ""
    for suffix, english in _REGION_KINDS:
        if region.endswith(suffix) and len(region) > len(suffix) + 1:
            name, kind = region[:-len(suffix)], english
            break
    spelled = "".join(lazy_pinyin(name)).capitalize()
    return f"{spelled}{' ' + kind if kind else ''} ({region})"


@dataclass(frozen=True)
class Counted:
    """One complaint or report: when, and the values it counts under per dimension."""

    at: datetime
    values: Mapping[str, Tuple[str, ...]]


def _counted(at: datetime, line: str | None, place: str | None, text: str) -> Counted:
    region = region_of(place)
    return Counted(at, {"line": (line,) if line else (), "region": (region,) if region else (),
                        "keyword": tuple(topics_in(text))})


def load_counted(uow: UnitOfWork, subject: str, since: datetime, until: datetime
                 ) -> List[Counted]:
    """The complaints or reports of [since, until) as the spike rule counts them."""
    if subject == "reports":
        return [_counted(at, line, place, description or "")
                for at, line, place, description in uow.claims.reported_between(since, until)]
    return [_counted(at, line, place, " ".join(filter(None, (subject_, facts, request))))
            for at, line, place, subject_, facts, request
            in uow.complaints.received_between(since, until)]


# --- the spike rule ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpikeRule:
    window_days: int = 3
    baseline_days: int = 28
    ratio: float = 2.0
    min_count: int = 5

    @classmethod
    def for_subject(cls, subject: str, settings: Settings) -> SpikeRule:
        minimum = (settings.alert_min_complaints if subject == "complaints"
                   else settings.alert_min_reports)
        return cls(settings.alert_window_days, settings.alert_baseline_days,
                   settings.alert_ratio, minimum)


@dataclass(frozen=True)
class Spike:
    subject: str      # complaints | reports
    dimension: str    # line | region | keyword
    value: str        # motor, 广州市, slow...
    recent: int
    baseline: int
    expected: float
    window_days: int
    baseline_days: int

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}spike:{self.subject}:{self.dimension}:{self.value}"

    def value_label(self, lang: str) -> str:
        if self.dimension == "line":
            zh, en = LINE_NAMES.get(self.value, (self.value, self.value))
            return en if lang == "en" else zh
        if self.dimension == "keyword":
            spec = topics().get(self.value, {})
            label = spec.get("label_en" if lang == "en" else "label_zh") or self.value
            return f"“{label}”" if lang != "en" else f'"{label}"'
        if self.dimension == "region" and lang == "en":
            return region_en(self.value)
        return self.value

    def title(self) -> str:
        zh_what = "投诉" if self.subject == "complaints" else "报案"
        en_what = "complaints" if self.subject == "complaints" else "claim reports"
        check = ("，请安排专项检查" if self.subject == "complaints"
                 else "，请查看是否为集中或群体事件")
        return (f"{zh_what}激增：{self.value_label('zh')}{check} / "
                f"Sudden rise in {en_what}: {self.value_label('en')}")

    def text(self) -> Tuple[str, str]:
        zh_what = "投诉" if self.subject == "complaints" else "报案"
        en_what = "complaints" if self.subject == "complaints" else "claim reports"
        zh = (f"近{self.window_days}天{self.value_label('zh')}相关{zh_what} {self.recent} 件，"
              f"此前{self.baseline_days}天共 {self.baseline} 件，"
              f"按此预计{self.window_days}天约 {self.expected:.1f} 件。")
        en = (f"{self.recent} {en_what} about {self.value_label('en')} in the last "
              f"{self.window_days} days, against {self.baseline} in the {self.baseline_days} "
              f"days before (about {self.expected:.1f} expected in {self.window_days} days).")
        return zh, en

    def detail(self) -> Dict[str, Any]:
        return {"alert": "spike", "subject": self.subject, "dimension": self.dimension,
                "value": self.value, "recent": self.recent, "baseline": self.baseline,
                "expected": round(self.expected, 2), "window_days": self.window_days,
                "baseline_days": self.baseline_days}


def find_spikes(counted: Iterable[Counted], subject: str, now: datetime,
                rule: SpikeRule) -> List[Spike]:
    """Every (dimension, value) whose count in the window is a spike by `rule` (module doc)."""
    now = as_utc_naive(now)
    window_start = now - timedelta(days=rule.window_days)
    baseline_start = window_start - timedelta(days=rule.baseline_days)
    recent: Dict[Tuple[str, str], int] = {}
    baseline: Dict[Tuple[str, str], int] = {}
    for item in counted:
        if window_start <= item.at < now:
            tally = recent
        elif baseline_start <= item.at < window_start:
            tally = baseline
        else:
            continue
        for dimension, values in item.values.items():
            for value in set(values):
                tally[(dimension, value)] = tally.get((dimension, value), 0) + 1
    spikes = []
    for (dimension, value), count in sorted(recent.items()):
        before = baseline.get((dimension, value), 0)
        expected = before * rule.window_days / rule.baseline_days
        if count >= rule.min_count and count >= rule.ratio * expected:
            spikes.append(Spike(subject, dimension, value, count, before, expected,
                                rule.window_days, rule.baseline_days))
    return spikes


# --- KPIs below target ---------------------------------------------------------------------------

# What a manager checks first when a KPI of a group is below target (the group of
# bot/kpis/definitions.yml), zh and en.
CHECKS = {
    "settlement": ("哪些案件材料齐全后仍未赔付、卡在哪个环节，人手是否足够",
                   "which claims with complete documents are still unpaid, at which step, and "
                   "whether the team has enough hands"),
    "stages": ("停留最久的环节及其积压案件", "the stage where claims wait longest and its backlog"),
    "claims": ("长期未结的在办案件及其原因，材料清单是否一次说清",
               "claims open for a long time and why, and whether the documents list is "
               "clear the first time"),
    "notices": ("哪个渠道的通知发送失败或未送达",
                "which channel's notices fail or are not delivered"),
    "satisfaction": ("低分案件的客户反馈", "what customers who gave low scores said"),
    "complaints": ("未按时确认或办结的投诉及其经办人",
                   "complaints not acknowledged or decided in time, and who holds them"),
    "handoffs": ("转人工排队和坐席排班", "the handoff queue and the agents' rota"),
    "urgent": ("紧急案件转人工的排队和值班安排",
               "the queue and the on-call rota for urgent cases"),
    "elderly": ("老年客户转人工是否有人接听",
                "whether elderly customers who asked for a person got one"),
    "lights": ("黄灯、红灯案件的督办情况", "the follow-up of claims on yellow and red"),
}
_UNITS = {"zh": {"hours": " 小时", "minutes": " 分钟", "days": " 天", "score": " 分"},
          "en": {"hours": " h", "minutes": " min", "days": " days", "score": "/10"}}


@dataclass(frozen=True)
class KpiBreach:
    """One KPI below its target: for all lines and/or for some lines, as one alert."""

    results: Tuple[KpiResult, ...]  # the same KPI; all lines first when it is below too
    days: int
    period: Period | None = None  # the period the figures cover, when known

    @property
    def kpi(self) -> KpiResult:
        return self.results[0]

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}kpi:{self.kpi.key}"

    @staticmethod
    def _scope(result: KpiResult, lang: str) -> str:
        if not result.line:
            return "全部险种" if lang != "en" else "all lines"
        zh, en = LINE_NAMES.get(result.line, (result.line, result.line))
        return en if lang == "en" else zh

    def _figure(self, value: float | None, lang: str = "zh") -> str:
        if value is None:
            return "无数据" if lang != "en" else "no data"
        if self.kpi.unit == "share":
            return f"{value * 100:.1f}%"
        return f"{value:.2f}".rstrip("0").rstrip(".") + _UNITS[
            "en" if lang == "en" else "zh"].get(self.kpi.unit, "")

    def title(self) -> str:
        zh = "、".join(self._scope(r, "zh") for r in self.results)
        en = ", ".join(self._scope(r, "en") for r in self.results)
        return f"指标未达标：{self.kpi.title_zh}（{zh}） / Below target: {self.kpi.title_en} ({en})"

    def _when(self, lang: str) -> str:
        if self.period is None:
            return f"近{self.days}天" if lang != "en" else f"the last {self.days} days"
        start = format_local(self.period.start)
        end = format_local(self.period.end)
        if lang == "en":
            return f"the last {self.days} days ({start} to {end})"
        return f"近{self.days}天（{start} 至 {end}）"

    def text(self) -> Tuple[str, str]:
        kpi = self.kpi
        sign_zh = "不低于" if kpi.direction == "at_least" else "不高于"
        sign_en = "at least" if kpi.direction == "at_least" else "at most"
        zh = "；".join(f"{self._scope(r, 'zh')} {self._figure(r.value)}{self._count(r, 'zh')}"
                      for r in self.results)
        en = "; ".join(f"{self._scope(r, 'en')} {self._figure(r.value, 'en')}"
                       f"{self._count(r, 'en')}" for r in self.results)
        check_zh, check_en = CHECKS.get(_group(kpi.key), ("相关案件", "the cases behind it"))
        return (f"{self._when('zh')}，「{kpi.title_zh}」为 {zh}，"
                f"目标{sign_zh} {self._figure(kpi.target)}。请检查：{check_zh}。",
                f"{kpi.title_en} over {self._when('en')}: {en}. The target is {sign_en} "
                f"{self._figure(kpi.target, 'en')}. Please check {check_en}.")

    @staticmethod
    def _count(r: KpiResult, lang: str) -> str:
        """How many cases the figure counts: "（50 件中 35 件）" / " (35 of 50)"; "" unknown."""
        if r.denominator is None:
            return ""
        whole = f"{r.denominator:,.0f}"
        if r.unit == "share" and r.numerator is not None:
            part = f"{r.numerator:,.0f}"
            return f"（{whole} 件中 {part} 件）" if lang != "en" else f" ({part} of {whole})"
        return f"（共 {whole} 件）" if lang != "en" else f" ({whole} cases)"

    def detail(self) -> Dict[str, Any]:
        return {"alert": "kpi", "kpi": self.kpi.key, "days": self.days,
                "figures": [r.as_dict() for r in self.results]}


def _group(key: str) -> str:
    from bot.kpis.definitions import definitions

    found = definitions().get(key.split(".", 1)[0])
    return found.group if found else ""


def kpi_breaches(results: Iterable[KpiResult], *, days: int, min_cases: int,
                 period: Period | None = None) -> List[KpiBreach]:
    """The figures below their target (`met is False`) that count enough cases to mean it, one
    breach per KPI with every line (all lines first) where it is below."""
    below: Dict[str, List[KpiResult]] = {}
    for result in results:
        if result.met is False and (result.denominator is None
                                    or result.denominator >= min_cases):
            below.setdefault(result.key, []).append(result)
    return [KpiBreach(tuple(sorted(found, key=lambda r: (r.line is not None, r.line or ""))),
                      days, period) for found in below.values()]


def _kpi_compute() -> KpiCompute | None:
    """`bot.kpis.compute` when the KPI package provides it (None: KPIs are not checked)."""
    import bot.kpis

    return getattr(bot.kpis, "compute", None)


# --- the round -----------------------------------------------------------------------------------

@dataclass
class AlertReport:
    at: datetime
    spikes: List[str] = field(default_factory=list)       # keys of every spike found
    below_target: List[str] = field(default_factory=list)  # keys of every KPI breach found
    opened: List[str] = field(default_factory=list)       # tasks opened this round
    still_open: List[str] = field(default_factory=list)   # already open: figures updated
    emailed: List[str] = field(default_factory=list)
    email_failed: List[str] = field(default_factory=list)
    kpis_checked: bool = False
    address: str = ""
    # Every alert found, as a person reads it: key, title, text_zh, text_en.
    alerts: List[Dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return dict(vars(self))


def _day_key(key: str, now: datetime) -> str:
    return f"{key}:{local_today(now).isoformat()}"


def raise_alert(uow: UnitOfWork, key: str, title: str, text: Tuple[str, str],
                detail: Mapping[str, Any], *, now: datetime, actor: str = ALERT_ACTOR
                ) -> Tuple[Task | None, bool]:
    """The alert's task: the open one (its figures brought up to date), else a new one unless one
    was already raised and closed today. Returns (task or None, opened now)."""
    active = [task for task in uow.tasks.list(statuses=ACTIVE, kind=ALERT_KIND,
                                              key_prefix=f"{key}:")
              if task.dedupe_key.rsplit(":", 1)[0] == key]
    full = {**detail, "text_zh": text[0], "text_en": text[1], "checked_at": now.isoformat()}
    if active:
        task = active[0]
        task.detail = {**(task.detail or {}), **full}
        return task, False
    day_key = _day_key(key, now)
    if uow.tasks.by_dedupe_key(day_key) is not None:
        return None, False  # raised and closed today already
    spec = KINDS[ALERT_KIND]
    task = open_task(uow, ALERT_KIND, dedupe_key=day_key, actor=actor, now=now, title=title,
                     detail={**full, "email": {"status": "pending"}},
                     due_at=spec.due_after(now))
    return task, True


def email_text(task: Task) -> Tuple[str, str]:
    """The subject and body of an alert's e-mail: Chinese first, then English."""
    detail = task.detail or {}
    subject = f"[理赔服务预警 / Claims alert] {task.title}"
    body = "\n".join([
        detail.get("text_zh", ""),
        f"已在坐席工作台生成主管任务 #{task.id}，请在 {format_local(task.due_at)} 前处理。",
        "",
        detail.get("text_en", ""),
        f"Supervisor task #{task.id} is open in the agent console, due "
        f"{format_local(task.due_at)}.",
    ])
    return subject, body


def send_email(settings: Settings, subject: str, body: str) -> None:
    """One message to the alert address by SMTP (STARTTLS and login when configured). Raises
    OSError or smtplib.SMTPException when it cannot be handed over."""
    addresses = [part.strip() for part in settings.alert_address.split(",") if part.strip()]
    message = EmailMessage()
    message["From"] = settings.alert_from
    message["To"] = ", ".join(addresses)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.alert_from.rpartition("@")[2] or None)
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


EMAIL_LEASE = timedelta(minutes=5)


def _take_email(url: str | None, task_id: int, now: datetime) -> Tuple[int, bool]:
    """Marks the task's e-mail as being sent by this round (a lease of EMAIL_LEASE), so that
    two servers running the round do not both send it. Returns (attempt number, taken)."""
    with unit_of_work(url) as uow:
        task = uow.tasks.for_update(task_id)
        email = dict((task.detail or {}).get("email", {})) if task is not None else {}
        if task is None or task.status not in ACTIVE or email.get("status") == "sent" or (
                email.get("status") == "sending" and email.get("until", "") > now.isoformat()):
            return 0, False
        attempt = int(email.get("attempts", 0)) + 1
        task.detail = {**(task.detail or {}), "email": {
            **email, "status": "sending", "attempts": attempt,
            "until": (now + EMAIL_LEASE).isoformat()}}
        uow.commit()
        return attempt, True


def _send_pending(report: AlertReport, settings: Settings, now: datetime, url: str | None,
                  actor: str) -> None:
    """E-mails every open alert whose e-mail has not gone yet (new, or failed last round); the
    SMTP conversation happens outside any transaction."""
    with unit_of_work(url) as uow:
        waiting = [(task.id, task.dedupe_key.rsplit(":", 1)[0]) for task in
                   uow.tasks.list(statuses=ACTIVE, kind=ALERT_KIND, key_prefix=KEY_PREFIX)
                   if (task.detail or {}).get("email", {}).get("status") != "sent"]
    for task_id, key in waiting:
        attempt, taken = _take_email(url, task_id, now)
        if not taken:
            continue
        with unit_of_work(url) as uow:
            subject, body = email_text(uow.tasks.get(task_id))
        try:
            send_email(settings, subject, body)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("alert e-mail for task %s not sent: %s", task_id, error)
            state = {"status": "failed", "attempts": attempt, "error": str(error)[:300],
                     "at": now.isoformat()}
            report.email_failed.append(key)
        else:
            state = {"status": "sent", "attempts": attempt, "to": settings.alert_address,
                     "at": now.isoformat()}
            report.emailed.append(key)
        with unit_of_work(url) as uow:
            task = uow.tasks.get(task_id)
            task.detail = {**(task.detail or {}), "email": state}
            if state["status"] == "sent":
                uow.audit.record(actor, "alert.emailed", "task", task.id,
                                 {"to_count": len(settings.alert_address.split(","))}, at=now)
            uow.commit()


def run_alerts(now: datetime | None = None, *, url: str | None = None,
               settings: Settings | None = None, kpi_compute: KpiCompute | None = None,
               actor: str = ALERT_ACTOR) -> AlertReport:
    """One alerts round at `now`: spikes and KPIs below target become supervisor tasks, and
    open alerts not yet e-mailed are sent to the configured address (module doc)."""
    at = as_utc_naive(now)
    settings = settings or get_settings()
    report = AlertReport(at=at, address=settings.alert_address)
    found: List[Tuple[str, str, Tuple[str, str], Dict[str, Any]]] = []
    with unit_of_work(url) as uow:
        for subject in SUBJECTS:
            rule = SpikeRule.for_subject(subject, settings)
            since = at - timedelta(days=rule.window_days + rule.baseline_days)
            for spike in find_spikes(load_counted(uow, subject, since, at), subject, at, rule):
                report.spikes.append(spike.key)
                found.append((spike.key, spike.title(), spike.text(), spike.detail()))
    compute = kpi_compute
    if compute is None and (found_compute := _kpi_compute()) is not None:
        def compute(period: Period, **scope: Any) -> Sequence[KpiResult]:
            return found_compute(period, now=at, **scope)  # as of the round, not the clock
    if compute is not None:
        period = Period(at - timedelta(days=settings.alert_kpi_days), at)
        results: List[KpiResult] = []
        for line in (None, *LINE_NAMES):
            results += list(compute(period, line=line, url=url))
        for breach in kpi_breaches(results, days=settings.alert_kpi_days,
                                   min_cases=settings.alert_kpi_min_cases, period=period):
            report.below_target.append(breach.key)
            found.append((breach.key, breach.title(), breach.text(), breach.detail()))
        report.kpis_checked = True
    for key, title, text, detail in found:
        report.alerts.append({"key": key, "title": title, "text_zh": text[0],
                              "text_en": text[1]})
        # One transaction per alert: another server raising the same alert at the same moment
        # loses on the task's unique key and finds it open next round; the rest go on.
        try:
            with unit_of_work(url) as uow:
                task, opened = raise_alert(uow, key, title, text, detail, now=at, actor=actor)
                uow.commit()
        except IntegrityError:
            report.still_open.append(key)
            continue
        if opened:
            report.opened.append(key)
        elif task is not None:
            report.still_open.append(key)
    if settings.alert_address:
        _send_pending(report, settings, at, url, actor)
    return report
