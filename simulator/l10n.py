"""Scenarios in other languages: gettext catalogues keyed by the stable ids of a scenario.

Every text a trainee meets (the title, summary and goals, the persona's name and
description, each customer line and its speech, each option) is one gettext message whose
context (msgctxt) is its stable id, so a translation follows its line wherever the line
moves and survives edits elsewhere. A translation lives beside its scenario as
`<scenario>.<lang>.po` (e.g. `clinic_calms_early.de.po`).

A protocol is translated the same way (`<protocol>.<lang>.po` beside its file): its title,
summary, each step's title, description and "missed" feedback, and every conduct, safety and
abuse message, so a debrief in the scenario's language gives its feedback in that language too.

Pure functions over text (polib reads and writes the PO format; nothing here touches the
disk): `pot_text` extracts, `init_po` starts a language, `update_po` merges a changed
scenario into an existing translation (a changed source text makes its translation fuzzy,
a removed line makes it obsolete, nothing translated is lost), `read_po` parses with
located errors, `check_po` finds broken or stale translations, and `translate` gives the
scenario in the language, falling back to the source text where a message is missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import polib

from scoring.protocol import Protocol

from .diagnostics import Diagnostic, Severity
from .model import Scenario

__all__ = [
    "L10N_CODES",
    "Message",
    "messages",
    "pot_text",
    "init_po",
    "update_po",
    "read_po",
    "check_po",
    "coverage",
    "translate",
    "Translated",
    "translate_protocol",
    "kind_of",
    "po_path_name",
    "LANG_PATTERN",
]

# Codes of the localisation checks (L0xx); docs/authoring.md explains each.
L10N_CODES: dict[str, str] = {
    "L001": "a PO file could not be read, or has a broken entry",
    "L002": "a translation lost or added a placeholder or a stage direction",
    "L003": "a message has no translation (empty)",
    "L004": "a stale translation: marked fuzzy, or made for a source text the scenario no longer has",
    "L005": "a message of the scenario is missing from the PO file (run `defuse l10n update`)",
}

LANG_PATTERN = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*$")
# Placeholders a front end could fill in: {name}, %s, %(name)s. None of the bundled lines use
# them, but a translation must keep whatever its source has.
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w.]*\}|%\([A-Za-z_]\w*\)[sd]|%[sd]")


@dataclass(frozen=True)
class Message:
    context: str  # the stable id, e.g. "line:arrives.line" or "option:arrives.full_attention"
    text: str
    note: str  # what it is, for the translator


def kind_of(doc: Scenario | Protocol) -> str:
    return "protocol" if isinstance(doc, Protocol) else "scenario"


def messages(doc: Scenario | Protocol) -> list[Message]:
    """Every translatable text of the scenario (or protocol), in reading order."""
    if isinstance(doc, Protocol):
        return protocol_messages(doc)
    sc = doc
    out = [
        Message("scenario:title", sc.title, "the scenario's title (shown in the picker)"),
        Message("scenario:summary", sc.summary, "the scenario's summary (shown before it starts)"),
    ]
    out += [Message(f"goal:{i}", g, f"learning goal {i}") for i, g in enumerate(sc.goals, start=1)]
    out.append(Message("persona:name", sc.persona.name, "the customer's name"))
    if sc.persona.description:
        out.append(Message("persona:description", sc.persona.description, "who the customer is"))
    for node in sc.nodes:
        who = "narration" if node.narration else "the customer says"
        for k, line in enumerate((node.line, *node.burst)):
            for v, w in enumerate(line.wordings()):
                what = who + (f" (line {k + 1} of {len(node.burst) + 1})" if node.burst else "") + (f" (another wording of {line.id})" if v else "")
                out.append(Message(f"line:{w.id}", w.text, f"node {node.id}: {what}"))
                if w.speech:
                    out.append(Message(f"speech:{w.id}", w.speech, f"node {node.id}: what the voice says"))
        for o in node.options:
            acts = ", ".join(a.value for a in o.actions)
            out.append(Message(f"option:{node.id}.{o.id}", o.text, f"node {node.id}: the trainee's option {o.id} ({acts})"))
            if o.feedback:
                out.append(Message(f"feedback:{node.id}.{o.id}", o.feedback, f"node {node.id}: the trainer's note when {o.id} is chosen"))
    return out


def protocol_messages(p: Protocol) -> list[Message]:
    """Every text of a protocol a trainee reads in the debrief: names and feedback lines."""
    out = [
        Message("protocol:title", p.title, "the procedure's name"),
        Message("protocol:summary", p.summary, "the procedure in two sentences"),
    ]
    for st in p.steps:
        out.append(Message(f"step:{st.id}.title", st.title, f"step {st.id}: its name in the debrief"))
        out.append(Message(f"step:{st.id}.description", st.description, f"step {st.id}: what it asks for"))
        if st.missed:
            out.append(Message(f"step:{st.id}.missed", st.missed, f"step {st.id}: feedback when it was never done"))
    for rule in p.conduct:
        out.append(Message(f"conduct:{rule.action.value}.message", rule.message, f"feedback on the harmful action {rule.action.value}"))
    out.append(Message("safety:message", p.safety.message, "feedback when a threat was not answered by seeking help"))
    if p.absorbed_abuse is not None:
        out.append(Message("absorbed_abuse:message", p.absorbed_abuse.message, "feedback when persistent abuse was never answered"))
    return out


_HEAD = (
    "Translation of the Defuse {what} into {lang}.\n"
    "Each msgctxt is the stable id of a text (line:, option:, persona:, ...): keep it as it is."
)


def _header(project: str, lang: str | None) -> dict:
    meta = {
        "Project-Id-Version": project,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    if lang:
        meta["Language"] = lang
    return meta


def _entries(scenarios: list[Scenario | Protocol]) -> list[polib.POEntry]:
    # Several scenarios in one template: each context is prefixed with its scenario's id
    # ("clinic_calms_early/line:arrives.line"), as two scenarios may both have a node `done`.
    prefix = len(scenarios) > 1
    out = []
    for sc in scenarios:
        for m in messages(sc):
            ctx = f"{sc.id}/{m.context}" if prefix else m.context
            out.append(polib.POEntry(msgctxt=ctx, msgid=m.text, msgstr="", comment=m.note, occurrences=[(sc.id, "")]))
    return out


def _own(po: polib.POFile, scenario: Scenario | Protocol) -> list[tuple[str, polib.POEntry]]:
    """The live entries with their contexts as this scenario names them (a combined
    catalogue's "<scenario id>/" prefix taken off; other scenarios' entries left out)."""
    out = []
    mine = scenario.id + "/"
    for e in po:
        if e.obsolete:
            continue
        ctx = e.msgctxt or ""
        if "/" in ctx:
            if not ctx.startswith(mine):
                continue
            ctx = ctx[len(mine):]
        out.append((ctx, e))
    return out


def _render(po: polib.POFile) -> str:
    po.wrapwidth = 79
    return str(po)


def _revision(doc) -> str:
    rev = getattr(doc, "revision", None)
    return f"{doc.id} r{rev}" if rev is not None else doc.id


def pot_text(scenarios: list[Scenario | Protocol]) -> str:
    """A template (.pot) with every message of the scenarios (and protocols)."""
    po = polib.POFile(wrapwidth=79)
    what = sorted({kind_of(d) + "s" for d in scenarios})
    po.header = _HEAD.format(what=" and ".join(what) + " " + ", ".join(sc.id for sc in scenarios), lang="a language")
    po.metadata = _header(", ".join(sc.id for sc in scenarios), None)
    for e in _entries(scenarios):
        po.append(e)
    return _render(po)


def init_po(scenario: Scenario | Protocol, lang: str) -> str:
    """A new, empty translation of the scenario (or protocol) into `lang`."""
    po = polib.POFile(wrapwidth=79)
    po.header = _HEAD.format(what=f"{kind_of(scenario)} {scenario.id}", lang=lang)
    po.metadata = _header(_revision(scenario), lang)
    for e in _entries([scenario]):
        po.append(e)
    return _render(po)


@dataclass(frozen=True)
class Merged:
    text: str
    kept: int  # translations carried over unchanged
    fuzzy: int  # carried over, but the source changed: to be reviewed
    added: int  # new messages, untranslated
    obsolete: int  # translations of messages the scenario no longer has


def update_po(po: polib.POFile, scenario: Scenario | Protocol) -> Merged:
    """The translation brought up to date with the scenario, losing nothing."""
    old = {e.msgctxt: e for e in po if not e.obsolete}
    gone_before = [e for e in po if e.obsolete]
    out = polib.POFile(wrapwidth=79)
    out.metadata = dict(po.metadata)
    out.metadata["Project-Id-Version"] = _revision(scenario)
    kept = fuzzy = added = 0
    for fresh in _entries([scenario]):
        prev = old.pop(fresh.msgctxt, None)
        if prev is None:
            out.append(fresh)
            added += 1
            continue
        fresh.msgstr = prev.msgstr
        fresh.tcomment = prev.tcomment
        fresh.flags = list(prev.flags)
        if prev.msgid != fresh.msgid and prev.msgstr:
            if "fuzzy" not in fresh.flags:
                fresh.flags.append("fuzzy")
            fresh.previous_msgid = prev.msgid
            fuzzy += 1
        elif prev.msgid == fresh.msgid:
            fresh.previous_msgid = prev.previous_msgid
            kept += 1 if prev.msgstr else 0
        out.append(fresh)
    obsolete = 0
    for prev in old.values():  # lines the scenario no longer has: kept, commented out
        if prev.msgstr:
            prev.obsolete = True
            out.append(prev)
            obsolete += 1
    for prev in gone_before:
        out.append(prev)
    return Merged(_render(out), kept, fuzzy, added, obsolete)


def read_po(text: str, path: str) -> tuple[polib.POFile | None, list[Diagnostic]]:
    """The parsed catalogue, or None and a located L001 error; never raises."""
    if not text.strip():
        return None, [Diagnostic(path, 1, 1, "L001", "the PO file is empty")]
    try:
        po = polib.pofile(text if "\n" in text else text + "\n", encoding="utf-8")
    except (OSError, ValueError, UnicodeError) as e:
        m = re.search(r"\(line (\d+)\)(?::\s*(.*))?", str(e))
        line = int(m.group(1)) if m else 1
        why = (m.group(2) if m and m.group(2) else "").strip() or "not a valid entry"
        lines = text.splitlines()
        col = 1
        if 1 <= line <= len(lines):
            col = len(lines[line - 1]) - len(lines[line - 1].lstrip()) + 1
            shown = lines[line - 1].strip()
            why += f": {shown[:60]!r}"
        return None, [Diagnostic(path, line, col, "L001", f"broken PO entry ({why})")]
    po.defuse_lines = _entry_lines(text)
    return po, []


def _entry_lines(text: str) -> dict[str, dict[str, int]]:
    """msgctxt -> the line numbers of its msgctxt and msgstr keywords, for locating problems."""
    found: dict[str, dict[str, int]] = {}
    ctx = None
    for n, line in enumerate(text.splitlines(), start=1):
        m = re.match(r'\s*msgctxt\s+"(.*)"\s*$', line)
        if m:
            ctx = m.group(1).replace('\\"', '"')
            found.setdefault(ctx, {})["msgctxt"] = n
        elif ctx is not None and re.match(r"\s*msgstr\b", line):
            found.setdefault(ctx, {}).setdefault("msgstr", n)
    return found


def _diag(path: str, entry, code: str, message: str, severity=Severity.ERROR, po=None, at: str = "msgctxt") -> Diagnostic:
    """Located at the entry's `msgctxt` (what it is) or `msgstr` (what the translator wrote)."""
    lines = (getattr(po, "defuse_lines", None) or {}).get(entry.msgctxt or "", {})
    line = lines.get(at) or lines.get("msgctxt") or int(getattr(entry, "linenum", 1) or 1)
    return Diagnostic(path, max(1, line), 1, code, message, severity)


