"""Document checklists: complete per DOMAIN.md, bilingual, composed, and the one-time notice
(law Art. 22): a later notice never names an item the first one did not."""
from __future__ import annotations

import random
import re

import pytest
import yaml

from bot.documents import (
    Item,
    UnknownChecklist,
    all_checklists,
    catalogue,
    checklist,
    incident_types,
    is_complete,
    lines_of_business,
    missing_items,
    normalise_incident_type,
    one_time_notice,
    outstanding,
)
from bot.documents.checklist import BULLET, CHECKLISTS
from bot.replies import say
from bot.seed import _claims
from tests.bot.conftest import TODAY

CJK = re.compile(r"[\u4e00-\u9fff]")
COMMON = ["claim_form", "id_card", "bank_card"]
# The lines and incident types the issue asks for.
EXPECTED_TYPES = {
    "motor": {"collision", "theft", "glass", "injury", "natural_disaster", "falling_object"},
    "medical": {"hospitalisation", "outpatient"},
    "accident": {"injury", "disability"},
    "critical_illness": {"diagnosis"},
    "life": {"death"},
    "home": {"fire", "theft", "water_damage", "natural_disaster", "falling_object",
             "property_damage"},
}
ALL = sorted(all_checklists())


def _codes(line: str, incident_type: str) -> dict[str, Item]:
    return {item.code: item for item in checklist(line, incident_type)}


def test_every_line_and_incident_type_has_a_checklist() -> None:
    assert {line: set(incident_types(line)) for line in lines_of_business()} == EXPECTED_TYPES


@pytest.mark.parametrize(("line", "incident_type"), ALL)
def test_common_items_come_first_once_and_codes_are_unique(line: str, incident_type: str) -> None:
    codes = [item.code for item in checklist(line, incident_type)]
    assert codes[:3] == COMMON
    assert len(codes) == len(set(codes))
    assert all(item.mandatory for item in checklist(line, incident_type)[:3])


def test_common_items_are_composed_not_copied() -> None:
    raw = yaml.safe_load(CHECKLISTS.read_text(encoding="utf-8"))
    assert raw["blocks"]["common"] == COMMON
    for line, types in raw["checklists"].items():
        for incident_type, spec in types.items():
            own = [entry if isinstance(entry, str) else entry["code"]
                   for entry in spec.get("items", [])]
            assert not set(own) & set(COMMON), (line, incident_type)
            assert "common" not in spec.get("include", []), (line, incident_type)


def test_every_item_is_named_and_explained_in_both_languages() -> None:
    for code, item in catalogue().items():
        for text in (item.name_zh, item.hint_zh):
            assert text.strip() and CJK.search(text), code
        for text in (item.name_en, item.hint_en):
            assert text.strip() and not CJK.search(text), code
        assert ":" not in item.name_zh + item.name_en, code


def test_every_catalogued_item_is_used_somewhere() -> None:
    used = {item.code for items in all_checklists().values() for item in items}
    assert used == set(catalogue())


def test_the_insurer_fetches_the_liability_record_and_the_hospital_settlement() -> None:
    fetched = {code for code, item in catalogue().items() if item.fetched_by_insurer}
    assert fetched == {"liability_record", "medical_insurance_settlement"}
    assert _codes("motor", "collision")["liability_record"].fetched_by_insurer
    assert _codes("motor", "injury")["liability_record"].fetched_by_insurer
    for incident_type in ("hospitalisation", "outpatient"):
        assert _codes("medical", incident_type)["medical_insurance_settlement"].fetched_by_insurer


@pytest.mark.parametrize(
    ("line", "incident_type", "mandatory", "optional"),
    [
        ("motor", "collision",
         {"driving_licence", "vehicle_licence", "repair_invoice", "scene_photos"},
         {"other_party_info"}),
        ("motor", "theft",
         {"driving_licence", "vehicle_licence", "police_report", "car_keys",
          "registration_certificate"}, set()),
        ("motor", "glass", {"vehicle_licence", "scene_photos", "repair_invoice"}, set()),
        ("motor", "injury",
         {"injured_medical_records", "injured_medical_invoices", "liability_record"},
         {"disability_appraisal", "repair_invoice"}),
        ("medical", "hospitalisation",
         {"medical_record", "diagnosis", "invoices", "itemised_bill", "discharge_summary"}, set()),
        ("medical", "outpatient", {"medical_record", "invoices"}, {"diagnosis", "itemised_bill"}),
        ("accident", "injury", {"accident_proof", "medical_record", "invoices"},
         {"disability_appraisal"}),
        ("accident", "disability", {"accident_proof", "disability_appraisal"}, set()),
        ("critical_illness", "diagnosis", {"ci_diagnosis", "pathology_report"}, set()),
        ("life", "death",
         {"death_certificate", "household_deregistration", "relationship_proof"},
         {"cremation_certificate"}),
        ("home", "fire", {"loss_list", "proof_of_value", "scene_photos"}, {"fire_certificate"}),
        ("home", "theft", {"loss_list", "proof_of_value", "police_report"}, set()),
        ("home", "water_damage", {"loss_list", "proof_of_value", "scene_photos"},
         {"property_management_proof"}),
    ],
)
def test_checklists_hold_the_documents_of_the_domain_table(
    line: str, incident_type: str, mandatory: set[str], optional: set[str]
) -> None:
    items = _codes(line, incident_type)
    for code in mandatory:
        assert items[code].mandatory, code
    for code in optional:
        assert not items[code].mandatory, code


