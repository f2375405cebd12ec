"""The trainee's own words, typed or spoken, matched to the options on screen.

Pure: text in, a `Match` out. A clear winner is taken; two options too close to call are
offered back as the two candidates; anything else is no match (ask again). The scoring
is rapidfuzz's: a token-set comparison of the content words (so a short answer that keeps
an option's key words scores high) blended with its weighted ratio over the whole text (so
word order and small typos still count). An option's number ("2", "two", "option two")
always picks that option.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

from rapidfuzz import fuzz

__all__ = ["Verdict", "Match", "match_answer", "number_in", "normalise", "ACCEPT", "MARGIN", "FLOOR", "NUMBER_WORDS"]

ACCEPT = 62.0  # the best option must score at least this to be taken...
MARGIN = 12.0  # ...and beat the runner-up by this much; otherwise it is a close call
FLOOR = 45.0  # below this nothing is close enough even to offer

NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
_NUMBER_LEAD = ("option", "number", "answer", "choice", "the")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Words that carry no meaning on their own: left out of the content comparison, so "I'll"
# or "the" cannot make two unrelated sentences look alike.
_STOP = frozenset(
    """a an the and or but so to of in on at for with by from as is are was were be been am
    i i'm i'll i'd i've me my we we're we'll our us you you're you'll you've your it it's its
    that that's this these those there there's here he she him her his they them their
    do does did don't can can't could would should will shall just really very now then
    yes no not okay ok oh well right please sir madam""".split()
)


class Verdict(Enum):
    CHOSEN = "chosen"  # one option, clearly
    CLOSE = "close"  # two options, too close to call: ask which
    NONE = "none"  # nothing near: ask again


@dataclass(frozen=True)
class Match:
    verdict: Verdict
    option: str | None = None  # the chosen option's id (CHOSEN)
    candidates: tuple[str, ...] = ()  # the two ids to choose between (CLOSE), best first
    score: float = 0.0  # the best option's score, 0-100


def normalise(text: str) -> list[str]:
    """Lower-case words, apostrophes kept inside words ("don't"), everything else dropped."""
    return _WORD.findall(text.lower().replace("’", "'"))


def number_in(words: Sequence[str], count: int) -> int | None:
    """The option number (1-based) that `words` name, if that is all they are: "2", "two", "option two"."""
    words = list(words)
    while len(words) > 1 and words[0] in _NUMBER_LEAD:
        words = words[1:]
    if len(words) != 1:
        return None
    w = words[0]
    n = None
    if w.isdigit():
        n = int(w)
    elif w in NUMBER_WORDS:
        n = NUMBER_WORDS.index(w) + 1
    elif w in _ORDINALS:
        n = _ORDINALS.index(w) + 1
    return n if n is not None and 1 <= n <= count else None


def _content(words: Sequence[str]) -> str:
    kept = [w for w in words if w not in _STOP]
    return " ".join(kept or words)


def _score(said: list[str], option: list[str]) -> float:
    a, b = " ".join(said), " ".join(option)
    content = fuzz.token_set_ratio(_content(said), _content(option))
    whole = fuzz.WRatio(a, b)
    return 0.6 * content + 0.4 * whole


def match_answer(text: str, options: Sequence[tuple[str, str]]) -> Match:
    """Match the trainee's `text` against `options`, given as (id, text) in the order shown."""
    said = normalise(text)
    if not said or not options:
        return Match(Verdict.NONE)
    n = number_in(said, len(options))
    if n is not None:
        return Match(Verdict.CHOSEN, options[n - 1][0], score=100.0)
    scored = sorted(((_score(said, normalise(t)), i) for i, (_, t) in enumerate(options)), key=lambda x: (-x[0], x[1]))
    best, i = scored[0]
    second, j = scored[1] if len(scored) > 1 else (0.0, -1)
    if best < FLOOR:
        return Match(Verdict.NONE, score=best)
    if best >= ACCEPT and best - second >= MARGIN:
        return Match(Verdict.CHOSEN, options[i][0], score=best)
    if j >= 0 and second >= FLOOR:
        return Match(Verdict.CLOSE, candidates=(options[i][0], options[j][0]), score=best)
    if best >= ACCEPT:
        return Match(Verdict.CHOSEN, options[i][0], score=best)
    return Match(Verdict.NONE, score=best)
