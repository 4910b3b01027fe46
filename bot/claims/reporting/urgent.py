"""An emergency happening now: someone badly hurt, unconscious or bleeding, a hospital
emergency, a death at the scene, a fire. The customer first gets the emergency number that
applies and what to do right now, then a person (fast track), and only then the identity check
and the report. A fracture or a death reported weeks later is a claim, not an emergency."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.language import to_simplified
from bot.parsing import normalise_digits

MEDICAL = "120"  # ambulance
POLICE = "110"
TRAFFIC = "122"  # road traffic accidents
FIRE = "119"

_SERIOUS_INJURY = re.compile(
    r"救命|昏过去|昏迷|晕过去|晕倒了|不省人事|没有?意识|叫不醒|失去知觉|流了?(?:好|很)多血|大出血|"
    r"血流不止|一直(?:在)?流血|满身是血|伤得(?:很|特别|非常|好)?重|重伤|伤势(?:很|特别)?严重|"
    r"没有?呼吸|没气了|心跳停|在抢救|抢救中|正在抢救|"
    r"unconscious|passed out|not breathing|bleeding (?:badly|heavily|a lot)|lots of blood"
    r"|(?:seriously|badly|critically) (?:injured|hurt)|resuscitat",
    re.IGNORECASE,
)
# Words that are urgent only when it is happening now ("救护车费用能报吗" is a question).
_EMERGENCY_CARE = re.compile(
    r"急诊|急救|救护车|ICU|重症监护|抢救|emergency room|\bA&E\b|intensive care|ambulance",
    re.IGNORECASE,
)
_NOW = re.compile(
    r"刚|现在|正在|马上|怎么办|快|救命|right now|just|\bnow\b|what (?:do|should) i do|help",
    re.IGNORECASE,
)
_FIRE = re.compile(
    r"着火|起火|失火|火灾|烧起来|火很大|冒烟|on fire|caught fire|catching fire|burning down|"
    r"is burning|fire in (?:my|our|the)",
    re.IGNORECASE,
)
_FIRE_NOW = re.compile(
    r"on fire|is burning|burning down|烧起来了|正在烧|还在烧|火很大|浓烟", re.IGNORECASE
)
_DEATH_NOW = re.compile(
    r"(?:刚|刚才|刚刚|现场).{0,12}(?:死了|去世|身亡|没有?心跳)|当场(?:死亡|身亡|去世)"
    r"|(?:just|has just|at the scene).{0,20}(?:died|dead|killed|passed away)"
    r"|died at the scene|killed (?:in|on) the spot",
    re.IGNORECASE,
)
_TRAFFIC = re.compile(
    r"车祸|追尾|撞|翻车|交通事故|开车|骑车|车|crash|collision|collided|car accident|hit by"
    r"|run over|rear[- ]ended|on the road|motorway|highway",
    re.IGNORECASE,
)
_CRIME = re.compile(
    r"抢劫|被抢|打人|被打|持刀|入室|小偷还在|rob(?:bed|bery)|attack|stabbed|mugged|break-in|"
    r"broke in|intruder",
    re.IGNORECASE,
)
# The event is over (a claim for something past): no emergency numbers.
_PAST = re.compile(
    r"上个月|上周|上星期|上礼拜|去年|前年|几个月前|个月前|(?:几|两|三|一)周前|已经出院|出院了|"
    r"last (?:month|year|week)|months? ago|weeks ago|years? ago|discharged|been discharged"
    # "做了手术，前天出院了": treated and over.
    r"|出院|做完(?:了)?手术|手术(?:很|挺)?(?:成功|做完)|已经(?:好了|康复|痊愈)|康复了|痊愈"
    r"|last (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|recovered|after surgery",
    re.IGNORECASE,
)
# Still happening, whatever day it began ("上周出的车祸，现在还在ICU抢救"): never past.
_ONGOING = re.compile(
    r"(?:还|仍|仍然|正)在(?:抢救|ICU|重症|昏迷)|还(?:在)?昏迷|仍(?:然)?昏迷|还没(?:醒|脱离危险)"
    r"|still (?:in (?:icu|intensive care)|unconscious|critical|in a coma)",
    re.IGNORECASE,
)
# How long after the incident a report is still about something happening now.
RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class Urgency:
    """Why this is an emergency, and the numbers to call, most important first."""

    reasons: tuple[str, ...]  # 'serious_injury', 'fire', 'death', 'crime' in that order
    numbers: tuple[str, ...]

    @property
    def advice_keys(self) -> tuple[str, ...]:
        """The reply keys of what to do right now, one per number (urgent.call_120, ...)."""
        return tuple(f"urgent.call_{number}" for number in self.numbers)


def urgency(text: str | None) -> Urgency | None:
    """The emergency `text` describes, or None. Simplified and traditional Chinese, English."""
    words = to_simplified(normalise_digits(text or "")).strip()
    if not words or words.startswith("/") or (_PAST.search(words)
                                               and not _ONGOING.search(words)):
        return None
    reasons: list[str] = []
    if _SERIOUS_INJURY.search(words) or (_EMERGENCY_CARE.search(words) and _NOW.search(words)):
        reasons.append("serious_injury")
    if _FIRE_NOW.search(words) or (_FIRE.search(words) and _NOW.search(words)):
        reasons.append("fire")
    if _DEATH_NOW.search(words):
        reasons.append("death")
    if not reasons:
        return None
    if _CRIME.search(words):
        reasons.append("crime")
    numbers: list[str] = []
    if "serious_injury" in reasons or "death" in reasons:
        numbers.append(MEDICAL)
    if "fire" in reasons:
        numbers.append(FIRE)
    if _TRAFFIC.search(words) and ("serious_injury" in reasons or "death" in reasons):
        numbers.append(TRAFFIC)
    if "crime" in reasons or ("death" in reasons and TRAFFIC not in numbers):
        numbers.append(POLICE)
    return Urgency(tuple(reasons), tuple(numbers))


# While an emergency told in this conversation is still going on, plainer words are about it:
# "她在流血 救护车还没来", "怎么办", "消防车还没到". They get the emergency help again, never a
# question about the policy number.
_STILL_HURT = re.compile(
    r"流血|出血|血|救护车|120|昏|晕|不醒|没反应|呼吸|抢救|急救|急诊|受伤|伤|疼|痛|骨折|动不了"
    r"|bleed|blood|ambulance|hurt|injur|unconscious|breath|pain|wounded",
    re.IGNORECASE,
)
_STILL_FIRE = re.compile(r"火|烟|烧|消防|119|fire|smoke|burn", re.IGNORECASE)
_STILL_CRIME = re.compile(r"警察|110|小偷|抢|police|thief|robber", re.IGNORECASE)
_STILL_HAPPENING = re.compile(
    r"还没来|还没到|没来|没到|怎么办|救命|快点|急死|救救|help|what (?:do|should|can) i do"
    r"|not here yet|hasn'?t (?:come|arrived)|still waiting|hurry",
    re.IGNORECASE,
)


def still_urgent(text: str | None) -> Urgency | None:
    """What a message says about an emergency already told in this conversation (call it only
    then): the emergency it describes, or the numbers its words point to ("救护车还没来": 120;
    "消防车还没到": 119; "怎么办" alone: 120). None: not about the emergency."""
    found = urgency(text)
    if found is not None:
        return found
    words = to_simplified(normalise_digits(text or "")).strip()
    if not words or words.startswith("/") or _PAST.search(words):
        return None
    numbers: list[str] = []
    if _STILL_FIRE.search(words):
        numbers.append(FIRE)
    if _STILL_HURT.search(words):
        numbers.append(MEDICAL)
    if _STILL_CRIME.search(words):
        numbers.append(POLICE)
    if not numbers and _STILL_HAPPENING.search(words):
        numbers.append(MEDICAL)
    if not numbers:
        return None
    return Urgency(("still_urgent",), tuple(numbers))


def is_past(text: str | None, incident_at: datetime | None = None,
            now: datetime | None = None) -> bool:
    """Whether a report tells of something over: said so ("上周五…前天出院了"), or the incident
    more than a day before `now` (naive UTC both). Past events never take the urgent path or
    the fast track."""
    words = to_simplified(normalise_digits(text or ""))
    if _ONGOING.search(words):
        return False
    if _PAST.search(words):
        return True
    return incident_at is not None and now is not None and now - incident_at > RECENT
