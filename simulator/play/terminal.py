"""Terminal play, `defuse play [SCENARIO] --text`: the role-play in any plain terminal.

The customer's line is revealed word by word at their speaking pace; an answer typed
before it ends counts as cutting in (the engine decides what that means, so keeping quiet
never does). Each turn is committed through a `Recorder`, so quitting, Ctrl-C or a lost
connection leaves the session saved as incomplete. When the session store fails mid-session
(disk full, locked, damaged), one line says what failed and what was kept, and the trainee
chooses whether to go on without saving (y) or to stop there (N, or no more input). With --debug, a trainer sees after
each choice how anger moved, what the choice counted as and which way it routed.
With --lang (or `l` in the picker) a translated scenario is played; with --debug, the
lines still shown in the source language are listed when the session starts.
"""
from __future__ import annotations

import signal
import sys

from ..diagnostics import DefuseError
from ..library import Library, protocol
from ..model import Option, Scenario, distress_word
from ..session import Recorder, fresh_seed
from ..store import Store
from ..translations import NoTranslation, check_language, library_languages, localize
from .answers import Verdict, match_answer
from .conversation import Conversation, begin_session, kept_note, saving_note
from .listening.source import MicrophoneSource
from .profile import clean_name, load_profile, save_profile
from .text_console import Console, pace_setting
from .text_view import anger_bar, debrief_lines, debug_lines, option_lines, picker_lines, wrap

__all__ = ["run", "play"]

QUIT = frozenset({"q", "quit", "exit"})
_HELP = frozenset({"?", "h", "help"})


class _Quit(Exception):
    """The trainee typed q."""


class _StoreFailed(Exception):
    """The session store failed and the trainee chose not to go on without saving."""


def run(args, library: Library, store: Store | None) -> int:
    return play(args, library, store)


def play(args, library: Library, store: Store | None, console: Console | None = None, source=None) -> int:
    """Play as the arguments say, from `library`, saving to `store` (None: nothing is saved), on
    `console` (default: this terminal); returns the exit status. Whoever opened the store closes it.

    `source` is where spoken answers come from (default, with --voice-answers: the microphone).
    """
    chosen = protocol(args.protocol) if args.protocol else None  # an unknown id fails before anything starts
    language = getattr(args, "lang", None)
    if language:
        check_language(language)
    entry = library.get(args.scenario) if args.scenario else None
    if entry is not None and language:
        localize(entry, language)  # no translation, or a broken one, fails before anything starts
    game = TextGame(
        console or Console.for_terminal(),
        library,
        store,
        trainee=args.trainee,
        protocol=chosen,
        seed=args.seed,
        debug=args.debug,
        pace=getattr(args, "pace", None),
        language=language,
        source=source if source is not None else _microphone(args),
    )
    if entry is not None:
        game.entries[entry.scenario.id] = entry
    return game.main(entry.scenario if entry else None)


