"""`defuse play`: the pygame role-play window, and its scripted (autoplay) mode.

`run(args)` is the only place pygame is initialised. The `App` holds what the screens
share (fonts, the scenario library, the session store, the speaker and the mixer) and
switches between them. The loop draws at most 60 frames a second while something on
screen moves, and otherwise sleeps in `event.wait`, drawing only when an event or a new
status line (the voice's progress) changes the picture, so an idle window costs almost no CPU.

With --autoplay the same screens are driven by scripted choices on a simulated clock (no
real waiting, no audio): an `id!` is chosen a moment into the customer's line, a plain `id`
once the line has been said. One PNG is saved per turn and one of the debrief.
"""
from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

from ..diagnostics import IllegalChoice
from ..library import Library, UnknownName, protocol, protocols
from ..policies import parse_choices
from ..session import fresh_seed
from ..store import Store
from ..translations import NoTranslation, localize
from .conversation import begin_session
from .display import has_display
from .profile import TEXT_SIZES, clean_name, clean_text_size, load_profile, save_profile
from .speech import Speaker
from .terminal import _microphone

__all__ = ["run", "App", "DEFAULT_SIZE", "autoplay"]

DEFAULT_SIZE = (1280, 800)
MIN_SIZE = (800, 600)  # the smallest window every screen is laid out for
_FPS = 60
_EARLY = 0.8  # seconds into a line at which a scripted `id!` cuts in


