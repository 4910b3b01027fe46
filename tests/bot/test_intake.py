"""Documents arriving for a claim: type by magic bytes, size, duplicates, the checklist, the
move into document review and completion; bad input stores nothing."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.claims.lifecycle import claim_view
from bot.claims.model import ClaimStage
from bot.claims.reporting import ReportDraft, submit_report
from bot.documents.intake import (
    CLAIM_NOT_OPEN,
    EMPTY_FILE,
    TOO_LARGE,
    UNKNOWN_CLAIM,
    UNKNOWN_DOCUMENT,
    UNSUPPORTED_TYPE,
    intake_text,
    match_file,
    max_upload_bytes,
    receive_file,
    sniff_type,
)
from bot.replies import say
from bot.settings import Settings
from bot.store.db import unit_of_work
from bot.store.models import AuditEntry, ClaimDocument, ClaimEvent, ReceivedFile
from tests.bot.conftest import NOW
from tests.bot.test_reporting import customer_of

COLLISION = "CLM-2026-000004"  # seeded: documents_review, missing driving licence and repair
WATER = "CLM-2026-000001"  # seeded: closed
ACTOR = "conversation:test"

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"licence" * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"repair" * 20
PDF = b"%PDF-1.7\n" + b"invoice" * 20
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"photo" * 20


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def receive(url: str, uploads: Path, content: bytes, claim: str = COLLISION,
            code: str | None = None, name: str = "photo.jpg", **kwargs):
    return receive_file(claim, name, content, "image/jpeg", document_code=code, actor=ACTOR,
                        now=kwargs.pop("now", NOW), url=url, uploads_dir=uploads, **kwargs)


def stored_files(uploads: Path) -> list[Path]:
    return sorted(path for path in uploads.rglob("*") if path.is_file()) if uploads.exists() else []


def row_counts(url: str) -> tuple[int, int, int]:
    with unit_of_work(url) as uow:
        return tuple(
            uow.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (ReceivedFile, ClaimEvent, AuditEntry)
        )


def new_claim(url: str, amount: str = "3000") -> str:
    draft = ReportDraft(policy_number="AUTO-2026-0001", incident_type="glass",
                        incident_at=datetime(2026, 11, 21, 7), place="中山路",
                        estimated_amount=Decimal(amount), language="zh")
    return submit_report(draft, verified_customer_id=customer_of(url, "AUTO-2026-0001"), now=NOW,
                         actor=ACTOR, url=url).claim_number


@pytest.mark.parametrize(
    ("content", "kind"),
    [(JPEG, "jpg"), (PNG, "png"), (PDF, "pdf"), (HEIC, "heic"), (b"hello", None),
     (b"GIF89a....", None), (b"\x00\x00\x00\x18ftypisom", None), (b"", None)],
    ids=["jpg", "png", "pdf", "heic", "text", "gif", "mp4", "empty"],
)
def test_file_types_come_from_the_first_bytes(content: bytes, kind: str | None) -> None:
    assert sniff_type(content) == kind


def test_a_document_is_stored_once_and_ticked_off(seeded_url: str, uploads: Path) -> None:
    result = receive(seeded_url, uploads, JPEG, code="driving_licence")
    assert result.ok and not result.duplicate
    digest = hashlib.sha256(JPEG).hexdigest()
    assert result.sha256 == digest and result.file_type == "jpg"
    assert Path(result.stored_path) == uploads / COLLISION / f"{digest}.jpg"
    assert Path(result.stored_path).read_bytes() == JPEG
    assert result.document_code == "driving_licence" and not result.needs_document_code
    assert not result.complete and not result.just_completed
    assert [item.code for item in result.missing if item.customer_must_send] == [
        "repair_invoice"
    ]
    with unit_of_work(seeded_url) as uow:
        claim = uow.claims.by_number(COLLISION)
        (stored,) = claim.files
        assert (stored.sha256, stored.content_type, stored.size_bytes) == (
            digest, "image/jpeg", len(JPEG)
        )
        assert stored.received_at == NOW and stored.document.code == "driving_licence"
        doc = next(d for d in claim.documents if d.code == "driving_licence")
        assert doc.status == "received" and doc.received_at == NOW
        actions = [entry.action for entry in uow.audit.for_subject("claim", COLLISION)]
        assert actions == ["claim.file_received"]


def test_the_last_needed_document_completes_the_file(seeded_url: str, uploads: Path) -> None:
    receive(seeded_url, uploads, JPEG, code="driving_licence")
    later = NOW + timedelta(hours=1)
    result = receive(seeded_url, uploads, PDF, code="repair_invoice", name="invoice.pdf",
                     now=later)
    assert result.complete and result.just_completed
    view = claim_view(COLLISION, url=seeded_url)
    assert view.documents_completed_at == later
    assert view.stage is ClaimStage.DOCUMENTS_REVIEW  # review goes on; a person moves it next
    assert view.missing_documents == ()
    for lang in ("zh", "en"):
        text = intake_text(result, lang)
        assert say("notice_complete", lang) in text
        assert ("事故责任认定书" if lang == "zh" else "Traffic police liability record") in text


def test_the_first_document_moves_a_reported_claim_into_review(
    seeded_url: str, uploads: Path
) -> None:
    number = new_claim(seeded_url)
    result = receive(seeded_url, uploads, JPEG, claim=number, code="vehicle_licence")
    assert result.stage_changed and result.stage == "documents_review"
    view = claim_view(number, url=seeded_url)
    assert [(e.from_stage, e.to_stage) for e in view.events] == [
        (None, ClaimStage.REPORTED), (ClaimStage.REPORTED, ClaimStage.DOCUMENTS_REVIEW)
    ]
    second = receive(seeded_url, uploads, PNG, claim=number, code="scene_photos")
    assert not second.stage_changed
    assert len(claim_view(number, url=seeded_url).events) == 2


def test_the_same_file_twice_is_kept_once(seeded_url: str, uploads: Path) -> None:
    first = receive(seeded_url, uploads, JPEG, code="driving_licence")
    again = receive(seeded_url, uploads, JPEG, code="driving_licence", name="copy.jpg")
    assert again.ok and again.duplicate
    assert again.stored_path == first.stored_path
    assert len(stored_files(uploads)) == 1
    with unit_of_work(seeded_url) as uow:
        assert len(uow.claims.by_number(COLLISION).files) == 1
    for lang in ("zh", "en"):
        assert intake_text(again, lang).startswith(say("intake_duplicate", lang))


def test_the_same_file_on_another_claim_is_not_a_duplicate(seeded_url: str, uploads: Path) -> None:
    number = new_claim(seeded_url)
    receive(seeded_url, uploads, JPEG, code="driving_licence")
    other = receive(seeded_url, uploads, JPEG, claim=number, code="vehicle_licence")
    assert other.ok and not other.duplicate
    assert len(stored_files(uploads)) == 2


def test_a_file_without_a_document_is_kept_and_the_item_asked(
    seeded_url: str, uploads: Path
) -> None:
    result = receive(seeded_url, uploads, HEIC, name="IMG_0001.HEIC")
    assert result.ok and result.needs_document_code and result.document_code is None
    assert result.file_type == "heic"
    for lang in ("zh", "en"):
        text = intake_text(result, lang)
        assert ("驾驶证" if lang == "zh" else "Driving licence") in text
    matched = match_file(COLLISION, result.sha256, "driving_licence", actor=ACTOR, now=NOW,
                         url=seeded_url)
    assert matched.ok and matched.document_code == "driving_licence"
    assert not matched.needs_document_code
    # Sending the same file again with its item also ties it.
    receive(seeded_url, uploads, PNG)
    tied = receive(seeded_url, uploads, PNG, code="repair_invoice")
    assert tied.duplicate and tied.complete and tied.just_completed


@pytest.mark.parametrize(
    ("content", "claim", "code", "error", "fields"),
    [
        (b"", COLLISION, None, EMPTY_FILE, {}),
        (b"just some text", COLLISION, None, UNSUPPORTED_TYPE, {}),
        (b"MZ\x90\x00 executable", COLLISION, None, UNSUPPORTED_TYPE, {}),
        (JPEG, "CLM-2026-999999", None, UNKNOWN_CLAIM, {"claim_number": "CLM-2026-999999"}),
        (JPEG, COLLISION, "car_keys", UNKNOWN_DOCUMENT, {}),
        (JPEG, WATER, None, CLAIM_NOT_OPEN, {"claim_number": WATER}),
    ],
    ids=["empty", "text", "executable", "unknown-claim", "not-on-checklist", "closed-claim"],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    seeded_url: str, uploads: Path, content: bytes, claim: str, code: str | None, error: str,
    fields: dict,
) -> None:
    before = row_counts(seeded_url)
    result = receive(seeded_url, uploads, content, claim=claim, code=code)
    assert not result.ok and result.error == error
    assert result.reply_key == f"intake_error.{error}"
    assert dict(result.reply_fields) == fields
    assert row_counts(seeded_url) == before
    assert stored_files(uploads) == []
    for lang in ("zh", "en"):
        assert intake_text(result, lang) == say(result.reply_key, lang, **fields)


def test_the_name_and_declared_type_are_not_trusted(seeded_url: str, uploads: Path) -> None:
    renamed = receive_file(COLLISION, "scan.pdf", PNG, "application/pdf",
                           document_code="repair_invoice", actor=ACTOR, now=NOW, url=seeded_url,
                           uploads_dir=uploads)
    assert renamed.ok and renamed.file_type == "png"
    assert renamed.stored_path.endswith(".png")
    disguised = receive_file(COLLISION, "photo.jpg", b"<html>not a photo</html>", "image/jpeg",
                             actor=ACTOR, now=NOW, url=seeded_url, uploads_dir=uploads)
    assert disguised.error == UNSUPPORTED_TYPE


def test_files_over_the_limit_are_refused(seeded_url: str, uploads: Path) -> None:
    assert max_upload_bytes() == 20 * 1024 * 1024
    too_big = JPEG + b"\x00" * (max_upload_bytes() - len(JPEG) + 1)
    result = receive(seeded_url, uploads, too_big)
    assert result.error == TOO_LARGE and dict(result.reply_fields) == {"limit_mb": 20}
    assert "20 MB" in intake_text(result, "en")
    assert stored_files(uploads) == []
    just_fits = too_big[:-1]
    assert receive(seeded_url, uploads, just_fits, code="driving_licence").ok


def test_files_go_under_the_settings_var_dir_by_default(
    seeded_url: str, tmp_path: Path, monkeypatch
) -> None:
    settings = Settings.from_env({"CLAIMS_VAR_DIR": str(tmp_path / "var")})
    monkeypatch.setattr("bot.documents.intake.get_settings", lambda: settings)
    result = receive_file(COLLISION, "a.jpg", JPEG, "image/jpeg", actor=ACTOR, now=NOW,
                          url=seeded_url)
    digest = hashlib.sha256(JPEG).hexdigest()
    assert Path(result.stored_path) == tmp_path / "var" / "uploads" / COLLISION / f"{digest}.jpg"


def test_a_failure_after_writing_takes_the_file_back(
    seeded_url: str, uploads: Path, monkeypatch
) -> None:
    before = row_counts(seeded_url)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("bot.documents.intake._finish", broken)
    with pytest.raises(RuntimeError):
        receive(seeded_url, uploads, JPEG, code="driving_licence")
    assert stored_files(uploads) == []
    assert row_counts(seeded_url) == before
    with unit_of_work(seeded_url) as uow:
        doc = uow.session.execute(
            select(ClaimDocument).where(ClaimDocument.code == "driving_licence")
        ).scalars().all()
        assert all(row.status == "missing" for row in doc)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_what_the_customer_is_told_after_a_document(
    seeded_url: str, uploads: Path, lang: str
) -> None:
    number = new_claim(seeded_url)
    result = receive(seeded_url, uploads, JPEG, claim=number, code="vehicle_licence")
    text = intake_text(result, lang)
    assert text.startswith(say("intake_received", lang, document=result.document.name(lang)))
    assert say("notice_intro_remaining", lang) in text
    assert ("行驶证" if lang == "zh" else "Vehicle licence:") not in text.split("\n", 1)[1]
    assert say("notice_next", lang) in text
