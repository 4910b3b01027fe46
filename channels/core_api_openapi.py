"""The OpenAPI 3 document of the core system's endpoints (channels/core_api.py), served at
GET /webhooks/core/openapi.json. tests/channels/test_core_api_decisions.py checks that every route
the channel registers is described here and nothing else is."""
from __future__ import annotations

import copy
from typing import Any, Dict

from bot.claims.decisions import CONTACT_VIAS, SOURCES
from bot.claims.model import ClaimStage
from bot.documents.status import OFFLINE_VIAS, STATUSES

PREFIX = "/webhooks/core"


def _ref(name: str) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


BOTH = {"type": "object", "required": ["zh", "en"], "properties": {
    "zh": {"type": "string", "maxLength": 500, "description": "Plain words in Chinese."},
    "en": {"type": "string", "maxLength": 500, "description": "Plain words in English."}}}
AMOUNT = {"oneOf": [{"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$"},
                    {"type": "number", "minimum": 0}],
          "description": "CNY, at most two decimals; a string keeps cents exact."}
# An amount paid or approved is above 0 (0 is refused: invalid_amount).
POSITIVE_AMOUNT = {"oneOf": [{"type": "string",
                              "pattern": r"^(?!0+(\.0{1,2})?$)\d{1,10}(\.\d{1,2})?$"},
                             {"type": "number", "exclusiveMinimum": 0}],
                   "description": "CNY above 0, at most two decimals; a string keeps cents "
                                  "exact."}
COMMON = {"note": {"type": "string", "maxLength": 1000},
          "handler": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$",
                      "description": "The handler's user name; audited as core-system:<handler>."}}


def _part(value: Dict[str, Any], what: str) -> Dict[str, Any]:
    return {"type": "object", "description": what, "required": [*value, "zh", "en"],
            "properties": {**value, **BOTH["properties"]}}


SCHEMAS: Dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string", "description": "A stable code, e.g. denial_reason_required, "
                                                   "wrong_stage, unknown_document, "
                                                   "idempotency_key_reused."},
        "message": {"type": "string", "description": "What is wrong, in a sentence."}},
        "additionalProperties": True},
    "Text": BOTH,
    "StageMove": {"type": "object", "required": ["stage"], "properties": {
        "stage": {"type": "string", "enum": [s.value for s in ClaimStage if s is not
                                             ClaimStage.DENIED],
                  "description": "Not denied (use /deny), and not closed from payment (use "
                                 "/pay: only a recorded payment tells the customer it was "
                                 "paid)."}, **COMMON}},
    "Approval": {"type": "object",
                 "required": ["amount", "loss_assessed", "deductible", "ratio", "excluded"],
                 "description": "amount = (loss_assessed - sum(excluded) - deductible) x ratio, "
                                "to the cent; at most the sum insured. Claim in assessment.",
                 "properties": {
                     "amount": POSITIVE_AMOUNT,
                     "loss_assessed": _part({"amount": AMOUNT}, "The loss as assessed."),
                     "deductible": _part({"amount": AMOUNT}, "The policy's deductible; a "
                                         "lower one needs deductible_waived_reason."),
                     "deductible_waived_reason": {
                         "type": "string", "maxLength": 500,
                         "description": "Why the deductible is below the policy's (audited)."},
                     "ratio": _part({"value": {"type": "number", "exclusiveMinimum": 0,
                                               "maximum": 1}}, "The share paid."),
                     "excluded": {"type": "array", "maxItems": 20, "items": _part(
                         {"amount": AMOUNT}, "An item not covered, taken off.")},
                     **COMMON}},
    "Payment": {"type": "object", "required": ["amount", "paid_on"], "properties": {
        "amount": POSITIVE_AMOUNT, "paid_on": {"type": "string", "format": "date"},
        **COMMON},
        "description": "The approved amount, paid (claim in payment); the claim closes."},
    "Denial": {"type": "object", "required": ["reason", "clause"], "properties": {
        "reason": BOTH,
        "clause": {"type": "string", "description": "A clause of the policy's product: its id "
                                                    "(home.12) or reference (Clause 12)."},
        **COMMON}},
    "DocumentStatuses": {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "minItems": 1, "maxItems": 50, "items": {
            "type": "object", "required": ["code", "status"], "properties": {
                "code": {"type": "string", "description": "A code of the claim's checklist."},
                "status": {"type": "string", "enum": list(STATUSES)},
                "via": {"type": "string", "enum": list(OFFLINE_VIAS),
                        "description": "Where a received item was handed in (branch)."},
                "reason": {**BOTH, "description": "Required when rejected."}}}},
        **COMMON}},
    "Contact": {"type": "object", "properties": {
        "phone": {"type": "string", "description": "A Chinese mobile (13800000001, "
                                                   "+8613800000001) or another country's "
                                                   "number in E.164; the phone on file by "
                                                   "default."},
        "via": {"type": "string", "enum": list(CONTACT_VIAS), "default": "sms"}}},
    "ContactUpdate": {"type": "object", "properties": {
        "contact": _ref("Contact"), "language": {"type": "string", "enum": ["zh", "en"]},
        **COMMON}},
    "NewClaim": {"type": "object", "required": ["policy_number", "incident_type", "source"],
                 "properties": {
                     "policy_number": {"type": "string"},
                     "incident_type": {"type": "string",
                                       "description": "An incident type of the policy's line."},
                     "source": {"type": "string", "enum": list(SOURCES)},
                     "incident_at": {"type": "string",
                                     "description": "ISO 8601 date or date-time, within "
                                                    "the policy's cover and not in the "
                                                    "future."},
                     "place": {"type": "string", "maxLength": 255},
                     "description": {"type": "string", "maxLength": 4000},
                     "estimated_amount": AMOUNT, "injuries": {"type": "boolean"},
                     "contact": _ref("Contact"), "language": {"type": "string",
                                                              "enum": ["zh", "en"]},
                     **COMMON}},
    "Result": {"type": "object", "additionalProperties": True,
               "properties": {"number": {"type": "string"}, "stage": {"type": "string"},
                              "notice": {"type": ["string", "null"],
                                         "description": "The kind of notice queued, if any."}}},
}