def _directions(text: str) -> bool:
    return text.lstrip().startswith("(")


def check_po(po: polib.POFile, scenario: Scenario | Protocol, path: str) -> list[Diagnostic]:
    """Problems of one translation against its scenario: broken placeholders or stage
    directions and empty translations are errors; stale or missing messages are warnings."""
    found: list[Diagnostic] = []
    current = {m.context: m for m in messages(scenario)}
    seen = set()
    for ctx, e in _own(po, scenario):
        seen.add(ctx)
        label = f"{ctx!r}" if ctx else f"{e.msgid[:40]!r}"
        msg = current.get(ctx)
        if msg is None:
            found.append(_diag(path, e, "L004", f"message {label} is not in {kind_of(scenario)} {scenario.id!r} any more: run `defuse l10n update`", Severity.WARNING, po))
            continue
        if not e.msgstr.strip():
            found.append(_diag(path, e, "L003", f"message {label} has no translation", Severity.ERROR, po, "msgstr"))
            continue
        if e.fuzzy:
            found.append(_diag(path, e, "L004", f"message {label} is marked fuzzy: its source text changed, check the translation and remove the fuzzy flag", Severity.WARNING, po))
        elif e.msgid != msg.text:
            found.append(_diag(path, e, "L004", f"message {label} was translated from an older version of its text: run `defuse l10n update`", Severity.WARNING, po))
        want, got = sorted(_PLACEHOLDER.findall(msg.text)), sorted(_PLACEHOLDER.findall(e.msgstr))
        if want != got:
            found.append(_diag(path, e, "L002", f"message {label}: placeholders {want} in the source but {got} in the translation", Severity.ERROR, po, "msgstr"))
        if _directions(msg.text) != _directions(e.msgstr):
            found.append(_diag(path, e, "L002", f"message {label}: the source {'opens' if _directions(msg.text) else 'does not open'} with a stage direction in brackets, the translation {'does' if _directions(e.msgstr) else 'does not'}", Severity.ERROR, po, "msgstr"))
    for ctx, m in current.items():
        if ctx not in seen:
            found.append(Diagnostic(path, 1, 1, "L005", f"message {ctx!r} of {kind_of(scenario)} {scenario.id!r} is missing: run `defuse l10n update`", Severity.WARNING))
    return sorted(found)


