# ruff: noqa: E501  (bilingual keyword lists, customer phrases and Markdown lines read better whole)
"""Runs the simulated-customer journeys against the web chat's REST webhook.

    .venv/bin/python -m tests.journeys.run --base-url http://127.0.0.1:5005 \
        [--db-url URL] [--sms-log var/demo-sms.jsonl] [--only PATTERN] [--report docs/journeys-report.md]

Importable: run_journeys(base_url, journeys, sms_code=..., check_store=...) -> list of results.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import fnmatch
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import requests
import yaml

from bot.replies import say
from bot.webchat_session import SESSION_HEADER
from tests.journeys.customer import (
    CLAIM_NO,
    COMPLAINT_NO,
    MAX_TURNS,
    Customer,
    _norm,
    bot_question,
    is_handoff,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
JOURNEY_DIR = HERE / "journeys"

RECEIPT_WORDS = [
    "已为您报案",
    "报案成功",
    "已受理",
    "已登记",
    "已提交",
    "is reported",
    "has been reported",
    "your claim number is",
    "registered",
    "submitted",
    "we've received",
]
NOT_RECEIPT = [
    "已经报过",
    "不用重复",
    "重复报案",
    "already reported",
    "already been reported",
    "您名下",
    "you have",
]
NOT_QUESTIONS = (
    "summary",
    "duplicate",
    "anything_else",
    "menu",
    "cancelled",
    "yes_no",
    "what_to_change",
)
BUSY_WORDS = [
    "稍后再试",
    "请稍等再试",
    "太多",
    "busy",
    "try again",
    "暂停",
    "paused",
    "locked",
    "锁定",
]


# --------------------------------------------------------------------------- journeys


def load_journeys(directory: Path = JOURNEY_DIR, only: str | None = None) -> list[dict]:
    out = []
    for path in sorted(Path(directory).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for j in data:
            j.setdefault("file", path.name)
            out.append(j)
    if only:
        pats = [p.strip() for p in only.split(",") if p.strip()]
        out = [
            j
            for j in out
            if any(
                fnmatch.fnmatch(j["id"], p)
                or p in j["id"]
                or p == j.get("kind")
                or p == j.get("line")
                or p == (j.get("persona") or {}).get("style")
                for p in pats
            )
        ]
    return out


# --------------------------------------------------------------------------- SMS codes


class SmsLog:
    """The demo's SMS file (JSON lines): the newest line naming the phone's last four digits, its code.

    Liberal: any JSON object (or plain text line); the phone may be masked (138****0002) under any key;
    the code is the 4-8 digit number after 验证码/code, else the only 6-digit number in the text.
    """

    def __init__(self, path):
        self.paths = [Path(p) for p in (path if isinstance(path, (list, tuple)) else [path])]
        self.used: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The first candidate file that exists (the servers may write it only on the first code)."""
        return next((p for p in self.paths if p.is_file()), self.paths[0])

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except (FileNotFoundError, IsADirectoryError):
            return []

    @staticmethod
    def _code(line: str) -> str | None:
        try:
            text = " ".join(str(v) for v in _flatten(json.loads(line)))
        except Exception:
            text = line
        m = re.search(r"(?:验证码|驗證碼|code|otp)\D{0,12}(\d{4,8})", text, re.I)
        if m:
            return m.group(1)
        six = re.findall(r"(?<!\d)(\d{6})(?!\d)", text)
        return six[-1] if six else None

    def __call__(self, phone: str) -> str:
        last4 = re.sub(r"\D", "", phone or "")[-4:]
        deadline = time.time() + 3.0
        while True:
            with self.lock:
                newest = None
                for i, line in reversed(list(enumerate(self._lines()))):
                    if (not last4 or last4 in line) and self._code(line):
                        newest = (i, self._code(line))
                        break
                if newest and (newest[0] + 1 > self.used.get(last4, 0) or time.time() > deadline):
                    self.used[last4] = newest[0] + 1
                    return newest[1]
            if time.time() > deadline:
                return ""
            time.sleep(0.2)


