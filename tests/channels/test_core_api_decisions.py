"""The core API's decision routes over HTTP, in-process against a seeded store: the token, the
JSON errors, Idempotency-Key replays, refusals that change nothing, and the OpenAPI document,
which must describe exactly the routes the channel registers."""
from __future__ import annotations

import json
import re
import uuid
from typing import Dict, Iterator, Set, Tuple

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic

from bot.claims.lifecycle import claim_view
from bot.claims.model import ClaimStage
from bot.outbox.notices import list_notices
from bot.store.db import unit_of_work
from channels.core_api import MAX_BODY_BYTES, CoreApiInput
from tests.support.asgi import AsgiClient
from tests.support.store import seeded_store

TOKEN = "core-test-token-77aa"
HOSPITAL, COLLISION = "CLM-2026-000003", "CLM-2026-000004"
DENIAL = {"reason": {"zh": "入院日期在等待期内。", "en": "You went into hospital in the waiting "
                                                  "period."}, "clause": "medical.4"}
APPROVAL = {
    "amount": "12000.00",
    "loss_assessed": {"amount": "12600", "zh": "医疗费用共 12,600 元。",
                      "en": "Medical costs were CNY 12,600."},
    "excluded": [{"amount": "600", "zh": "床位差价不赔。", "en": "The room upgrade is not "
                                                              "covered."}],
    "deductible": {"amount": "0", "zh": "没有免赔额。", "en": "There is no deductible."},
    "ratio": {"value": 1, "zh": "全额赔付。", "en": "Paid in full."},
}


@pytest.fixture
def store(tmp_path, monkeypatch) -> Iterator[str]:
    with seeded_store(monkeypatch, tmp_path, CLAIMS_CORE_API_TOKEN=TOKEN) as url:
        yield url


def _app() -> Sanic:
    app = Sanic(f"core_api_decisions_{uuid.uuid4().hex}")
    register([CoreApiInput(delivery_interval_s=3600, senders=lambda: {})], app,
             route="/webhooks/")
    return app


@pytest.fixture
def client(store) -> Iterator[AsgiClient]:
    with AsgiClient(_app()) as c:
        yield c


def _headers(key: str | None = None, token: str = TOKEN) -> Dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def _post(client: AsgiClient, path: str, body, key: str | None = None, token: str = TOKEN):
    return client.post(f"/webhooks/core{path}", json_body=body, headers=_headers(key, token))


def _refused(store: str) -> list:
    with unit_of_work(store) as uow:
        return [e.detail.get("error") or e.detail.get("reason")
                for e in uow.audit.list(action="core_api.refused")]


# --- the OpenAPI document -------------------------------------------------------------------------

def _registered_core_routes(app: Sanic) -> Set[Tuple[str, str]]:
    routes = set()
    for route in app.router.routes:
        path = "/" + route.path.strip("/")
        if not path.startswith("/webhooks/core/") or "fallback" in route.name:
            continue  # the JSON 404/405 answers are not routes of the API
        path = re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", path)
        for method in route.methods:
            if method not in ("HEAD", "OPTIONS"):
                routes.add((method.lower(), path))
    return routes


def test_the_openapi_document_describes_every_core_route_and_no_other(client):
    response = client.get("/webhooks/core/openapi.json")  # no token needed
    assert response.status == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    documented = {(method, path) for path, item in document["paths"].items()
                  for method in item}
    registered = _registered_core_routes(client.app)
    assert len(registered) >= 9
    assert documented == registered
    # Every schema a route refers to exists.
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(document)))
    assert refs <= set(document["components"]["schemas"])
    for path, item in document["paths"].items():
        if "post" in item:
            parameters = json.dumps(item["post"]["parameters"])
            assert "IdempotencyKey" in parameters, path
            assert {"401", "403", "422"} <= set(item["post"]["responses"]), path


# --- decisions over HTTP --------------------------------------------------------------------------

