"""Months of made-up service history for the demo (`python -m bot seed --history 90`): claims of
every line moved through their stages by the claim services, with their documents, notices,
scores, complaints, handoffs, disputes and escalations, so the KPIs, the dashboard and the alerts
have something to show. Deterministic for a given `seed` and `now`; the people are invented.

Shape of the history (all figures are the generator's own, made to sit around the seeds' targets
with some misses):
- about 9 claims a day, motor first; amounts by line, a third of them small (<= 5,000 CNY);
- small claims mostly paid within 24 hours of complete documents, large ones within 7 working days,
  some late (a few past the red line, escalated); some denied, a few withdrawn; the recent ones
  still open at every stage;
- one claim in nine has a document rejected and asked for again;
- stage notices queued by the claim services and marked sent or failed per channel;
- a 1-10 score on most closed claims, lower when the claim was late;
- complaints acknowledged and decided at various times, most resolved at first contact, a few
  repeats; handoffs with waits (elderly and urgent customers first), a few abandoned;
- a rainstorm in 广州 over the last days: a burst of flood and water-damage claims and complaints
  there, which the alerts (bot/alerts.py) notice.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Dict, List, Sequence, Tuple

from bot.claims.deadlines import Clock, ClockStatus, add_working_days, settlement_band
from bot.claims.disputes import _record_step
from bot.claims.model import ALLOWED_TRANSITIONS, ClaimStage, InvalidTransition
from bot.clock import as_utc_naive, from_local, local_today, to_local, utc_now
from bot.complaints import format_reference
from bot.documents.checklist import checklist
from bot.escalations import escalate
from bot.handoff import Reason, build_summary, priority
from bot.outbox.notices import queue_stage_notice
from bot.privacy import hash_id_number, mask_id_number, phone_last4
from bot.promises import promise_complaint_callback
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import (
    Agent,
    Claim,
    ClaimDocument,
    ClaimNumberCounter,
    Complaint,
    Customer,
    Handoff,
    Policy,
    SatisfactionScore,
)
from bot.store.repositories import format_claim_number

HISTORY_ACTOR = "seed-history"
CORE_SYSTEM = "core-system"
AUDIT_ACTION = "seed.history"
DEFAULT_SEED = 17
S = ClaimStage

# Invented people: common surnames and given names put together, phones in a 1389xxxxxxx block,
# ID numbers that are plainly not ID numbers ("DEMO" + serial).
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
          "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "志强")
_EN_NAMES = ("Alex Green", "Maria Lopez", "David Brown", "Emma Wilson", "Liam Taylor",
             "Sophie Martin", "Noah Clarke", "Olivia Hall", "Lucas Young", "Mia King")

# Where incidents happen: "<province><city><district>" as customers write it. Weights are the
# share of reports; 广州 also gets the storm burst.
_PLACES: Tuple[Tuple[str, Tuple[str, ...], float], ...] = (
    ("上海市", ("浦东新区张杨路", "徐汇区漕溪北路", "闵行区莘庄地铁站旁", "静安区南京西路"), 0.22),
    ("北京市", ("朝阳区建国路", "海淀区中关村大街", "丰台区南三环西路"), 0.18),
    ("广东省广州市", ("天河区天河路", "海珠区江南大道", "白云区机场路"), 0.12),
    ("广东省深圳市", ("南山区科技园", "福田区深南大道"), 0.12),
    ("浙江省杭州市", ("西湖区文三路", "余杭区五常大道"), 0.10),
    ("四川省成都市", ("武侯区人民南路", "高新区天府大道"), 0.10),
    ("湖北省武汉市", ("洪山区珞喻路", "江汉区解放大道"), 0.08),
    ("江苏省南京市", ("鼓楼区中山路", "江宁区双龙大道"), 0.08),
)
_HOSPITALS = ("第一人民医院", "中医医院", "第六人民医院", "妇幼保健院", "中心医院")

# Lines of business: reports a day, incident types with weights, and how large a loss is
# (median CNY and spread of a log-normal). Products as the catalogue names them.
_LINES: Dict[str, dict] = {
    "motor": dict(per_day=4.4, types=(("collision", 0.62), ("glass", 0.14), ("theft", 0.04),
                                      ("injury", 0.06), ("flood", 0.06),
                                      ("natural_disaster", 0.04), ("falling_object", 0.04)),
                  median=4200, spread=0.9, sum_insured=300000, deductible=500,
                  product=("MOTOR-COMP", "机动车综合商业保险", "Comprehensive motor insurance")),
    "medical": dict(per_day=2.4, types=(("hospitalisation", 0.55), ("outpatient", 0.45)),
                    median=5200, spread=0.9, sum_insured=100000, deductible=0,
                    product=("MED-HOSP", "住院医疗保险", "Hospital medical insurance")),
    "accident": dict(per_day=0.8, types=(("injury", 0.85), ("disability", 0.15)),
                     median=6000, spread=1.0, sum_insured=200000, deductible=0,
                     product=("ACC-PERSONAL", "个人意外伤害保险", "Personal accident insurance")),
    "critical_illness": dict(per_day=0.3, types=(("diagnosis", 1.0),), median=150000,
                             spread=0.4, sum_insured=300000, deductible=0,
                             product=("CI-STANDARD", "重大疾病保险", "Critical illness insurance")),
    "life": dict(per_day=0.15, types=(("death", 1.0),), median=300000, spread=0.4,
                 sum_insured=500000, deductible=0,
                 product=("LIFE-TERM", "定期寿险", "Term life insurance")),
    "home": dict(per_day=1.0, types=(("water_damage", 0.4), ("theft", 0.2), ("fire", 0.1),
                                     ("natural_disaster", 0.15), ("falling_object", 0.15)),
                 median=9000, spread=0.9, sum_insured=500000, deductible=1000,
                 product=("HOME-CONTENTS", "家庭财产保险", "Home and contents insurance")),
}
_POLICY_PREFIX = {"motor": "AUTO", "medical": "MED", "accident": "ACC",
                  "critical_illness": "CI", "life": "LIFE", "home": "HOME"}
_DESCRIPTIONS: Dict[str, Tuple[str, str]] = {
    "collision": ("等红灯时被后车追尾，后保险杠损坏。",
                  "Rear-ended at a red light; bumper damaged."),
    "glass": ("高速上被飞石打裂前挡风玻璃。", "A stone cracked the windscreen on the motorway."),
    "theft": ("夜里被盗。", "Stolen overnight."),
    "injury": ("事故中受伤，去医院做了检查。", "Hurt in the accident and seen at the hospital."),
    "flood": ("暴雨积水，车辆泡水，发动机进水。",
              "Heavy rain flooded the car; water in the engine."),
    "natural_disaster": ("暴雨冰雹造成损坏。", "Damaged in a storm with hail."),
    "falling_object": ("大风吹倒树枝砸到。", "A branch blown down by the wind fell on it."),
    "hospitalisation": ("因肺炎住院治疗。", "In hospital with pneumonia."),
    "outpatient": ("门诊看病，做了检查。", "Outpatient visit with tests."),
    "disability": ("意外摔伤，评定伤残。", "A fall leading to a disability assessment."),
    "diagnosis": ("确诊重大疾病。", "Diagnosed with a critical illness."),
    "death": ("被保险人因病身故。", "The insured person died of an illness."),
    "water_damage": ("水管爆裂，地板和家具泡水。", "A burst pipe soaked the floor and furniture."),
    "fire": ("厨房起火，烧坏橱柜和电器。", "A kitchen fire damaged cabinets and appliances."),
}
# Notice channels: how often a notice fails there, and the share of customers using them.
# (channel, failure rate, share)
_CHANNELS: Tuple[Tuple[str, float, float], ...] = (
    ("webchat", 0.06, 0.30), ("wechat", 0.04, 0.22), ("telegram", 0.05, 0.10),
    ("twilio", 0.03, 0.23), ("twilio_voice", 0.09, 0.15),
)
_NOTICE_ERRORS = {
    "webchat": "the page was not opened to collect the notice",
    "wechat": "48-hour window closed (errcode 45015)",
    "telegram": "403 Forbidden: bot was blocked by the user",
    "twilio": "30003 Unreachable destination handset",
    "twilio_voice": "30008 Unknown error",
}
# What complaints say, by topic (bot/alerts.py reads complaints for these words too).
_COMPLAINTS: Tuple[Tuple[str, str, str, float], ...] = (
    ("slow", "理赔太慢了，等了好几天还没有到账", "The claim is taking far too long; still not paid",
     0.34),
    ("documents", "又让我补材料，上次已经交过了", "Asked again for documents I already sent", 0.18),
    ("attitude", "客服态度很差，说话不耐烦", "The agent on the phone was rude", 0.14),
    ("amount", "赔付金额太少，和定损的不一样", "The amount paid is less than the assessment", 0.16),
    ("refusal", "拒赔理由我不认可", "I do not accept the reason for the refusal", 0.10),
    ("unreachable", "电话一直打不通，没人接", "Nobody answers the hotline", 0.08),
)
_HANDOFF_REASONS: Tuple[Tuple[Reason, float], ...] = (
    (Reason.REQUEST, 0.45), (Reason.ELDERLY, 0.15), (Reason.COMPLAINT, 0.12),
    (Reason.DISPUTE, 0.08), (Reason.URGENT, 0.08), (Reason.NOT_UNDERSTOOD, 0.12),
)
_STAFF = (("history.chen", "陈静（演示）", "agent"), ("history.li", "李强（演示）", "agent"),
          ("history.zhou", "周敏（演示）", "agent"), ("history.wu", "吴主管（演示）", "supervisor"),
          ("history.he", "何专员（演示）", "complaint_officer"))
# The storm: days before `now` it started, and how many extra claims and complaints it brought.
STORM_CITY = "广东省广州市"
STORM_DAYS = 4
STORM_CLAIMS = 30
STORM_COMPLAINTS = 9


@dataclass
class HistoryReport:
    days: int
    seed: int
    now: datetime
    created: Dict[str, int] = field(default_factory=lambda: {
        "customers": 0, "policies": 0, "claims": 0, "notices": 0, "scores": 0,
        "complaints": 0, "handoffs": 0, "disputes": 0, "escalations": 0})
    skipped: bool = False  # history was already there: nothing added

    @property
    def changed(self) -> bool:
        return any(self.created.values())


def _pick(rng: random.Random, weighted: Sequence[Tuple]) -> Tuple:
    """One entry of (value, ..., weight) tuples, the weight last."""
    return rng.choices(list(weighted), weights=[entry[-1] for entry in weighted])[0]


def _money(value: float) -> Decimal:
    return Decimal(str(max(value, 100.0))).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


class _History:
    """One generation run: the random source, the clock and the unit of work."""

    def __init__(self, uow: UnitOfWork, rng: random.Random, now: datetime, days: int,
                 report: HistoryReport) -> None:
        self.uow, self.rng, self.now, self.days, self.report = uow, rng, now, days, report
        self.start = now - timedelta(days=days)
        self.serial = 0
        self.claims: List[Claim] = []
        self.staff: Dict[str, Agent] = {}
        self.events: List = []  # moves of the claim being written, awaiting their notices
        self.later: List[Callable[[], None]] = []  # its steps that need its row id
        self.serials: Dict[int, int] = {}  # the last claim serial given out, per year

    # --- people ---------------------------------------------------------------------------

    def _staff(self) -> None:
        for username, name, role in _STAFF:
            agent = self.uow.agents.by_username(username)
            if agent is None:
                # Former staff of the demo's past: they cannot log in (no usable password).
                agent = self.uow.agents.add(Agent(username=username, display_name=name,
                                                  password_hash="!history", active=False,
                                                  role=role))
            self.staff[username] = agent
        self.uow.flush()

    def _customer(self, line: str, elderly: bool = False) -> Policy:
        """A new customer with one policy of `line`, in force over the whole history."""
        self.serial += 1
        n, rng = self.serial, self.rng
        english = rng.random() < 0.12
        name = (rng.choice(_EN_NAMES) if english
                else rng.choice(_SURNAMES) + rng.choice(_GIVEN))
        today = local_today(self.now)
        age = rng.randint(62, 85) if elderly else rng.randint(22, 59)
        born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        phone = f"1389{n:07d}"  # a block the four demo customers (1380000000x) are not in
        id_number = f"DEMO{n:08d}"
        customer = self.uow.customers.add(Customer(
            name=name, date_of_birth=born, phone=phone, phone_last4=phone_last4(phone),
            id_number_masked=mask_id_number(id_number), id_number_hash=hash_id_number(id_number),
            preferred_language="en" if english else "zh", created_at=self.start))
        spec = _LINES[line]
        code, name_zh, name_en = spec["product"]
        # In force over the whole history and past its waiting period from its first day.
        # (A history longer than 323 days gets policies of more than a year.)
        first = self.days + 40
        begins = today - timedelta(days=rng.randint(first, max(first, 363)))
        ends = max(begins + timedelta(days=364), today + timedelta(days=30))
        policy = self.uow.policies.add(Policy(
            customer=customer, number=f"{_POLICY_PREFIX[line]}-H{n:05d}", line_of_business=line,
            product_code=code, product_name_zh=name_zh, product_name_en=name_en,
            sum_insured=Decimal(spec["sum_insured"]), deductible=Decimal(spec["deductible"]),
            waiting_period_days=30 if line in ("medical", "critical_illness") else 0,
            start_date=begins, end_date=ends, status="active"))
        self.report.created["customers"] += 1
        self.report.created["policies"] += 1
        return policy

    # --- claims ---------------------------------------------------------------------------

    def _place(self, line: str, city: str | None = None) -> str:
        rng = self.rng
        if city is None:
            city = _pick(rng, _PLACES)[0]
        streets = next(entry[1] for entry in _PLACES if entry[0] == city)
        if line in ("medical", "critical_illness") or (line == "accident" and rng.random() < .5):
            return city + rng.choice(_HOSPITALS)
        return f"{city}{rng.choice(streets)}{rng.randint(1, 400)}号"

    def _reported_at(self, day: date) -> datetime:
        hour = self.rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9,
                                                    10, 11, 11, 10, 9, 8, 7, 6, 4, 3, 2])[0]
        return from_local(day, hour, self.rng.randint(0, 59))

    def claims_over_the_period(self) -> None:
        rng = self.rng
        first_day = local_today(self.start)
        for offset in range(self.days + 1):
            day = first_day + timedelta(days=offset)
            for line, spec in _LINES.items():
                weekend = 0.8 if day.weekday() >= 5 else 1.0
                count = _poisson(rng, spec["per_day"] * weekend)
                for _ in range(count):
                    self._claim(line, self._reported_at(day))
        # The storm: flooded cars and homes in one city over the last days.
        for _ in range(STORM_CLAIMS):
            back = rng.uniform(0.2, STORM_DAYS)
            line = "motor" if rng.random() < 0.65 else "home"
            kind = "flood" if line == "motor" else rng.choice(("water_damage", "natural_disaster"))
            self._claim(line, self.now - timedelta(days=back), incident_type=kind,
                        city=STORM_CITY)

    def _claim(self, line: str, reported_at: datetime, *, incident_type: str | None = None,
               city: str | None = None) -> None:
        if reported_at >= self.now or reported_at < self.start:
            return
        rng, uow = self.rng, self.uow
        spec = _LINES[line]
        incident_type = incident_type or _pick(rng, spec["types"])[0]
        elderly = rng.random() < 0.14
        policy = self._customer(line, elderly=elderly)
        customer = policy.customer
        channel = _pick(rng, _CHANNELS)[0]
        estimate = _money(rng.lognormvariate(0, spec["spread"]) * spec["median"])
        estimate = min(estimate, Decimal(spec["sum_insured"]))
        zh_text, en_text = _DESCRIPTIONS.get(incident_type, _DESCRIPTIONS["collision"])
        lang = customer.preferred_language
        claim = Claim(
            number=self._claim_number(reported_at), policy=policy,
            stage=S.REPORTED.value, incident_type=incident_type,
            incident_at=reported_at - timedelta(hours=rng.uniform(1, 60)),
            incident_time_precision="exact", incident_place=self._place(line, city),
            description=en_text if lang == "en" else zh_text,
            injuries=incident_type in ("injury", "disability"), estimated_amount=estimate,
            channel=channel, language=lang, conversation_id=f"history-{self.serial:05d}",
            flags=[], reported_at=reported_at)
        uow.claims.add(claim)
        uow.claims.add_event(claim, from_stage=None, to_stage=S.REPORTED.value, actor="bot",
                             at=reported_at)
        self._documents(claim, line, incident_type, reported_at)
        self.claims.append(claim)
        self.report.created["claims"] += 1
        self._lifecycle(claim, estimate, policy)
        self._queue_notices(claim)

    def _claim_number(self, reported_at: datetime) -> str:
        """The next number of the report's year, counted here and reserved in the counter at
        the end (`reserve_numbers`): one UPDATE per year instead of one per claim."""
        year = to_local(reported_at).year
        if year not in self.serials:
            counter = self.uow.session.get(ClaimNumberCounter, year)
            self.serials[year] = counter.last if counter is not None else 0
        self.serials[year] += 1
        return format_claim_number(year, self.serials[year])

    def reserve_numbers(self) -> None:
        for year, serial in sorted(self.serials.items()):
            self.uow.claims.reserve_claim_serial(year, serial)

    def _documents(self, claim: Claim, line: str, incident_type: str, at: datetime) -> None:
        for item in checklist(line, incident_type):
            claim.documents.append(ClaimDocument(
                code=item.code, label_zh=item.name_zh, label_en=item.name_en,
                mandatory=item.mandatory, fetched_by_insurer=item.fetched_by_insurer,
                status="missing", first_notice=True))

    def _move(self, claim: Claim, stage: ClaimStage, at: datetime, actor: str = CORE_SYSTEM,
              note: str | None = None) -> bool:
        """Moves the claim as bot.claims.lifecycle.move_in does (the allowed move, the stage
        event, the audit entry; the customer's notice once the claim is saved, see
        `_queue_notices`), when `at` is already past; False (and no move) when it is not."""
        if at >= self.now:
            return False
        from_stage = ClaimStage(claim.stage)
        if stage not in ALLOWED_TRANSITIONS[from_stage]:
            raise InvalidTransition(claim.number, from_stage, stage)
        claim.stage = stage.value
        event = self.uow.claims.add_event(claim, from_stage=from_stage.value,
                                          to_stage=stage.value, actor=actor, at=at, note=note)
        self.uow.audit.record(actor, "claim.advance", "claim", claim.number,
                              {"from": from_stage.value, "to": stage.value, "note": note}, at=at)
        self.events.append(event)
        return True

    def _queue_notices(self, claim: Claim) -> None:
        """The notice of each of the claim's moves, queued by the outbox's own code once the
        events have their ids (one flush per claim instead of two per move: seconds, not tens).
        The claim's later fields (amount, reason) are set before the move that tells them."""
        if not self.events:
            return
        self.uow.flush()
        with self.uow.session.no_autoflush:
            for event in self.events:
                queue_stage_notice(self.uow, claim, event)
        self.events.clear()
        # What needs the claim's row id: escalations, disputes, scores.
        for step in self.later:
            step()
        self.later.clear()

    def deliver_notices(self) -> None:
        """The notices the moves queued, as the outbox left them: sent a moment after they were
        queued, or failed after its retries (channels fail at different rates)."""
        fails = {name: rate for name, rate, _ in _CHANNELS}
        ids = [claim.id for claim in self.claims]
        for notice in self.uow.notifications.pending_of_claims(ids):
            delay = timedelta(seconds=self.rng.randint(2, 90))
            if notice.created_at + delay >= self.now:
                delay = timedelta(0)
            if self.rng.random() < fails.get(notice.channel, 0.05):
                notice.status, notice.attempts = "failed", 5
                notice.last_error = _NOTICE_ERRORS.get(notice.channel, "delivery failed")
            else:
                notice.status, notice.attempts = "sent", 1
                notice.sent_at = notice.created_at + delay
            self.report.created["notices"] += 1

    def _lifecycle(self, claim: Claim, estimate: Decimal, policy: Policy) -> None:
        rng = self.rng
        # The amount the assessment will approve, known ahead so that the claim is settled at
        # the pace of its band (the deadlines read the approved amount once there is one).
        approved = estimate * Decimal(str(rng.uniform(0.75, 1.0))) - policy.deductible
        approved = max(approved, Decimal("100")).quantize(Decimal("0.01"))
        band, estimated_band = settlement_band(approved), settlement_band(estimate)
        at = claim.reported_at
        # Picked up within the 15 minutes, now and then later.
        at += timedelta(minutes=rng.uniform(1, 12) if rng.random() < 0.93 else rng.uniform(16, 90))
        if rng.random() < 0.02:
            self._move(claim, S.WITHDRAWN, at + timedelta(hours=rng.uniform(1, 48)),
                       actor="bot", note="客户撤案 / withdrawn by the customer")
            return
        if not self._move(claim, S.DOCUMENTS_REVIEW, at):
            return
        # Documents arrive; one claim in nine has one rejected and asked for again.
        hours = rng.uniform(1, 30) if band == "small" else rng.uniform(4, 60)
        complete = at + timedelta(hours=hours)
        rerequested = rng.random() < 0.11
        if rerequested:
            complete += timedelta(hours=rng.uniform(24, 96))
        self._receive_documents(claim, at, complete, rerequested)
        if complete >= self.now:
            return
        claim.documents_completed_at = complete
        late = rng.random() < (0.12 if band == "small" else 0.15)
        very_late = late and rng.random() < 0.3
        investigate = band != "small" and rng.random() < 0.08
        at = complete
        if investigate:
            if not self._move(claim, S.INVESTIGATION, at + timedelta(minutes=20),
                              note="调查 / investigation"):
                return
            at += timedelta(days=rng.uniform(2, 5))
        decided_at, paid_at = self._settlement_times(band, complete, late, very_late)
        assessed = at if investigate else at + timedelta(minutes=30)
        decided_at = max(decided_at, assessed + timedelta(hours=1))
        paid_at = max(paid_at, decided_at + timedelta(hours=1))
        if not self._move(claim, S.ASSESSMENT, assessed, note="材料齐全 / documents complete"):
            return
        if decided_at >= self.now:
            self.later.append(lambda: self._escalate_if_red(claim, estimated_band, complete))
            return
        if rng.random() < 0.07:
            claim.denial_reason_zh = "这次损失属于保险条款写明不赔的情况。"
            claim.denial_reason_en = "This loss is one the policy says it does not pay for."
            claim.denial_clause = "第七条 / Clause 7"
            self._move(claim, S.DENIED, decided_at, actor="handler:history.chen",
                       note="责任免除 / exclusion")
            self.later.append(lambda: self._escalate_if_red(claim, estimated_band, complete,
                                                            settled=decided_at))
            if rng.random() < 0.35:
                self.later.append(lambda: self._dispute(claim, decided_at))
            self._move(claim, S.CLOSED, decided_at + timedelta(days=rng.uniform(3, 10)))
            return
        claim.approved_amount = approved
        if not self._move(claim, S.PAYMENT, decided_at, note=f"核定 {approved} 元"):
            return
        if paid_at >= self.now:
            self.later.append(lambda: self._escalate_if_red(claim, band, complete))
            return
        claim.paid_amount, claim.paid_at = approved, paid_at
        self._move(claim, S.CLOSED, paid_at, note=f"已赔付 {approved} 元")
        self.later.append(lambda: self._escalate_if_red(claim, band, complete,
                                                        settled=paid_at))
        if rng.random() < 0.04:
            self.later.append(lambda: self._dispute(claim, paid_at))
        if rng.random() < 0.72:
            self.later.append(lambda: self._score(claim, paid_at, late))

    def _settlement_times(self, band: str, complete: datetime, late: bool,
                          very_late: bool) -> Tuple[datetime, datetime]:
        """When the decision and the payment come, around the 24-hour / 7-working-day target."""
        rng = self.rng
        if band == "small":
            hours = (rng.uniform(50, 90) if very_late else rng.uniform(25, 47) if late
                     else rng.uniform(2, 22))
            paid = complete + timedelta(hours=hours)
            return paid - timedelta(hours=min(hours / 2, rng.uniform(1, 6))), paid
        # Larger claims: decided within a day or two (the average handling target is 48 hours
        # from the report), paid within 7 working days of complete documents.
        days = (rng.randint(15, 20) if very_late else rng.randint(8, 13) if late
                else rng.randint(1, 6))
        paid = add_working_days(complete, days) - timedelta(hours=rng.uniform(0, 6))
        decided = complete + timedelta(hours=rng.uniform(30, 96) if late else rng.uniform(2, 24))
        return min(decided, paid - timedelta(hours=2)), paid

    def _receive_documents(self, claim: Claim, started: datetime, complete: datetime,
                           rerequested: bool) -> None:
        rng = self.rng
        docs = list(claim.documents)
        rejected = rng.choice([d for d in docs if not d.fetched_by_insurer]) if rerequested \
            else None
        for doc in docs:
            if not doc.mandatory and rng.random() < 0.5:
                continue
            when = started + (complete - started) * rng.uniform(0.1, 1.0)
            if doc is rejected:
                first = started + (complete - started) * rng.uniform(0.05, 0.4)
                if first < self.now:
                    doc.rejected_at = first + timedelta(hours=2)
                    doc.rejection_reason_zh = "照片模糊，看不清"
                    doc.rejection_reason_en = "The photo is blurred"
                    doc.rerequested_at = first + timedelta(hours=2, minutes=5)
                    doc.status = "rejected"
                when = complete
            if doc is not rejected and doc.mandatory:
                when = min(when, complete)
            if when < self.now:
                doc.status, doc.received_at = "received", when
                doc.received_via = "data_link" if doc.fetched_by_insurer else None

    def _escalate_if_red(self, claim: Claim, band: str, complete: datetime, *,
                         settled: datetime | None = None) -> None:
        """A settlement that passed its red line was escalated then (the back-office round)."""
        if band == "small":
            due, red = complete + timedelta(hours=24), complete + timedelta(hours=48)
        else:
            due, red = add_working_days(complete, 7), add_working_days(complete, 14)
        end = settled or self.now
        if end <= red or red >= self.now:
            return
        clock = Clock("settlement", complete, due, ClockStatus.RED, red_at=red, band=band)
        at = red + timedelta(minutes=self.rng.randint(1, 10))
        _, opened = escalate(self.uow, claim, clock, actor="back-office", now=at)
        if opened:
            self.report.created["escalations"] += 1
            if settled is not None:
                task = self.uow.tasks.by_dedupe_key(f"escalation:{claim.number}:settlement")
                if task is not None:
                    task.status, task.done_at, task.done_by = "done", settled, "history.wu"
                    task.outcome = "已督办结案 / followed up until settled"

    def _score(self, claim: Claim, closed_at: datetime, late: bool) -> None:
        rng = self.rng
        answered = closed_at + timedelta(hours=rng.uniform(0.2, 30))
        if answered >= self.now:
            return
        weights = ([1, 1, 2, 3, 6, 8, 10, 8, 4, 2] if late
                   else [0.5, 0.5, 0.5, 1, 1, 2, 5, 14, 26, 40])
        score = rng.choices(range(1, 11), weights=weights)[0]
        self.uow.satisfaction.add(SatisfactionScore(
            claim_id=claim.id, customer_id=claim.policy.customer_id, score=score,
            actor="customer", answered_at=answered))
        self.report.created["scores"] += 1

    def _dispute(self, claim: Claim, decided_at: datetime) -> None:
        rng = self.rng
        at = decided_at + timedelta(days=rng.uniform(0.5, 4))
        if at >= self.now:
            return
        step = "explained"
        _record_step(self.uow, claim, step, claim.conversation_id, "bot", at)
        for next_step in ("negotiation", "mediation", "arbitration"):
            if rng.random() > 0.45:
                break
            at += timedelta(days=rng.uniform(2, 12))
            if at >= self.now:
                break
            _record_step(self.uow, claim, next_step, claim.conversation_id,
                         "agent:history.li", at)
        self.report.created["disputes"] += 1

    # --- complaints -------------------------------------------------------------------------

    def complaints(self) -> None:
        rng = self.rng
        total = int(self.days * 1.1)
        by_time = sorted(self.claims, key=lambda c: c.reported_at)
        firsts: List[Complaint] = []
        for _ in range(total):
            claim = rng.choice(by_time)
            at = claim.reported_at + timedelta(days=rng.uniform(0.5, 20))
            if at < self.now:
                firsts.append(self._complaint(claim, at, _pick(rng, _COMPLAINTS)))
        storm = [c for c in by_time if c.incident_place and c.incident_place.startswith(STORM_CITY)
                 and self.now - c.reported_at < timedelta(days=STORM_DAYS)]
        for _ in range(STORM_COMPLAINTS if storm else 0):
            claim = rng.choice(storm)
            at = claim.reported_at + (self.now - claim.reported_at) * rng.uniform(0.3, 0.95)
            self._complaint(claim, at, _COMPLAINTS[0])
        # A few come back about the same matter: repeats, linked to the first.
        older = [c for c in firsts if self.now - c.received_at > timedelta(days=2)]
        for first in rng.sample(older, k=min(len(older), max(1, round(len(firsts) * 0.04)))):
            room = (self.now - first.received_at).total_seconds() / 86400
            again = first.received_at + timedelta(days=rng.uniform(1, min(15.0, room)))
            if again < self.now:
                topic = next(t for t in _COMPLAINTS if t[1] == first.subject or t[2] ==
                             first.subject)
                self._complaint(first.claim, again, topic, repeat_of=first)

    def _complaint(self, claim: Claim, at: datetime, topic: Tuple,
                   repeat_of: Complaint | None = None) -> Complaint:
        rng, uow = self.rng, self.uow
        customer = claim.policy.customer
        lang = customer.preferred_language
        subject = topic[2] if lang == "en" else topic[1]
        row = uow.complaints.add(Complaint(
            reference=f"tmp-history-{self.report.created['complaints']}",
            customer_id=customer.id, claim_id=claim.id, subject=subject,
            facts=f"{claim.number}: {subject}", request="尽快处理" if lang == "zh" else
            "Sort it out quickly", channel=claim.channel, received_at=at, status="received",
            about_kind="staff" if topic[0] in ("attitude", "unreachable") else "claim",
            language=lang, conversation_id=claim.conversation_id, complexity="standard",
            repeat_of_id=repeat_of.id if repeat_of is not None else None))
        row.claim = claim
        uow.flush()
        row.reference = format_reference(to_local(at).year, row.id)
        uow.audit.record(HISTORY_ACTOR, "complaint.received", "complaint", row.reference,
                         {"about": row.about_kind, "claim": claim.number,
                          "channel": claim.channel,
                          "repeat_of": repeat_of.reference if repeat_of else None}, at=at)
        task = promise_complaint_callback(uow, row, at + timedelta(hours=48), actor="complaints",
                                          now=at)
        self.report.created["complaints"] += 1
        officer = "history.he"
        first_contact = repeat_of is None and rng.random() < 0.82
        if first_contact:
            # Resolved while the customer was still there: explained and accepted.
            done = at + timedelta(minutes=rng.uniform(5, 40))
            if done < self.now:
                row.acknowledged_at = row.decided_at = row.accepted_at = done
                row.decided_by, row.accepted, row.status = officer, True, "closed"
                row.outcome = ("当场核实并解释，客户表示认可" if lang == "zh"
                               else "Checked and explained on the spot; the customer agreed")
                self._task_done(task, done)
            return row
        ack = at + timedelta(hours=rng.uniform(2, 40) if rng.random() < 0.92
                             else rng.uniform(49, 80))
        if ack >= self.now:
            return row
        row.acknowledged_at, row.status = ack, "acknowledged"
        self._task_done(task, ack)
        roll = rng.random()
        if roll < 0.1:
            row.complexity = "complex"
            days = rng.uniform(12, 29)
        elif roll < 0.14:
            row.complexity, row.extended_at = "extended", ack + timedelta(days=10)
            days = rng.uniform(31, 58)
        else:
            days = rng.uniform(1, 14) if rng.random() < 0.97 else rng.uniform(15.5, 20)
        decided = at + timedelta(days=days)
        if decided >= self.now or (row.extended_at and row.extended_at >= self.now):
            row.extended_at = None if row.extended_at and row.extended_at >= self.now \
                else row.extended_at
            return row
        accepted = rng.random() < 0.8
        row.decided_at, row.decided_by, row.accepted = decided, officer, accepted
        row.accepted_at = decided + timedelta(hours=rng.uniform(1, 30))
        row.outcome = ("经复核，已按条款补充说明并处理" if lang == "zh"
                       else "Reviewed; explained under the policy and settled")
        row.status = "closed" if accepted else "decided"
        return row

    def _task_done(self, task, at: datetime) -> None:
        task.status, task.taken_at, task.done_at = "done", at, at
        task.assignee_id, task.done_by = self.staff["history.he"].id, "history.he"
        task.outcome = "已回电 / called back"

    # --- handoffs ---------------------------------------------------------------------------

    def handoffs(self) -> None:
        rng, uow = self.rng, self.uow
        agents = [self.staff[name] for name in ("history.chen", "history.li", "history.zhou")]
        by_time = sorted(self.claims, key=lambda c: c.reported_at)
        total = int(self.days * 2.6)
        for _n in range(total):
            claim = rng.choice(by_time)
            reason = _pick(rng, _HANDOFF_REASONS)[0]
            customer = claim.policy.customer
            elderly = reason is Reason.ELDERLY or (
                local_today(self.now).year - customer.date_of_birth.year >= 60)
            at = claim.reported_at + timedelta(hours=rng.uniform(0, 72))
            # The queue is answered from 08:00 to 20:00; a wait counts from the request.
            if at >= self.now - timedelta(hours=1):
                continue
            if elderly or reason is Reason.URGENT:
                wait = rng.uniform(0.3, 4)
            else:
                wait = rng.lognormvariate(1.2, 0.8)
            # Elderly and urgent customers are answered first and never left to give up.
            abandoned = not (elderly or reason is Reason.URGENT) and rng.random() < 0.07
            first = (_DESCRIPTIONS.get(claim.incident_type, ("", ""))[0] + " 转人工")
            summary = build_summary(
                [{"event": "user", "text": first, "timestamp": at.timestamp()}],
                {"customer_name": customer.name, "verified": True,
                 "policy_number": claim.policy.number, "elderly": elderly,
                 "claim_number": claim.number, "language": customer.preferred_language},
                reason=reason)
            row = Handoff(conversation_id=claim.conversation_id, channel=claim.channel,
                          reason=reason.value, priority=priority(reason, elderly),
                          language=customer.preferred_language, summary=summary,
                          status="closed", created_at=at)
            if abandoned:
                row.closed_at = at + timedelta(minutes=wait * 2)
                row.resolution = "客户离开队列 / the customer left the queue"
            else:
                agent = rng.choice(agents)
                row.agent_id, row.taken_at = agent.id, at + timedelta(minutes=wait)
                row.closed_at = row.taken_at + timedelta(minutes=rng.uniform(3, 25))
                row.resolution = "已解答 / answered"
            uow.handoffs.add(row)
            self.report.created["handoffs"] += 1


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method; means here are small)."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def history_present(url: str | None = None) -> bool:
    with unit_of_work(url) as uow:
        return bool(uow.audit.list(action=AUDIT_ACTION))


def seed_history(days: int = 90, *, now: datetime | None = None, seed: int = DEFAULT_SEED,
                 url: str | None = None) -> HistoryReport:
    """Adds `days` of history ending at `now`, in one transaction. Once there, running it again
    adds nothing (the audit log records the run)."""
    if days < 1:
        raise ValueError("history needs at least one day")
    at = as_utc_naive(now or utc_now())
    report = HistoryReport(days=days, seed=seed, now=at)
    if history_present(url):
        report.skipped = True
        return report
    with unit_of_work(url) as uow:
        history = _History(uow, random.Random(seed), at, days, report)
        history._staff()
        history.claims_over_the_period()
        history.reserve_numbers()
        uow.flush()
        history.deliver_notices()
        history.complaints()
        history.handoffs()
        uow.audit.record(HISTORY_ACTOR, AUDIT_ACTION, "store", None,
                         {"days": days, "seed": seed, "now": at.isoformat(),
                          **report.created}, at=at)
        uow.commit()
    return report
