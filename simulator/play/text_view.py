"""What terminal play shows, as plain strings: anger meter, options, debrief, playtest notes.

Pure: every function takes values and returns text, so the view is tested without a
terminal. A `Style` says how wide the text may be and whether block characters and
colour are available; colour is only ever added on top, the words carry the meaning.
"""
from __future__ import annotations

from dataclasses import dataclass

from scoring import fail_reasons, step_label

from ..compiled import FIXED, HUNG_UP, OUT_OF_PATIENCE, RESTART
from ..engine import routing
from ..model import Band, Option, Phrasing, Scenario, State, band_of, distress_summary
from ..model import describe_condition as condition_words

__all__ = [
    "Style",
    "wrap",
    "wrap_words",
    "anger_bar",
    "sparkline",
    "anger_chart",
    "option_lines",
    "picker_lines",
    "debrief_lines",
    "debug_lines",
    "explain_route",
    "describe_condition",
]

MAX_WIDTH = 80
MIN_WIDTH = 40

_RESET = "\033[0m"
_BAND_COLOUR = {Band.CALM: "\033[32m", Band.UPSET: "\033[33m", Band.ANGRY: "\033[35m", Band.HOSTILE: "\033[31m"}
_BLOCKS = "▁▂▃▄▅▆▇█"
_ASCII_LEVELS = "_.-=+*#@"  # eight levels, like the blocks, for terminals without them


@dataclass(frozen=True)
class Style:
    width: int = MAX_WIDTH
    unicode: bool = False
    colour: bool = False

    @classmethod
    def for_columns(cls, columns: int, *, unicode: bool = False, colour: bool = False) -> "Style":
        # Never wider than 80 (long lines are hard to read), never so narrow nothing fits.
        return cls(max(MIN_WIDTH, min(MAX_WIDTH, columns)), unicode, colour)

    def paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.colour else text


def wrap_words(words: list[str], first: int, rest: int) -> list[list[str]]:
    """Greedy wrap of whole words: the first line holds `first` columns, the others `rest`.

    A word longer than a line gets a line of its own rather than being split, so a word
    revealed on screen is always the word the customer says.
    """
    lines: list[list[str]] = [[]]
    used, room = 0, first
    for w in words:
        need = len(w) if not lines[-1] else used + 1 + len(w)
        if lines[-1] and need > room:
            lines.append([w])
            used, room = len(w), rest
        else:
            lines[-1].append(w)
            used = need
    return lines if lines[0] else []


def wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    """`text` wrapped to `width` columns, the first line led by `first`, the others by `rest`."""
    rest = " " * len(first) if rest is None else rest
    rows = wrap_words(text.split(), width - len(first), width - len(rest))
    return [(first if i == 0 else rest) + " ".join(ws) for i, ws in enumerate(rows)] or [first.rstrip()]


def _bar(anger: float, style: Style, cells: int) -> str:
    filled = int(round(max(0.0, min(100.0, anger)) / 100 * cells))
    full, empty = ("█", "░") if style.unicode else ("#", ".")
    return "[" + style.paint(full * filled, _BAND_COLOUR[band_of(anger)]) + empty * (cells - filled) + "]"


def anger_bar(anger: float, style: Style, cells: int = 20, number: bool = False) -> str:
    """The anger meter: band name in words, then a bar (and the number when asked)."""
    tail = f" {anger:5.1f}" if number else ""
    return f"anger: {band_of(anger).value.upper():<7} {_bar(anger, style, cells)}{tail}"


def sparkline(values: list[float], style: Style) -> str:
    """One character per value, 0 to 100 mapped onto eight heights."""
    levels = _BLOCKS if style.unicode else _ASCII_LEVELS
    return "".join(levels[min(len(levels) - 1, int(max(0.0, v) / 100 * len(levels)))] for v in values)


def anger_chart(trace: list[float], style: Style) -> list[str]:
    """Anger at the start and after each turn: a row per turn, then a sparkline of them all."""
    rows = []
    cells = max(10, min(40, style.width - 28))
    for i, a in enumerate(trace):
        label = "start" if i == 0 else f"turn {i}"
        rows.append(f"  {label:>8}  {a:5.1f} {band_of(a).value:<7} {_bar(a, style, cells)}")
    line = sparkline(trace, style)
    room = style.width - 12
    for k in range(0, len(line), room):  # a very long session wraps its trend line
        rows.append(f"  {'trend' if k == 0 else '':>8}  {line[k:k + room]}")
    return rows


def option_lines(options: list[Option], style: Style, debug: bool = False) -> list[str]:
    out = []
    for i, o in enumerate(options, 1):
        out += wrap(o.text, style.width, f"  {i:>2}) ", " " * 6)
        if debug:
            out += wrap(f"[{o.id}: {', '.join(a.value for a in o.actions)}]", style.width, " " * 6)
    return out


def picker_lines(scenarios: list[Scenario], style: Style, protocol_title=lambda pid: pid) -> list[str]:
    """The numbered list of installed scenarios: title, then what kind of conversation it is
    and the protocol it is scored on, by the protocol's title."""
    out = []
    for i, sc in enumerate(scenarios, 1):
        out += wrap(sc.title, style.width, f"  {i:>2}. ", " " * 6)
        where = sc.setting.value.replace("_", " ")
        detail = f"{where}, {sc.industry}; starts {band_of(sc.persona.anger).value}; scored on {protocol_title(sc.protocol)}"
        out += wrap(detail, style.width, " " * 6)
    return out


def _component_text(components: dict) -> str:
    return "  ".join(f"{k} {v:.2f}" for k, v in components.items() if v is not None)