ERRORS = {
    "400": "The body is not what this call takes (invalid_json, duplicate_key, "
           "invalid_amount...).",
    "401": "No bearer token.", "403": "Wrong token.",
    "404": "No such claim (or policy).", "409": "The claim is in the wrong stage for this call.",
    "413": "Body over 16 KiB.",
    "422": "A rule refuses it (a denial without reason or clause, an item not on the checklist, "
           "an amount its make-up does not give), or the Idempotency-Key was used with another "
           "request.",
    "503": "No CLAIMS_CORE_API_TOKEN: the core API is off.",
}


def _post(summary: str, schema: str | None, ok: str = "200", claim: bool = True,
          description: str = "") -> Dict[str, Any]:
    operation: Dict[str, Any] = {
        "summary": summary, "description": description,
        "security": [{"bearer": []}],
        "parameters": ([{"name": "number", "in": "path", "required": True,
                         "schema": {"type": "string"}, "example": "CLM-2026-000003"}]
                       if claim else []) + [{"$ref": "#/components/parameters/IdempotencyKey"}],
        "responses": {ok: {"description": "Done (or, with a known Idempotency-Key and the same "
                                          "request, the answer given the first time).",
                           "content": {"application/json": {"schema": _ref("Result")}}},
                      **{code: {"description": text, "content": {"application/json": {
                          "schema": _ref("Error")}}} for code, text in ERRORS.items()}},
    }
    if schema is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(schema)}}}
    return {"post": operation}


PATHS: Dict[str, Any] = {
    f"{PREFIX}/health": {"get": {"summary": "Liveness.", "security": [],
                                 "responses": {"200": {"description": "ok"}}}},
    f"{PREFIX}/openapi.json": {"get": {"summary": "This document.", "security": [],
                                       "responses": {"200": {"description": "OpenAPI 3"}}}},
    f"{PREFIX}/claims": _post(
        "Create a claim reported on the hotline or at a branch.", "NewClaim", ok="201",
        claim=False, description="For an existing policy, with the customer's contact: the "
        "customer is sent the claim number and the one-time list of documents (SMS/WhatsApp) "
        "and can ask about it in chat once verified."),
    f"{PREFIX}/claims/{{number}}/stage": _post(
        "Move a claim's stage as the lifecycle allows.", "StageMove",
        description="Denied is not a stage move: use /deny."),
    f"{PREFIX}/claims/{{number}}/approve": _post(
        "Approve with the amount and its make-up.", "Approval",
        description="Assessment -> payment; the notice explains the amount line by line."),
    f"{PREFIX}/claims/{{number}}/pay": _post(
        "Record the payment.", "Payment",
        description="Payment -> closed; the notice gives the day and the make-up."),
    f"{PREFIX}/claims/{{number}}/deny": _post(
        "Deny with the reason (zh and en) and the clause.", "Denial",
        description="The refusal notice (reason, clause text, appeal route) is queued at once, "
                    "within Insurance Law Art. 24's three days."),
    f"{PREFIX}/claims/{{number}}/documents": _post(
        "Set checklist items received, fetched, waived or rejected.", "DocumentStatuses",
        description="A rejection sends one notice naming everything still outstanding."),
    f"{PREFIX}/claims/{{number}}/contact": _post(
        "Set where the customer gets notices (SMS or WhatsApp).", "ContactUpdate"),
}


def openapi_document() -> Dict[str, Any]:
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "Claims assistant: core-system API", "version": "1.0.0",
                 "description": "The insurer's core system sends stage moves, decisions and "
                                "document statuses; every POST takes an Idempotency-Key."},
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "CLAIMS_CORE_API_TOKEN"}},
            "parameters": {"IdempotencyKey": {
                "name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                "description": "The same key and request answer the stored response again "
                               "(header Idempotent-Replayed: true); the same key with another "
                               "request is 422 idempotency_key_reused. Kept "
                               "CLAIMS_CORE_IDEMPOTENCY_HOURS (72)."}},
            "schemas": SCHEMAS,
        },
    })
