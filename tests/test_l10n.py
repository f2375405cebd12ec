"""Translations keyed by line ids: extract/init/update/check, the German clinic scenario played
in the terminal and the window, the voice chosen for the language, and the language kept with
each session. Broken and stale PO files give exactly the diagnostics in tests/data/l10n/."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import wave
import zipfile
from argparse import Namespace
from pathlib import Path

import polib
import pytest
import yaml

from simulator.l10n import L10N_CODES, check_po, coverage, init_po, messages, pot_text, read_po, translate, update_po
from simulator.library import Library, protocol
from simulator.model import Voice
from simulator.play.conversation import Conversation
from simulator.play.speech import Speaker, voice_for
from playthrough import play_in_terminal as play
from simulator.play.text_console import Console, LineReader
from simulator.play.text_view import Style
from simulator.session import Recorder
from simulator.store import Store

ROOT = Path(__file__).resolve().parent.parent
L10N = Path("tests/data/l10n")
CLINIC = "clinic_calms_early"
# the by-the-book playthrough of the clinic scenario (its first scripted test)
CLINIC_WIN = ["full_attention", "hear_her_out", "say_sorry", "offer_slots", "book_it", "close_kindly", "note_it", "think_back"]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def clinic():
    return Library().get(CLINIC)


def german():
    entry = clinic()
    po, diags = read_po((entry.path.parent / f"{CLINIC}.de.po").read_text(encoding="utf-8"), "de.po")
    assert diags == []
    return entry.scenario, po


# ---------------------------------------------------------------- extract, init, update


def test_extract_keys_every_text_by_its_stable_id(cli, tmp_path):
    sc = clinic().scenario
    out = tmp_path / "messages.pot"
    assert cli("l10n", "extract", CLINIC, "billing_double_charge", "-o", str(out))[0] == 0
    pot = polib.pofile(str(out))
    by_ctx = {e.msgctxt: e.msgid for e in pot}
    for node in sc.nodes:
        assert by_ctx[f"{CLINIC}/line:{node.line.id}"] == node.line.text
        for o in node.options:
            assert by_ctx[f"{CLINIC}/option:{node.id}.{o.id}"] == o.text
    assert by_ctx[f"{CLINIC}/persona:name"] == "Joan Pryce" and by_ctx[f"{CLINIC}/scenario:title"] == sc.title
    assert by_ctx[f"{CLINIC}/persona:description"] == sc.persona.description
    assert all(not e.msgstr for e in pot)
    billing = Library().get("billing_double_charge").scenario
    assert len(pot) == len(by_ctx) == len(messages(sc)) + len(messages(billing))  # two scenarios, no clash
    # one scenario: the contexts are its own ids, as in its PO file
    status, one, _ = cli("l10n", "extract", CLINIC)
    assert status == 0 and {e.msgctxt for e in polib.pofile(one)} == {m.context for m in messages(sc)}
    # a combined catalogue, once translated, serves each of its scenarios
    for e in pot:
        e.msgstr = "(X) X" if e.msgid.startswith("(") else "X"
    done = translate(sc, pot, "xx")
    assert done.missing == () and done.scenario.node("arrives").line.text == "X"
    assert check_po(pot, billing, "all.po") == [] and coverage(pot, billing)[0] == len(messages(billing))


def test_init_writes_the_po_beside_the_scenario_and_refuses_to_overwrite(cli, tmp_path):
    shutil.copy(ROOT / L10N / "tiny.yaml", tmp_path / "tiny.yaml")
    status, _, err = cli("l10n", "init", "--lang", "es", str(tmp_path / "tiny.yaml"))
    assert status == 0 and "tiny.es.po" in err
    po = polib.pofile(str(tmp_path / "tiny.es.po"))
    assert po.metadata["Language"] == "es" and len(po) == 8 and not po.translated_entries()
    status, _, err = cli("l10n", "init", "--lang", "es", str(tmp_path / "tiny.yaml"))
    assert status == 1 and "already exists" in err
    assert cli("l10n", "init", "--lang", "not a code", str(tmp_path / "tiny.yaml"))[0] == 1


def test_update_keeps_translations_marks_changed_ones_fuzzy_and_removed_ones_obsolete(cli, tmp_path):
    src = (ROOT / L10N / "tiny.yaml").read_text(encoding="utf-8")
    (tmp_path / "tiny.yaml").write_text(src, encoding="utf-8")
    sc = Library().get(str(tmp_path / "tiny.yaml")).scenario
    po = polib.pofile(init_po(sc, "de"))
    for e in po:
        e.msgstr = "DE " + e.msgid
    (tmp_path / "tiny.de.po").write_text(str(po), encoding="utf-8")
    # the author rewords one line, drops a node and its option, and adds an option
    changed = src.replace("Thank you. That was easy.", "Thanks. That was painless.")
    changed = changed.replace(
        '''      - id: policy
        text: "(Read out the policy.) Refunds need a receipt."
        actions: [negative_language]
        goto: gone
''', '''      - id: policy
        text: "(Read out the policy.) Refunds need a receipt."
        actions: [negative_language]
        goto: thanks
      - id: later
        text: "Could you call back tomorrow?"
        actions: [dismiss]
        goto: thanks
''')
    changed = changed.replace('''  - id: gone
    line: {id: gone.line, text: "Forget it."}
    end: customer_left
''', "")
    (tmp_path / "tiny.yaml").write_text(changed, encoding="utf-8")
    status, _, err = cli("l10n", "update", str(tmp_path / "tiny.yaml"))
    assert status == 0
    assert "6 kept, 1 fuzzy (source changed), 1 new, 1 obsolete" in err
    after = polib.pofile(str(tmp_path / "tiny.de.po"))
    live = {e.msgctxt: e for e in after if not e.obsolete}
    thanks = live["line:thanks.line"]
    assert thanks.fuzzy and thanks.msgid == "Thanks. That was painless." and thanks.msgstr == "DE Thank you. That was easy."
    assert thanks.previous_msgid == "Thank you. That was easy."
    assert live["option:open.sorry"].msgstr == "DE I'm sorry it let you down. I can refund it for you now." and not live["option:open.sorry"].fuzzy
    assert live["option:open.later"].msgstr == ""
    (gone,) = [e for e in after if e.obsolete]
    assert gone.msgctxt == "line:gone.line" and gone.msgstr == "DE Forget it."
    # a fuzzy translation is not used: that line falls back to the new source text
    new_sc = Library().get(str(tmp_path / "tiny.yaml")).scenario
    done = translate(new_sc, after, "de")
    assert done.scenario.node("thanks").line.text == "Thanks. That was painless."
    assert set(done.missing) == {"line:thanks.line", "option:open.later"}
    assert done.scenario.node("open").line.text == "DE This kettle broke after two days, and I want my money back."
    # a second update changes nothing and loses nothing
    before = (tmp_path / "tiny.de.po").read_text(encoding="utf-8")
    assert cli("l10n", "update", "--lang", "de", str(tmp_path / "tiny.yaml"))[0] == 0
    assert (tmp_path / "tiny.de.po").read_text(encoding="utf-8") == before


def test_update_without_a_translation_says_how_to_start_one(cli):
    status, _, err = cli("l10n", "update", "--lang", "fr", str(L10N / "tiny.yaml"))
    assert status == 1 and "l10n init" in err


# ---------------------------------------------------------------- check and lint


@pytest.mark.parametrize("case", ["broken", "mistakes", "stale"])
def test_check_gives_exactly_the_expected_diagnostics(cli, case):
    status, out, err = cli("l10n", "check", str(L10N / case / "tiny.yaml"))
    assert out == (ROOT / L10N / case / "check.expected").read_text(encoding="utf-8")
    assert status == (0 if case == "stale" else 1)  # stale is a warning; broken entries, lost placeholders and blanks are errors
    assert "Traceback" not in out + err
    for line in out.splitlines():
        path, ln, col, rest = line.split(":", 3)
        assert path == str(L10N / case / "tiny.de.po") and int(ln) >= 1 and int(col) >= 1
        assert rest.split()[0] in L10N_CODES


def test_a_broken_entry_is_located_at_its_line():
    text = (ROOT / L10N / "broken" / "tiny.de.po").read_text(encoding="utf-8")
    po, (d,) = read_po(text, "x.po")
    assert po is None and d.code == "L001"
    assert text.splitlines()[d.line - 1].startswith('msgstr "Dieser Wasserkocher ist "kaputt"')


def test_lint_reports_stale_translations(cli):
    status, out, _ = cli("lint", str(L10N / "stale" / "tiny.yaml"))
    assert out == (ROOT / L10N / "stale" / "lint.expected").read_text(encoding="utf-8")
    assert status == 1
    status, out, _ = cli("lint", str(L10N / "stale" / "tiny.yaml"), "--warn-only")
    assert status == 0
    assert cli("lint", str(L10N / "tiny.yaml"))[1] == ""  # no translation beside it: nothing to say


PROTOCOL = L10N / "protocol"  # a trainer's own protocol with a stale German catalogue, and a scenario using it


def test_lint_reports_a_protocol_files_stale_translation(cli):
    status, out, err = cli("lint", "--protocols", str(PROTOCOL), str(PROTOCOL / "tiny_steps.yaml"))
    assert out == (ROOT / PROTOCOL / "lint.expected").read_text(encoding="utf-8")
    assert status == 1 and err == "1 file checked: 0 errors, 3 warnings\n"


def test_lint_of_a_scenario_reports_its_protocols_translation_once(cli, tmp_path):
    expected = (ROOT / PROTOCOL / "lint.expected").read_text(encoding="utf-8")
    # the scenario alone: its protocol's catalogue is checked too (the debrief would fall back to English)
    assert cli("lint", "--protocols", str(PROTOCOL), str(PROTOCOL / "tiny_scene.yaml"))[1] == expected
    # the protocol linted as a file and as the scenario's protocol: said once
    assert cli("lint", "--protocols", str(PROTOCOL), str(PROTOCOL))[1] == expected
    # a broken catalogue is an error, located in the PO file
    for name in ("tiny_steps.yaml", "tiny_scene.yaml"):
        shutil.copy(ROOT / PROTOCOL / name, tmp_path / name)
    (tmp_path / "tiny_steps.de.po").write_text('msgctxt "protocol:title"\nmsgid "Two small steps"\nmsgstr "Zwei "kleine" Schritte"\n', encoding="utf-8")
    status, out, _ = cli("lint", "--protocols", str(tmp_path), str(tmp_path / "tiny_scene.yaml"))
    assert status == 1 and [line.split(" ")[:2] for line in out.splitlines()] == [[f"{tmp_path / 'tiny_steps.de.po'}:3:1:", "L001"]]


def test_l10n_takes_a_file_as_a_protocol_when_validate_does(cli, tmp_path):
    # a protocol written as one flow mapping has no `steps:` at the start of a line; validate reads it as a protocol, so l10n does too
    data = yaml.safe_load((ROOT / PROTOCOL / "tiny_steps.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "flow_steps.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli("validate", str(path))[0] == 0
    status, _, err = cli("l10n", "init", "--lang", "de", str(path))
    assert status == 0, err
    po = polib.pofile(str(tmp_path / "flow_steps.de.po"))
    assert {"protocol:title", "step:apologize.title", "step:fix.missed"} <= {e.msgctxt for e in po}
    # a protocol file with a mistake is reported as validate reports it, not read as a scenario
    path.write_text(json.dumps({**data, "pass_mark": "high"}), encoding="utf-8")
    status, out, err = cli("l10n", "init", "--lang", "fr", str(path))
    assert status == 1 and "E012" in out + err and "nodes" not in out + err
    assert not (tmp_path / "flow_steps.fr.po").exists()


def test_check_reports_coverage_per_language_in_json(cli):
    status, out, _ = cli("l10n", "check", CLINIC, str(L10N / "stale" / "tiny.yaml"), "--json")
    docs = json.loads(out)
    assert status == 0
    assert [(d["scenario"], d["language"]) for d in docs] == [(CLINIC, "de"), ("tiny_refund", "de")]
    assert docs[0]["translated"] == docs[0]["messages"] == len(messages(clinic().scenario)) and docs[0]["diagnostics"] == []
    assert docs[1]["translated"] == 5 and docs[1]["messages"] == 8
    assert {d["code"] for d in docs[1]["diagnostics"]} == {"L004", "L005"}


# ---------------------------------------------------------------- the bundled German translation


def test_the_german_clinic_translation_is_complete_current_and_clean():
    sc, po = german()
    assert check_po(po, sc, "de.po") == []
    assert coverage(po, sc) == (len(messages(sc)), len(messages(sc)))
    done = translate(sc, po, "de")
    assert done.missing == ()
    source_texts = {m.text for m in messages(sc)} - {"Joan Pryce"}
    translated = {m.text for m in messages(done.scenario)}
    assert not source_texts & translated  # every text but the name is in German
    assert done.scenario.title == "Die abgesagte Befundbesprechung"
    # only the words change: ids, actions, routes and the persona's numbers are the scenario's own
    strip = lambda s: json.dumps([[n.id, n.line.id, n.end, [(o.id, o.actions, o.goto, o.routes) for o in n.options]] for n in s.nodes], default=str)
    assert strip(done.scenario) == strip(sc)
    assert done.scenario.persona.model_dump(exclude={"name", "description"}) == sc.persona.model_dump(exclude={"name", "description"})


def test_the_german_clinic_scripted_tests_still_hold():
    """Scoring reads actions, never words: the translated scenario plays and scores the same."""
    from simulator.engine import choose, start
    from scoring import score

    sc, po = german()
    de = translate(sc, po, "de").scenario
    for test in sc.tests:
        a, b = start(sc, test.seed), start(de, test.seed)
        for raw in test.choices:
            oid, early = raw.rstrip("!"), raw.endswith("!")
            a, b = choose(sc, a, oid, interrupted=early), choose(de, b, oid, interrupted=early)
        proto = protocol(sc.protocol)
        assert score(a.transcript(), proto).total == score(b.transcript(), proto).total
        assert a.outcome == b.outcome


def _args(db: Path, **kw) -> Namespace:
    base = dict(scenario=CLINIC, text=True, debug=False, autoplay=None, screenshots=None, trainee="Tess", protocol=None,
                seed=0, no_speech=True, no_save=False, text_size=1.0, db=str(db), scenarios=[], pace=0.0, lang="de")
    base.update(kw)
    return Namespace(**base)


def _pipe(text: str) -> int:
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    return r


def _numbers(sc, choices):
    from simulator.engine import choose, presented, start

    state, out = start(sc, 0), []  # the terminal plays with --seed 0: the order that seed shows
    for oid in choices:
        ids = [o.id for o in presented(sc, state)]
        out.append(str(ids.index(oid) + 1))
        state = choose(sc, state, oid)
    return out


def test_a_german_playthrough_in_the_terminal_is_saved_with_its_language(tmp_path):
    db = tmp_path / "s.db"
    sc, po = german()
    out = io.StringIO()
    typed = "".join(t + "\n" for t in _numbers(sc, CLINIC_WIN) + ["q"])
    status = play(_args(db), Console(LineReader(_pipe(typed)), out, Style()))
    text = out.getvalue()
    assert status == 0
    assert "Die abgesagte Befundbesprechung" in text and "Entschuldigung. Entschuldigung!" in text
    assert "Excuse me" not in text
    with Store(db) as store:
        (s,) = list(store.find())
    assert s.language == "de" and s.complete and s.passed
    assert [t.choice for t in s.turns] == CLINIC_WIN
    assert s.turns[0].text.startswith("Entschuldigung. Entschuldigung!")
    assert s.to_dict()["language"] == "de"


def test_debug_lists_the_lines_still_in_the_source_language(tmp_path):
    scen = tmp_path / "tiny.yaml"
    shutil.copy(ROOT / L10N / "stale" / "tiny.yaml", scen)
    shutil.copy(ROOT / L10N / "stale" / "tiny.de.po", tmp_path / "tiny.de.po")
    out = io.StringIO()
    status = play(_args(tmp_path / "s.db", scenario=str(scen), debug=True), Console(LineReader(_pipe("1\nq\n")), out, Style()))
    assert status == 0
    text = " ".join(out.getvalue().split())
    assert "[debug] not translated into de, shown as written: option:open.policy, line:thanks.line, line:gone.line" in text
    assert "Dieser Wasserkocher ist nach zwei Tagen kaputtgegangen" in text


def test_a_language_without_a_translation_is_one_clear_error(cli):
    status, out, err = cli("play", CLINIC, "--text", "--lang", "fr", "--no-save")
    assert status == 1 and out == ""
    assert err == f"defuse: scenario {CLINIC!r} has no translation into 'fr' (translations: de); `defuse l10n init` starts one\n"
    status, _, err = cli("play", CLINIC, "--text", "--lang", "F R")
    assert status == 1 and "is not a language code" in err


@pytest.mark.window
def test_a_german_playthrough_in_the_window(cli):
    status, _, err = cli("play", CLINIC, "--lang", "de", "--autoplay", ",".join(CLINIC_WIN), "--trainee", "Ute")
    assert status == 0, err
    with Store(os.environ["DEFUSE_DB"]) as store:
        (s,) = list(store.find())
    assert s.language == "de" and s.mode == "autoplay" and s.complete
    assert s.turns[-1].said.startswith("Denken Sie zurück")


@pytest.mark.window
def test_the_picker_offers_the_languages_and_plays_the_chosen_one(monkeypatch):
    import pygame

    from simulator.cli import build_parser
    from simulator.play import window
    from simulator.play.scenes import Picker, RolePlay

    pygame.init()
    try:
        pygame.display.set_mode(window.DEFAULT_SIZE)
        args = build_parser().parse_args(["play", "--no-speech", "--no-save", "--trainee", "Ana"])
        app = window.App(args, Library(), None, autoplaying=True)
        try:
            picker = Picker(app)
            assert picker.language is not None and picker.language.label == "Language: as written"
            assert picker.languages == [None, "de"] and picker.translations[CLINIC] == {"de"}
            assert picker.translations["billing_double_charge"] == set()
            picker.activate(picker.language)
            assert app.language == "de" and picker.language.label == "Language: de"
            picker.draw(pygame.display.get_surface())
            picker.activate(next(c for c in picker.cards if c.value.id == CLINIC))
            assert isinstance(app.scene, RolePlay)
            rec = app.scene.conversation.recorder
            assert rec.language == "de" and rec.scenario.title == "Die abgesagte Befundbesprechung"
            # a scenario without that translation is played as written, with one notice
            app.picker()
            app.scene.activate(next(c for c in app.scene.cards if c.value.id == "billing_double_charge"))
            assert app.scene.conversation.recorder.language is None
            assert [n for n, _ in app.notices()] == [f"{Library().get('billing_double_charge').scenario.title} has no de translation: it is played as written."]
        finally:
            app.close()
    finally:
        pygame.quit()


# ---------------------------------------------------------------- the voice for the language


def test_the_persona_names_a_voice_per_language_else_the_language_code_is_the_voice():
    v = Voice(gender="female", voice="en-gb", languages={"de": "de"})
    assert voice_for(v, 10).voice == "en-gb+f3" and voice_for(v, 10).language is None
    de = voice_for(v, 10, "de")
    assert de.voice == "de+f3" and de.language == "de"
    assert voice_for(Voice(gender="male", languages={"es": "es-419"}), 10, "es").voice == "es-419+m3"
    assert voice_for(Voice(), 10, "fr").voice == "fr"


class RecordingEngine:
    """Knows two espeak-ng voices; writes the properties each render was given beside its WAV."""

    def __init__(self):
        self.props, self.pending = {}, None

    def getProperty(self, name):
        assert name == "voices"
        return [Namespace(id="gmw/en", name="English (Great Britain)", languages=["en-gb"]),
                Namespace(id="gmw/de", name="German", languages=["de"])]

    def setProperty(self, name, value):
        self.props[name] = value

    def save_to_file(self, text, path):
        self.pending = (text, path)

    def runAndWait(self):
        text, path = self.pending
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * 800)
        if path.endswith(".wav.part"):  # a line's render (not the worker's warm-up word)
            Path(path[: -len(".wav.part")] + ".json").write_text(json.dumps({"text": text, **self.props}), encoding="utf-8")


def recording_engine():
    return RecordingEngine()


def _german_conversation(store=None) -> Conversation:
    sc, po = german()
    de = translate(sc, po, "de").scenario
    return Conversation(Recorder(de, protocol(de.protocol), trainee="t", store=store, language="de"))


def test_a_german_line_is_sent_to_the_speech_worker_with_the_german_voice(tmp_path):
    conv = _german_conversation()
    job = conv.speech_job()
    assert job.settings.voice == "de+f3" and job.settings.language == "de"
    assert job.text.startswith("Entschuldigung. Entschuldigung!")
    assert all(j.settings.voice == "de+f3" for j in conv.speech_jobs())
    speaker = Speaker(tmp_path, make_engine=recording_engine)
    try:
        speaker.request(job)
        speaker.wait(60)
        assert speaker.available is True and speaker.notice is None
        assert speaker.path_if_ready(job) is not None
        (sent,) = [json.loads(p.read_text(encoding="utf-8")) for p in tmp_path.glob("*.json")]
        assert sent["voice"] == "de+f3" and sent["rate"] == job.settings.rate and sent["text"] == job.text
    finally:
        speaker.close()


def test_a_language_with_no_voice_means_captions_only_with_one_notice(tmp_path):
    conv = _german_conversation()
    jobs = [j for j in conv.speech_jobs()]
    silent = [type(j)(j.line_id, j.text, type(j.settings)(**{**j.settings.__dict__, "voice": "tlh", "language": "tlh"})) for j in jobs[:3]]
    speaker = Speaker(tmp_path, make_engine=recording_engine)
    try:
        speaker.prefetch(silent)
        speaker.wait(60)
        assert speaker.available is False
        assert speaker.notice == "The speech engine has no voice for the language 'tlh' (voice 'tlh'): captions only."
        assert speaker.request(silent[0]) is None and not speaker.busy  # nothing more is tried
        assert not list(tmp_path.glob("*.wav")) and not list(tmp_path.glob("*.json"))
    finally:
        speaker.close()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_ng_has_a_voice_for_the_bundled_translation():
    import pyttsx3

    from simulator.play.speech import has_voice

    engine = pyttsx3.init()
    assert has_voice(engine, "de+f3") is True
    assert has_voice(engine, "tlh") is False


# ---------------------------------------------------------------- sessions keep their language


def test_the_language_travels_with_sessions_through_export_and_import(cli, tmp_path):
    db = tmp_path / "a.db"
    with Store(db) as store:
        sc, po = german()
        de = translate(sc, po, "de").scenario
        rec = Recorder(de, protocol(de.protocol), trainee="Uwe", store=store, language="de")
        rec.choose("full_attention")
        rec.finish()
        plain = Recorder(sc, protocol(sc.protocol), trainee="Uwe", store=store)
        plain.finish()
    out = tmp_path / "export.json"
    assert cli("export-sessions", "--db", str(db), "-o", str(out))[0] == 0
    langs = sorted(str(s["language"]) for s in json.loads(out.read_text(encoding="utf-8"))["sessions"])
    assert langs == ["None", "de"]
    other = tmp_path / "b.db"
    assert cli("import", str(out), "--db", str(other))[0] == 0
    with Store(other) as store:
        assert sorted(str(s.language) for s in store.find()) == ["None", "de"]
    status, report, _ = cli("report", "--format", "json", "--db", str(other), "-o", str(tmp_path / "r.json"))
    assert status == 0
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted(str(s["language"]) for s in doc["sessions"]) == ["None", "de"]
    # the spreadsheets keep it too: a column beside `mode`, empty for the scenario's own language
    assert cli("report", "--format", "csv", "--db", str(other), "-o", str(tmp_path / "r.csv"))[0] == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert sorted(r["language"] for r in rows) == ["", "de"]
    header = next(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert header.index("language") == header.index("mode") + 1
    assert cli("report", "--format", "xlsx", "--db", str(other), "-o", str(tmp_path / "r.xlsx"))[0] == 0
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        shared = z.read("xl/sharedStrings.xml").decode("utf-8")
    assert "<t>language</t>" in shared and "<t>de</t>" in shared


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_ng_renders_a_german_line_of_the_clinic(tmp_path):
    # the scenario's first line, and a long one: pyttsx3's espeak driver would drop it as the
    # first render of the worker, were it not for the worker's warm-up word
    job = _german_conversation().speech_job()
    assert job.text.startswith("Entschuldigung. Entschuldigung!") and job.settings.voice == "de+f3"
    speaker = Speaker(tmp_path)
    try:
        speaker.request(job)
        speaker.wait(60)
        if speaker.available is False and "No speech engine" in (speaker.notice or ""):
            pytest.skip(f"the speech engine did not start: {speaker.notice}")
        assert speaker.notice is None
        path = speaker.path_if_ready(job)
        assert path is not None
        with wave.open(str(path), "rb") as w:
            assert w.getnframes() / w.getframerate() > 5  # the whole sentence, not an error beep
    finally:
        speaker.close()


# ---------------------------------------------------------------- protocols: names and feedback lines


def _debrief(language, scenario, proto=None):
    rec = Recorder(scenario, proto or protocol(scenario.protocol), trainee="Uwe", language=language)
    rec.choose("full_attention")
    return rec, rec.finish()


def test_a_german_session_gets_its_protocol_feedback_in_german_with_the_same_numbers():
    sc, po = german()
    de = translate(sc, po, "de").scenario
    _, english = _debrief(None, sc)
    rec, german_score = _debrief("de", de)
    assert german_score.total == english.total and german_score.passed == english.passed
    assert [s.id for s in german_score.steps] == [s.id for s in english.steps]
    titles = {s.id: s.title for s in german_score.steps}
    assert titles["apologize"] == "Sich entschuldigen" and titles["really_listen"] == "Wirklich zuhören"
    lines = " ".join(f.message for f in german_score.feedback)
    assert "Entschuldigen Sie sich beim nächsten Mal" in lines
    assert "Next time, once you have heard them out" not in lines
    assert "Next time, once you have heard them out" in " ".join(f.message for f in english.feedback)
    # the debrief's switch to a protocol with no German catalogue keeps its own texts
    other = rec.rescore(protocol("ten_step"))
    assert other.steps[0].title == protocol("ten_step").steps[0].title


def test_a_stale_or_broken_protocol_translation_never_breaks_the_debrief(tmp_path, monkeypatch):
    import simulator.translations as tr

    proto = protocol("six_steps")
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(Path(tr.protocol_path("six_steps")), folder / "six_steps.yaml")
    (folder / "six_steps.de.po").write_text('msgctxt "step:apologize.title"\nmsgid "Apologise"\nmsgstr "Sich "ent"schuldigen"\n', encoding="utf-8")
    monkeypatch.setattr(tr, "protocol_path", lambda pid: folder / "six_steps.yaml")
    sc, po = german()
    de = translate(sc, po, "de").scenario
    _, result = _debrief("de", de, proto.model_copy())
    assert {s.id: s.title for s in result.steps}["apologize"] == "Apologise"


def test_l10n_init_update_check_work_on_a_protocol_file(cli, tmp_path):
    import simulator.translations as tr

    src = Path(tr.protocol_path("six_steps")).read_text(encoding="utf-8")
    path = tmp_path / "my_steps.yaml"
    path.write_text(src.replace("id: six_steps", "id: my_steps"), encoding="utf-8")
    status, _, err = cli("l10n", "init", "--lang", "es", str(path))
    assert status == 0 and "my_steps.es.po" in err
    po = polib.pofile(str(tmp_path / "my_steps.es.po"))
    ctxs = {e.msgctxt for e in po}
    assert {"protocol:title", "step:apologize.title", "step:apologize.missed", "conduct:argue.message", "safety:message"} <= ctxs
    for e in po:
        e.msgstr = "ES " + e.msgid
    po.save()
    assert cli("l10n", "check", "--lang", "es", str(path))[0] == 0
    # the step's wording changes: its translation is kept, marked fuzzy, and check warns
    path.write_text(path.read_text(encoding="utf-8").replace('title: "Apologise"', 'title: "Say sorry"'), encoding="utf-8")
    status, _, err = cli("l10n", "update", "--lang", "es", str(path))
    assert status == 0 and "1 fuzzy" in err
    status, out, _ = cli("l10n", "check", "--lang", "es", "--json", str(path))
    report = json.loads(out)[0]
    assert report["protocol"] == "my_steps" and report["translated"] == report["messages"] - 1
    assert [d["code"] for d in report["diagnostics"]] == ["L004"]


def test_the_bundled_german_protocol_translation_is_complete_and_current(cli):
    status, out, _ = cli("l10n", "check", "--lang", "de", "--json", "six_steps")
    assert status == 0
    report = json.loads(out)[0]
    assert report["translated"] == report["messages"] > 20 and report["diagnostics"] == []
