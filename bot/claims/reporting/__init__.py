"""Reporting a claim by conversation: reading a free-text report, the draft and its checks,
submission in one transaction, and the receipt."""
from bot.claims.reporting.extract import (
    ReportFields,
    extract_report_fields,
    incident_kinds,
    resolve_incident_type,
)
from bot.claims.reporting.service import (
    REQUIRED_FIELDS,
    DeadlineRule,
    Problem,
    Receipt,
    ReportDraft,
    ReportRejected,
    check_draft,
    fit_to_line,
    merge_fields,
    missing_fields,
    receipt_text,
    submit_report,
)

__all__ = [
    "REQUIRED_FIELDS",
    "DeadlineRule",
    "Problem",
    "Receipt",
    "ReportDraft",
    "ReportFields",
    "ReportRejected",
    "check_draft",
    "extract_report_fields",
    "fit_to_line",
    "incident_kinds",
    "merge_fields",
    "missing_fields",
    "receipt_text",
    "resolve_incident_type",
    "submit_report",
]