def _flatten(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _flatten(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _flatten(v)
    else:
        yield obj


# --------------------------------------------------------------------------- the store, by the ops CLI


class StoreCheck:
    """Reads what was stored through `python -m bot claims list --json` / `claims show` / `complaints list`."""

    def __init__(self, db_url: str | None = None, cwd: Path = ROOT, python: str = sys.executable):
        self.env = dict(os.environ)
        self.env.setdefault("PYTHONPATH", str(cwd))
        if db_url:
            self.env["CLAIMS_DB_URL"] = db_url
        self.cwd, self.python = cwd, python
        self.error: str | None = None

    def _cli(self, *args) -> object | None:
        try:
            p = subprocess.run(
                [self.python, "-m", "bot", *args],
                cwd=self.cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except Exception as e:  # pragma: no cover
            self.error = f"{args}: {e}"
            return None
        if p.returncode != 0:
            self.error = f"`bot {' '.join(args)}` exit {p.returncode}: {p.stderr.strip()[-300:]}"
            return None
        out = p.stdout.strip()
        try:
            return json.loads(out)
        except Exception:
            # the JSON may follow log lines
            start = min([i for i in (out.find("["), out.find("{")) if i >= 0] or [0])
            try:
                return json.loads(out[start:])
            except Exception:
                self.error = f"`bot {' '.join(args)}`: not JSON: {out[:200]}"
                return None

    @staticmethod
    def _records(data) -> list[dict]:
        if isinstance(data, dict):
            for k in ("claims", "complaints", "items", "results", "data"):
                if isinstance(data.get(k), list):
                    return data[k]
            return [data]
        return [r for r in (data or []) if isinstance(r, dict)]

    def claims(self) -> list[dict]:
        return self._records(self._cli("claims", "list", "--json"))

    def claim(self, number: str) -> dict | None:
        data = self._cli("claims", "show", number, "--json")
        recs = self._records(data)
        return recs[0] if recs else None

    def complaints(self) -> list[dict]:
        return self._records(self._cli("complaints", "list", "--json"))


def _rec_text(rec: dict) -> str:
    return " ".join(str(v) for v in _flatten(rec))


def _field(rec: dict, *names) -> list:
    """Values of keys whose name contains any of names (nested)."""
    out = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if any(n in str(k).lower() for n in names) and not isinstance(v, (dict, list)):
                    out.append(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(rec)
    return out


def check_claim(rec: dict | None, expect: dict) -> list[str]:
    if rec is None:
        return ["claim not found in the store"]
    problems = []
    text = _rec_text(rec)
    pol = expect.get("policy")
    if pol and pol not in text:
        problems.append(f"policy {pol} not on the claim")
    amt = expect.get("amount")
    amounts = []
    for v in _field(rec, "estimated_amount", "loss", "estimate") or _field(rec, "amount"):
        if v is None:
            continue
        with contextlib.suppress(ValueError):
            amounts.append(float(str(v).replace(",", "")))
    if (
        amt is not None
        and amounts
        and not any(abs(a - float(amt)) <= max(1.0, 0.01 * float(amt)) for a in amounts)
    ):
        problems.append(f"amount stored {amounts} != {amt}")
    if amt is not None and not amounts and str(amt) not in text:
        problems.append(f"amount {amt} not stored")
    place = expect.get("place_contains")
    if place:
        places = (
            " ".join(str(v) for v in _field(rec, "place", "location", "where", "address") if v)
            or text
        )
        if _norm(place) not in _norm(places):
            problems.append(f"place stored {places[:60]!r} lacks {place!r}")
    kinds = expect.get("kind_any")
    if kinds:
        codes = [str(v) for v in _field(rec, "kind", "incident_type", "category")]
        # The stored code and what the customer is shown for it ("natural_disaster": "storm,
        # flood or other natural disaster", "暴雨洪水等自然灾害"): the facts name the kind in words.
        kt = _norm(" ".join(codes + [say(f"incident.{c}", lang) for c in codes
                                     for lang in ("zh", "en")]) or text)
        if not any(_norm(k) in kt for k in kinds):
            problems.append(f"kind {kt[:60]!r} not one of {kinds}")
    return problems


# --------------------------------------------------------------------------- one journey


def open_session(base_url: str, timeout: float = 30.0) -> tuple[str, str]:
    """A web chat conversation the server issues, as the page gets one: (sender, token)."""
    r = requests.post(base_url.rstrip("/") + "/webhooks/webchat/session", timeout=timeout)
    r.raise_for_status()
    return r.json()["sender"], r.json()["token"]


def post(
    base_url: str, sender: str, message: str, timeout: float = 60.0, token: str = ""
) -> tuple[list, str | None]:
    url = base_url.rstrip("/") + "/webhooks/webchat/webhook"
    for attempt in range(3):
        try:
            r = requests.post(url, json={"sender": sender, "message": message}, timeout=timeout,
                              headers={SESSION_HEADER: token})
        except requests.RequestException as e:
            err = f"HTTP error: {e}"
            time.sleep(1 + attempt)
            continue
        if r.status_code == 503:
            time.sleep(float(r.headers.get("Retry-After", "2")))
            err = "503"
            continue
        try:
            data = r.json()
        except ValueError:
            return [], f"HTTP {r.status_code}: not JSON"
        if r.status_code >= 400:
            return (data if isinstance(data, list) else []), f"HTTP {r.status_code}"
        return (data if isinstance(data, list) else [data]), None
    return [], err


def goal_met(journey: dict, transcript: list[dict], known_claims: set) -> tuple[bool, dict]:
    kind = journey.get("kind")
    exp = journey.get("expect") or {}
    texts = [m.get("text") or "" for t in transcript for m in t["bot"] if isinstance(m, dict)]
    whole = "\n".join(texts)
    info: dict = {}
    info["handoff"] = any(is_handoff(t) for t in texts)
    if kind == "report":
        seen: set = set()
        for t in texts:
            nt = _norm(t)
            receipt = any(w in nt for w in RECEIPT_WORDS) and not any(w in nt for w in NOT_RECEIPT)
            for n in CLAIM_NO.findall(t):
                if receipt and n not in known_claims and n not in seen:
                    info["claim"] = n
                seen.add(n)
        if info.get("claim"):
            return True, info
        return bool(exp.get("handoff_ok") and info["handoff"]), info
    if kind == "complaint":
        m = COMPLAINT_NO.search(whole)
        if m:
            info["complaint"] = m.group(0)
            return True, info
        return False, info
    if kind == "human":
        return info["handoff"], info
    words = exp.get("answer_any") or []
    allw = exp.get("answer_all") or []
    norm = _norm(whole)
    hit_any = (not words) or any(_norm(w) in norm for w in words)
    hit_all = all(_norm(w) in norm for w in allw)
    if words or allw:
        info["answer"] = hit_any and hit_all
    if hit_any and hit_all and (words or allw):
        return True, info
    if exp.get("handoff_ok") and info["handoff"]:
        return True, info
    return False, info


def run_one(
    base_url: str,
    journey: dict,
    sms_code=None,
    known_claims: frozenset = frozenset(),
    today: dt.date | None = None,
) -> dict:
    sender, token = open_session(base_url)
    cust = Customer(journey, sms_code=sms_code, today=today)
    transcript: list[dict] = []
    message, is_payload = journey["opening"], False
    if (journey.get("persona") or {}).get("script") == "traditional" or (
        journey.get("persona") or {}
    ).get("style") == "traditional":
        from tests.journeys.customer import to_traditional

        message = to_traditional(message)
    asked_kinds: dict[str, int] = {}
    asked_texts: dict[str, int] = {}
    status, error, silent = "failed", None, 0
    t0 = time.time()
    for turn in range(1, MAX_TURNS + 1):
        bot, err = post(base_url, sender, message, token=token)
        transcript.append({"customer": message, "bot": bot})
        if err and not bot:
            error = err
            status = "error"
            break
        met, info = goal_met(journey, transcript, set(known_claims))
        if met:
            status = "completed"
            break
        if info.get("handoff"):
            status = "handed_off"
            break
        if not any((m.get("text") or "").strip() for m in bot if isinstance(m, dict)):
            silent += 1
            if silent >= 2:
                status = "silent"
                break
        kind, looked_at, buttons = bot_question(bot)
        transcript[-1]["asked"] = kind
        key_text = re.sub(r"\s+", " ", looked_at.strip())[:200]
        if kind:
            cust.asked_count[kind] = cust.asked_count.get(kind, 0) + 1
        # a question of a form counts by its kind; a re-shown summary, a notice or a menu only when word for word
        if kind and kind not in NOT_QUESTIONS:
            asked_kinds[kind] = asked_kinds.get(kind, 0) + 1
        if key_text:
            asked_texts[key_text] = asked_texts.get(key_text, 0) + 1
        if turn == MAX_TURNS:
            status = "failed"
            break
        message, is_payload = cust.answer(kind, looked_at, buttons)
        if not (message or "").strip():
            message = "你说啥？" if cust.zh else "sorry?"
    else:  # pragma: no cover
        pass
    met, info = goal_met(journey, transcript, set(known_claims))
    repeats = {k: v for k, v in asked_kinds.items() if v >= 3}
    repeats.update({("text: " + k[:80]): v for k, v in asked_texts.items() if v >= 3})
    busy = any(
        _has_busy(m.get("text") or "") for t in transcript for m in t["bot"] if isinstance(m, dict)
    )
    return {
        "id": journey["id"],
        "kind": journey.get("kind"),
        "line": journey.get("line"),
        "style": (journey.get("persona") or {}).get("style"),
        "sender": sender,
        "status": status,
        "goal": met,
        "turns": len(transcript),
        "handoff": bool(info.get("handoff")),
        "claim": info.get("claim"),
        "complaint": info.get("complaint"),
        "repeats": repeats,
        "asked": asked_kinds,
        "unclear": cust.unclear,
        "corrections": cust.corrections,
        "error": error,
        "busy": busy,
        "transcript": transcript,
        "seconds": round(time.time() - t0, 1),
        "store_problems": [],
        "expect": journey.get("expect") or {},
        "policy": (journey.get("facts") or {}).get("policy"),
    }


def _has_busy(text: str) -> bool:
    t = _norm(text)
    return any(w in t for w in BUSY_WORDS)


# --------------------------------------------------------------------------- many journeys


def run_journeys(
    base_url: str,
    journeys: list[dict],
    sms_code: Callable[[str], str] | None = None,
    check_store: StoreCheck | None | bool = None,
    workers: int = 4,
    progress: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Run every journey (fresh sender each); check what was stored when check_store is given."""
    store = check_store if isinstance(check_store, StoreCheck) else None
    known: frozenset = frozenset()
    if store is not None:
        before = store.claims()
        known = frozenset(n for r in before for n in CLAIM_NO.findall(_rec_text(r)))
    # journeys on the same medical phone share the SMS log: run those one at a time (one worker per phone)
    groups: dict[str, list[dict]] = {}
    for j in journeys:
        key = j["id"]
        # (a status, complaint or dispute journey may be asked for a code too: the same
        # holder's medical claims are in the list it reads)
        if j.get("line") == "medical" or j.get("kind") in ("status", "complaint", "dispute"):
            key = "sms-" + str((j.get("facts") or {}).get("phone"))
        groups.setdefault(key, []).append(j)
    results: dict[str, dict] = {}
    lock = threading.Lock()

    def run_group(js):
        for j in js:
            r = run_one(base_url, j, sms_code=sms_code, known_claims=known)
            with lock:
                results[j["id"]] = r
                if progress:
                    progress(r)

    # split groups further so work spreads, but keep each phone's journeys serial
    with cf.ThreadPoolExecutor(max_workers=max(1, workers)) as ex:
        list(ex.map(run_group, list(groups.values())))
    out = [results[j["id"]] for j in journeys]
    if store is not None:
        _check_stored(out, store)
    return out


def _check_stored(results: list[dict], store: StoreCheck) -> None:
    claims = {}
    for r in store.claims():
        for n in CLAIM_NO.findall(_rec_text(r)):
            claims.setdefault(n, r)
            break
    complaints_text = "\n".join(_rec_text(r) for r in store.complaints())
    wanted = [r["claim"] for r in results if r["kind"] == "report" and r.get("claim")]
    with cf.ThreadPoolExecutor(max_workers=6) as ex:
        shown = dict(zip(wanted, ex.map(store.claim, wanted), strict=False))
    for r in results:
        exp = r["expect"].get("stored") or {}
        probs = r["store_problems"]
        if r["kind"] == "report" and r.get("claim"):
            rec = claims.get(r["claim"])
            full = shown.get(r["claim"]) or rec
            want = dict(exp.get("claim") or {})
            want.setdefault("policy", r["policy"])
            probs.extend(check_claim(full, want))
        elif r["kind"] == "report" and exp.get("claim") and r["status"] == "completed" \
                and not (r["expect"].get("handoff_ok") and r["handoff"]):
            # (an urgent report whose goal was a person on the fast track has no claim yet)
            probs.append("no claim number in the reply")
        if r.get("complaint") and r["complaint"] not in complaints_text:
            probs.append(f"complaint {r['complaint']} not in `complaints list`")
        if probs and r["status"] == "completed":
            r["status"] = "stored_wrong"
        if store.error and not probs:
            r.setdefault("notes", []).append(store.error)


# --------------------------------------------------------------------------- CLI


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--db-url", default=None, help="CLAIMS_DB_URL for the ops CLI store checks")
    ap.add_argument("--sms-log", default=str(ROOT / "var" / "demo-sms.jsonl"))
    ap.add_argument("--only", default=None, help="id glob(s), kind, line or style, comma-separated")
    ap.add_argument("--report", default=None, help="write the Markdown report here")
    ap.add_argument("--json", default=None, help="write raw results (with transcripts) here")
    ap.add_argument("--no-store", action="store_true", help="skip the ops CLI checks")
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args(argv)
    from tests.journeys.report import render, summary

    journeys = load_journeys(only=args.only)
    store = None if args.no_store else StoreCheck(args.db_url)
    n = len(journeys)
    done = [0]

    def progress(r):
        done[0] += 1
        flag = " REPEAT" if r["repeats"] else ""
        print(
            f"[{done[0]:3d}/{n}] {r['status']:11s} {r['turns']:2d} turns  {r['id']}{flag}",
            flush=True,
        )

    results = run_journeys(
        args.base_url,
        journeys,
        sms_code=SmsLog(args.sms_log),
        check_store=store,
        workers=args.workers,
        progress=progress,
    )
    s = summary(results)
    print(
        f"completion {s['completion']:.1%} ({s['completed']}/{s['total']}); repeats: {len(s['repeat_ids'])}"
    )
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(render(results, base_url=args.base_url), encoding="utf-8")
        print(f"report: {args.report}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