def test_incident_type_aliases_and_unknown_checklists() -> None:
    assert normalise_incident_type("home", "water") == "water_damage"
    assert normalise_incident_type("medical", "hospitalization") == "hospitalisation"
    assert normalise_incident_type("motor", "accident") == "collision"
    assert normalise_incident_type("motor", "fire") is None
    assert checklist("home", "water") == checklist("home", "water_damage")
    with pytest.raises(UnknownChecklist):
        checklist("motor", "fire")
    with pytest.raises(UnknownChecklist):
        checklist("pets", "theft")


def test_seeded_claims_use_catalogued_document_codes() -> None:
    codes = {doc["code"] for claim in _claims(TODAY) for doc in claim["documents"]}
    assert codes <= set(catalogue())


# --- the one-time notice --------------------------------------------------------------------


def _named(notice: str) -> set[str]:
    """The document names a notice lists (the text of each bullet up to its colon)."""
    names = set()
    for line in notice.splitlines():
        if line.startswith(BULLET):
            names.add(re.split(r":", line[len(BULLET):], maxsplit=1)[0].strip())
    return names


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_notice_lists_needed_then_optional_then_what_we_fetch(lang: str) -> None:
    items = checklist("motor", "collision")
    notice = one_time_notice(items, lang)
    lines = notice.splitlines()
    needed = lines.index(say("notice_needed_heading", lang))
    optional = lines.index(say("notice_optional_heading", lang))
    fetched = lines.index(say("notice_fetched_heading", lang))
    assert lines[0] == say("notice_intro", lang)
    assert needed < optional < fetched
    by_name = {item.name(lang): item for item in items}
    for index, line in enumerate(lines):
        if not line.startswith(BULLET):
            continue
        item = by_name[line[len(BULLET):].split(":")[0].strip()]
        if item.fetched_by_insurer:
            assert index > fetched and line == f"{BULLET}{item.name(lang)}"
        elif item.mandatory:
            assert needed < index < optional and item.hint(lang) in line
        else:
            assert optional < index < fetched
    assert _named(notice) == {item.name(lang) for item in items}
    assert say("notice_next", lang) in notice
    assert say("notice_small_claim", lang, limit="x").split("x")[0] not in notice


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_small_claims_may_send_documents_later(lang: str) -> None:
    notice = one_time_notice(checklist("home", "theft"), lang, small_claim=True)
    assert ("单证后置" if lang == "zh" else "pay first") in notice
    assert ("5,000" in notice)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_notice_when_only_optional_or_nothing_is_left(lang: str) -> None:
    items = checklist("motor", "collision")
    optional_only = [item for item in items if not item.customer_must_send]
    notice = one_time_notice(optional_only, lang)
    assert say("notice_next_optional_only", lang) in notice
    assert say("notice_next", lang) not in notice
    fetched_only = [item for item in items if item.fetched_by_insurer]
    done = one_time_notice(fetched_only, lang)
    assert done.startswith(say("notice_complete", lang))
    assert is_complete(fetched_only) and not is_complete(items)


@pytest.mark.parametrize(("line", "incident_type"), ALL)
def test_a_later_notice_never_names_anything_new(line: str, incident_type: str) -> None:
    """Whatever documents arrive, in whatever order (every item, also those we fetch), each
    later notice names only items the first notice named. A notice depends only on the set
    received so far, so going through every subset covers every sequence."""
    items = checklist(line, incident_type)
    for lang in ("zh", "en"):
        first_named = _named(one_time_notice(items, lang))
        assert first_named == {item.name(lang) for item in items}
        for mask in range(1, 2 ** len(items)):
            received = [item.code for bit, item in enumerate(items) if mask >> bit & 1]
            left = outstanding(items, received)
            later = one_time_notice(left, lang, follow_up=bool(mask & 1),
                                    small_claim=bool(mask & 2))
            assert _named(later) <= first_named
            assert _named(later) == {item.name(lang) for item in left}


@pytest.mark.parametrize(("line", "incident_type"), ALL)
def test_random_sequences_shrink_the_list_one_item_at_a_time(
    line: str, incident_type: str
) -> None:
    items = checklist(line, incident_type)
    rng = random.Random(f"{line}/{incident_type}")
    for _ in range(50):
        order = [item.code for item in items]
        rng.shuffle(order)
        previous = {item.code for item in items}
        for step in range(1, len(order) + 1):
            now_missing = {item.code for item in outstanding(items, order[:step])}
            assert now_missing < previous
            previous = now_missing


def test_missing_items_reads_claim_rows_and_keeps_fetched_ones() -> None:
    class Row:
        def __init__(self, code: str, status: str, mandatory: bool = True,
                     fetched: bool = False) -> None:
            self.code, self.status, self.mandatory = code, status, mandatory
            self.fetched_by_insurer = fetched
            self.label_zh, self.label_en = f"{code}-zh", f"{code}-en"

    rows = [Row("claim_form", "received"), Row("driving_licence", "missing"),
            Row("other_party_info", "missing", mandatory=False),
            Row("liability_record", "missing", fetched=True), Row("legacy_doc", "missing"),
            Row("id_card", "waived")]
    missing = missing_items(rows)
    assert [item.code for item in missing] == [
        "driving_licence", "other_party_info", "liability_record", "legacy_doc"
    ]
    assert missing[0].name("en") == "driving_licence-en"
    assert missing[0].hint("zh") == catalogue()["driving_licence"].hint_zh
    assert missing[3].hint("zh") == ""  # unknown code: the row's own label, no hint
    assert not missing[1].mandatory and missing[2].fetched_by_insurer