def coverage(po: polib.POFile, scenario: Scenario | Protocol) -> tuple[int, int]:
    """(messages translated and current, messages in the scenario)."""
    current = {m.context: m.text for m in messages(scenario)}
    done = sum(1 for ctx, e in _own(po, scenario) if not e.fuzzy and e.msgstr.strip() and current.get(ctx) == e.msgid)
    return done, len(current)


@dataclass(frozen=True)
class Translated:
    scenario: Scenario
    language: str
    missing: tuple[str, ...]  # contexts shown in the source language (untranslated, fuzzy or stale)


def translate(scenario: Scenario, po: polib.POFile, language: str) -> Translated:
    """The scenario with every current translation applied; anything else stays as written.

    Only texts change: ids, actions and routes are the scenario's own, so a session in any
    language is scored and analysed exactly like one in the source language.
    """
    table = {ctx: e for ctx, e in _own(po, scenario) if not e.fuzzy and e.msgstr.strip()}
    missing: list[str] = []

    def tr(ctx: str, text: str) -> str:
        e = table.get(ctx)
        if e is None or e.msgid != text:
            missing.append(ctx)
            return text
        return e.msgstr

    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data["format_version"] = scenario.format_version
    data["title"] = tr("scenario:title", scenario.title)
    data["summary"] = tr("scenario:summary", scenario.summary)
    if scenario.goals:
        data["goals"] = [tr(f"goal:{i}", g) for i, g in enumerate(scenario.goals, start=1)]
    data["persona"]["name"] = tr("persona:name", scenario.persona.name)
    if scenario.persona.description:
        data["persona"]["description"] = tr("persona:description", scenario.persona.description)
    data.pop("phrases", None)  # already in the texts, which are translated whole
    for node, nd in zip(scenario.nodes, data["nodes"]):
        for line, ld in zip((node.line, *node.burst), (nd["line"], *nd.get("burst", []))):
            for w, wd in zip(line.wordings(), (ld, *ld.get("variants", []))):
                wd["text"] = tr(f"line:{w.id}", w.text)
                if w.speech:
                    wd["speech"] = tr(f"speech:{w.id}", w.speech)
        for o, od in zip(node.options, nd.get("options", [])):
            od["text"] = tr(f"option:{node.id}.{o.id}", o.text)
            if o.feedback:
                od["feedback"] = tr(f"feedback:{node.id}.{o.id}", o.feedback)
    return Translated(Scenario.model_validate(data), language, tuple(missing))


