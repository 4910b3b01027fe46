# ruff: noqa: E501  (bilingual keyword lists, customer phrases and Markdown lines read better whole)
"""The journey report (Markdown): completion, customer turns, handoffs, repeated questions, transcripts."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict

TODAY_MEDIANS = {"motor": 4, "medical": 6, "home": 5, "accident": 4}
KINDS = ["report", "documents", "status", "clause", "complaint", "dispute", "human"]
LINES = ["motor", "medical", "home", "accident"]


def summary(results: list[dict]) -> dict:
    total = len(results)
    completed = sum(1 for r in results if r["status"] == "completed")
    return {
        "total": total,
        "completed": completed,
        "completion": (completed / total) if total else 0.0,
        "repeat_ids": [r["id"] for r in results if r["repeats"]],
        "failed_ids": [r["id"] for r in results if r["status"] != "completed"],
    }


def _rate(rs):
    n = len(rs)
    c = sum(1 for r in rs if r["status"] == "completed")
    return f"{c}/{n} ({(c / n if n else 0):.0%})"


def _esc(s: str) -> str:
    return (s or "").replace("|", "\\|").replace("\n", " ⏎ ")


def transcript_md(r: dict) -> str:
    out = [
        f"#### {r['id']} — {r['status']}, {r['turns']} customer turns"
        + (
            f", repeated: {', '.join(f'{k}×{v}' for k, v in r['repeats'].items())}"
            if r["repeats"]
            else ""
        )
    ]
    probs = r.get("store_problems") or []
    if probs:
        out.append("Store check: " + "; ".join(probs))
    if r.get("error"):
        out.append(f"Error: {r['error']}")
    out.append("")
    out.append("```text")
    for t in r["transcript"]:
        out.append(f"客户/customer: {t['customer']}")
        for m in t["bot"]:
            if not isinstance(m, dict):
                continue
            text = (m.get("text") or "").strip()
            if text:
                lines = text.splitlines()
                out.append("  bot: " + lines[0])
                out.extend("       " + ln for ln in lines[1:])
            if m.get("buttons"):
                out.append("       [" + " | ".join(str(b.get("title")) for b in m["buttons"]) + "]")
        if not t["bot"]:
            out.append("  bot: (nothing)")
        if t.get("asked"):
            out.append(f"  (simulator read the question as: {t['asked']})")
    out.append("```")
    return "\n".join(out)


def render(results: list[dict], base_url: str = "", when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now(dt.timezone.utc)
    s = summary(results)
    L = ["# Journey report: simulated customers against the claims assistant", ""]
    L.append(
        f"Run {when:%Y-%m-%d %H:%M} UTC against {base_url or 'the test servers'}: {s['total']} journeys "
        "(tests/journeys/journeys/*.yml), written blind from the README and the demo data. "
        "A journey is *completed* when the customer got what they came for (a claim receipt whose stored "
        "claim matches the facts, a complaint reference found by `complaints list`, a handoff, or an answer "
        "containing the expected words) within 20 customer turns."
    )
    L.append("")
    L.append(
        f"**Completion: {s['completed']}/{s['total']} = {s['completion']:.1%}** (target ≥ 95%). "
        f"Journeys where the same question was asked three times or more: **{len(s['repeat_ids'])}** (target 0)."
    )
    L.append("")
    st = Counter(r["status"] for r in results)
    L.append("Outcomes: " + ", ".join(f"{k} {v}" for k, v in st.most_common()) + ".")
    L.append("")
    L.append(
        "Outcome meanings: completed; failed (20 turns without the goal); handed_off (a person took it before "
        "the goal was met); stored_wrong (receipt given, but the stored claim differs from the facts); silent "
        "(two empty replies); error (HTTP error)."
    )
    L.append("")

    L.append("## Completion per kind of journey")
    L.append("")
    L.append("| kind | journeys | completed | handoffs | asked a question 3× | mean turns |")
    L.append("|---|---|---|---|---|---|")
    by_kind = defaultdict(list)
    for r in results:
        by_kind[r["kind"]].append(r)
    for k in KINDS + sorted(set(by_kind) - set(KINDS)):
        rs = by_kind.get(k)
        if not rs:
            continue
        L.append(
            f"| {k} | {len(rs)} | {_rate(rs)} | {sum(r['handoff'] for r in rs)} | "
            f"{sum(1 for r in rs if r['repeats'])} | {statistics.mean(r['turns'] for r in rs):.1f} |"
        )
    L.append("")

    L.append("## Completion per line of business")
    L.append("")
    L.append("| line | journeys | completed | handoffs | asked a question 3× |")
    L.append("|---|---|---|---|---|")
    by_line = defaultdict(list)
    for r in results:
        by_line[r["line"]].append(r)
    for k in LINES:
        rs = by_line.get(k)
        if rs:
            L.append(
                f"| {k} | {len(rs)} | {_rate(rs)} | {sum(r['handoff'] for r in rs)} | "
                f"{sum(1 for r in rs if r['repeats'])} |"
            )
    L.append("")

    L.append("## Completion per persona")
    L.append("")
    L.append("| persona | journeys | completed |")
    L.append("|---|---|---|")
    by_style = defaultdict(list)
    for r in results:
        by_style[r.get("style") or "plain"].append(r)
    for k in sorted(by_style):
        L.append(f"| {k} | {len(by_style[k])} | {_rate(by_style[k])} |")
    L.append("")

    L.append("## Customer turns to report a claim, per line of business")
    L.append("")
    L.append(
        "Customer messages sent, opening included, in report journeys. *Completed only* counts journeys that "
        "ended with a correct receipt; *all* counts failed ones at the turns spent (20 when they ran out)."
    )
    L.append("")
    L.append(
        "| line | report journeys | completed | median (completed) | mean (completed) | median (all) | "
        "mean (all) | today's median |"
    )
    L.append("|---|---|---|---|---|---|---|---|")
    for k in LINES:
        rs = [r for r in by_line.get(k, []) if r["kind"] == "report"]
        if not rs:
            continue
        ok = [r["turns"] for r in rs if r["status"] == "completed"]
        al = [r["turns"] for r in rs]
        med_ok = f"{statistics.median(ok):g}" if ok else "–"
        mean_ok = f"{statistics.mean(ok):.1f}" if ok else "–"
        L.append(
            f"| {k} | {len(rs)} | {len(ok)} | {med_ok} | {mean_ok} | {statistics.median(al):g} | "
            f"{statistics.mean(al):.1f} | {TODAY_MEDIANS[k]} |"
        )
    L.append("")

    L.append("## Handoffs per kind")
    L.append("")
    L.append("| kind | handoffs | of which expected (kind human, or handoff accepted) |")
    L.append("|---|---|---|")
    for k in KINDS:
        rs = by_kind.get(k) or []
        if rs:
            exp = sum(
                1 for r in rs if r["handoff"] and (k == "human" or r["expect"].get("handoff_ok"))
            )
            L.append(f"| {k} | {sum(r['handoff'] for r in rs)} | {exp} |")
    L.append("")

    L.append("## Journeys where a question was asked three times or more")
    L.append("")
    rep = [r for r in results if r["repeats"]]
    if not rep:
        L.append("None.")
    else:
        L.append("| journey | status | question (kind, or the text) × times |")
        L.append("|---|---|---|")
        for r in rep:
            L.append(
                f"| {r['id']} | {r['status']} | {_esc('; '.join(f'{k} ×{v}' for k, v in r['repeats'].items()))} |"
            )
    L.append("")

    L.append("## What the simulator could not place")
    L.append("")
    unclear = sum(r["unclear"] for r in results)
    L.append(
        f'Bot messages the simulated customer could not read as a question (it answered "你说啥？" / '
        f'"sorry, what do you mean?" or restated its goal): {unclear} in '
        f"{sum(1 for r in results if r['unclear'])} journeys. Corrections of a summary: "
        f"{sum(r['corrections'] for r in results)} in {sum(1 for r in results if r['corrections'])} journeys."
    )
    busy = [r["id"] for r in results if r.get("busy")]
    if busy:
        L.append("")
        L.append(
            f"Replies that looked like a rate limit, lock or pause ({len(busy)} journeys): check the server's "
            "identity-check limits before reading these as bot failures: " + ", ".join(busy[:30])
        )
    L.append("")

    L.append("## Failures")
    L.append("")
    fails = [r for r in results if r["status"] != "completed"]
    if not fails:
        L.append("None.")
    else:
        L.append(
            "| journey | kind | line | persona | status | turns | last question read | store check |"
        )
        L.append("|---|---|---|---|---|---|---|---|")
        for r in fails:
            last_q = next((t.get("asked") for t in reversed(r["transcript"]) if t.get("asked")), "")
            L.append(
                f"| {r['id']} | {r['kind']} | {r['line']} | {r.get('style')} | {r['status']} | {r['turns']} | "
                f"{last_q or ''} | {_esc('; '.join(r.get('store_problems') or []))} |"
            )
    L.append("")

    L.append("## The ten hardest journeys (failed first, then most turns), as transcripts")
    L.append("")
    hard = sorted(
        results, key=lambda r: (r["status"] == "completed", -r["turns"], -len(r["repeats"]))
    )[:10]
    for r in hard:
        L.append(transcript_md(r))
        L.append("")
    others = [r for r in fails if r not in hard]
    if others:
        L.append("## The other failures, as transcripts")
        L.append("")
        for r in others:
            L.append(transcript_md(r))
            L.append("")
    return "\n".join(L) + "\n"
