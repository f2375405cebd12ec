"""The options on screen as a JSGF grammar, and decoded words back into an option.

Each option may be said whole or as any leading part of it (a unique prefix picks it);
its number may be said too ("two", "option two", "number two"). Words the recogniser's
dictionary does not know are left out of the grammar (a rare name or a reference such
as "R-5521"), so the rest of the option can still be said.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from ..answers import NUMBER_WORDS, Verdict

__all__ = ["Said", "words_of", "build_jsgf", "interpret"]

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NUMBER_LEAD = ("option", "number")
_DIGITS = {str(i + 1): w for i, w in enumerate(NUMBER_WORDS)}


@dataclass(frozen=True)
class Said:
    verdict: Verdict
    option: str | None = None
    candidates: tuple[str, ...] = ()


def words_of(text: str, known: Callable[[str], bool]) -> list[str]:
    """The option's words as the recogniser can hear them: lower case, digits 1-9 as words, unknown words out."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"\b([1-9])\b", lambda m: " " + _DIGITS[m.group(1)] + " ", text)
    return [w for w in _WORD.findall(text) if known(w)]


def build_jsgf(options: Sequence[tuple[str, str]], known: Callable[[str], bool]) -> str:
    """A JSGF grammar: any option, or a leading part of one, or an option's number."""
    rules, alts = [], []
    for i, (_, text) in enumerate(options):
        words = words_of(text, known)
        if not words:
            continue
        body = words[0] + "".join(" [" + w for w in words[1:]) + "]" * (len(words) - 1)
        rules.append(f"<o{i}> = {body};")
        alts.append(f"<o{i}>")
    numbers = " | ".join(NUMBER_WORDS[: max(1, min(len(options), len(NUMBER_WORDS)))])
    alts.append(f"[{' | '.join(_NUMBER_LEAD)}] ({numbers})")
    return "#JSGF V1.0;\ngrammar answers;\npublic <answer> = " + " | ".join(alts) + ";\n" + "\n".join(rules) + "\n"


def interpret(heard: Sequence[str], options: Sequence[tuple[str, str]], known: Callable[[str], bool]) -> Said:
    """Which option the decoded words name: a number, a whole option, or a leading part of just one."""
    heard = [w for w in heard if not w.startswith(("<", "[", "++"))]
    if not heard:
        return Said(Verdict.NONE)
    rest = heard[1:] if len(heard) == 2 and heard[0] in _NUMBER_LEAD else heard
    if len(rest) == 1 and rest[0] in NUMBER_WORDS:
        n = NUMBER_WORDS.index(rest[0]) + 1
        if n <= len(options):
            # "one" may also be the start of an option; a bare number is the number
            return Said(Verdict.CHOSEN, options[n - 1][0])
    forms = [(oid, words_of(text, known)) for oid, text in options]
    whole = [oid for oid, w in forms if w == list(heard)]
    if len(whole) == 1:
        return Said(Verdict.CHOSEN, whole[0])
    starts = [oid for oid, w in forms if w[: len(heard)] == list(heard)]
    if len(starts) == 1:
        return Said(Verdict.CHOSEN, starts[0])
    if len(starts) > 1:
        return Said(Verdict.CLOSE, candidates=tuple(starts[:2]))
    return Said(Verdict.NONE)