class App:
    """What the screens share, and the switches between them.

    It is handed the scenario library and the session store (None: nothing is saved); whoever
    opened the store closes it.
    """

    def __init__(self, args, library: Library, store: Store | None, *, autoplaying: bool = False):
        # pygame and the modules drawing with it load only once a window opens (never for `defuse run`)
        import pygame

        from .audio import Playback
        from .theme import Fonts

        self.args = args
        self.autoplaying = autoplaying
        # the trainee's text size (--text-size, else the one they last chose); `fit_text` holds the
        # size actually drawn to what the window's size can lay out
        chosen = getattr(args, "text_size", None)
        if chosen is None:  # scripted runs keep to 1.0, so their screenshots never depend on the machine
            chosen = 1.0 if autoplaying else (load_profile().text_size or 1.0)
        self.text_scale = _clamp_scale(chosen)
        self.fonts = Fonts(self.text_scale)
        self.library = library
        self._protocol, self._protocols = protocol, protocols
        self.store = store
        self.trainee = args.trainee or load_profile().trainee or ("trainee" if autoplaying else "")
        self.now = 0.0
        self.running = True
        self.failure: str | None = None  # why the window closed itself (the store failed and the trainee stopped there)
        self.scene = None
        self.pending_scenario: str | None = None  # named on the command line, played once the name is known
        self.language: str | None = getattr(args, "lang", None)  # None: scenarios as written
        self.language_notice: str | None = None  # a scenario played as written for want of a translation
        # Scripted runs are silent: their clock is simulated, so audio could never keep pace.
        voiced = not (args.no_speech or autoplaying)
        self.playback = Playback() if voiced else None
        # no sound card: nothing to hear, so nothing to render (the captions keep the persona's pace)
        self.speaker = Speaker() if voiced and self.playback.ready else None
        if self.speaker is not None:
            self.speaker.warm_up()  # start the engine while the trainee reads the picker
        self._pygame = pygame
        # spoken answers (--voice-answers, F2): the listener starts once, the first time they are on
        self.t0 = time.monotonic()  # the app clock's zero on the monotonic clock (microphone times)
        self.listener = None
        self.voice_on = False
        if getattr(args, "voice_answers", False) and not autoplaying:
            self.toggle_voice()

    # -- shared lookups

    def protocol_title(self, pid: str) -> str:
        try:
            return self._protocol(pid).title
        except UnknownName:
            return pid

    def protocol_list(self) -> list:
        return list(self._protocols().values())

    def notices(self) -> list[tuple[str, bool]]:
        """(text, is_warning): one line per reason (no speech engine, no audio device), and render progress."""
        out = []
        if self.speaker is not None:
            if self.speaker.notice:
                out.append((self.speaker.notice, True))
            elif self.speaker.busy:
                done, total = self.speaker.progress
                out.append((f"Preparing the voice: {done} of {total} lines", False))
        if self.playback is not None and self.playback.notice:
            out.append((self.playback.notice, True))
        if self.language_notice:
            out.append((self.language_notice, True))
        if self.listener is not None and self.listener.notice:
            out.append((self.listener.notice, True))
        elif self.voice_on:
            out.append(("Listening for spoken answers (F2 stops)" if self.listener.ready else "Starting the microphone…", False))
        return out

    def localized(self, entry):
        """The entry's scenario in the chosen language when it has that translation, else as written."""
        self.language_notice = None
        if not self.language:
            return entry.scenario, None
        try:
            done = localize(entry, self.language)
        except NoTranslation:
            self.language_notice = f"{entry.scenario.title} has no {self.language} translation: it is played as written."
            return entry.scenario, None
        return done.scenario, self.language

    def toggle_voice(self, source=None) -> None:
        """F2: spoken answers on or off. With no microphone they stay off, and the notice says why."""
        if self.listener is not None and self.listener.notice:
            self.voice_on = False
            return
        if self.listener is None:
            from .listening.listener import Listener  # pocketsphinx: loaded only when spoken answers are turned on

            pygame = self._pygame
            wake = lambda: pygame.event.post(pygame.event.Event(pygame.USEREVENT, listener=True))  # noqa: E731
            self.listener = Listener(source if source is not None else self._microphone(), wake=wake)
            answering = getattr(self.scene, "answering", None)
            if answering is not None:  # a session is on: listen for its options now
                answering.reset(self.scene.conversation.options)
        self.voice_on = not self.voice_on

    def _microphone(self):
        return _microphone(self.args, force=True)

    def clock_from(self, monotonic: float) -> float:
        """A microphone time on the app clock."""
        return monotonic - self.t0

    def set_trainee(self, name: str) -> None:
        self.trainee = clean_name(name) or self.trainee
        save_profile(trainee=self.trainee)
        if self.pending_scenario:
            name, self.pending_scenario = self.pending_scenario, None
            self.play(self.library.get(name))

    # -- switching screens

    def picker(self) -> None:
        from .scenes import Picker  # pygame (see __init__)

        self._stop_voice()
        self.scene = Picker(self)

    def play(self, entry) -> None:
        self.source = (entry.source, entry.digest) if entry.digest else None
        sc, language = self.localized(entry)
        self._begin(sc, language)

    def _begin(self, sc, language) -> None:
        from .scenes import RolePlay  # pygame (see __init__)

        proto = self._protocol(self.args.protocol or sc.protocol)
        rec, fault = begin_session(sc, proto, self.store, trainee=self.trainee or "trainee", seed=fresh_seed(self.args.seed),
                                   mode="autoplay" if self.autoplaying else "window", language=language, source=getattr(self, "source", None))
        self.scene = RolePlay(self, rec)
        if fault is not None:  # the store could not even begin the session: go on without saving, or stop?
            self.scene.conversation.fault = fault
            self.scene.ask_store()

    def play_again(self, recorder) -> None:
        self._begin(recorder.scenario, recorder.language)  # already in its language

    def debrief(self, recorder) -> None:
        from .scenes import Debrief  # pygame (see __init__)

        self._stop_voice()
        self.scene = Debrief(self, recorder)

    def leave_session(self) -> None:
        """Esc mid-conversation: the turns so far stay in the store, marked incomplete."""
        self.picker()

    def quit(self) -> None:
        self.running = False

    def store_failed(self, line: str) -> None:
        """The store failed mid-session and the trainee chose not to go on without saving: Defuse
        ends as it does for any store fault, with the line saying what failed and what was kept."""
        self.failure = line
        self.quit()

    def _stop_voice(self) -> None:
        if self.playback is not None:
            self.playback.stop()

    def resize_text(self, step: int) -> None:
        """Ctrl + / Ctrl - by a tenth, Ctrl 0 (`step` 0) back to 1.0; remembered for the next run."""
        self.text_scale = 1.0 if step == 0 else _clamp_scale(self.text_scale + 0.1 * step)
        if not self.autoplaying:
            save_profile(text_size=self.text_scale)

    def fit_text(self, size: tuple[int, int], room: tuple[int, int] = (640, 400)) -> None:
        """The fonts to draw a window of this size with: the chosen text size, as far as the window can take it."""
        from .theme import Fonts  # pygame (see __init__)

        scale = min(self.text_scale, max_text_scale(size, room))
        if scale != self.fonts.scale:
            self.fonts = Fonts(scale)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
        if self.speaker is not None:
            self.speaker.close()
        if self.playback is not None:
            self.playback.close()


