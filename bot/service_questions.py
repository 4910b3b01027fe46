"""Questions about the service itself, and acknowledgements: answered, never a queue.

"你是真人还是机器人啊" and "你们人工客服几点上班" name a person, so the classifier and the person
check (components/person_request.py) would take them for a request for one; "哦哦好的好的👍👍" only
says "got it". None of them asks for a person: the first two get an answer (the assistant is an
automated service; the agents' hours with their time zone), the last an acknowledgement.
"你能做什么？" / "what can you do?" gets what the assistant does, also in the middle of the
identity check (then its question again), where it is never read as a failed answer.
"""
from __future__ import annotations

import re

from bot.language import to_simplified

IS_BOT = "is_bot"
AGENT_HOURS = "agent_hours"
ACKNOWLEDGED = "acknowledged"
WHAT_I_DO = "what_i_do"  # "你能做什么？", "what can you do?": what the assistant does

# A question, not a request: 吗/呢/? or "are you"/"when" words, about what the assistant is.
_IS_BOT = re.compile(
    r"(?i)(你是(不是)?(真人|机器人|人工|ai|人还是|机器)|是(真人|人工|人)还是机器|是机器人吗|是不是机器人|"
    r"是不是真人|是真人吗|是人吗|你是谁|"
    r"\bare you (?:a |an )?(?:real |actual )?(?:bot|robot|human|person|machine|ai|computer)\b|"
    r"\bam i (?:talking|chatting|speaking) (?:to|with) (?:a |an )?(?:real |actual )?"
    r"(?:bot|robot|human|person|machine|ai|computer)\b|\bis this (?:a )?(?:bot|robot|human)\b)"
)
_AGENT_HOURS = re.compile(
    r"(?i)((人工|客服|真人|专人|坐席|你们).{0,6}(几点|什么时候|啥时候|多会儿|何时)"
    r".{0,4}(上班|下班|有人|在线|开始|工作|营业|服务)|"
    r"(上班|服务|工作|营业)时间|几点上班|几点下班|什么时候上班|"
    r"\bwhen (?:do|does|are|will) (?:your |the )?(?:agents?|staff|people|humans?|team|"
    r"customer service|someone)\b.{0,30}\b(?:start|open|work|available|on|back|online|finish)|"
    r"\b(?:opening|office|working|business) hours\b|\bwhat (?:time|hours) (?:do|are) "
    r"(?:your |the )?(?:agents?|staff|people|team|you)\b)"
)
# What the assistant is for: "你能做什么", "你可以帮我干嘛", "有什么功能", "what can you do",
# "how can you help me".
_WHAT_I_DO = re.compile(
    r"(?i)((你|您|这里|这个|机器人|助手)(都|还)?(能|可以|会)(帮我|帮忙)?(做|干|办)(些|点)?(什么|啥|嘛|哪些)|"
    r"(能|可以)帮(我|忙)?(做|干|办)?(些|点)?(什么|啥|哪些)|有(什么|哪些|啥)功能|(怎么|如何)用你|"
    r"\bwhat (?:can|do|else can) you (?:do|help(?: me)?(?: with)?|offer)\b|"
    r"\bwhat are you (?:for|able to do)\b|\bhow (?:can|do|could) you help\b|"
    r"\bwhat (?:kind of )?(?:things|help|services?) (?:can|do) you\b)"
)
# The whole message is "OK", "got it", "好的", thumbs up: an acknowledgement, nothing more.
_ACKNOWLEDGEMENT = re.compile(
    r"(?i)^(?:(?:哦+|噢+|喔+|嗯+|恩+|好+的?|好吧|行+|可以|明白了?|知道了?|收到|了解|懂了|谢谢|多谢|"
    r"ok(?:ay)?|k|got it|cool|thanks?|thank you|sure|alright|fine|noted|great|nice|right|"
    r"[👍👌🙏😊🙂😀✅👏]|\s|[,，.。!！~～…]))+$"
)


# "你是机器人吗？我要找真人": a question that also asks for a person is a request for one.
_WANTS_PERSON = re.compile(
    r"(?i)((要|找|转|想|换|叫|接|让|请|给我)(个|一个)?(人工|真人|客服|专人|活人|人)|转人工|"
    r"(?:i (?:want|need|would like)|let me (?:talk|speak)|put me through|connect me|"
    r"can i (?:talk|speak)|get me))"
)


def service_question(text: str | None) -> str | None:
    """IS_BOT, AGENT_HOURS or WHAT_I_DO for a question about the service, ACKNOWLEDGED for a
    message that only says "got it", else None (a message that also asks for a person
    included)."""
    if not text:
        return None
    simple = to_simplified(text).strip()
    if _WANTS_PERSON.search(simple):
        return None
    if _AGENT_HOURS.search(simple):
        return AGENT_HOURS
    if _IS_BOT.search(simple):
        return IS_BOT
    if _ACKNOWLEDGEMENT.match(simple):
        return ACKNOWLEDGED
    if _WHAT_I_DO.search(simple):
        return WHAT_I_DO
    return None
