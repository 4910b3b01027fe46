"""Documents of a claim: checklists per line of business and incident type with the one-time
notice (checklist.py), files arriving for a claim (intake.py) and which checklist item a caption
or answer names (captions.py)."""
from bot.documents.checklist import (
    Item,
    UnknownChecklist,
    all_checklists,
    catalogue,
    checklist,
    incident_types,
    is_complete,
    item_for_row,
    lines_of_business,
    missing_items,
    normalise_incident_type,
    notice_sections,
    one_time_notice,
    outstanding,
)

__all__ = [
    "Item",
    "UnknownChecklist",
    "all_checklists",
    "catalogue",
    "checklist",
    "incident_types",
    "is_complete",
    "item_for_row",
    "lines_of_business",
    "missing_items",
    "normalise_incident_type",
    "notice_sections",
    "one_time_notice",
    "outstanding",
]