def test_deny_over_http_then_the_same_key_replays_the_answer(client, store):
    first = _post(client, f"/claims/{HOSPITAL}/deny", DENIAL, key="deny-42")
    assert first.status == 200, first.text
    assert first.json()["notice"] == "denied" and first.json()["clause"] == "medical.4"
    again = _post(client, f"/claims/{HOSPITAL}/deny", DENIAL, key="deny-42")
    assert (again.status, again.json()) == (200, first.json())
    assert again.headers.get("idempotent-replayed") == "true"
    assert [n.kind for n in list_notices(claim_number=HOSPITAL, url=store)] == ["denied"]


def test_the_same_key_with_another_body_is_422_and_changes_nothing(client, store):
    assert _post(client, f"/claims/{HOSPITAL}/approve", APPROVAL, key="k1").status == 200
    other = _post(client, f"/claims/{HOSPITAL}/approve", {**APPROVAL, "note": "again"},
                  key="k1")
    assert other.status == 422 and other.json()["error"] == "idempotency_key_reused"
    assert "different request" in other.json()["message"]
    assert _refused(store) == ["idempotency_key_reused"]


def test_a_denial_without_a_clause_names_the_problem(client, store):
    response = _post(client, f"/claims/{HOSPITAL}/deny", {"reason": DENIAL["reason"]})
    assert response.status == 422 and response.json()["error"] == "denial_clause_required"
    assert "clause" in response.json()["message"]
    assert claim_view(HOSPITAL, url=store).stage is ClaimStage.ASSESSMENT
    assert _refused(store) == ["denial_clause_required"]


def test_approve_in_the_wrong_stage_is_409(client, store):
    response = _post(client, f"/claims/{COLLISION}/approve", APPROVAL)
    assert response.status == 409 and response.json()["error"] == "wrong_stage"
    assert response.json()["stage"] == "documents_review"


def test_document_statuses_over_http(client, store):
    bad = _post(client, f"/claims/{COLLISION}/documents",
                {"items": [{"code": "x_ray", "status": "received"}]})
    assert bad.status == 422 and bad.json()["error"] == "unknown_document"
    ok = _post(client, f"/claims/{COLLISION}/documents", {"items": [
        {"code": "vehicle_licence", "status": "rejected",
         "reason": {"zh": "照片模糊。", "en": "The photo is blurred."}}]}, key="docs-1")
    assert ok.status == 200 and ok.json()["notice"] == "documents_rejected"
    assert [n.kind for n in list_notices(claim_number=COLLISION, url=store)] == [
        "documents_rejected"]


def test_a_hotline_claim_over_http_is_201(client, store):
    response = _post(client, "/claims", {"policy_number": "ACC-2026-0001",
                                         "incident_type": "injury", "source": "hotline"},
                     key="hotline-1")
    assert response.status == 201, response.text
    number = response.json()["number"]
    assert claim_view(number, url=store).stage is ClaimStage.REPORTED
    again = _post(client, "/claims", {"policy_number": "ACC-2026-0001",
                                      "incident_type": "injury", "source": "hotline"},
                  key="hotline-1")
    assert again.status == 201 and again.json()["number"] == number  # not a second claim


@pytest.mark.parametrize("path", ["/claims", f"/claims/{HOSPITAL}/deny",
                                  f"/claims/{HOSPITAL}/approve", f"/claims/{HOSPITAL}/pay",
                                  f"/claims/{COLLISION}/documents",
                                  f"/claims/{HOSPITAL}/contact"])
def test_every_new_route_wants_the_token(client, store, path):
    response = _post(client, path, DENIAL, token="wrong-token")
    assert response.status == 403 and response.json()["error"] == "forbidden"
    assert claim_view(HOSPITAL, url=store).stage is ClaimStage.ASSESSMENT
    assert _refused(store) == ["wrong_token"]


