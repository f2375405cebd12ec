"""Subcommands for scenarios in other formats and languages (see simulator.cli; shared helpers in simulator.cli_common):
`convert` (Twee 3 <-> YAML) and `l10n extract|init|update|check` (scenarios and protocols). Thin: read the files,
call the pure converters (`twee`, `l10n`), print the diagnostics, write the results."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ..cli_common import emit_json, fail, library_from
from ..diagnostics import Diagnostic, ScenarioError
from ..l10n import check_po, coverage, init_po, kind_of, po_path_name, pot_text, update_po
from ..library import protocol, protocol_path, protocols, read_bytes
from ..loader import parse_yaml, scenario_of
from ..translations import check_language, languages_of, read_translation
from .twee import document_to_yaml, parse_twee, scenario_to_twee, story_to_document
from .validate import check_file

__all__ = ["register"]

TWEE_SUFFIXES = (".twee", ".tw")
YAML_SUFFIXES = (".yaml", ".yml")


def register(sub, common) -> None:
    p = sub.add_parser("convert", parents=[common], help="Twine's Twee 3 to a scenario, or a scenario to Twee 3 (by the suffixes)")
    p.add_argument("input", metavar="INPUT", help="a .twee/.tw story, or a scenario (.yaml file or id)")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (.yaml or .twee); default: print it")
    p.add_argument("--mapping", metavar="FILE", help="Twee -> YAML: a YAML file filling in what Twee cannot say (persona, protocol, actions...)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("l10n", help="translations keyed by line ids: extract, init, update, check")
    l10n = p.add_subparsers(dest="l10n_command", metavar="STEP")
    q = l10n.add_parser("extract", parents=[common], help="every translatable text as a gettext template (.pot)")
    q.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario or protocol ids or files")
    q.add_argument("-o", "--output", metavar="FILE", help="write the template here (default: print it)")
    q.set_defaults(func=cmd_extract)
    q = l10n.add_parser("init", parents=[common], help="start a translation: SCENARIO.LANG.po beside each scenario")
    q.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario or protocol ids or files (a protocol's step names and feedback lines)")
    q.add_argument("--lang", required=True, metavar="CODE", help="the language, e.g. de or es")
    q.set_defaults(func=cmd_init)
    q = l10n.add_parser("update", parents=[common], help="bring translations up to date with their scenarios (changed -> fuzzy, removed -> obsolete)")
    q.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario or protocol ids or files (a protocol's step names and feedback lines)")
    q.add_argument("--lang", metavar="CODE", help="only this language (default: every translation found)")
    q.set_defaults(func=cmd_update)
    q = l10n.add_parser("check", parents=[common], help="broken placeholders, empty or stale translations, and coverage per language")
    q.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario or protocol ids or files (a protocol's step names and feedback lines)")
    q.add_argument("--lang", metavar="CODE", help="only this language (default: every translation found)")
    q.add_argument("--json", action="store_true", help="print the findings and the coverage as one JSON document")
    q.set_defaults(func=cmd_check)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(parser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _show(diags: list[Diagnostic]) -> None:
    for d in sorted(diags):
        sys.stderr.write(f"{d}\n")


def _write(path: str, text: str) -> str | None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        return f"cannot write {path}: {e.strerror or e}"
    return None


def _read_text(path: str, code: str) -> str:
    raw = read_bytes(path)  # E001 for a missing or unreadable file
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ScenarioError([Diagnostic(path, line, 1, code, f"not UTF-8: byte 0x{raw[e.start]:02x} cannot be decoded")]) from None
    if "\x00" in text:
        raise ScenarioError([Diagnostic(path, 1, 1, code, "binary data (a NUL byte): this is not a text file")])
    return text


# ---------------------------------------------------------------- convert


def cmd_convert(args) -> int:
    src = args.input
    if Path(src).suffix.lower() in TWEE_SUFFIXES:
        if args.output and Path(args.output).suffix.lower() not in YAML_SUFFIXES:
            return fail(f"a Twee story converts to a scenario: name the output .yaml, not {args.output}", 2)
        return _twee_to_yaml(args)
    if args.output and Path(args.output).suffix.lower() not in TWEE_SUFFIXES:
        return fail(f"a scenario converts to a Twee story: name the output .twee, not {args.output}", 2)
    if args.mapping:
        return fail("--mapping is for Twee -> YAML", 2)
    entry = library_from(args).get(src)
    text = scenario_to_twee(entry.scenario)
    if not args.output:
        sys.stdout.write(text)
        return 0
    problem = _write(args.output, text)
    if problem:
        return fail(problem)
    sys.stderr.write(f"wrote {args.output}: import it in Twine 2 (Library > Import), then `defuse convert {args.output} -o {entry.path.stem}.yaml` brings it back\n")
    return 0


def _twee_to_yaml(args) -> int:
    text = _read_text(args.input, "T001")
    mapping = None
    if args.mapping:
        mdoc = parse_yaml(_read_text(args.mapping, "E001"), args.mapping)
        if mdoc.diagnostics:
            raise ScenarioError(mdoc.diagnostics)
        mapping = mdoc.data
    story = parse_twee(text, args.input)
    doc, diags = story_to_document(story, mapping)
    _show(diags)
    if any(d.severity.value == "error" for d in diags):
        errors = sum(d.severity.value == "error" for d in diags)
        sys.stderr.write(f"{args.input}: not converted: {errors} error{'s' if errors != 1 else ''}\n")
        return 1
    out = document_to_yaml(doc, Path(args.input).name)
    name = args.output or "<stdout>"
    todo = scenario_of(parse_yaml(out, name), set(protocols()))
    if args.output:
        problem = _write(args.output, out)
        if problem:
            return fail(problem)
    else:
        sys.stdout.write(out)
    if todo is None:
        sys.stderr.write(f"wrote {name}: `defuse validate {name}` lists what is still to fill in (actions, persona, protocol...)\n")
    elif args.output:
        sys.stderr.write(f"wrote {name}: it validates; `defuse lint {name}` next\n")
    return 0


# ---------------------------------------------------------------- l10n


@dataclass(frozen=True)
class _Doc:
    """A scenario or a protocol with the file it came from (translations live beside it)."""

    path: Path
    doc: object  # Scenario | Protocol

    @property
    def kind(self) -> str:
        return kind_of(self.doc)


def _protocol_doc(name: str) -> _Doc | None:
    """`name` as a protocol: an installed protocol's id, or a file `defuse validate` reads as a
    protocol (top-level `steps:` and no `nodes:`); None when it is not one."""
    if name in protocols() and not Path(name).exists():
        return _Doc(protocol_path(name), protocol(name))
    path = Path(name)
    if path.suffix not in YAML_SUFFIXES or not path.is_file():
        return None
    checked = check_file(str(path))
    if checked.kind != "protocol":
        return None
    if checked.protocol is None:
        raise ScenarioError(checked.diagnostics)
    return _Doc(path, checked.protocol)


def _entries(args) -> list[_Doc]:
    lib = library_from(args)
    out = []
    for name in args.scenarios:
        doc = _protocol_doc(name)
        if doc is None:
            entry = lib.get(name)
            doc = _Doc(entry.path, entry.scenario)
        out.append(doc)
    return out


def _lang(code: str | None) -> str | None:
    return check_language(code) if code else None


def cmd_extract(args) -> int:
    text = pot_text([e.doc for e in _entries(args)])
    if not args.output:
        sys.stdout.write(text)
        return 0
    problem = _write(args.output, text)
    return fail(problem) if problem else 0


def cmd_init(args) -> int:
    lang = _lang(args.lang)
    status = 0
    for entry in _entries(args):
        target = entry.path.parent / po_path_name(entry.path.stem, lang)
        if target.exists():
            status = fail(f"{target} already exists: `defuse l10n update --lang {lang} {entry.path}` brings it up to date")
            continue
        try:
            with open(target, "x", encoding="utf-8") as fh:
                fh.write(init_po(entry.doc, lang))
        except OSError as e:
            status = fail(f"cannot write {target}: {e.strerror or e}")
            continue
        sys.stderr.write(f"wrote {target}: translate each msgstr, then `defuse l10n check --lang {lang} {entry.path}`\n")
    return status


def _translations(entry, lang: str | None) -> dict:
    found = languages_of(entry.path)
    if lang is not None:
        return {lang: found[lang]} if lang in found else {}
    return found


def cmd_update(args) -> int:
    lang = _lang(args.lang)
    status = 0
    for entry in _entries(args):
        found = _translations(entry, lang)
        if not found:
            status = fail(f"{entry.path}: no translation{' into ' + lang if lang else ''} beside it; `defuse l10n init --lang CODE` starts one")
            continue
        for code, path in found.items():
            try:
                po = read_translation(path)
            except ScenarioError as e:
                _show(e.diagnostics)
                status = 1
                continue
            merged = update_po(po, entry.doc)
            problem = _write(str(path), merged.text)
            if problem:
                status = fail(problem)
                continue
            sys.stderr.write(
                f"updated {path}: {merged.kept} kept, {merged.fuzzy} fuzzy (source changed), {merged.added} new, {merged.obsolete} obsolete\n"
            )
    return status


def cmd_check(args) -> int:
    lang = _lang(args.lang)
    reports = []
    diags: list[Diagnostic] = []
    missing_any = False
    for entry in _entries(args):
        found = _translations(entry, lang)
        if not found:
            missing_any = True
            sys.stderr.write(f"{entry.path}: no translation{' into ' + lang if lang else ''}\n")
        for code, path in found.items():
            try:
                po = read_translation(path)
            except ScenarioError as e:
                found_here = list(e.diagnostics)
                done, total = 0, None
            else:
                found_here = check_po(po, entry.doc, str(path))
                done, total = coverage(po, entry.doc)
            diags.extend(found_here)
            reports.append(
                {
                    entry.kind: entry.doc.id,
                    "language": code,
                    "path": str(path),
                    "translated": done,
                    "messages": total,
                    "diagnostics": [d.to_dict() for d in found_here],
                }
            )
    errors = any(d.severity.value == "error" for d in diags)
    if args.json:
        emit_json(reports)
    else:
        for d in sorted(diags):
            print(d)
        for r in reports:
            if r["messages"] is None:
                sys.stderr.write(f"{r.get('scenario') or r.get('protocol')} [{r['language']}]: unreadable\n")
            else:
                pct = 100.0 * r["translated"] / r["messages"] if r["messages"] else 100.0
                sys.stderr.write(f"{r.get('scenario') or r.get('protocol')} [{r['language']}]: {r['translated']} of {r['messages']} messages translated ({pct:.0f}%)\n")
    return 1 if errors or missing_any or any(r["messages"] is None for r in reports) else 0
