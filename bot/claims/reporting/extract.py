"""What one free-text message says about an incident: when, where, what kind, injuries, loss,
plate, police report number, hospital. Pure: nothing is looked up or stored."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from bot.claims.amounts import ParsedAmount, find_amount, parse_amount
from bot.claims.risk import urgent_reasons
from bot.dates import ParsedDateTime, parse_incident_datetime
from bot.documents import normalise_incident_type
from bot.language import detect, to_simplified
from bot.parsing import normalise_digits, parse_policy_number

# What customers say -> a kind of incident. Kinds are the customer's words sorted; the
# checklist's incident type follows from the kind and the policy's line (resolve_incident_type).
COLLISION = "collision"
THEFT = "theft"
GLASS = "glass"
INJURY = "injury"
HOSPITALISATION = "hospitalisation"
OUTPATIENT = "outpatient"
FIRE = "fire"
WATER = "water"
ACCIDENT = "accident"
CRITICAL_ILLNESS = "critical_illness"
DEATH = "death"
DISABILITY = "disability"
STORM = "storm"
FALLING = "falling"
DAMAGE = "damage"

_KIND_PATTERNS: tuple[tuple[str, str], ...] = (
    # "车被划了" (the assistant's own example), "车门被刮花了", "someone backed into my car".
    (COLLISION, r"追尾|撞|碰了|碰到|刮蹭|剐蹭|刮了|蹭了|蹭到|擦碰|车祸|被(?:人)?划|划花"
                r"|划了(?:[一两几好]|很多)|刮花|被(?:人)?刮|rear[- ]?ended|crash|collid|collision"
                r"|bumped|\bhit\b|fender[- ]bender|scraped|scratched|\bkeyed\b|dented"
                r"|(?:backed|reversed|ran|drove) into|car accident"),
    (THEFT, r"被偷|被盗|失窃|偷了|偷走|盗窃|盗抢|被抢|入室|丢了|stolen|theft|stole|burglar"
            r"|broke in|break-in|robbed"),
    (GLASS, r"玻璃|挡风|windscreen|windshield|glass|window (?:was )?(?:smashed|broken|cracked)"),
    (INJURY, r"受伤|受了伤|伤了|撞伤|骨折|流血|伤者|缝针|缝了.{0,3}针|割伤|烫伤|扭伤|摔伤|咬伤|"
             r"(?:切|割)(?:到|破|了)(?:手|脚|腿)|injur|\bhurt\b|wounded|bleeding|fracture|"
             r"stitches|sprain"),
    # "注院"/"往院"/"柱院": 住院 mistyped; "住了几天院".
    (HOSPITALISATION, r"住院|入院|住进|[注往柱]院|住了.{0,4}院|hospitali[sz]|admitted"
                      r"|in hospital|inpatient"),
    # A visit without a stay: "去医院看病", "胃疼去做了胃镜检查", "急诊".
    (OUTPATIENT, r"门诊|急诊|看病|看医生|就诊|就医|复诊|去(?:了)?医院|[胃肠]镜"
                 r"|做(?:了)?(?:个|一个)?检查|去检查|拍(?:了)?片|验血|抽血|输液|打针|开(?:了)?药"
                 r"|outpatient|saw a doctor|clinic|\bA&E\b|emergency room|check-?up"),
    (FIRE, r"着火|起火|失火|火灾|烧毁|(?<!发)火(?![车锅气柴腿箭星])|fire|burn(?:ed|t) down"),
    (WATER, r"漏水|水管|爆管|渗水|泡水|水淹|淹了|被淹|进水|积水|涉水|water damage|leak|burst pipe"
            r"|pipe burst|flood"),
    (ACCIDENT, r"意外|摔伤|摔倒|跌倒|摔了|跌伤|扭伤|\bfell\b|\bfall\b|slipped|tripped"
               r"|accident"),
    (CRITICAL_ILLNESS, r"确诊|癌|肿瘤|重疾|重大疾病|心梗|脑梗|中风|白血病|diagnosed|cancer"
                       r"|tumou?r|stroke|heart attack|critical illness"),
    (DEATH, r"去世|身故|死亡|过世|离世|身亡|passed away|\bdied\b|death"),
    (DISABILITY, r"伤残|残疾|disabilit|disabled"),
    (STORM, r"暴雨|台风|洪水|冰雹|雷击|被雷|暴雪|大风|龙卷风|storm|flood|typhoon|hail|lightning"
            r"|hurricane|gale"),
    (FALLING, r"坠物|掉下来|砸(?:坏|到|中|了)|falling object|fell on|fell onto|came down on"),
    (DAMAGE, r"摔坏|碰坏|打碎|弄坏|损坏|砸坏|摔碎|碰倒|打翻|坏了|碎了|knocked over|broke|broken"
             r"|damaged|smashed|cracked|dropped"),
)
_KIND_RES = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _KIND_PATTERNS)

# The line a kind most often belongs to, when no policy says otherwise.
LINE_HINTS = {
    COLLISION: "motor", GLASS: "motor", HOSPITALISATION: "medical", OUTPATIENT: "medical",
    FIRE: "home", WATER: "home", ACCIDENT: "accident", CRITICAL_ILLNESS: "critical_illness",
    DEATH: "life", DISABILITY: "accident",
}
# Per line: which kind decides the incident type first, and the type it means.
_PRIORITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "motor": ((THEFT, "theft"), (INJURY, "injury"), (COLLISION, "collision"),
              (ACCIDENT, "collision"), (GLASS, "glass"),
              # "暴雨积水，车被水淹了": weather and falling objects are in the motor cover too.
              (WATER, "flood"), (FALLING, "falling_object"), (STORM, "natural_disaster")),
    "medical": ((HOSPITALISATION, "hospitalisation"), (OUTPATIENT, "outpatient")),
    "accident": ((DEATH, "injury"), (DISABILITY, "disability"), (INJURY, "injury"),
                 (ACCIDENT, "injury"), (HOSPITALISATION, "injury")),
    "critical_illness": ((CRITICAL_ILLNESS, "diagnosis"),),
    "life": ((DEATH, "death"),),
    "home": ((FIRE, "fire"), (THEFT, "theft"), (WATER, "water_damage"),
             (STORM, "natural_disaster"), (FALLING, "falling_object"),
             (DAMAGE, "property_damage"), (ACCIDENT, "property_damage")),
}

# The line's most general incident type: what an account naming no type is recorded as when the
# type could not be read after the third try (the handler reads the account and decides).
_GENERAL_TYPES = {"home": "property_damage"}


def general_incident_type(line: str | None) -> str | None:
    return _GENERAL_TYPES.get(line or "")


_NO_INJURY_RE = re.compile(
    r"(?:没有?|无|未)人?(?:员)?(?:受伤|伤亡)|人(?:都|也)?没(?:有)?(?:事|受伤)|人员?无碍|无人员伤亡"
    r"|no(?:body| one|-one)\s+(?:was\s+|got\s+)?(?:hurt|injured)|no injur|not (?:hurt|injured)"
    r"|(?:everyone|everybody) (?:is|was) (?:fine|ok|okay|alright)|nobody hurt|unhurt",
    re.IGNORECASE,
)
_INJURY_RE = re.compile(
    r"受伤|受了伤|伤了|撞伤|摔伤|骨折|流血|送医|救护车|住院|伤者|injur|\bhurt\b|bleeding"
    r"|fracture|ambulance"
    # "我老婆伤得很重，现在在医院抢救": someone badly hurt is someone hurt.
    r"|伤得(?:很|特别|非常|好|挺|比较)?重|重伤|伤势|抢救|昏迷|昏过去|晕过去|不省人事"
    r"|unconscious|passed out"
    # "流了很多血", "满脸是血", "bleeding badly" (issue 19): blood said in any words is a hurt.
    r"|流了?(?:很多|好多|不少|一地|一身|一脸|满地)?的?血|出血|满(?:脸|身|头|地)(?:都)?是?血|\bbleed",
    re.IGNORECASE,
)
_BONES = (r"arm|arms|leg|legs|wrist|wrists|ankle|ankles|hip|knee|kneecap|elbow|shoulder|"
          r"collarbone|collar bone|rib|ribs|finger|fingers|toe|toes|foot|feet|hand|hands|nose|"
          r"jaw|skull|back|neck|pelvis|spine|shin|thigh|heel|bone|bones|thumb")
# "I broke my wrist", "a broken leg", "fractured his ankle": a broken bone, as 骨折 is in Chinese.
# Serious enough to be urgent (bot/claims/risk.yml counts 骨折 and "fracture").
_BROKEN_BONE_RE = re.compile(
    r"\b(?:broke|broken|fractured?|cracked|snapped|shattered)\s+(?:(?:my|his|her|their|our|"
    r"your|a|an|the|both|one|two|several|some|of)\s+)*(?:(?:left|right|lower|upper)\s+)?"
    rf"(?:{_BONES})\b",
    re.IGNORECASE,
)

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_RE = re.compile(
    rf"([{_PROVINCES}])\s*([A-HJ-NP-Z])\s*[·•.\-]?\s*([A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]"
    r"[A-HJ-NP-Z0-9]?)(?![A-Z0-9])",
    re.IGNORECASE,
)
_POLICE_NO_RE = re.compile(
    r"(?:报警回执|报案回执|回执|报警|案件|事故|认定书|接警)(?:单|编)?号(?:码)?\s*(?:是|为|:)?\s*"
    r"([A-Z0-9][A-Z0-9\-]{4,29})"
    r"|(?:police\s+(?:report|case|reference)\s*(?:number|no\.?|#)?|case\s+(?:number|no\.?|#)"
    r"|report\s+(?:number|no\.?|#))\s*(?:is|:)?\s*([A-Z0-9][A-Z0-9\-]{4,29})",
    re.IGNORECASE,
)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[\s\-]?)?(1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4})(?!\d)")
_HOSPITAL_ZH_RE = re.compile(
    r"(?:在|去|到|进|住进|送到|送往|送进|转到|于)\s*([\u4e00-\u9fffA-Za-z0-9]{1,24}?"
    r"(?:医院|卫生院|诊所|保健院|医疗中心|急救中心))"
)
_HOSPITAL_EN_RE = re.compile(
    r"\b(?:at|in|to|into)\s+(?:the\s+)?((?:[A-Z][\w'.&-]*\s+){0,5}(?:Hospital|Clinic|Medical"
    r" Cent(?:er|re))(?:\s+of\s+(?:[A-Z][\w'.-]*\s?){1,4})?)"
)
# "在中山路被追尾": a place after 在, up to the verb or pause that ends it.
_PLACE_ZH_RE = re.compile(
    r"(?<![现正存实所自好还])在\s*([\u4e00-\u9fffA-Za-z0-9·\-]{2,30}?)\s*"
    r"(?=被|让|给|叫|把|发生|出了|出事|撞|追尾|刮|蹭|摔|跌|滑|着火|起火|失火|漏水|遭|丢|"
    r"的时候|时|停车(?![场库位])|停着|开车|骑车|走路|等红灯|等车|排队|上班|下班|回家|住院|看病|就诊|治疗|"
    r"检查|手术|急诊|散步|跑步|倒车|掉头|调头|突然|(?:和|跟|与|同)(?:别人|对方|一|人|车|他|她|我|另|前车|后车)|,|。|;|!|\?|$|\s)"
)
_PLACE_EN_RE = re.compile(
    r"\b(?:on|at|in|near)\s+(?:the\s+)?((?:[A-Z][\w'.-]*)(?:\s+(?:[A-Z][\w'.-]*|and|&|of))*"
    r"(?:\s+(?:road|rd|street|st|avenue|ave|lane|highway|expressway|bridge|square|station"
    r"|district|park|mall|intersection|junction|ring road))?)",
)
_PLACE_EN_STOP = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "i", "my", "the", "a", "we", "he", "she", "they", "it",
}
# "at my office", "in the car park": places named by what they are rather than by a name. Rooms
# of a home (kitchen, bathroom) are not on the list: the home's address is the place asked for.
_PLACE_EN_COMMON_RE = re.compile(
    r"\b(?:at|in|on|near|outside|inside|by|behind|opposite)\s+(?:(?:my|our|the|a|an|his|her"
    r"|their|your)\s+)?((?:(?:local|nearby|underground|multi-storey|multistorey|office|work|"
    r"company|school|hospital|shopping|supermarket|train|bus|petrol|gas|main|front|back|"
    r"friend's|mum's|mom's|dad's|parents')\s+)?(?:office|workplace|work|home|school|"
    r"college|university|campus|gym|supermarket|shop|store|mall|shopping (?:centre|center|mall)"
    r"|restaurant|cafe|café|hotel|car park|carpark|parking lot|parking garage|parking space"
    r"|garage|petrol station|gas station|station|bus stop|airport|playground|park|beach|"
    r"swimming pool|pool|stairs|staircase|stairwell|building site|construction site|factory|"
    r"warehouse|farm|market|cinema|stadium|traffic lights|roundabout|junction|crossroads|"
    r"crossing|motorway|highway|driveway|lift|elevator|escalator|house|flat|apartment))\b",
    re.IGNORECASE,
)
# "14 Elm Road", "221b Baker Street": a street address with its number.
_ADDRESS_EN_RE = re.compile(
    r"\b(\d{1,5}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){1,3}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln"
    r"|Drive|Dr|Way|Close|Crescent|Place|Court|Terrace|Boulevard|Blvd|Gardens|Grove|Hill"
    r"|Row|Square))\b"
)
_PLACE_ENDS = re.compile(r"(?:门口|里面|旁边|边上|附近|路口|楼下|楼上|对面)(?!的)")
_PLACE_TRAILERS = ("上面", "上", "附近", "旁边", "边上", "那边", "这边", "门口", "里面", "路段")
_NOT_PLACES = ("家里", "家中", "家")  # kept as places, but never shortened away


_POLICE_CALLED_RE = re.compile(
    r"报了警|报警了|已报警|已经报警|打了110|打了122|交警(?:来了|到了|已经|来过|处理|出了|定了)"
    r"|警察(?:来了|到了|来过|已经)|called the police|police (?:came|were called|have been called"
    r"|are here|arrived|attended)|reported it to the police",
    re.IGNORECASE,
)
_POLICE_NOT_CALLED_RE = re.compile(r"没(?:有)?报警|未报警|didn'?t call the police|no police",
                                   re.IGNORECASE)
# Words that ask for the report rather than tell what happened ("赶紧帮我报个案").
_REPORT_REQUEST_RE = re.compile(
    r"报案|报个案|报一下案|报险|报个险|帮我报|申请理赔|要理赔|想理赔|理赔一下|出险了"
    r"|(?:要|想|申请|来)报销"
    r"|report (?:a |the |my |this |an )?(?:claim|accident|incident|it|this)|make a claim"
    r"|file a claim|open a claim|start a claim|claim (?:for|on) (?:my|the|it)",
    re.IGNORECASE,
)
# Clauses of the opening message that are not the customer's account of what happened.
_NOT_ACCOUNT_RE = re.compile(
    r"^(?:(?:你好|您好|喂|在吗|hi|hello|hey)[啊呀,!]*)$"
    r"|^(?:请|麻烦|赶紧|快|快点|马上|能不能|可以)?(?:帮我|给我|我要|我想|我需要|想|要)?"
    r"(?:报案|报个案|报一下案|报险|理赔|申请理赔)(?:啊|吧|呀|一下|了)?$"
    r"|^(?:我的)?保单(?:号)?(?:是|:)?\s*[A-Za-z]{2,4}[\s\-]?\d{4}[\s\-]?\d{4}$"
    r"|^(?:my )?policy(?: number)?(?: is)?:?\s*[A-Za-z]{2,4}[\s\-]?\d{4}[\s\-]?\d{4}$"
    r"|^(?:please |can you |could you )?(?:i (?:want|need|would like|'d like) to )?"
    r"(?:help me )?(?:report|make|file|open|start) (?:a |the |my )?claim(?: please)?$",
    re.IGNORECASE,
)


def reads_as_report(text: str) -> bool:
    """Whether a message tells of an incident to report: an incident and a request to report
    it ("…被追尾了…赶紧帮我报个案"), or an incident with its policy or place. A message the model
    took for plain information ("inform") is then a report (components/report_signals.py)."""
    clean = to_simplified(normalise_digits(text or ""))
    if not clean or clean.startswith("/") or not incident_kinds(clean):
        return False
    if _REPORT_REQUEST_RE.search(clean):
        return True
    return bool(parse_policy_number(clean) or _place(clean, None) or _plate(clean))


# "我跟你说啊，我要报案，我也是第一次弄这个": a plain wish to report, wrapped in small talk.
_WANTS_TO_REPORT_RE = re.compile(
    r"(?:我要|我想|我得|我需要|想要|要|想|帮我|给我|麻烦|请|赶紧|快)(?:你们?)?(?:帮我)?"
    r"(?:报案|报个案|报一下案|报险|报个险|申请理赔)"
    r"|\bi (?:want|need|would like|'d like|have) to (?:report|make|file|open|start) "
    r"(?:a |an |the |my )?(?:claim|accident|incident)\b",
    re.IGNORECASE,
)
_NOT_REPORTING_RE = re.compile(
    r"(?:不|别|没|甭)(?:用|要|想|需要|必要|打算)?(?:再)?(?:报案|报个案|报险|申请理赔)"
    r"|\b(?:don'?t|do not|no need to|not) (?:want to |need to )?(?:report|make|file)\b",
    re.IGNORECASE,
)


def asks_to_report(text: str) -> bool:
    """Whether a message plainly asks to report a claim, whatever else it says around it (the
    model may miss "我要报案" in a rambling message)."""
    clean = to_simplified(normalise_digits(text or ""))
    if not clean or clean.startswith("/") or _NOT_REPORTING_RE.search(clean):
        return False
    return bool(_WANTS_TO_REPORT_RE.search(clean))


_QUESTION_RE = re.compile(r"[?？]|吗|么|能不能|可不可以|是否|多少|怎么|如何|哪些|什么"
                          r"|\b(?:can|does|do|is|how|what|which|will)\b", re.IGNORECASE)


def asks_to_report_incident(text: str) -> bool:
    """Whether a message asks, without a question, to report an incident it names ("我要报销医院
    的费用 胃镜检查", "我要报案 车被树砸了"): a report whatever the model read in it (a clause or
    status question for "报销")."""
    clean = to_simplified(normalise_digits(text or ""))
    if not clean or clean.startswith("/") or not incident_kinds(clean):
        return False
    return bool(_REPORT_REQUEST_RE.search(clean)) and not _QUESTION_RE.search(clean)


def customer_account(text: str) -> str | None:
    """The customer's own account of what happened: the message without its greetings, the
    request to report and a bare policy number ("报案啊!我被追尾了" -> "我被追尾了")."""
    pieces = re.split(r"([,，。.!！?？;；…]+\s*|\s{2,})", text or "")
    kept: list[str] = []
    for index in range(0, len(pieces), 2):
        clause = pieces[index].strip()
        separator = pieces[index + 1] if index + 1 < len(pieces) else ""
        if clause and not _NOT_ACCOUNT_RE.search(clause):
            kept.append(clause + separator)
    account = "".join(kept).strip(" ,，;；….")
    return account or None


def police_called(text: str) -> bool | None:
    """Whether the customer says the police were called (True), were not (False), or nothing."""
    if _POLICE_NOT_CALLED_RE.search(text):
        return False
    return True if _POLICE_CALLED_RE.search(text) else None


@dataclass(frozen=True)
class ReportFields:
    """What one message said. Every field is None (or empty) when the message did not say it."""

    text: str
    language: str
    when: ParsedDateTime
    place: str | None = None
    kinds: tuple[str, ...] = ()
    incident_type: str | None = None
    line_hint: str | None = None
    injuries: bool | None = None
    urgent: tuple[str, ...] = ()
    amount: ParsedAmount | None = None
    plate: str | None = None
    police_report_no: str | None = None
    hospital: str | None = None
    policy_number: str | None = None
    contact_phone: str | None = None
    police_called: bool | None = None

    @property
    def incident_date(self) -> date | None:
        return self.when.date

    @property
    def incident_time(self) -> time | None:
        return self.when.time

    @property
    def incident_at(self) -> datetime | None:
        """Naive UTC, only when date and time are both known and unambiguous."""
        return self.when.at if self.when.complete else None

    @property
    def estimated_amount(self) -> Decimal | None:
        return self.amount.amount if self.amount is not None and self.amount.ok else None


def incident_kinds(text: str) -> tuple[str, ...]:
    """The kinds of incident `text` mentions, in a fixed order (see _KIND_PATTERNS)."""
    words = to_simplified(normalise_digits(text or ""))
    kinds = [kind for kind, pattern in _KIND_RES
             if pattern.search(words) or (kind == INJURY and _BROKEN_BONE_RE.search(words))]
    if INJURY in kinds and _NO_INJURY_RE.search(words) and not (
        re.search(r"骨折|流血|住院|fracture|bleeding", words, re.IGNORECASE)
        or _BROKEN_BONE_RE.search(words)
    ):
        kinds.remove(INJURY)  # "没人受伤" names injury only to deny it
    if DAMAGE in kinds and len(kinds) > 1:
        kinds.remove(DAMAGE)  # "被追尾了,保险杠坏了": the collision says what kind it is
    return tuple(kinds)


# A vehicle as the thing damaged or stolen ("我的车被砸了", "车窗碎了", "my car got hit"); not a
# garage or a parking space (车库, 车位), nor a ride (开车回家, 坐车).
_VEHICLE_RE = re.compile(
    r"(?:汽车|轿车|私家车|爱车|车子|车辆|车窗|车门|车身|车头|车尾|车灯|车漆|车牌|后视镜|保险杠|挡风玻璃"
    r"|(?:我|我的|我家|家里|他|她|的)车(?![库位棚站间场])"
    r"|\b(?:my|our|his|her|the)\s+(?:car|van|suv|vehicle|truck)\b|\bcar\s+(?:window|door|was|got)\b)",
    re.IGNORECASE,
)


# "B2", "3F", "F3", "12号楼": a floor, block or bay in a place, never money ("2.5k", "3w" are).
_CODE_IN_PLACE = re.compile(
    r"(?<![A-Za-z])[A-Za-z]-?\d{1,4}(?![\d.])|(?<![\d.])\d{1,4}(?![kKwW])[A-Za-z](?![A-Za-z])"
    r"|\d{1,4}\s*(?:号楼|栋|单元|层|楼|号)"
)
def without_codes(text: str) -> str:
    """`text` with the floor, bay and block codes of a place blanked (never read as money)."""
    return _CODE_IN_PLACE.sub(" ", text or "")


_CN_DIGITS = "零〇一二两三四五六七八九十百千"
# "一万二", "1.2万", "两万五": 万 in a report is money, with or without 元 after it.
_WAN_AMOUNT_RE = re.compile(
    rf"(?:\d+(?:\.\d+)?|[{_CN_DIGITS}]+)\s*万(?:[{_CN_DIGITS}]|\d)*"
    r"(?!\s*(?:公里|千米|米|人|步|次|字|个|辆|km|多人))"
)


# "凹进去一块", "掉了一块漆": a piece of something, not one yuan.
_A_PIECE_RE = re.compile(r"(?<![\d零〇一二两三四五六七八九十百千万])一\s*块(?!钱)")


def _amount(text: str) -> ParsedAmount:
    found = find_amount(without_codes(_A_PIECE_RE.sub(" ", text)))
    if found.problem != "not_found":
        return found
    wan = _WAN_AMOUNT_RE.search(text)
    return parse_amount(wan.group(0)) if wan else found


_HAPPENED_RE = re.compile(r"被|把|了|坏|掉|出事|爆|裂|碎")


def split_place(value: str) -> tuple[str, str | None]:
    """"家里厨房水管爆了" -> ("家里厨房", "水管爆了"): a place answer that runs on into what
    happened keeps the place, and the rest is the account."""
    words = to_simplified(value or "")
    cut = first_kind_at(words)
    if cut is None or cut < 2 or not _HAPPENED_RE.search(words[cut:]):
        return value, None
    place = value[:cut].strip(" ,，。.的")
    rest = value[cut:].strip(" ,，。.")
    if len(place) < 2:
        return value, None
    return place, rest or None


# "地点：家里厨房水管爆了" on a line of its own: a labelled place.
_LABELLED_PLACE_RE = re.compile(r"(?:地点|地址|位置|事发地点?|place|address|location)\s*[:：]\s*"
                                r"([^\n,，。;；!！?？]{2,40})", re.IGNORECASE)


def tells_of_a_vehicle(text: str | None) -> bool:
    """Whether an account is about a vehicle damaged or stolen."""
    words = to_simplified(normalise_digits(text or ""))
    return bool(_VEHICLE_RE.search(words) and incident_kinds(words))


def first_kind_at(text: str) -> int | None:
    """Where the first words of an incident start in `text` (simplified), or None."""
    starts = [match.start() for _, pattern in _KIND_RES if (match := pattern.search(text or ""))]
    return min(starts) if starts else None


def resolve_incident_type(line: str | None, kinds: tuple[str, ...]) -> str | None:
    """The checklist incident type the kinds mean on `line`; with no line, on the line the
    kinds point to. None when they say nothing that line covers."""
    if line is None:
        hinted = [LINE_HINTS[kind] for kind in kinds if kind in LINE_HINTS]
        if not hinted:
            return THEFT if THEFT in kinds else None
        line = hinted[0]
    for kind, incident_type in _PRIORITIES.get(line, ()):
        if kind in kinds:
            return normalise_incident_type(line, incident_type)
    return None


def _injuries(text: str) -> bool | None:
    if _BROKEN_BONE_RE.search(text):
        return True  # "nobody else was hurt, but I broke my arm" still names an injury
    if _NO_INJURY_RE.search(text):
        return False
    if _INJURY_RE.search(text):
        return True
    return None


def _plate(text: str) -> str | None:
    match = _PLATE_RE.search(text)
    if not match:
        return None
    province, letter, rest = match.groups()
    return f"{province}{letter.upper()}{rest.upper()}"


def _hospital(text: str) -> str | None:
    match = _HOSPITAL_ZH_RE.search(text)
    if match:
        return match.group(1)
    match = _HOSPITAL_EN_RE.search(text)
    return match.group(1).strip() if match else None


def _place(text: str, hospital: str | None) -> str | None:
    labelled = _LABELLED_PLACE_RE.search(text)
    if labelled:
        return split_place(labelled.group(1).strip())[0]
    address = _ADDRESS_EN_RE.search(text)
    if address:
        return address.group(1)
    for match in _PLACE_ZH_RE.finditer(text):
        place = match.group(1)
        if place in _NOT_PLACES:
            return place
        # "菜市场门口跟电动车碰了一下", "学校门口倒车": the place ends with its 门口 / 里面.
        cut = _PLACE_ENDS.search(place)
        if cut and cut.end() < len(place) and cut.start() >= 2:
            place = place[:cut.end()]
        for trailer in _PLACE_TRAILERS:
            if place.endswith(trailer) and len(place) > len(trailer) + 1:
                place = place[: -len(trailer)]
                break
        if re.fullmatch(r"[\d:点号月日年天前后]+|今天|昨天|前天|当时|那时|这里|那里|流血|抢救|"
                        r"昏迷|休息|睡觉|上班|开会|吃饭|路上|哪里|哪儿|哪|什么地方", place):
            continue
        return place
    for match in _PLACE_EN_RE.finditer(text):
        place = match.group(1).strip(" .,")
        if place.split()[0].lower() in _PLACE_EN_STOP:
            continue
        return place
    match = _PLACE_EN_COMMON_RE.search(text)
    if match:
        return match.group(1).lower()
    return hospital


def _police_report_no(text: str) -> str | None:
    match = _POLICE_NO_RE.search(text)
    if not match:
        return None
    number = (match.group(1) or match.group(2)).upper()
    return None if parse_policy_number(number) else number


# The part of a message that tells the day of leaving hospital ("到这个月3号出院", "discharged
# on 3 Dec"): never the day it happened, which is the day in.
_DISCHARGE_WORDS = r"出院|[号日]出来|discharg|came home|went home"
_DISCHARGE_PART = re.compile(
    r"[^，,。;；\s]*(?:出院|[号日]出来)[^，,。;；\s]*|\bdischarged?\b(?:\s+(?:on|the))*[^,;.]*",
    re.IGNORECASE)


def tells_discharge(text: str) -> bool:
    """Whether `text` is about leaving hospital ("3号出院", "12月3号出来", "discharged")."""
    return bool(re.search(_DISCHARGE_WORDS, text or "", re.IGNORECASE))


def without_discharge(text: str) -> str:
    """`text` without the parts about leaving hospital (the whole text when that is all)."""
    stripped = _DISCHARGE_PART.sub(" ", text or "")
    return stripped if stripped.strip(" ，,。.") else text


def discharge_parts(text: str) -> list[str]:
    """The parts of `text` about leaving hospital."""
    return [match.group(0) for match in _DISCHARGE_PART.finditer(text or "")]


def extract_report_fields(
    text: str,
    now: datetime,
    lang: str | None = None,
    *,
    line_of_business: str | None = None,
    known_date: date | None = None,
) -> ReportFields:
    """Everything a first report message says. `line_of_business` (the verified policy's line)
    decides which incident type the words mean; `known_date` is a date given earlier."""
    clean = to_simplified(normalise_digits(text or "")).strip()
    language = lang or detect(clean) or "zh"
    kinds = incident_kinds(clean)
    hospital = _hospital(clean)
    incident_type = resolve_incident_type(line_of_business, kinds)
    line_hint = line_of_business or next(
        (LINE_HINTS[kind] for kind in kinds if kind in LINE_HINTS), None
    )
    amount = _amount(clean)
    phone = _PHONE_RE.search(clean)
    injuries = _injuries(clean)
    return ReportFields(
        text=clean,
        language=language,
        when=parse_incident_datetime(without_discharge(clean), now, language,
                                     known_date=known_date),
        place=_place(clean, hospital),
        kinds=kinds,
        incident_type=incident_type,
        line_hint=line_hint,
        injuries=injuries,
        urgent=urgent_reasons(
            incident_type, clean, serious_injury=bool(_BROKEN_BONE_RE.search(clean)) or None
        ),
        amount=None if amount.problem == "not_found" else amount,
        plate=_plate(clean),
        police_report_no=_police_report_no(clean),
        hospital=hospital,
        policy_number=parse_policy_number(clean),
        contact_phone=re.sub(r"\D", "", phone.group(1)) if phone else None,
        police_called=police_called(clean),
    )
