"""Idempotent demo data: four customers, their policies and claims at telling stages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.claims.model import ClaimStage
from bot.clock import from_local, local_today
from bot.privacy import hash_id_number, mask_id_number, phone_last4
from bot.store.db import UnitOfWork, unit_of_work
from bot.store.models import Claim, ClaimDocument, Customer, Policy

SEED_ACTOR = "seed"
CORE_SYSTEM = "core-system"

# Made-up identifiers: the region, birth date and check digit look real, the people are not.
_CUSTOMERS = (
    dict(name="张伟", date_of_birth=date(1985, 4, 12), phone="13800000001",
         id_number="110105198504121236", preferred_language="zh"),
    dict(name="李秀英", date_of_birth=date(1948, 9, 30), phone="13800000002",
         id_number="31010419480930284X", preferred_language="zh"),
    dict(name="John Smith", date_of_birth=date(1990, 7, 1), phone="+8613800000003",
         id_number="E98765432", preferred_language="en"),
    dict(name="王芳", date_of_birth=date(1992, 2, 14), phone="13800000004",
         id_number="440106199202143322", preferred_language="zh"),
)


@dataclass
class SeedReport:
    created: dict[str, int] = field(
        default_factory=lambda: {"customers": 0, "policies": 0, "claims": 0}
    )

    @property
    def changed(self) -> bool:
        return any(self.created.values())


def _first_of_month_before(today: date, months: int) -> date:
    month_index = today.year * 12 + today.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _year_later(start: date) -> date:
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def _policies(today: date) -> list[dict]:
    # Every policy is in force whatever day the demo is seeded (the numbers stay as the README
    # gives them): a policy with fixed dates would stop covering the demo's claims one day.
    medical_start = _first_of_month_before(today, 5)
    annual_start = _first_of_month_before(today, 10)
    accident_start = _first_of_month_before(today, 8)
    return [
        dict(holder="张伟", number="AUTO-2026-0001", line_of_business="motor",
             product_code="MOTOR-COMP", product_name_zh="机动车综合商业保险",
             product_name_en="Comprehensive motor insurance",
             sum_insured=Decimal("300000"), deductible=Decimal("500"), waiting_period_days=0,
             start_date=annual_start, end_date=_year_later(annual_start)),
        dict(holder="张伟", number="MED-2026-0001", line_of_business="medical",
             product_code="MED-HOSP", product_name_zh="住院医疗保险",
             product_name_en="Hospital medical insurance",
             sum_insured=Decimal("50000"), deductible=Decimal("0"), waiting_period_days=30,
             start_date=annual_start, end_date=_year_later(annual_start)),
        dict(holder="李秀英", number="MED-2026-0002", line_of_business="medical",
             product_code="MED-HOSP-SENIOR", product_name_zh="老年住院医疗保险",
             product_name_en="Senior hospital medical insurance",
             sum_insured=Decimal("100000"), deductible=Decimal("0"), waiting_period_days=30,
             start_date=medical_start, end_date=_year_later(medical_start)),
        dict(holder="John Smith", number="HOME-2026-0001", line_of_business="home",
             product_code="HOME-CONTENTS", product_name_zh="家庭财产保险",
             product_name_en="Home and contents insurance",
             sum_insured=Decimal("500000"), deductible=Decimal("1000"), waiting_period_days=0,
             start_date=annual_start, end_date=_year_later(annual_start)),
        dict(holder="王芳", number="ACC-2026-0001", line_of_business="accident",
             product_code="ACC-PERSONAL", product_name_zh="个人意外伤害保险",
             product_name_en="Personal accident insurance",
             sum_insured=Decimal("200000"), deductible=Decimal("0"), waiting_period_days=0,
             start_date=accident_start, end_date=_year_later(accident_start)),
    ]


def _doc(code: str, zh: str, en: str, status: str, received_at: datetime | None, *,
         mandatory: bool = True, fetched: bool = False) -> dict:
    return dict(code=code, label_zh=zh, label_en=en, status=status, mandatory=mandatory,
                fetched_by_insurer=fetched,
                received_at=received_at if status == "received" else None)


def _claims(today: date) -> list[dict]:
    """Demo claims, oldest report first so their numbers run in time order."""
    at = from_local

    def d(days: int) -> date:
        return today - timedelta(days=days)

    water_reported = at(d(days=40), 9, 30)
    water_paid = at(d(days=21), 15, 0)
    theft_reported = at(d(days=16), 19, 5)
    hospital_reported = at(d(days=12), 10, 20)
    collision_reported = at(d(days=3), 10, 15)
    return [
        dict(
            policy="HOME-2026-0001", incident_type="water_damage", stage=ClaimStage.CLOSED,
            incident_at=at(d(days=41), 22, 0),
            incident_place="上海市浦东新区张杨路 88 弄 6 号 1202 室",
            description="A pipe under the kitchen sink burst overnight; the kitchen floor and "
                        "lower cabinets were soaked.",
            estimated_amount=Decimal("9000"), approved_amount=Decimal("8200"),
            paid_amount=Decimal("8200"), paid_at=water_paid, channel="webchat", language="en",
            reported_at=water_reported, documents_completed_at=at(d(days=33), 11, 0),
            events=[
                (None, ClaimStage.REPORTED, water_reported, "bot", None),
                (ClaimStage.REPORTED, ClaimStage.DOCUMENTS_REVIEW, at(d(days=40), 9, 45),
                 CORE_SYSTEM, None),
                (ClaimStage.DOCUMENTS_REVIEW, ClaimStage.ASSESSMENT, at(d(days=33), 11, 0),
                 CORE_SYSTEM, "Documents complete"),
                (ClaimStage.ASSESSMENT, ClaimStage.PAYMENT, at(d(days=23), 16, 30), CORE_SYSTEM,
                 "Approved 8,200 CNY after the 1,000 CNY deductible"),
                (ClaimStage.PAYMENT, ClaimStage.CLOSED, at(d(days=20), 9, 0), CORE_SYSTEM,
                 "Paid 8,200 CNY"),
            ],
            documents=[
                _doc("claim_form", "理赔申请书", "Claim application form", "received",
                     water_reported),
                _doc("id_card", "身份证", "Claimant's ID", "received", water_reported),
                _doc("loss_list", "财产损失清单", "List of damaged items", "received",
                     at(d(days=36), 14, 0)),
                _doc("proof_of_value", "购买发票或价值证明", "Purchase invoices or proof of value",
                     "received", at(d(days=33), 11, 0)),
                _doc("scene_photos", "现场照片", "Photos of the damage", "received",
                     water_reported),
            ],
        ),
        dict(
            policy="HOME-2026-0001", incident_type="theft", stage=ClaimStage.DENIED,
            incident_at=at(d(days=17), 7, 30), incident_place="上海市浦东新区张杨路 88 弄楼下",
            description="My bicycle was stolen overnight from the rack outside the building.",
            estimated_amount=Decimal("1800"), channel="webchat", language="en",
            reported_at=theft_reported, documents_completed_at=at(d(days=13), 10, 0),
            denial_reason_zh="被盗的自行车放在住宅外面，不在保单写明的保险地址以内。"
                             "这份保险只赔存放在家里（保险地址内）的财产。",
            denial_reason_en="The bicycle was stolen from outside your home. This policy only "
                             "pays for belongings kept inside the insured address.",
            denial_clause="第十二条 / Clause 12",
            events=[
                (None, ClaimStage.REPORTED, theft_reported, "bot", None),
                (ClaimStage.REPORTED, ClaimStage.DOCUMENTS_REVIEW, at(d(days=16), 19, 20),
                 CORE_SYSTEM, None),
                (ClaimStage.DOCUMENTS_REVIEW, ClaimStage.ASSESSMENT, at(d(days=13), 10, 0),
                 CORE_SYSTEM, "Documents complete"),
                (ClaimStage.ASSESSMENT, ClaimStage.DENIED, at(d(days=9), 14, 0),
                 "handler:chen.li", "Items kept outside the insured premises (Clause 12)"),
            ],
            documents=[
                _doc("claim_form", "理赔申请书", "Claim application form", "received",
                     theft_reported),
                _doc("id_card", "身份证", "Claimant's ID", "received", theft_reported),
                _doc("police_report", "公安报案回执", "Police report receipt", "received",
                     at(d(days=13), 10, 0)),
                _doc("loss_list", "财产损失清单", "List of stolen items", "received",
                     theft_reported),
            ],
        ),
        dict(
            policy="MED-2026-0002", incident_type="hospitalisation", stage=ClaimStage.ASSESSMENT,
            incident_at=at(d(days=20), 8, 0), incident_place="上海市第六人民医院",
            description="因肺炎住院治疗七天。",
            estimated_amount=Decimal("12600"), channel="telegram", language="zh",
            reported_at=hospital_reported, documents_completed_at=at(d(days=5), 16, 0),
            events=[
                (None, ClaimStage.REPORTED, hospital_reported, "bot", None),
                (ClaimStage.REPORTED, ClaimStage.DOCUMENTS_REVIEW, at(d(days=12), 10, 40),
                 CORE_SYSTEM, None),
                (ClaimStage.DOCUMENTS_REVIEW, ClaimStage.ASSESSMENT, at(d(days=5), 16, 0),
                 CORE_SYSTEM, "材料齐全"),
            ],
            documents=[
                _doc("claim_form", "理赔申请书", "Claim application form", "received",
                     hospital_reported),
                _doc("id_card", "身份证", "Claimant's ID", "received", hospital_reported),
                _doc("medical_record", "病历（加盖医院公章）", "Medical record with hospital seal",
                     "received", at(d(days=8), 9, 0)),
                _doc("diagnosis", "诊断证明", "Diagnosis certificate", "received",
                     at(d(days=8), 9, 0)),
                _doc("invoices", "医疗费用发票", "Medical invoices", "received",
                     at(d(days=8), 9, 0)),
                _doc("itemised_bill", "费用清单", "Itemised bill", "received", at(d(days=8), 9, 0)),
                _doc("discharge_summary", "出院小结", "Discharge summary", "received",
                     at(d(days=5), 16, 0)),
                _doc("medical_insurance_settlement", "医保结算单", "Medical-insurance settlement",
                     "received", at(d(days=6), 12, 0), fetched=True),
            ],
        ),
        dict(
            policy="AUTO-2026-0001", incident_type="collision", stage=ClaimStage.DOCUMENTS_REVIEW,
            incident_at=at(d(days=3), 8, 40), incident_place="北京市朝阳区建国路与东三环路口",
            description="等红灯时被后车追尾，后保险杠和尾灯损坏，无人受伤。",
            estimated_amount=Decimal("3200"), channel="telegram", language="zh",
            reported_at=collision_reported,
            events=[
                (None, ClaimStage.REPORTED, collision_reported, "bot", None),
                (ClaimStage.REPORTED, ClaimStage.DOCUMENTS_REVIEW, at(d(days=3), 10, 30),
                 CORE_SYSTEM, None),
            ],
            documents=[
                _doc("claim_form", "理赔申请书", "Claim application form", "received",
                     collision_reported),
                _doc("id_card", "身份证", "Claimant's ID", "received", collision_reported),
                _doc("vehicle_licence", "行驶证", "Vehicle licence", "received",
                     collision_reported),
                _doc("scene_photos", "现场照片", "Photos of the scene and damage", "received",
                     collision_reported),
                _doc("driving_licence", "驾驶证", "Driving licence", "missing", None),
                _doc("repair_invoice", "维修发票/估损单", "Repair invoice or estimate",
                     "missing", None),
                _doc("liability_record", "事故责任认定书", "Traffic police liability record",
                     "missing", None, fetched=True),
            ],
        ),
    ]


def _seed_customers(uow: UnitOfWork, report: SeedReport) -> dict[str, Customer]:
    by_name: dict[str, Customer] = {}
    for spec in _CUSTOMERS:
        id_hash = hash_id_number(spec["id_number"])
        customer = uow.customers.by_id_number_hash(id_hash)
        if customer is None:
            customer = uow.customers.add(Customer(
                name=spec["name"], date_of_birth=spec["date_of_birth"], phone=spec["phone"],
                phone_last4=phone_last4(spec["phone"]),
                id_number_masked=mask_id_number(spec["id_number"]), id_number_hash=id_hash,
                preferred_language=spec["preferred_language"],
            ))
            report.created["customers"] += 1
        by_name[spec["name"]] = customer
    uow.flush()
    return by_name


def _seed_policies(uow: UnitOfWork, customers: dict[str, Customer], today: date,
                   report: SeedReport) -> None:
    for spec in _policies(today):
        if uow.policies.by_number(spec["number"]) is not None:
            continue
        fields = {key: value for key, value in spec.items() if key != "holder"}
        uow.policies.add(Policy(customer=customers[spec["holder"]], status="active", **fields))
        report.created["policies"] += 1
    uow.flush()


def _seed_claims(uow: UnitOfWork, today: date, report: SeedReport) -> None:
    for spec in _claims(today):
        policy = uow.policies.by_number(spec["policy"])
        assert policy is not None
        # A demo claim is known by its policy and incident type, which stay fixed while the
        # dates move with `today`: seeding on another day still adds nothing.
        if any(claim.incident_type == spec["incident_type"] for claim in policy.claims):
            continue
        reported_at: datetime = spec["reported_at"]
        claim = Claim(
            number=uow.claims.next_claim_number(local_today(reported_at).year),
            policy=policy,
            stage=spec["stage"].value,
            flags=[],
            injuries=False,
            **{key: value for key, value in spec.items()
               if key not in ("policy", "stage", "events", "documents")},
        )
        uow.claims.add(claim)
        for from_stage, to_stage, at, actor, note in spec["events"]:
            uow.claims.add_event(
                claim, from_stage=from_stage.value if from_stage else None,
                to_stage=to_stage.value, at=at, actor=actor, note=note,
            )
        for doc in spec["documents"]:
            claim.documents.append(ClaimDocument(**doc))
        report.created["claims"] += 1
    uow.flush()


def seed(url: str | None = None, today: date | None = None) -> SeedReport:
    """Create whatever of the demo data is missing; running it again changes nothing."""
    today = today or local_today()
    report = SeedReport()
    with unit_of_work(url) as uow:
        customers = _seed_customers(uow, report)
        _seed_policies(uow, customers, today, report)
        _seed_claims(uow, today, report)
        if report.changed:
            uow.audit.record(SEED_ACTOR, "seed", "store", None, dict(report.created))
        uow.commit()
    return report


def is_empty(url: str | None = None) -> bool:
    """True when the store holds no customers yet."""
    with unit_of_work(url) as uow:
        return uow.customers.count() == 0
