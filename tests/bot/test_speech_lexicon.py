"""The claims vocabulary for the recogniser (bot.speech.lexicon): the prompt it builds, the
pinyin correction pass (clear cases corrected, unclear ones left alone), the key requests."""
import pytest

from bot.speech import lexicon
from bot.speech.lexicon import (
    KEY_REQUESTS,
    PROMPT_MAX_CHARS,
    correct,
    domain_terms,
    echoes_prompt,
    key_request,
    pinyin_distance,
    prompt,
    syllable_distance,
)

# --- the prompt ----------------------------------------------------------------------------

def test_the_terms_come_from_the_checklists_clauses_products_and_intents():
    terms = set(domain_terms())
    assert {"驾驶证", "出院小结"} <= terms  # checklist items (bot/documents/checklists.yml)
    assert {"等待期", "既往症"} <= terms  # clause topics' customer wording (bot/clauses)
    assert "机动车综合商业保险" in terms  # a product's name (bot/clauses/products)
    assert {"车险", "医疗险", "家财险"} <= terms  # the lines' names (bot/catalog)
    assert "麻烦转人工" in terms  # a short phrase of an intent (data/nlu/zh)
    assert set(KEY_REQUESTS) <= terms
    assert all(2 <= len(t) <= 10 and all("\u4e00" <= ch <= "\u9fff" for ch in t) for t in terms)


def test_the_chinese_prompt_names_the_domain_and_its_words_within_its_length():
    text = prompt("zh")
    assert text.startswith("以下是普通话的句子，关于保险理赔。")
    assert len(text) <= PROMPT_MAX_CHARS
    for word in (*KEY_REQUESTS, "理赔", "免赔额", "拒赔", "保险杠"):
        assert word in text
    assert len(set(text.split("：", 1)[1].rstrip("。").split("、"))) == \
        len(text.split("：", 1)[1].rstrip("。").split("、"))  # each word once


def test_the_english_prompt_is_english():
    text = prompt("en")
    assert "claim" in text and "deductible" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_recited_prompt_is_recognised_as_such():
    assert echoes_prompt("以下是普通话的句子", "zh")
    assert echoes_prompt("住院、驾驶证、住院、对方其然责。", "zh")
    assert not echoes_prompt("我要报案，后保险杠坏了", "zh")
    assert not echoes_prompt("身份证、银行卡和发票", "zh")  # one listed word is a customer's list
    assert echoes_prompt("词：转人工", "zh")  # the prompt's label ("常用词："), heard in Japanese
    assert not echoes_prompt("这个词是什么意思", "zh")
    assert echoes_prompt("An insurance claims call", "en")
    assert not echoes_prompt("I want to make a claim", "en")


# --- the correction pass -------------------------------------------------------------------

@pytest.mark.parametrize("heard, meant, change", [
    ("我的礼培进度怎么样了", "我的理赔进度怎么样了", ("礼培进度", "理赔进度")),
    ("里培呢", "理赔呢", ("里培", "理赔")),
    ("面牌额是多少", "免赔额是多少", ("面牌额", "免赔额")),  # pai/pei: half a syllable apart
    ("面培饿是多少?", "免赔额是多少?", ("面培饿", "免赔额")),
    ("为什么据赔", "为什么拒赔", None),
    ("后保险刚坏了", "后保险杠坏了", ("保险刚", "保险杠")),
    ("后宝险刚坏了。", "后保险杠坏了。", ("宝险刚", "保险杠")),
    ("转人公客服", "转人工客服", None),
])
def test_near_homophones_of_domain_words_are_corrected(heard, meant, change):
    fixed = correct(heard)
    assert fixed.text == meant
    assert fixed.changes
    if change:
        assert fixed.changes == (change,)
    # what was heard is kept, piece by piece: the corrections undo to the raw text
    undone = fixed.text
    for before, after in fixed.changes:
        undone = undone.replace(after, before, 1)
    assert undone == heard


@pytest.mark.parametrize("text", [
    "我要报案",  # already the domain's word
    "保险公司说不赔",
    "我要保安全",  # "保安" sounds like "报案" but is a word of its own
    "我要保安",  # ...even where the intent phrase "我要报案" sounds the same
    "他们部队在这边",  # "部队" sounds like "不对"
    "我70多岁了,不会用手机",  # "岁了" sounds like the keyword "碎了": too ordinary to be evidence
    "查见度",  # jian is not near jin: not clear enough
    "今天天气不错",
    "AUTO-2026-0001",
    "",
])
def test_unclear_or_correct_text_is_left_alone(text):
    assert correct(text).text == text
    assert correct(text).changes == ()


def test_two_domain_words_that_sound_alike_are_left_alone():
    # "立培" is as close to "理赔" as to "利培" (a made-up second word): not clear which was said
    assert correct("立培", terms=["理赔", "利培"]).changes == ()
    assert correct("立培", terms=["理赔"]).text == "理赔"