def _clamp_scale(value) -> float:
    """A text size within the profile's range (Ctrl - / Ctrl +; Ctrl 0 is 1.0); 1.0 for a non-number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 1.0
    return clean_text_size(value) or 1.0


def max_text_scale(size: tuple[int, int], room: tuple[int, int] = (640, 400)) -> float:
    """The largest text size at which a screen needing `room` pixels per unit of text size fits a
    window of `size`: its layout then keeps every part on screen (header, transcript, options,
    every step of the debrief). Each screen says what it needs (`Scene.text_room`)."""
    w, h = size
    return round(max(TEXT_SIZES[0], min(TEXT_SIZES[1], w / room[0], h / room[1])), 2)


def _init(pygame) -> None:
    from .audio import quiet_stderr  # pygame (see App)

    with quiet_stderr():  # pygame.init() also tries the sound card; no card is one notice, not a page of ALSA
        pygame.init()


def _open_window(pygame, size):
    pygame.display.set_caption("Defuse")
    surface = pygame.display.set_mode(size, pygame.RESIZABLE)
    try:
        with warnings.catch_warnings():  # the display module's window, only to give it a floor
            warnings.simplefilter("ignore", DeprecationWarning)
            pygame.Window.from_display_module().minimum_size = MIN_SIZE
    except (AttributeError, pygame.error):  # an older SDL: the layouts still squeeze, less tidily
        pass
    return surface


def run(args, library: Library, store: Store | None) -> int:
    """Open the window (or drive it with --autoplay); returns the exit status."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    if args.autoplay is not None:
        return autoplay(args, library, store)
    import pygame  # only once a window opens

    _init(pygame)
    try:
        surface = _open_window(pygame, DEFAULT_SIZE)
        app = App(args, library, store)
        try:
            _start(app, args)
            _loop(pygame, app, surface)
        finally:
            app.close()
    except pygame.error as e:
        sys.stderr.write(f"defuse: the window could not open ({e}). You can play in this terminal instead: defuse play --text\n")
        return 1
    finally:
        pygame.quit()
    if app.failure is not None:
        sys.stderr.write(f"defuse: {app.failure}\n")
        return 1
    return 0


def _start(app: App, args) -> None:
    if args.scenario and app.trainee:
        app.play(app.library.get(args.scenario))
    else:
        app.picker()
        app.pending_scenario = args.scenario


