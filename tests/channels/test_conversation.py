"""What a channel reads from a conversation: here, what the bot said since the customer's last
words (the question a voice note answers, for the recogniser)."""
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.conversation import Conversation, asked_since_user, conversation_of


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("web-1", list(events))


def test_what_was_asked_is_the_bot_s_words_since_the_customer_spoke_and_their_options():
    said = tracker(
        BotUttered("您好，请问有什么可以帮您？"),
        UserUttered("我要报案"),
        ActionExecuted("action_report"),
        BotUttered("好的。"),
        SlotSet("language", "zh"),
        BotUttered("有人受伤吗？", data={"buttons": [
            {"title": "有人受伤", "payload": "/affirm"},
            {"title": "没有人受伤", "payload": "/deny"}]}),
    )
    assert asked_since_user(said) == "好的。\n有人受伤吗？\n有人受伤\n没有人受伤"
    assert conversation_of(said, "web-1").asked == asked_since_user(said)


def test_nothing_was_asked_after_the_customer_s_words_or_without_a_conversation():
    assert asked_since_user(tracker(BotUttered("有人受伤吗？"), UserUttered("没有"))) == ""
    assert asked_since_user(tracker(BotUttered("", data={"buttons": "not a list"}))) == ""
    assert asked_since_user(None) == ""
    assert Conversation().asked == ""