class TextGame:
    """One terminal sitting: the name, the picker, sessions, debriefs, retries."""

    def __init__(self, console: Console, library: Library, store, *, trainee=None, protocol=None, seed=None, debug=False, pace=None, language=None, source=None):
        self.console = console
        self.library = library
        self.store = store
        self.trainee = clean_name(trainee) if trainee else None
        self.protocol = protocol
        self.seed = seed
        self.debug = debug
        self.pace = pace_setting(pace)  # None: the customer's own rate, as in the window
        self.language = language  # None: each scenario in the language it is written in
        self.entries: dict = {}  # scenario id -> library entry (where its translations are)
        self.recorder: Recorder | None = None
        self.conversation: Conversation | None = None  # decides every question of timing
        self._typed: Option | None = None  # the option the last typed words clearly matched
        self._words: str | None = None  # the trainee's own words this turn, if they typed any
        self._close: tuple[str, ...] = ()  # the two options those words were too close to call between
        self.source = source  # spoken answers: where the voice comes from (None: typed only)
        self.voice = None  # the Listener, while a sitting runs
        self._offer = 0  # the options the listener is hearing answers to
        self._options: list[Option] = []
        self._onset: float | None = None  # when the trainee began speaking this turn (console clock)
        self._spoken: str | None = None  # the option the trainee's voice picked this turn

    # ------------------------------------------------------------ the sitting

    def main(self, scenario: Scenario | None) -> int:
        try:
            return self._sitting(scenario)
        finally:
            if self.voice is not None:
                self.voice.close()
                self.console.reader.also = None

    def _sitting(self, scenario: Scenario | None) -> int:
        try:
            if self.source is not None and self.voice is None:
                from .listening.listener import Listener  # pocketsphinx: loaded only for spoken answers

                self.voice = Listener(self.source)
                self.console.write("Starting the microphone for spoken answers...")
                self.voice.wait_ready(15.0)
                self.console.reader.also = self._hear
                if self.voice.notice is not None:
                    self.console.write(self._fold(self.voice.notice + " Type your answers instead."))
                elif self.voice.ready:
                    self.console.write("Listening: say an answer (all of it, its start, or its number) or type it.")
            if self.trainee is None:
                self.trainee = self._ask_name()
            while True:
                if scenario is None:
                    scenario = self._pick()
                    if scenario is None:
                        return 0
                self._session(scenario)
                what = self._next()
                if what == "quit":
                    return 0
                if what == "another":
                    scenario = None
        except _Quit:
            self._left("You left the session")
            return 0
        except _StoreFailed:
            return 1  # the line saying what failed and what was kept is out
        except EOFError:
            if self._in_session():
                self.console.write("")
                self._left("defuse: the input ended", stream=sys.stderr)
                return 1
            return 0
        except KeyboardInterrupt:
            # A second Ctrl-C while the session is being closed must not cut the save short.
            previous = _ignore_sigint()
            try:
                self.console.write("")
                self._left("defuse: interrupted", stream=sys.stderr)
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            return 130

    def _in_session(self) -> bool:
        return self.recorder is not None and not self.recorder.finished

    def _left(self, why: str, stream=None) -> None:
        """Close an unfinished session (kept, marked incomplete) and say so on one line."""
        rec = self.recorder
        if rec is None or rec.finished:
            msg = f"{why}."
        else:
            if self.conversation is not None and self.conversation.fault is not None:
                rec.detach()  # interrupted while asked about a failed store: nothing more is written to it
            rec.finish()
            n = len(rec.state.turns)
            msg = f"{why} after {n} turn{'s' if n != 1 else ''}; {kept_note(rec)}."
        if stream is None:
            self.console.write(msg)
        else:
            stream.write(msg + "\n")
            stream.flush()

    def _ask_name(self) -> str:
        name = load_profile().trainee
        if name:
            self.console.write(f"Playing as {name} (use --trainee NAME to play as someone else).")
            return name
        while True:
            name = clean_name(self.console.ask("Your name, for your session records: "))
            if name:
                save_profile(trainee=name)
                return name
            self.console.write("Please type a name (any name you like).")

    def _pick(self) -> Scenario | None:
        scenarios = [e.scenario for e in self.library.in_order()]  # the window's order too
        for problem in self.library.problems:
            sys.stderr.write(f"{problem}\n")
        self.library.problems.clear()
        if not scenarios:
            self.console.write("No scenarios are installed.")
            return None
        self.entries.update((e.scenario.id, e) for e in self.library.entries().values())
        languages = library_languages(self.library)
        c = self.console
        c.write("")
        c.write("Scenarios:")
        c.lines(picker_lines(scenarios, c.style, _protocol_title))
        while True:
            lang = f", l for the language (now {self.language or 'as written'})" if languages else ""
            text = c.ask(f"Choose a scenario (1-{len(scenarios)}){lang}, or q to quit: ")
            if text.lower() in QUIT:
                return None
            if languages and text.lower() in ("l", "lang", "language"):
                self._choose_language(languages)
                continue
            picked = _pick_by(text, scenarios, lambda s: s.id)
            if picked is not None:
                return picked
            c.write(f"Please type a number from 1 to {len(scenarios)}.")

    def _choose_language(self, languages: list[str]) -> None:
        c = self.console
        choices = ["as written"] + languages
        c.lines([f"  {i}. {name}" for i, name in enumerate(choices, start=1)])
        while True:
            text = c.ask(f"Language (1-{len(choices)}): ").strip()
            picked = _pick_by(text, choices, lambda s: s)
            if picked is not None:
                self.language = None if picked == "as written" else picked
                c.write(f"Scenarios will be played {'as written' if self.language is None else 'in ' + self.language}.")
                return
            c.write(f"Please type a number from 1 to {len(choices)}.")

    def _translated(self, scenario: Scenario) -> tuple[Scenario, str | None]:
        """The scenario in the chosen language, when it has that translation."""
        entry = self.entries.get(scenario.id)
        if not self.language or entry is None or entry.scenario is not scenario:
            return scenario, None
        try:
            done = localize(entry, self.language)
        except NoTranslation:
            self.console.lines(wrap(f"({scenario.title} is not translated into {self.language}: it is played as written.)", self.console.style.width))
            return scenario, None
        if self.debug and done.missing:
            self.console.lines(wrap(f"[debug] not translated into {self.language}, shown as written: {', '.join(done.missing)}", self.console.style.width))
        return done.scenario, self.language

    def _next(self) -> str:
        c = self.console
        while True:
            text = c.ask("Retry (r), another scenario (a) or quit (q)? ").lower()
            if text in ("r", "retry"):
                return "retry"
            if text in ("a", "another"):
                return "another"
            if text in QUIT:
                return "quit"
            c.write("Please type r, a or q.")

    # ------------------------------------------------------------ one session

    def _session(self, scenario: Scenario) -> None:
        entry = self.entries.get(scenario.id)
        source = (entry.source, entry.digest) if entry is not None and entry.digest else None
        scenario, language = self._translated(scenario)
        proto = self.protocol or protocol(scenario.protocol)
        rec, fault = begin_session(scenario, proto, self.store, trainee=self.trainee, seed=fresh_seed(self.seed), mode="text", language=language, source=source)
        self.recorder = rec
        c, w = self.console, self.console.style.width
        c.write("")
        c.write("=" * w)
        c.lines(wrap(scenario.title, w))
        c.write("=" * w)
        c.lines(wrap(scenario.summary, w))
        c.lines(wrap(f"{scenario.setting.value.replace('_', ' ')}, {scenario.industry}; you are scored on: {proto.title}.", w))
        if scenario.goals:
            c.write("What to practise:")
            for g in scenario.goals:
                c.lines(wrap(g, w, "  - "))
        c.lines(wrap(
            "Answer by typing the number of an option, or what you would say in your own words, and pressing Enter, at any time. "
            f"Answering before {scenario.persona.name} has finished speaking is cutting in. q leaves.",
            w,
        ))
        conv = self.conversation = Conversation(rec, c.clock(), pace=self.pace)
        if fault is not None:  # the store could not even begin the session
            conv.fault = fault
            self._store_failed(conv)
        while not rec.finished:
            self._turn(conv)
        c.write("")
        c.reveal(_speaker(scenario, conv.node), conv.delivery, conv.started_at)
        c.write("")
        c.lines(debrief_lines(rec.result, rec.state, scenario, proto, c.style))
        c.write("")
        c.write(saving_note(rec))

    def _turn(self, conv: Conversation) -> None:
        c, w = self.console, self.console.style.width
        rec = conv.recorder
        scenario = rec.scenario
        node = conv.node
        options = conv.options
        if not options:
            # The loader makes every node reachable and answerable; this is a guard, not a path.
            raise DefuseError(f"scenario {scenario.id!r}: node {node.id!r} offers no option at anger {rec.state.anger:.0f}")
        head = f"-- Turn {len(rec.state.turns) + 1} "
        c.write("")
        c.write(head + "-" * (w - len(head)))
        c.write(anger_bar(rec.state.anger, c.style, number=self.debug))
        if rec.state.distress is not None:  # a frightened or despairing customer
            c.write(f"Distress: {distress_word(rec.state.distress)} ({rec.state.distress:.0f}/100)")
        if self.debug:
            flags = [f for f in ("venting", "threat", "abuse") if getattr(node.line, f)]
            c.lines(wrap(f"[debug] node {node.id}" + (f"; {', '.join(flags)}" if flags else ""), w))
        c.lines(option_lines(options, c.style, self.debug))
        self._words = None
        self._close = ()
        self._listen_to(options)
        delivery, began = conv.delivery, conv.started_at
        answer, shown = c.reveal(_speaker(scenario, node), delivery, began, lambda t: self._check(t, options))
        while answer is None:
            text = c.ask(f"Your answer (1-{len(options)}): ")
            verdict = self._check(text, options) if text else f"Please type a number from 1 to {len(options)}, or what you would say."
            if verdict is True:
                answer = text
            else:
                c.write(verdict)
        if answer.lower() in QUIT:
            raise _Quit
        option = _pick_by(answer, options, lambda o: o.id) or self._typed
        words = self._words if option.id in self._close or option is self._typed else None
        # a spoken answer cut in if the trainee began before the line ended, however long
        # the words then took to recognise: the conversation decides from when they began
        spoke_at = self._onset if option.id == self._spoken else None
        before = rec.state
        after = conv.choose(option.id, c.clock(), words=words, spoke_at=spoke_at)
        self._options = []  # nothing is listened for until the next turn's options are up
        turn = after.turns[-1]
        c.lines(wrap(option.text, w, "You: "))
        name = scenario.persona.name
        if turn.interrupted:
            c.lines(wrap(f"(You spoke before {name} had finished.)", w))
        if turn.restarted_vent:
            c.lines(wrap(f"({name} starts again from the beginning.)", w))
        if self.debug:
            c.lines(debug_lines(scenario, before, after, option, c.style))
        if conv.fault is not None:
            self._store_failed(conv)
        if conv.tail is not None and conv.tail[1] == began and shown < len(delivery.words):
            # they were left to finish: the rest of the line, at its own pace
            c.reveal(f"{_speaker(scenario, node)}... ", delivery, began, first=shown)

    def _store_failed(self, conv: Conversation) -> None:
        """The store failed saving the turn just taken: say what failed and what was kept, in one
        line, and ask whether to go on without saving (no answer, or no more input, stops here)."""
        sys.stderr.write(f"defuse: {conv.fault.line}\n")
        sys.stderr.flush()
        try:
            answer = self.console.ask("Go on without saving? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            raise _StoreFailed
        conv.go_on_unsaved()
        self.console.lines(wrap("Going on without saving: nothing more of this session is written.", self.console.style.width))

    def _check(self, text: str, options: list[Option]) -> bool | str:
        """True when `text` is an answer (an option, q, or words that clearly match one); otherwise a note.

        Words that match one option clearly are taken as that option (kept as the trainee's
        own words); words close to two options show both, to be picked by number; words
        near none ask again.
        """
        self._typed = None
        if text.lower() in QUIT or _pick_by(text, options, lambda o: o.id) is not None:
            return True
        if text.lower() in _HELP:
            return self._fold(f"Type the number of what you want to say or do (1-{len(options)}), or say it in your own words, and press Enter; q leaves.")
        m = match_answer(text, [(o.id, o.text) for o in options])
        if m.verdict is Verdict.CHOSEN:
            self._typed = next(o for o in options if o.id == m.option)
            self._words = text
            return True
        if m.verdict is Verdict.CLOSE:
            self._words, self._close = text, m.candidates
            numbered = {o.id: i for i, o in enumerate(options, start=1)}
            pair = " or ".join(f"{numbered[cid]}) {next(o.text for o in options if o.id == cid)}" for cid in m.candidates)
            return self._fold(f"That could be either {pair}. Type the number you mean.")
        return self._fold(f"That is not close enough to any answer. Please type a number from 1 to {len(options)}, or put it another way (q to leave).")

    # ------------------------------------------------------------ spoken answers

    def _listen_to(self, options: list[Option]) -> None:
        self._options = options
        self._onset = None
        self._spoken = None
        if self.voice is not None and not self.voice.finished:
            self._offer = self.voice.offer([(o.id, o.text) for o in options])

    def _hear(self) -> str | None:
        """What the microphone said since the last look, as a typed line (the option's number), or None."""
        from .listening.listener import Heard, Notice, Onset  # pocketsphinx, loaded once spoken answers started

        if self.voice is None:
            return None
        line = None
        for e in self.voice.poll():
            if isinstance(e, Notice):
                self.console.write("")
                self.console.write(self._fold(e.text + " Type your answers instead."))
            elif getattr(e, "offer", None) != self._offer or not self._options:
                continue  # an answer to options no longer on screen
            elif isinstance(e, Onset):
                if self._onset is None:
                    self._onset = e.at
            elif isinstance(e, Heard) and line is None:
                numbered = {o.id: i for i, o in enumerate(self._options, start=1)}
                r = e.result
                if r.verdict is Verdict.CHOSEN and r.option in numbered:
                    self.console.write("")
                    self.console.write(self._fold(f"(heard: \u201c{r.words}\u201d)"))
                    self._spoken, self._words, self._close = r.option, r.words, (r.option,)
                    line = str(numbered[r.option])
                elif r.verdict is Verdict.CLOSE:
                    self._words, self._close = r.words, r.candidates
                    pair = " or ".join(f"{numbered[cid]}) {next(o.text for o in self._options if o.id == cid)}" for cid in r.candidates if cid in numbered)
                    self.console.write("")
                    self.console.write(self._fold(f"(heard: \u201c{r.words}\u201d) That could be either {pair}. Say or type the number you mean."))
                else:
                    self.console.write("")
                    self.console.write(self._fold("Sorry, I did not catch that. Say it again, or type the number."))
        return line

    def _fold(self, note: str) -> str:
        return "\n".join(wrap(note, self.console.style.width))


def _microphone(args, force: bool = False):
    """The microphone as the source of spoken answers, if --voice-answers asked for them (or `force`)."""
    if not (force or getattr(args, "voice_answers", False)):
        return None
    if getattr(args, "microphone", None):
        save_profile(microphone=args.microphone)
    return MicrophoneSource(_device(getattr(args, "microphone", None) or load_profile().microphone))


def _device(name):
    """A device given as a number is PortAudio's index; anything else is (part of) its name."""
    if isinstance(name, str) and name.strip().isdigit():
        return int(name)
    return name or None


def _ignore_sigint():
    """Ignore Ctrl-C for a moment; returns the handler to put back (None off the main thread)."""
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        return None


def _speaker(scenario: Scenario, node) -> str:
    return "" if node.narration else f"{scenario.persona.name}: "


def _protocol_title(pid: str) -> str:
    try:
        return protocol(pid).title
    except DefuseError:  # not installed here: the scenario would not have loaded, but say something
        return pid


def _pick_by(text: str, items: list, key):
    """The item numbered `text` (1-based), or the one whose id is `text`, else None."""
    text = text.strip()
    if text.isascii() and text.isdigit():  # '¹' and '٣' are digits to str.isdigit, not to int()
        n = int(text)
        return items[n - 1] if 1 <= n <= len(items) else None
    return next((x for x in items if key(x) == text), None)