def test_a_common_word_is_not_corrected_even_when_it_sounds_the_same():
    # "报案" (report) and "保安" (guard): both words; the customer may mean either
    assert correct("我找保安", terms=["报案"]).text == "我找保安"


def test_the_distances():
    assert syllable_distance("li", "li") == 0
    assert syllable_distance("zhuan", "zuan") == 0.5
    assert syllable_distance("pai", "pei") == 0.5
    assert syllable_distance("gong", "gang") == 1
    assert pinyin_distance("礼培", "理赔") == 0
    assert pinyin_distance("面牌额", "免赔额") == 0.5


def test_two_character_corrections_only_to_curated_words():
    by_length = lexicon._terms_by_length()
    assert "理赔" in by_length[2] and "碎了" not in by_length[2]


# --- key requests --------------------------------------------------------------------------

@pytest.mark.parametrize("text, phrase", [
    ("转人工", "转人工"), ("转人工客服。", "转人工"), ("帮我转人工", "转人工"),
    ("我要报案", "报案"), ("查进度。", "查进度"), ("我要投诉", "投诉"), ("不对。", "不对"),
    ("算了吧", "算了"),
])
def test_key_requests_are_recognised(text, phrase):
    assert key_request(text) == phrase


@pytest.mark.parametrize("text", ["我要报案，昨天下午三点在中山路被追尾了",
                                  "这样不对劲的事情太多了", "好的", "", "驾驶证"])
def test_a_sentence_that_only_mentions_a_key_phrase_is_not_a_key_request(text):
    assert key_request(text) is None


def test_the_short_prompt_for_a_word_or_two_names_only_the_key_requests():
    text = prompt("zh", short=True)
    assert all(word in text for word in KEY_REQUESTS)
    assert "驾驶证" not in text and "驾驶证" in prompt("zh")
    assert len(text) < len(prompt("zh"))


@pytest.mark.parametrize("text, answer", [
    ("好的。", "好的"), ("没有", "没有"), ("不用了。", "不用了"), ("謝謝", "谢谢"), ("对", "对"),
])
def test_short_answers_the_intents_know_are_recognised(text, answer):
    from bot.speech.lexicon import short_answer

    assert short_answer(text) == answer


@pytest.mark.parametrize("text", ["好的，我明天下午去交材料", "驾驶证", "期等", "", "ok"])
def test_anything_else_is_not_a_short_answer(text):
    from bot.speech.lexicon import short_answer

    assert short_answer(text) is None


@pytest.mark.parametrize("heard, meant", [
    ("帮我制人工", "帮我转人工"),  # zhi for zhuan: the final off
    ("寨人工", "转人工"),
    ("我要债人工。", "我要转人工。"),
    ("我要再人工", "我要转人工"),  # zai: a near initial (z/zh)
    # On a phone line: the first two syllables off by initials that sound alike there
    ("我要责员工", "我要转人工"),  # ze yuan for zhuan ren
    ("帮我再引工", "帮我转人工"),  # zai yin
    ("给我拒人工", "给我转人工"),  # ju: j for zh
    ("再影工吧", "转人工吧"),
    # The words before the request as blurred as the request: at most two syllables, any kind
    ("位后再研工", "位后转人工"),  # 我要转人工
    ("码反拒员工", "码反转人工"),  # 麻烦转人工
])
def test_a_turn_that_is_little_more_than_a_key_request_blurred_by_a_phone_line_is_it(
        heard, meant):
    from bot.speech.lexicon import near_key_request

    near = near_key_request(heard)
    assert near is not None and near.text == meant
    assert [term for _heard, term in near.changes] == ["转人工"]


@pytest.mark.parametrize("text", [
    "帮我转人工",  # already the request
    "我要找人工", "让真人工来",  # the same request in other words
    "我要再研究",  # the last syllable off too (yan jiu: "I will think again")
    "我要是人工",  # shi: sh is not zh, even on a phone line
    "前方会再引工",  # not little more than the request
    "人工费太贵了", "我是公司员工",
    "这人工费怎么算", "做人工呼吸",  # inside a sentence about something else
    "我要要人工",  # yao is not zhuan
    "在职员工", "离职员工", "是在职员工",  # zhi makes a word with the syllable before it
    "那做做人工伴",  # something after the request that is no filler
    "",
])
def test_anything_else_is_left_to_the_ordinary_correction(text):
    from bot.speech.lexicon import near_key_request

    assert near_key_request(text) is None


def test_no_sentence_the_assistant_knows_is_taken_for_a_near_key_request():
    from bot.speech.language_model import corpus
    from bot.speech.lexicon import near_key_request

    assert [text for text in corpus() if near_key_request(text)] == []