def debrief_lines(score, state: State, scenario: Scenario, protocol, style: Style) -> list[str]:
    """The end of a session: each step done or missed, the feedback, the anger after every
    turn, and last the total and pass/fail, so the verdict is what stays on screen (a
    debrief is longer than an 80x24 terminal)."""
    w = style.width
    verdict = style.paint("PASS", "\033[32m") if score.passed else style.paint("FAIL", "\033[31m")
    ending = state.outcome.value.replace("_", " ") if state.outcome else "not finished"
    out = ["=" * w, f"Debrief: {scenario.title}", "=" * w]
    out += wrap(
        f"Ending: {ending} after {len(state.turns)} turn{'s' if len(state.turns) != 1 else ''}; "
        f"anger {state.anger_start:.0f} -> {state.anger:.0f} ({band_of(state.anger).value}).",
        w,
    )
    if (distress := distress_summary(state)) is not None:
        out += wrap(distress + ".", w)
    out += wrap(f"Protocol: {protocol.title} ({protocol.id})", w)
    out += ["", "Steps (* critical):"]
    for s in score.steps:
        mark = "[x]" if s.performed else ("[-]" if not s.applicable else "[ ]")
        when = f"{step_label(s):<16}"
        out += wrap(f"{s.title}{' *' if s.critical else ''}", w, f"  {mark} {when} ", " " * 23)
    if score.feedback:
        out += ["", "Feedback:"]
        for f in score.feedback:
            out += wrap(f.message, w, "  - ")
    out += ["", "Anger after each turn:"]
    out += anger_chart(state.anger_trace, style)
    out += ["", "-" * w]
    out.append(f"Score: {score.total:.1f} / 100  {verdict}  (pass mark {score.pass_mark:.0f})")
    out += wrap(_component_text(score.components), w, "  ")
    if not score.passed:
        out += wrap("Not passed: " + ", ".join(fail_reasons(score)) + ".", w, "  ")
    return out


# ---------------------------------------------------------------- the trainer's playtest


PLAYTEST_WORDS = Phrasing(parts=" and ", items=", ", bands=", ", band="band is ", band_set="band in ")


def describe_condition(cond) -> str:
    """A condition as the playtest's sentences say it (the graph says it the same way, tighter)."""
    return condition_words(cond, PLAYTEST_WORDS)


def explain_route(scenario: Scenario, after: State, option: Option, before: State | None = None) -> str:
    """Which way the last choice went and why: the engine's own `route` and `settle`, re-run
    on the anger the reply left, the actions counted with this turn's, and the flags with this
    answer's `set:` (what the engine used; `before` is the state the answer was given in)."""
    r = routing(scenario, after, before)
    if r.reason == RESTART:
        why = "interrupted vent: it starts again"
    elif r.reason == FIXED:
        why = "fixed goto"
    else:
        # routes are decided after the customer's reaction to the reply, which is the part
        # trainers get wrong: say so, with the anger that was used
        cond = (describe_condition(r.condition) if r.condition is not None else "otherwise") if r.reason >= 0 else ""
        why = f"route {r.reason + 1} of {r.routes}: {cond}" if r.reason >= 0 else "no route matched"
        why += f"; decided after the reply, at anger {r.anger:.1f} ({band_of(r.anger).value})"
        if r.passed_over:
            why += "; did not hold: " + ", ".join(f"route {i} ({describe_condition(c)})" for i, c in enumerate(r.passed_over, 1))
    text = f"{r.node} -> {r.planned} ({why})"
    if r.settled in (HUNG_UP, OUT_OF_PATIENCE):
        reason = "anger reached 100" if r.settled == HUNG_UP else "patience ran out"
        text += f"; {reason}: the customer left" + (f", so -> {r.goto}" if r.goto != r.planned else "")
    return text


def debug_lines(scenario: Scenario, before: State, after: State, option: Option, style: Style) -> list[str]:
    """What a trainer checks after each choice: anger, actions, vent restart, routing."""
    turn = after.turns[-1]
    added = [a.value for a in turn.actions if a not in option.actions]
    acts = ", ".join(a.value for a in turn.actions)
    timing = f"{turn.elapsed:.1f} s into the line" if turn.elapsed is not None else "no timing"
    rows = [
        f"anger {before.anger:.1f} -> {after.anger:.1f} ({band_of(before.anger).value} -> "
        f"{band_of(after.anger).value}, {after.anger - before.anger:+.1f})",
        f"counted as: {acts}" + (f" (added: {', '.join(added)})" if added else ""),
        f"answered {timing}; interrupted: {'yes' if turn.interrupted else 'no'}; "
        f"vent restarted: {'yes' if turn.restarted_vent else 'no'}",
        f"route: {explain_route(scenario, after, option, before)}",
    ]
    if turn.anger_reply is not None:  # the next node moved the customer's anger by itself
        node = scenario.node(after.node)
        how = f"mood {node.mood.value}" if node.mood is not None else f"anger_delta {node.anger_delta:+g}"
        rows.append(f"on arriving at {after.node} ({how}): anger {turn.anger_reply:.1f} -> {after.anger:.1f}")
    if turn.distress_after is not None and before.distress is not None and turn.distress_after != before.distress:
        rows.append(f"distress {before.distress:.1f} -> {turn.distress_after:.1f}")
    if after.flags and after.flags != before.flags:  # flags (1/0) and counters, when this turn changed any
        rows.append("flags and counters: " + ", ".join(f"{k}={v}" for k, v in after.flags))
    out = []
    for r in rows:
        out += wrap(r, style.width, "  [debug] ", " " * 10)
    return out