def _loop(pygame, app: App, surface) -> None:
    from .widgets import Quit, TextSize, read_input  # pygame (see App)

    clock = pygame.time.Clock()
    t0 = app.t0 = time.monotonic()
    dirty = True
    was_moving = False
    shown_notices = None
    while app.running:
        if app.scene.animating:
            clock.tick(_FPS)
            events = pygame.event.get()
        else:  # nothing moves: sleep until an event, looking in now and then for speech renders
            first = pygame.event.wait(app.scene.wake_ms)
            events = ([first] if first.type != pygame.NOEVENT else []) + pygame.event.get()
            clock.tick()
        before = app.now
        app.now = time.monotonic() - t0
        for event in events:
            dirty = True
            if event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
                surface = pygame.display.get_surface()
                continue
            action = read_input(event, typing=app.scene.typing)
            if isinstance(action, Quit):
                app.quit()
            elif isinstance(action, TextSize):
                app.resize_text(action.step)
            else:
                app.scene.handle_event(event)
            if not app.running:
                return
        scene = app.scene
        scene.update(app.now - before)
        moving = scene.animating
        notices = app.notices()  # the voice's progress, a notice that appeared: a new status line
        # `was_moving` draws the frame in which an animation ends (the line fully said)
        if dirty or moving or was_moving or notices != shown_notices:
            scene.draw(surface)
            pygame.display.flip()
            dirty = False
            shown_notices = notices
        was_moving = moving


# ---------------------------------------------------------------- autoplay


def autoplay(args, library: Library, store: Store | None) -> int:
    """Drive the real screens with scripted choices on a simulated clock; save PNGs."""
    # pygame and the screens drawing with it load only here (see App)
    import pygame

    from .scenes import RolePlay

    if not args.scenario:
        sys.stderr.write("defuse: --autoplay needs a SCENARIO\n")
        return 2
    shots = Path(args.screenshots) if args.screenshots else None
    if shots is not None:
        try:
            shots.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            sys.stderr.write(f"defuse: cannot create the screenshot folder {shots}: {e.strerror or e}\n")
            return 1
    choices = parse_choices(args.autoplay)
    # A scripted run needs no screen and makes no sound: with no display it draws off-screen.
    if not has_display():
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    _init(pygame)
    try:
        surface = _open_window(pygame, DEFAULT_SIZE)
        app = App(args, library, store, autoplaying=True)
        try:
            entry = app.library.get(args.scenario)
            app.play(entry)
            scene: RolePlay = app.scene
            conv = scene.conversation
            if conv.fault is not None:  # the store could not begin the session: a scripted run ends there
                sys.stderr.write(f"defuse: {conv.fault.line}\n")
                return 1

            def frame(dt: float, name: str | None) -> None:
                app.scene.update(dt)
                app.scene.draw(surface)
                pygame.display.flip()
                if shots is not None and name:
                    pygame.image.save(surface, str(shots / name))

            for turn, (option_id, early) in enumerate(choices, start=1):
                if conv.finished:
                    break
                ids = [o.id for o in conv.options]
                if option_id not in ids:  # the engine words the message: node, offered ids
                    conv.choose(option_id, app.now)
                before = app.now
                app.now = conv.started_at + (min(_EARLY, conv.duration * 0.4) if early else conv.duration + 0.05)
                scene.focus.index = ids.index(option_id)
                scene.focus.buttons[scene.focus.index].chosen = True
                frame(app.now - before, f"turn-{turn:02d}.png")
                number = ids.index(option_id) + 1
                if number <= 9:
                    scene.handle(_pick(number))  # the same path as the trainee's number key
                else:
                    scene.choose(option_id)
                if conv.fault is not None:  # a scripted run cannot be asked whether to go on without saving: it ends there
                    sys.stderr.write(f"defuse: {conv.fault.line}\n")
                    return 1
                frame(0.0, None)  # the next line is on screen in the very next frame
            if conv.finished:
                app.now = conv.started_at + conv.duration + 0.05
            app.debrief(scene.recorder)
            frame(1.0, "debrief.png")
        finally:
            app.close()
    except IllegalChoice as e:
        sys.stderr.write(f"defuse: {e}\n")
        return 1
    except pygame.error as e:
        sys.stderr.write(f"defuse: the window could not be drawn ({e})\n")
        return 1
    finally:
        pygame.quit()
    return 0


def _pick(number: int):
    from .widgets import Pick  # pygame (see App)

    return Pick(number)
