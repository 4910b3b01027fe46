"""Plain-language status of a customer's claims, in their language."""
from __future__ import annotations

from typing import Iterable, List, Sequence

from bot.claims import ClaimView
from bot.replies import date_text, join, money, say


def _denial_reason(view: ClaimView, lang: str) -> str:
    reason = (view.denial_reason_en if lang == "en" else view.denial_reason_zh) or "-"
    return reason.rstrip("。.")


def clause_reference(reference: str | None, lang: str) -> str:
    """A stored reference may hold both languages ("第十二条 / Clause 12"); pick one."""
    if not reference:
        return "-"
    parts = [part.strip() for part in reference.split(" / ")]
    if len(parts) == 2:
        return parts[1] if lang == "en" else parts[0]
    return reference


def describe_claim(view: ClaimView, lang: str) -> List[str]:
    lines = [
        say(
            "status_line",
            lang,
            number=view.number,
            product=say(f"line.{view.line_of_business}", lang),
            stage=say(f"stage.{view.stage}", lang),
            reported=date_text(view.reported_at, lang),
        )
    ]
    missing = [label_en if lang == "en" else label_zh for _, label_zh, label_en in
               view.missing_documents]
    if missing and view.stage in ("reported", "documents_review"):
        lines.append(say("status_missing", lang, documents=join(missing, lang)))
    if view.paid_amount is not None and view.paid_at is not None:
        lines.append(
            say("status_paid", lang, amount=money(view.paid_amount, lang),
                date=date_text(view.paid_at, lang))
        )
    if view.stage == "denied":
        lines.append(
            say("status_denied", lang, reason=_denial_reason(view, lang),
                clause=clause_reference(view.denial_clause, lang))
        )
    return lines


def describe_claims(views: Sequence[ClaimView], lang: str) -> str:
    if not views:
        return say("status_no_claims", lang)
    lines: List[str] = [say("status_intro", lang, count=len(views))]
    for view in views:
        lines.extend(describe_claim(view, lang))
    lines.append(say("status_next", lang))
    return "\n".join(lines)


def select(views: Iterable[ClaimView], claim_number: str) -> List[ClaimView]:
    return [view for view in views if view.number == claim_number]