def _table(po: polib.POFile, doc) -> dict[str, polib.POEntry]:
    return {ctx: e for ctx, e in _own(po, doc) if not e.fuzzy and e.msgstr.strip()}


def translate_protocol(protocol: Protocol, po: polib.POFile) -> Protocol:
    """The protocol with every current translation of its texts applied (ids, actions,
    weights and rules untouched, so a score in any language is the same number)."""
    table = _table(po, protocol)

    def tr(ctx: str, text: str) -> str:
        e = table.get(ctx)
        return e.msgstr if e is not None and e.msgid == text else text

    data = protocol.model_dump(mode="json", exclude_defaults=True)
    data["title"] = tr("protocol:title", protocol.title)
    data["summary"] = tr("protocol:summary", protocol.summary)
    for st, sd in zip(protocol.steps, data["steps"]):
        sd["title"] = tr(f"step:{st.id}.title", st.title)
        sd["description"] = tr(f"step:{st.id}.description", st.description)
        if st.missed:
            sd["missed"] = tr(f"step:{st.id}.missed", st.missed)
    for rule, rd in zip(protocol.conduct, data.get("conduct", [])):
        rd["message"] = tr(f"conduct:{rule.action.value}.message", rule.message)
    data.setdefault("safety", {})["message"] = tr("safety:message", protocol.safety.message)
    if protocol.absorbed_abuse is not None:
        data["absorbed_abuse"]["message"] = tr("absorbed_abuse:message", protocol.absorbed_abuse.message)
    return Protocol.model_validate(data)


def po_path_name(scenario_file_stem: str, language: str) -> str:
    """The file name of a translation beside its scenario."""
    return f"{scenario_file_stem}.{language}.po"
