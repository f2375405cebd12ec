"""The closed vocabulary of what a trainee can do.

Every option in a scenario is tagged with actions from this list, protocols are written in
terms of them, and the customer model reacts to them. Nothing else couples scenarios to
protocols, so this module is the one place an action is defined.
"""
from __future__ import annotations

from enum import StrEnum

__all__ = ["Action", "HELPFUL", "HARMFUL", "describe", "parse_action"]


class Action(StrEnum):
    # helpful
    PREPARE = "prepare"
    STAY_CALM = "stay_calm"
    LISTEN = "listen"
    ACKNOWLEDGE = "acknowledge"
    VERIFY_UNDERSTANDING = "verify_understanding"
    EMPATHIZE = "empathize"
    APOLOGIZE = "apologize"
    ASK_CLARIFYING = "ask_clarifying"
    ASK_WHAT_THEY_WANT = "ask_what_they_want"
    OFFER_SOLUTION = "offer_solution"
    GET_AGREEMENT = "get_agreement"
    TAKE_ACTION = "take_action"
    EXPLAIN_NEXT_STEPS = "explain_next_steps"
    FOLLOW_UP = "follow_up"
    CONCLUDE = "conclude"
    DOCUMENT = "document"
    REFLECT = "reflect"
    TIME_OUT = "time_out"
    DELEGATE_UP = "delegate_up"
    DRAW_LINE = "draw_line"
    DISENGAGE = "disengage"
    SEEK_HELP = "seek_help"
    SELF_CARE = "self_care"
    # harmful
    INTERRUPT = "interrupt"
    ARGUE = "argue"
    BLAME_CUSTOMER = "blame_customer"
    TAKE_PERSONALLY = "take_personally"
    DISMISS = "dismiss"
    NEGATIVE_LANGUAGE = "negative_language"
    OVER_PROMISE = "over_promise"
    HOLD_WITHOUT_PERMISSION = "hold_without_permission"
    BLIND_TRANSFER = "blind_transfer"

    @property
    def harmful(self) -> bool:
        return self in HARMFUL

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: dict[Action, str] = {
    Action.PREPARE: "Get ready before engaging: posture, breath, a moment to compose yourself.",
    Action.STAY_CALM: "Keep an even, unhurried tone whatever the customer's temper.",
    Action.LISTEN: "Stay quiet and let the customer say everything they came to say.",
    Action.ACKNOWLEDGE: "A brief spoken cue that you are following ('I see', 'right').",
    Action.VERIFY_UNDERSTANDING: "Sum up the complaint in your own words and check it is right.",
    Action.EMPATHIZE: "Name the customer's feeling and show you see why they feel it.",
    Action.APOLOGIZE: "Say sorry for the trouble caused, whoever was at fault.",
    Action.ASK_CLARIFYING: "Ask the questions that reveal what actually went wrong.",
    Action.ASK_WHAT_THEY_WANT: "Ask what outcome would put things right for them.",
    Action.OFFER_SOLUTION: "Propose a fix that is within your authority.",
    Action.GET_AGREEMENT: "Check the customer accepts the proposed fix before acting.",
    Action.TAKE_ACTION: "Carry out the agreed fix straight away.",
    Action.EXPLAIN_NEXT_STEPS: "Tell the customer plainly what happens next and when.",
    Action.FOLLOW_UP: "Arrange or make a check-back that the fix worked.",
    Action.CONCLUDE: "Close the conversation courteously.",
    Action.DOCUMENT: "Record the interaction in the customer record.",
    Action.REFLECT: "Look back on what went well and what to do differently.",
    Action.TIME_OUT: "Ask permission, then pause the conversation briefly (a hold).",
    Action.DELEGATE_UP: "Bring in a supervisor or a more senior colleague, with a warm handover.",
    Action.DRAW_LINE: "State calmly and respectfully that abuse must stop for the conversation to go on.",
    Action.DISENGAGE: "End the conversation politely and offer another way to continue.",
    Action.SEEK_HELP: "Call a manager, colleague or security because safety is at risk.",
    Action.SELF_CARE: "Take a moment afterwards to recover before the next customer.",
    Action.INTERRUPT: "Cut in while the customer is still speaking.",
    Action.ARGUE: "Contradict or debate the customer.",
    Action.BLAME_CUSTOMER: "Tell the customer the problem is their own fault.",
    Action.TAKE_PERSONALLY: "Answer the customer's hostility in kind.",
    Action.DISMISS: "Play the problem down or brush it aside.",
    Action.NEGATIVE_LANGUAGE: "Lead with what cannot be done ('we can't', 'that's policy').",
    Action.OVER_PROMISE: "Promise something beyond your authority.",
    Action.HOLD_WITHOUT_PERMISSION: "Put the customer on hold without asking first.",
    Action.BLIND_TRANSFER: "Pass the customer on without explaining or handing over.",
}

HARMFUL: frozenset[Action] = frozenset(
    {
        Action.INTERRUPT,
        Action.ARGUE,
        Action.BLAME_CUSTOMER,
        Action.TAKE_PERSONALLY,
        Action.DISMISS,
        Action.NEGATIVE_LANGUAGE,
        Action.OVER_PROMISE,
        Action.HOLD_WITHOUT_PERMISSION,
        Action.BLIND_TRANSFER,
    }
)
HELPFUL: frozenset[Action] = frozenset(a for a in Action if a not in HARMFUL)


def describe(action: Action) -> str:
    return _DESCRIPTIONS[action]


def parse_action(text: str) -> Action:
    """The action spelled `text`; raises ValueError naming the valid spellings."""
    try:
        return Action(text.strip())
    except ValueError:
        raise ValueError(f"unknown action {text.strip()!r}") from None
