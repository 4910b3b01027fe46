# ruff: noqa: E501  (bilingual keyword lists, customer phrases and Markdown lines read better whole)
"""The simulated customer: reads the bot's last messages, decides what is being asked, answers
from the journey's fact sheet in the persona's words.

Written blind (README and DOMAIN only): every decision is made from the words the bot shows a
customer, by keywords in simplified/traditional Chinese and English, never from intents or slots.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from typing import Callable

from bot.clock import to_local, utc_now

try:  # the project depends on OpenCC for its own normaliser; fall back to a tiny table
    import opencc

    _S2T = opencc.OpenCC("s2t")

    def to_traditional(text: str) -> str:
        return _S2T.convert(text)

    _T2S = opencc.OpenCC("t2s")

    def to_simplified(text: str) -> str:
        return _T2S.convert(text)
except Exception:  # pragma: no cover
    _TABLE = str.maketrans(
        "报险赔单号时间么这个没问请伤钱额医院车诉发认对吗",
        "報險賠單號時間麼這個沒問請傷錢額醫院車訴發認對嗎",
    )

    def to_traditional(text: str) -> str:
        return text.translate(_TABLE)

    def to_simplified(text: str) -> str:
        return text


MAX_TURNS = 20

CLAIM_NO = re.compile(r"CLM-\d{4}-\d{3,}")
COMPLAINT_NO = re.compile(r"CMP-\d{4}-\d{3,}")


# --------------------------------------------------------------------------- what is asked


def _has(text: str, words) -> bool:
    return any(w in text for w in words)


HANDOFF_DONE = [  # the customer is in the queue now (an offer or "reply agent and a person will help" is not)
    "排队",
    "排上队",
    "前面还有",
    "已为您转",
    "已经为您转",
    "已转接",
    "已转给",
    "转给人工了",
    "queue",
    "ahead of you",
    "handed over",
    "handed you",
    "passed you",
    "passed your",
    "i've passed",
    "been passed to",
]
HANDOFF_OFFER = [
    "需要转人工吗",
    "要不要",
    "是否需要",
    "需要人工",
    "帮您转",
    "would you like",
    "shall i",
    "do you want",
]

ASK_WORDS = [
    "?",
    "？",
    "请",
    "吗",
    "呢",
    "please",
    "could you",
    "can you",
    "what",
    "which",
    "when",
    "where",
    "how",
]


def _norm(text: str) -> str:
    return to_simplified(text or "").lower()


def is_handoff(text: str) -> bool:
    t = _norm(text)
    if not _has(t, HANDOFF_DONE):
        return False
    # an offer ("要不要转人工？") is not a handoff
    return not (
        _has(t, ["要不要", "是否需要", "需要转人工吗", "would you like", "do you want"])
        and not _has(t, ["排队", "前面还有", "queue", "ahead of you"])
    )


def is_summary(text: str) -> bool:
    t = _norm(text)
    labels_zh = ["时间", "地点", "经过", "金额", "损失", "受伤", "保单", "类型", "日期"]
    labels_en = [
        "time",
        "place",
        "where",
        "what happened",
        "amount",
        "loss",
        "injur",
        "policy",
        "date",
        "type",
    ]
    n = sum(1 for w in labels_zh if w in t) + sum(1 for w in labels_en if w in t)
    confirm = _has(
        t,
        [
            "确认",
            "对吗",
            "是否正确",
            "对不对",
            "没问题吗",
            "无误",
            "核对",
            "correct",
            "confirm",
            "right?",
            "is that right",
            "shall i submit",
            "submit",
            "提交",
            "check your",
            "核对",
        ],
    )
    return n >= 3 and confirm


# (kind, words) in priority order: the first that matches the question wins
QUESTION_KINDS = [
    (
        "cancelled",
        [
            "已取消",
            "取消了",
            "已经取消",
            "没有保存",
            "is cancelled",
            "was cancelled",
            "nothing was saved",
            "has been cancelled",
        ],
    ),
    ("menu", ["我可以帮您", "我能帮您", "i can help you", "here's what i can do", "what i can do"]),
    (
        "duplicate",
        [
            "已经报过案",
            "已经报过",
            "重复报案",
            "已報過案",
            "already reported",
            "already been reported",
            "same incident",
            "是同一件事",
            "同一件事吗",
        ],
    ),
    (
        "what_to_change",
        [
            "哪里不对",
            "要改什么",
            "改哪",
            "改成什么",
            "what to change",
            "what should i change",
            "what needs changing",
            "which part",
        ],
    ),
    (
        "sms_code",
        [
            "验证码",
            "驗證碼",
            "verification code",
            "one-time code",
            "6-digit code",
            "sms code",
            "the code",
        ],
    ),
    ("ampm", ["还是", " or "]),
    (
        "complaint_about",
        [
            "投诉什么",
            "投诉的是",
            "哪件事或",
            "哪位工作人员",
            "about what",
            "what is it about",
            "who or what",
            "what or whom",
            "about which",
            "what is your complaint about",
        ],
    ),
    (
        "pick_claim",
        [
            "哪一个",
            "哪一件",
            "哪个理赔",
            "哪一笔",
            "回复理赔号",
            "理赔编号",
            "案件号",
            "which claim",
            "claim number",
            "which one",
        ],
    ),
    ("policy", ["保单号", "保单号码", "保单编号", "policy number", "your policy"]),
    (
        "identity",
        [
            "出生日期",
            "出生年月",
            "生日",
            "后四位",
            "尾号",
            "后4位",
            "date of birth",
            "birth",
            "last four",
            "last 4",
            "four digits",
        ],
    ),
    ("name", ["您的姓名", "怎么称呼", "您贵姓", "名字", "your name", "full name"]),
    (
        "phone",
        [
            "手机号",
            "电话号码",
            "联系电话",
            "联系方式",
            "phone number",
            "contact number",
            "mobile number",
            "reach you",
        ],
    ),
    (
        "handoff_offer",
        [
            "转人工",
            "人工客服",
            "真人",
            "转接",
            "a person",
            "an agent",
            "a human",
            "someone",
            "speak to",
            "talk to",
        ],
    ),
    (
        "datetime",
        [
            "什么时候",
            "何时",
            "哪天",
            "哪一天",
            "几号",
            "日期",
            "when did",
            "when was",
            "what date",
            "which day",
            "what day",
            "when it happened",
            "when",
            "date",
        ],
    ),
    ("time", ["几点", "什么时间", "时间", "时候", "what time", "time did", "time was", "the time"]),
    (
        "place",
        [
            "哪家医院",
            "which hospital",
            "在哪",
            "哪里",
            "地点",
            "地方",
            "地址",
            "位置",
            "where",
            "place",
            "location",
            "address",
        ],
    ),
    ("injury", ["受伤", "伤者", "伤亡", "人员伤", "injur", "hurt", "wounded"]),
    ("police", ["报警", "交警", "警察", "110", "122", "police"]),
    (
        "other_party",
        ["对方", "第三方", "other party", "other driver", "other vehicle", "third party"],
    ),
    (
        "what",
        [
            "发生了什么",
            "什么事",
            "怎么回事",
            "经过",
            "什么情况",
            "描述",
            "说说",
            "出了什么",
            "what happened",
            "describe",
            "tell me what",
            "what kind of",
            "happened",
        ],
    ),
    (
        "amount",
        [
            "金额",
            "多少钱",
            "损失",
            "费用",
            "花了多少",
            "大概多少",
            "估计",
            "how much",
            "amount",
            "cost",
            "estimated loss",
            "the loss",
            "estimate",
            "spent",
            "cny",
            "多少元",
        ],
    ),
    (
        "kind",
        ["类型", "哪种", "哪类", "什么类型", "碰撞还是", "type of", "what kind", "which kind"],
    ),
    (
        "complaint_about",
        [
            "投诉什么",
            "投诉的是",
            "关于什么",
            "哪方面",
            "针对",
            "对谁",
            "about what",
            "what is it about",
            "who or what",
            "what or whom",
            "about which",
        ],
    ),
    (
        "complaint_request",
        [
            "希望",
            "诉求",
            "要求",
            "想要我们",
            "想怎么",
            "怎么处理",
            "what would you like",
            "what do you want us",
            "what outcome",
            "how would you like",
            "resolve",
        ],
    ),
    (
        "complaint_facts",
        ["具体", "详细", "事实", "发生的", "details", "what went wrong", "tell us more"],
    ),
    ("name", ["您的姓名", "怎么称呼", "您贵姓", "名字", "your name", "full name"]),
    ("phone", ["手机号", "电话", "联系方式", "phone", "contact number", "mobile"]),
    (
        "document_kind",
        [
            "哪种损失",
            "什么损失",
            "哪类理赔",
            "什么险",
            "which line",
            "what kind of loss",
            "which type of claim",
        ],
    ),
    (
        "anything_else",
        [
            "还有什么",
            "还有其他",
            "其他问题",
            "还需要什么",
            "有什么可以帮",
            "能帮您",
            "anything else",
            "what else",
            "how can i help",
            "what can i do",
            "can i help",
        ],
    ),
    (
        "yes_no",
        [
            "吗",
            "是否",
            "要不要",
            "好不好",
            "可以吗",
            "对吗",
            "do you",
            "would you",
            "is it",
            "are you",
            "shall",
            "?",
        ],
    ),
]


_KIND_WORDS = {kind: words for kind, words in reversed(QUESTION_KINDS)}
# The other parts a question may ask together with the first (the first is what classify
# reads): answered when the question's words ask for them.
ALSO_ASKED = {"policy": ("identity",), "datetime": ("place", "injury", "amount"),
              "time": ("place", "injury", "amount"), "place": ("injury", "amount"),
              "injury": ("amount",), "what": ("amount",)}


def classify(text: str) -> str | None:
    t = _norm(text)
    if not t.strip():
        return None
    if is_summary(text):
        return "summary"
    for kind, words in QUESTION_KINDS:
        if _has(t, words):
            # "time" words inside a date question: prefer datetime; guard weak "when"/"date" matches
            if kind == "ampm" and not re.search(
                r"(上午|下午|晚上|早上|凌晨|中午).{0,20}还是.{0,20}(上午|下午|晚上|早上|凌晨|中午)|(am|pm|morning|evening)\b.{0,30}\bor\b",
                t,
            ):
                continue
            if kind == "handoff_offer" and not _has(
                t, ["吗", "?", "？", "要不要", "是否", "would", "do you", "shall", "want"]
            ):
                continue
            return kind
    return None


# --------------------------------------------------------------------------- the persona's words

TYPOS_ZH = [
    ("理赔", "理陪"),
    ("保单", "保丹"),
    ("报案", "抱案"),
    ("医院", "医阮"),
    ("金额", "金颜"),
    ("材料", "才料"),
    ("出生", "出身"),
    ("验证码", "验正码"),
    ("住院", "注院"),
    ("受伤", "受上"),
    ("多少", "多小"),
    ("知道", "只道"),
]
TYPOS_EN = [
    ("policy", "polcy"),
    ("yesterday", "yesterdya"),
    ("about", "abuot"),
    ("claim", "cliam"),
    ("the ", "teh "),
    ("know", "konw"),
    ("around", "aroudn"),
    ("please", "plz"),
    ("you", "u"),
]


@dataclass
class Persona:
    lang: str = "zh"  # zh | en
    script: str = "simplified"  # simplified | traditional
    style: str = (
        "plain"  # elderly|hurried|rambling|vague|typo|code_switch|traditional|english|plain
    )
    id_by: str = "dob"  # dob | last4
    wants_human: bool = False

    @classmethod
    def from_dict(cls, d: dict) -> Persona:
        d = dict(d or {})
        return cls(
            **{k: d[k] for k in ("lang", "script", "style", "id_by", "wants_human") if k in d}
        )

    def say(self, text: str, rng: random.Random, decorate: bool = True) -> str:
        out = text
        if decorate:
            if self.lang == "zh":
                if self.style == "elderly":
                    out = (
                        rng.choice(["哦，", "是这样的，", "姑娘，", "", "嗯，"])
                        + out
                        + rng.choice(["。", "啊。", ""])
                    )
                elif self.style == "hurried":
                    out = out.replace("，", " ").replace("。", "") + rng.choice(
                        ["", " 快点", " 赶紧的"]
                    )
                elif self.style == "rambling":
                    out = (
                        rng.choice(["我跟你说啊，", "唉，说来话长，", "这个嘛，我想想啊，"])
                        + out
                        + rng.choice(
                            [
                                "，反正就是这么回事。",
                                "，你们赶紧帮我弄一下吧。",
                                "，我也是第一次弄这个。",
                            ]
                        )
                    )
                elif self.style == "vague":
                    out = (
                        rng.choice(["好像", "应该是", "大概", "嗯 "])
                        + out
                        + rng.choice(["吧", "吧我也记不太清", ""])
                    )
                elif self.style == "code_switch":
                    out = out.replace("好的", "OK").replace("是的", "yes").replace(
                        "不用", "no need"
                    ) + rng.choice(["", " thanks", " ok"])
            else:
                if self.style == "hurried":
                    out = out.rstrip(".").lower()
                elif self.style == "rambling":
                    out = (
                        rng.choice(["Well, ", "Right, so ", "Okay so basically "])
                        + out
                        + rng.choice(
                            [", if that makes sense.", ", sorry, it's been a long week.", ""]
                        )
                    )
                elif self.style == "vague":
                    out = (
                        rng.choice(["I think ", "probably ", "um, "])
                        + out
                        + rng.choice([", not sure", "", "?"])
                    )
                elif self.style == "elderly":
                    out = out + rng.choice(
                        [". Thank you dear.", ". I'm not very good with these things.", "."]
                    )
        if self.style == "typo":
            for a, b in TYPOS_ZH if self.lang == "zh" else TYPOS_EN:
                if a in out and rng.random() < 0.7:
                    out = out.replace(a, b, 1)
        if self.lang == "zh" and (self.script == "traditional" or self.style == "traditional"):
            out = to_traditional(out)
        return out


# --------------------------------------------------------------------------- answers from the facts


def _date_plain(days_ago: int | None, today: dt.date, lang: str) -> str:
    if days_ago is None:
        return "记不清了" if lang == "zh" else "I don't remember"
    d = today - dt.timedelta(days=int(days_ago))
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return d.strftime("%d %B %Y").lstrip("0")


def _time_plain(hhmm: str | None, lang: str) -> str:
    if not hhmm:
        return "不记得几点了" if lang == "zh" else "I don't know the exact time"
    h, m = (int(x) for x in hhmm.split(":"))
    if lang == "zh":
        return f"{h}点" + (f"{m}分" if m else "")
    return f"{h:02d}:{m:02d}"


def _amount_forms(amount) -> list[str]:
    if amount is None:
        return []
    a = int(round(float(amount)))
    return [str(a), f"{a:,}", f"{a:,}".replace(",", " "), f"{a}.00"]


def resolve_days_ago(spec, today: dt.date) -> int | None:
    """A fact sheet's date: days ago (int), "lm:15" (the 15th of last month), "wd:5" (the last Saturday)."""
    if isinstance(spec, int):
        return spec
    s = str(spec)
    if s.startswith("lm:"):
        first = today.replace(day=1) - dt.timedelta(days=1)
        day = min(int(s[3:]), first.day)
        return (today - first.replace(day=day)).days
    if s.startswith("wd:"):
        want = int(s[3:])
        back = (today.weekday() - want) % 7 or 7
        return back
    return None


