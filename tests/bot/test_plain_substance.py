""""说简单点" keeps the substance of the last answer (issue 19, outside tester): not the
disclaimer, the identity confirmation or the offer of a person."""
from __future__ import annotations

from bot.clauses.customer import general_answer
from bot.language import in_script
from bot.plain import simpler
from bot.replies import say


def _refusal(lang: str) -> str:
    """What a verified customer disputing a refusal was told in one turn."""
    return "\n".join([
        say("identity_verified", lang, name="John Smith"),
        say("dispute_denied", lang, number="CLM-2026-000002", product="家庭财产保险"
            if lang == "zh" else "Home insurance",
            reason="被盗的自行车放在住宅外面，不在保单写明的保险地址以内" if lang == "zh"
            else "the bicycle was stolen from outside your home"),
        say("dispute_clause", lang, reference="第十二条" if lang == "zh" else "Clause 12",
            title="保险地址以外的财产" if lang == "zh" else "Property kept outside",
            text=("存放于保险单载明的保险地址以外的财产，保险人不负责赔偿，"
                  "包括但不限于：放置在楼道、走廊、楼顶平台、院落、露台、"
                  "公共车棚、地下车库等公共区域或室外的财产。") if lang == "zh" else
            ("The insurer does not pay for property kept outside the insured address shown in "
             "the schedule, including property left in stairwells, corridors or yards."),
            plain="只有放在您家里的东西才保。" if lang == "zh" else
            "Only things kept inside your home are covered."),
        say("dispute_next.negotiation", lang),
    ])


def test_after_the_general_motor_deductible_answer_the_facts_are_kept_not_the_disclaimer():
    answer = general_answer("车险的免赔额是什么意思", "zh").text
    short = simpler(answer, "zh")
    assert "免赔额" in short and "一般说明" not in short and "不是针对" not in short
    assert len(short) < len(answer)
    english = simpler(general_answer("what is the deductible on car insurance", "en").text, "en")
    assert "deductible" in english and "general" not in english and "agent" not in english


def test_after_a_refusal_explained_the_reason_is_kept_not_the_greeting_or_the_offer():
    short = simpler(_refusal("zh"), "zh")
    assert short.startswith("简单说：您的理赔 CLM-2026-000002")
    assert "自行车放在住宅外面" in short and "只有放在您家里的东西才保" in short
    assert "身份已核实" not in short and "转人工吗" not in short and "条款" not in short
    english = simpler(_refusal("en"), "en")
    assert english.startswith("In short: Your claim CLM-2026-000002")
    assert "inside your home" in english
    assert "verified" not in english and "put you through" not in english


def test_a_traditional_answer_is_shortened_the_same_way():
    short = simpler(in_script(_refusal("zh"), "zh-Hant"), "zh")
    assert "自行车放在住宅外面" in short and "身份已核实" not in short


def test_an_answer_that_is_only_a_frame_gets_what_to_say_instead():
    only_frame = say("identity_verified", "zh", name="张伟") + "\n" + say(
        "dispute_next.negotiation", "zh").split("；")[-1]
    assert "身份已核实" not in simpler(only_frame, "zh")