def test_bad_bodies_and_keys_get_json_errors(client, store):
    big = {"note": "x" * (MAX_BODY_BYTES + 1)}
    assert _post(client, f"/claims/{HOSPITAL}/deny", big).status == 413
    assert _post(client, f"/claims/{HOSPITAL}/deny", [1]).json()["error"] == "invalid_json"
    bad_key = client.post(f"/webhooks/core/claims/{HOSPITAL}/deny", json_body=DENIAL,
                          headers=_headers("x" * 129))
    assert bad_key.status == 400 and bad_key.json()["error"] == "invalid_idempotency_key"
    missing = _post(client, "/claims/CLM-2026-999999/deny", DENIAL)
    assert missing.status == 404 and missing.json()["error"] == "claim_not_found"
    assert claim_view(HOSPITAL, url=store).stage is ClaimStage.ASSESSMENT
    assert _refused(store) == ["body_too_large", "invalid_json", "invalid_idempotency_key",
                               "claim_not_found"]


# --- the outside tester's findings ---------------------------------------------------------------

def test_closing_from_payment_through_stage_is_422_pointing_to_pay(client, store):
    assert _post(client, f"/claims/{HOSPITAL}/approve", APPROVAL).status == 200
    response = _post(client, f"/claims/{HOSPITAL}/stage", {"stage": "closed"})
    assert response.status == 422 and response.json()["error"] == "closing_needs_payment"
    assert "/pay" in response.json()["message"]
    view = claim_view(HOSPITAL, url=store)
    assert view.stage is ClaimStage.PAYMENT and view.paid_amount is None
    assert "paid_closed" not in [n.kind for n in list_notices(claim_number=HOSPITAL, url=store)]


@pytest.mark.parametrize("items,error", [
    ([{"code": "vehicle_licence", "status": "rejected"}], "rejection_reason_required"),
    ([{"code": "vehicle_licence", "status": "lost"}], "invalid_status"),
    ([{"code": "vehicle_licence", "status": "received", "via": "pigeon"}], "invalid_via"),
    ([{"code": "vehicle_licence", "status": "received"},
      {"code": "vehicle_licence", "status": "waived"}], "duplicate_item"),
])
def test_a_bad_document_item_is_422_not_500_and_audited(client, store, items, error):
    response = _post(client, f"/claims/{COLLISION}/documents", {"items": items})
    assert response.status == 422, response.text
    assert response.json()["error"] == error and response.json()["item"] == "vehicle_licence"
    assert "vehicle_licence" in response.json()["message"]
    assert _refused(store) == [error]
    assert list_notices(claim_number=COLLISION, url=store) == []


def test_duplicate_json_keys_are_400_and_nothing_moves(client, store):
    response = client.post(f"/webhooks/core/claims/{COLLISION}/stage",
                           body=b'{"stage":"investigation","stage":"withdrawn"}',
                           headers={**_headers(), "Content-Type": "application/json"})
    assert response.status == 400 and response.json()["error"] == "duplicate_key"
    assert "duplicate key" in response.json()["message"]
    assert claim_view(COLLISION, url=store).stage is ClaimStage.DOCUMENTS_REVIEW
    assert _refused(store) == ["duplicate_key"]


def test_unknown_paths_and_wrong_methods_under_core_are_json(client, store):
    missing = client.get("/webhooks/core/nothing/here", headers={"Accept": "text/html"})
    assert missing.status == 404 and missing.json()["error"] == "not_found"
    wrong = client.get(f"/webhooks/core/claims/{HOSPITAL}/deny",
                       headers={"Accept": "text/html"})
    assert wrong.status == 405 and wrong.json()["error"] == "method_not_allowed"
    assert wrong.headers.get("allow") == "POST"
    assert client.post("/webhooks/core/openapi.json", json_body={}).json()["error"] == (
        "method_not_allowed")
    assert claim_view(HOSPITAL, url=store).stage is ClaimStage.ASSESSMENT


def test_a_hotline_claim_with_a_bad_phone_or_injuries_is_422(client, store):
    base = {"policy_number": "ACC-2026-0001", "incident_type": "injury", "source": "hotline"}
    for change, error in (({"contact": {"phone": "12345"}}, "invalid_contact"),
                          ({"injuries": "yes"}, "invalid_injuries"),
                          ({"incident_at": "2001-01-01"}, "incident_outside_cover")):
        response = _post(client, "/claims", {**base, **change})
        assert response.status == 422 and response.json()["error"] == error, response.text
    assert _refused(store) == ["invalid_contact", "invalid_injuries", "incident_outside_cover"]