@dataclass
class Turn:
    customer: str
    bot: list  # list of {"text", "buttons"}
    asked: str | None = None


@dataclass
class Customer:
    journey: dict
    sms_code: Callable[[str], str] | None = None
    today: dt.date | None = None
    seed: int = 0
    now_local: dt.datetime | None = None  # the servers' wall clock (Beijing time), naive

    def __post_init__(self):
        if self.now_local is None:
            self.now_local = to_local(utc_now()).replace(tzinfo=None)
        if self.today is None:
            self.today = self.now_local.date()
        self.persona = Persona.from_dict(self.journey.get("persona"))
        self.facts = self.journey.get("facts") or {}
        self.inc = dict(self.facts.get("incident") or {})
        self._keep_today_in_the_past()
        if self.inc.get("days_ago") is None and self.inc.get("date") is not None:
            self.inc["days_ago"] = resolve_days_ago(self.inc["date"], self.today)
        self.rng = random.Random(f"{self.journey.get('id')}-{self.seed}")
        self.asked_count: dict[str, int] = {}
        self.asked_text_count: dict[str, int] = {}
        self.unclear = 0
        self.corrections = 0
        self.gave_policy = False
        self.restated = 0
        self.pending_fix: str | None = None
        self.said_only_asking = False
        self.pending_field: str | None = None
        self.pending_value = ""

    def _keep_today_in_the_past(self) -> None:
        """An incident "today at 16:40" told before 16:40: the suite runs at any hour, and a
        customer only reports what has happened, so the hour told is moved to half an hour
        before now (the start of the day at the latest)."""
        hhmm = self.inc.get("time")
        if self.inc.get("date") != 0 and self.inc.get("days_ago") != 0 or not hhmm:
            return
        hour, minute = (int(x) for x in hhmm.split(":"))
        now = self.now_local
        if (hour, minute) <= (now.hour, now.minute):
            return
        earlier = max(now - dt.timedelta(minutes=30), now.replace(hour=0, minute=0))
        moved = f"{earlier.hour:02d}:{earlier.minute // 5 * 5:02d}"
        self.inc["time"] = moved
        self.inc["time_said"] = _time_plain(moved, self.persona.lang)

    # --- helpers
    @property
    def zh(self) -> bool:
        return self.persona.lang == "zh"

    def _variant(self, kind: str, variants: list) -> str:
        variants = [v for v in variants if v]
        n = self.asked_count.get(kind, 1) - 1
        return variants[min(n, len(variants) - 1)] if variants else ""

    def goal_said(self) -> str:
        g = self.journey.get("goal_said")
        if g:
            return g
        kind = self.journey.get("kind")
        zh = {
            "report": "我要报案",
            "documents": "需要什么材料",
            "status": "我想查理赔进度",
            "clause": "这个条款什么意思",
            "complaint": "我要投诉",
            "dispute": "我对理赔结果有异议",
            "human": "转人工",
        }
        en = {
            "report": "I want to report a claim",
            "documents": "what documents do I need",
            "status": "what's the status of my claim",
            "clause": "what does my policy say about this",
            "complaint": "I want to make a complaint",
            "dispute": "I disagree with the decision on my claim",
            "human": "I want to talk to a person",
        }
        return (zh if self.zh else en).get(kind, "你好" if self.zh else "hello")

    # --- the answers
    def answer(self, kind: str | None, bot_text: str, buttons: list) -> tuple[str, bool]:
        """The customer's next message and whether it is a button payload.

        A question that asks for several things ("保单号和出生日期", "什么时候、在哪里", a list
        of what is still needed) gets every part from customers who answer the whole question,
        in the question's order; elderly and vague customers answer the first part only, and
        leave the rest to the bot's next question."""
        text, is_button = self._answer_one(kind, bot_text, buttons)
        if is_button or self.persona.style in ("elderly", "vague"):
            return text, is_button
        asked = _norm(bot_text)
        for other in ALSO_ASKED.get(kind or "", ()):
            if not _has(asked, _KIND_WORDS[other]):
                continue
            self.asked_count[other] = self.asked_count.get(other, 0) + 1
            more, _ = self._answer_one(other, bot_text, buttons)
            text = text.rstrip("。.!！") + ("，" if self.zh else ", ") + more
        return text, False

    def _answer_one(self, kind: str | None, bot_text: str, buttons: list) -> tuple[str, bool]:
        f, inc, zh = self.facts, self.inc, self.zh
        say = lambda s, deco=True: self.persona.say(s, self.rng, deco)  # noqa: E731
        if self.journey.get("kind") == "documents" and kind in (
            "kind",
            "what",
            "document_kind",
            "amount",
        ):
            return say(
                self._variant(
                    kind,
                    [
                        f.get("loss_said"),
                        f.get("loss_said")
                        + ("，要准备什么材料" if zh else ", what documents do I need"),
                        (
                            "就是" + f.get("loss_said") + "啊，我想知道要交哪些材料"
                            if zh
                            else f"like I said, {f.get('loss_said')}. I just need the list of documents"
                        ),
                    ],
                )
            ), False
        side = self.journey.get("kind") in ("documents", "clause", "status", "dispute", "human")
        if (
            side
            and kind in ("datetime", "time", "place", "amount", "injury", "police", "what", "kind")
            and not self.said_only_asking
        ):
            self.said_only_asking = True
            return say(
                (
                    "我不是要报案，我只是想问问："
                    if zh
                    else "I'm not reporting anything, I just want to know: "
                )
                + self.goal_said()
            ), False
        if self.journey.get("kind") == "complaint":
            kind = {
                "pick_claim": "complaint_about",
                "what": "complaint_facts",
                "datetime": "complaint_facts",
                "kind": "complaint_about",
            }.get(kind, kind)
        if kind == "duplicate":
            return say(
                "不是同一件事，这是另一次，时间地点都不一样"
                if zh
                else "No, this is a different incident, another time and place"
            ), False
        if kind == "what_to_change":
            fix = self.pending_fix
            n = self.asked_count.get("what_to_change", 1)
            if fix and n <= 1:
                return self.persona.say(fix, self.rng, False), False
            if fix and n == 2 and self.pending_field:
                label = {
                    "amount": ("金额", "amount"),
                    "place": ("地点", "place"),
                    "time": ("时间", "time"),
                }[self.pending_field]
                return (
                    f"{label[0]}：{self.pending_value}"
                    if zh
                    else f"{label[1]}: {self.pending_value}"
                ), False
            self.pending_fix = None
            return say("算了，就这样吧，对" if zh else "forget it, leave it as it is, yes"), False
        if kind == "sms_code":
            code = None
            if self.sms_code is not None:
                try:
                    code = self.sms_code(f.get("phone", ""))
                except Exception:
                    code = None
            if not code:
                return (say("我没收到验证码啊") if zh else say("I didn't get any code")), False
            return (say(f"验证码是{code}", False) if zh else f"{code}"), False
        if kind == "policy" or (
            kind == "identity" and not self.gave_policy and "保单" in _norm(bot_text)
        ):
            self.gave_policy = True
            pol = f.get("policy", "")
            if self.persona.style == "code_switch":
                return f"policy number 是 {pol}", False
            forms = [f.get("policy_said") or (f"保单号{pol}" if zh else f"it's {pol}"), pol]
            return say(
                self._variant("policy", forms), self.asked_count.get("policy", 1) == 1
            ), False
        if kind == "identity":
            t = _norm(bot_text)
            wants_last4 = (
                "后四位" in t or "尾号" in t or "last four" in t or "last 4" in t
            ) and not ("出生" in t or "生日" in t or "birth" in t)
            if self.persona.id_by == "last4" or wants_last4:
                last4 = re.sub(r"\D", "", f.get("phone", ""))[-4:]
                forms = [f"手机尾号{last4}" if zh else f"last four are {last4}", last4]
            else:
                forms = [f.get("dob_said") or f.get("dob"), f.get("dob")]
            return say(
                self._variant("identity", forms), self.asked_count.get("identity", 1) == 1
            ), False
        if kind == "summary":
            return self._confirm(bot_text), False
        if kind == "datetime":
            plain = _date_plain(inc.get("days_ago"), self.today, self.persona.lang)
            both = " ".join(x for x in [inc.get("date_said"), inc.get("time_said")] if x)
            return say(
                self._variant(
                    "datetime",
                    [both, plain + " " + _time_plain(inc.get("time"), self.persona.lang), plain],
                )
            ), False
        if kind == "time":
            return say(
                self._variant(
                    "time", [inc.get("time_said"), _time_plain(inc.get("time"), self.persona.lang)]
                )
            ), False
        if kind == "place":
            return say(self._variant("place", [inc.get("place_said"), inc.get("place")])), False
        if kind == "what":
            short = inc.get("what_short") or inc.get("what")
            return say(
                self._variant(
                    "what",
                    [
                        inc.get("what"),
                        short,
                        (
                            "就是" + short + "，我不知道还要怎么说"
                            if zh
                            else f"it's {short}, I don't know how else to say it"
                        ),
                    ],
                )
            ), False
        if kind == "injury":
            inj = inc.get("injury") or ("没人受伤" if zh else "nobody was hurt")
            hurt = not any(
                w in inj.lower() for w in ("没", "沒", "no ", "nobody", "no one", "none", "没有")
            )
            yes = ("有，" if zh else "yes, ") + inj if hurt else inj
            short = ("有人受伤" if zh else "yes") if hurt else ("没有" if zh else "no")
            return say(self._variant("injury", [inj, yes, short])), False
        if kind == "ampm":
            h = int((inc.get("time") or "12:00").split(":")[0])
            word = (
                ("上午" if h < 12 else ("下午" if h < 18 else "晚上"))
                if zh
                else ("morning" if h < 12 else ("afternoon" if h < 18 else "evening"))
            )
            return say(word), False
        if kind == "amount":
            amt = inc.get("amount")
            plain = (
                (str(amt) + ("元" if zh else " yuan"))
                if amt is not None
                else ("不知道" if zh else "I don't know")
            )
            return say(self._variant("amount", [inc.get("amount_said"), plain])), False
        if kind == "police":
            return say(inc.get("police") or ("没报警" if zh else "no police")), False
        if kind == "other_party":
            return say(
                inc.get("other_party") or ("没有对方，就我自己" if zh else "no other party")
            ), False
        if kind == "kind":
            return say(
                inc.get("kind_said") or inc.get("what_short") or inc.get("what") or self.goal_said()
            ), False
        if kind in ("complaint_about", "complaint_request", "complaint_facts"):
            c = f.get("complaint") or {}
            key = {
                "complaint_about": "about",
                "complaint_request": "request",
                "complaint_facts": "facts",
            }[kind]
            return say(c.get(key) or c.get("facts") or self.goal_said()), False
        if kind == "name":
            return say(f.get("name", "")), False
        if kind == "phone":
            digits = re.sub(r"\D", "", f.get("phone", ""))
            return self._variant("phone", [f.get("phone", ""), digits[-11:], digits[-11:]]), False
        if kind == "pick_claim":
            return self._pick_claim(bot_text, buttons)
        if kind == "document_kind":
            return say(f.get("loss_said") or inc.get("what_short") or self.goal_said()), False
        if kind == "handoff_offer":
            yes = self.persona.wants_human or self.journey.get("kind") == "human"
            b = self._button(buttons, yes)
            if b:
                return b, True
            return say(
                ("好，转人工" if yes else "不用了")
                if zh
                else ("yes please" if yes else "no thanks")
            ), False
        if kind == "cancelled":
            self.restated += 1
            return say(
                (
                    "不是，我没说取消，我还要"
                    if zh
                    else "no wait, I didn't mean cancel, I still want this: "
                )
                + self.goal_said()
            ), False
        if kind in ("anything_else", "menu"):
            self.restated += 1
            return say(self.goal_said()), False
        if kind == "yes_no":
            yes = self.journey.get("yes_no_default", True)
            b = self._button(buttons, yes)
            if b:
                return b, True
            return say(("嗯 是的" if yes else "不是") if zh else ("yes" if yes else "no")), False
        # cannot tell what is asked
        self.unclear += 1
        if self.unclear % 2 == 1:
            return (say("你说啥？我没看懂", False) if zh else "sorry, what do you mean?"), False
        return say(self.goal_said()), False

    def _button(self, buttons: list, yes: bool) -> str | None:
        yes_w = [
            "是",
            "对",
            "好",
            "要",
            "转人工",
            "确认",
            "yes",
            "ok",
            "sure",
            "person",
            "agent",
            "confirm",
        ]
        no_w = ["不用", "不要", "否", "不是", "取消", "no", "cancel", "not now"]
        for b in buttons or []:
            title = _norm(str(b.get("title", "")))
            if (yes and _has(title, yes_w) and not _has(title, no_w)) or (
                not yes and _has(title, no_w)
            ):
                return str(b.get("payload") or b.get("title"))
        return None

    def _pick_claim(self, bot_text: str, buttons: list) -> tuple[str, bool]:
        target = (self.facts.get("pick") or "").lower()
        for b in buttons or []:
            if target and target in _norm(str(b.get("title", ""))):
                return str(b.get("payload") or b.get("title")), True
        numbers = CLAIM_NO.findall(bot_text)
        if target and numbers:
            # the line that names the target (e.g. "denied" / "拒赔")
            for line in bot_text.splitlines():
                if target in _norm(line):
                    m = CLAIM_NO.search(line)
                    if m:
                        return m.group(0), False
        if numbers:
            return numbers[0], False
        if buttons:
            b = buttons[0]
            return str(b.get("payload") or b.get("title")), True
        return self.persona.say("最新那个" if self.zh else "the latest one", self.rng), False

    @staticmethod
    def _summary_fields(summary: str) -> dict:
        """label -> value from 'label: value' lines (zh or en, full- or half-width colon)."""
        out = {}
        for line in summary.splitlines():
            m = re.match(r"^\s*[·•\-]?\s*([^:：]{1,16})[:：]\s*(.*)$", line)
            if m:
                out[_norm(m.group(1)).strip()] = m.group(2).strip()
        return out

    def _confirm(self, summary: str) -> str:
        inc, zh = self.inc, self.zh
        fields = self._summary_fields(summary)

        def find(*labels):
            for k, v in fields.items():
                if any(lb in k for lb in labels):
                    return v
            return None

        wrong = []
        amt = inc.get("amount")
        money_text = find("金额", "损失", "loss", "amount")
        if money_text is not None:
            nums = [
                int(float(x)) for x in re.findall(r"\d+(?:\.\d+)?", money_text.replace(",", ""))
            ]
            if amt is not None and int(amt) not in nums:
                wrong.append(
                    ("amount", f"金额是{amt}元" if zh else f"the amount is {amt} yuan", str(amt))
                )
            if amt is None and nums:
                wrong.append(
                    (
                        "amount",
                        "金额我不知道" if zh else "I don't know the amount",
                        "不知道" if zh else "unknown",
                    )
                )
        key = inc.get("place_key") or inc.get("place")
        place_text = find("地点", "医院", "地址", "where", "place", "hospital", "location")
        if key and place_text is not None and _norm(key) not in _norm(place_text):
            wrong.append(
                (
                    "place",
                    f"地点是{inc.get('place')}" if zh else f"the place is {inc.get('place')}",
                    inc.get("place"),
                )
            )
        hhmm = inc.get("time")
        time_text = find("时间", "when", "time")
        times = re.findall(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)", time_text or "")
        if hhmm and times:
            h = int(hhmm.split(":")[0])
            if all(int(x[0]) != h for x in times):
                wrong.append(
                    (
                        "time",
                        f"时间是{_time_plain(hhmm, 'zh')}" if zh else f"the time was {hhmm}",
                        hhmm,
                    )
                )
        if wrong and self.corrections < 3:
            self.corrections += 1
            field_, fix, value = wrong[0]
            self.pending_fix, self.pending_field, self.pending_value = fix, field_, value
            return self.persona.say(("不对，" + fix) if zh else ("No, " + fix), self.rng, False)
        return self.persona.say("对" if zh else "yes, that's right", self.rng, False)


def bot_question(messages: list) -> tuple[str | None, str, list]:
    """What the bot's turn asks: (kind, the text looked at, its buttons).

    The last message that reads as a question wins; a plain yes/no only when nothing more specific is asked.
    """
    texts = [m.get("text") or "" for m in messages if isinstance(m, dict)]
    buttons = []
    for m in messages:
        if isinstance(m, dict) and m.get("buttons"):
            buttons = m["buttons"]
    last = next((t for t in reversed(texts) if t.strip()), "")
    fallback = None
    for t in reversed([t for t in texts if t.strip()]):
        k = classify(t)
        if k is None:
            continue
        if k == "yes_no":
            fallback = fallback or (k, t)
            continue
        return k, t, buttons
    if fallback:
        return fallback[0], fallback[1], buttons
    return None, last, buttons
