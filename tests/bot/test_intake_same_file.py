"""What an outside tester found: one photo sent once for each listed document ticked every one of
them off (and so completed the claim) while each reply said the file was not needed. A file the
claim already keeps (same sha256) is never a different document: sent for its own item nothing
changes; sent for, or said to be, another item, that item stays missing and the reply says which
item the file already is and asks for the other one."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.documents.intake import intake_text, match_file
from bot.replies import say
from bot.store.db import unit_of_work
from tests.bot.conftest import NOW
from tests.bot.test_intake import ACTOR, COLLISION, JPEG, PNG, new_claim, receive, row_counts


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def statuses(url: str, claim: str) -> dict[str, str]:
    with unit_of_work(url) as uow:
        return {d.code: d.status for d in uow.claims.by_number(claim).documents}


def completed_at(url: str, claim: str):
    with unit_of_work(url) as uow:
        return uow.claims.by_number(claim).documents_completed_at


def tied_to(url: str, claim: str, sha256: str) -> str | None:
    with unit_of_work(url) as uow:
        [stored] = [f for f in uow.claims.by_number(claim).files if f.sha256 == sha256]
        return stored.document.code if stored.document is not None else None


def test_one_photo_sent_for_every_item_ticks_off_only_the_first(
        seeded_url: str, uploads: Path) -> None:
    number = new_claim(seeded_url)
    before = statuses(seeded_url, number)
    codes = [code for code, status in before.items() if status == "missing"]
    assert len(codes) >= 3
    first = receive(seeded_url, uploads, JPEG, claim=number, code=codes[0], name="same.jpg")
    assert first.ok and not first.duplicate and first.document_code == codes[0]
    for code in codes[1:]:
        again = receive(seeded_url, uploads, JPEG, claim=number, code=code, name="same.jpg")
        assert again.ok and again.duplicate
        assert again.document_code is None and not again.needs_document_code
        assert again.kept_as is not None and again.kept_as.code == codes[0]
        assert again.asked_for is not None and again.asked_for.code == code
        assert code in [item.code for item in again.missing]
        assert not again.complete and not again.just_completed
        assert statuses(seeded_url, number)[code] == "missing"
    after = statuses(seeded_url, number)
    assert after == {**before, codes[0]: "received"}
    assert completed_at(seeded_url, number) is None
    assert tied_to(seeded_url, number, first.sha256) == codes[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_reply_names_the_item_the_file_already_is_and_asks_for_the_other(
        seeded_url: str, uploads: Path, lang: str) -> None:
    receive(seeded_url, uploads, JPEG, code="driving_licence")
    again = receive(seeded_url, uploads, JPEG, code="repair_invoice")
    licence = "驾驶证" if lang == "zh" else "Driving licence"
    invoice = "维修发票" if lang == "zh" else "Repair invoice"
    text = intake_text(again, lang)
    assert text == say("intake_duplicate_other_item", lang, kept_as=again.kept_as.name(lang),
                       document=again.asked_for.name(lang))
    assert licence in text and invoice in text
    assert say("intake_duplicate", lang) not in text  # never "not needed"
    assert say("intake_received", lang, document=invoice) not in text
    assert "\n" not in text


def test_the_same_file_for_its_own_item_changes_nothing(seeded_url: str, uploads: Path) -> None:
    first = receive(seeded_url, uploads, PNG, code="driving_licence")
    before = (statuses(seeded_url, COLLISION), row_counts(seeded_url)[:2])
    again = receive(seeded_url, uploads, PNG, code="driving_licence", name="copy.png")
    assert again.ok and again.duplicate and again.kept_as is None and again.asked_for is None
    assert (statuses(seeded_url, COLLISION), row_counts(seeded_url)[:2]) == before
    assert tied_to(seeded_url, COLLISION, first.sha256) == "driving_licence"
    for lang in ("zh", "en"):
        assert intake_text(again, lang).startswith(say("intake_duplicate", lang))


def test_saying_a_kept_file_is_another_document_leaves_that_item_missing(
        seeded_url: str, uploads: Path) -> None:
    first = receive(seeded_url, uploads, JPEG, code="driving_licence")
    said = match_file(COLLISION, first.sha256, "repair_invoice", actor=ACTOR, now=NOW,
                      url=seeded_url)
    assert said.ok and said.kept_as.code == "driving_licence"
    assert said.asked_for.code == "repair_invoice"
    assert statuses(seeded_url, COLLISION)["repair_invoice"] == "missing"
    assert tied_to(seeded_url, COLLISION, first.sha256) == "driving_licence"
    assert completed_at(seeded_url, COLLISION) is None
    for lang in ("zh", "en"):
        assert intake_text(said, lang) == say(
            "intake_duplicate_other_item", lang, kept_as=said.kept_as.name(lang),
            document=said.asked_for.name(lang))


def test_a_file_not_yet_tied_is_still_tied_by_its_first_item(
        seeded_url: str, uploads: Path) -> None:
    loose = receive(seeded_url, uploads, JPEG)
    assert loose.needs_document_code
    tied = receive(seeded_url, uploads, JPEG, code="driving_licence")
    assert tied.duplicate and tied.document_code == "driving_licence" and tied.kept_as is None
    assert statuses(seeded_url, COLLISION)["driving_licence"] == "received"
    other = receive(seeded_url, uploads, JPEG, code="repair_invoice")
    assert other.kept_as.code == "driving_licence"
    assert statuses(seeded_url, COLLISION)["repair_invoice"] == "missing"


def test_a_caption_less_copy_of_a_tied_file_is_not_asked_about(
        seeded_url: str, uploads: Path) -> None:
    receive(seeded_url, uploads, JPEG, code="driving_licence")
    again = receive(seeded_url, uploads, JPEG)
    assert again.duplicate and not again.needs_document_code and again.kept_as is None
    assert statuses(seeded_url, COLLISION)["repair_invoice"] == "missing"


def test_the_audit_says_the_file_was_not_taken_for_the_other_item(
        seeded_url: str, uploads: Path) -> None:
    receive(seeded_url, uploads, JPEG, code="driving_licence")
    receive(seeded_url, uploads, JPEG, code="repair_invoice")
    with unit_of_work(seeded_url) as uow:
        last = [e.detail for e in uow.audit.for_subject("claim", COLLISION)
                if e.action == "claim.file_received"][-1]
    assert last["document"] is None and last["duplicate"] is True
    assert last["kept_as"] == "driving_licence" and last["asked_for"] == "repair_invoice"


def test_the_same_file_again_for_its_rejected_item_leaves_it_rejected(
        seeded_url: str, uploads: Path) -> None:
    receive(seeded_url, uploads, PNG, code="driving_licence")
    with unit_of_work(seeded_url) as uow:
        [row] = [d for d in uow.claims.by_number(COLLISION).documents
                 if d.code == "driving_licence"]
        row.status, row.rejected_at = "rejected", NOW  # as the back office would (too blurred)
        uow.commit()
    again = receive(seeded_url, uploads, PNG, code="driving_licence")
    assert again.duplicate and again.resent_rejected
    assert statuses(seeded_url, COLLISION)["driving_licence"] == "rejected"
    for lang in ("zh", "en"):
        assert intake_text(again, lang) == say("intake_duplicate_rejected", lang,
                                               document=again.document.name(lang))
    new_photo = receive(seeded_url, uploads, JPEG, code="driving_licence")
    assert not new_photo.duplicate
    assert statuses(seeded_url, COLLISION)["driving_licence"] == "received"
