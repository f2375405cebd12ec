"""Translations on disk: the `<scenario>.<lang>.po` files beside a scenario, read through
the pure `l10n` functions. The shell around them, as `library` is around the loader."""
from __future__ import annotations

from pathlib import Path

from .diagnostics import DefuseError, Diagnostic, ScenarioError
from .l10n import LANG_PATTERN, Translated, check_po, po_path_name, read_po, translate, translate_protocol
from .library import Entry, Library, protocol_path
from .model import derived_value
from .loader import MAX_BYTES

__all__ = ["stale_translations", "languages_of", "library_languages", "read_translation", "localize", "check_language", "NoTranslation", "protocol_in"]


class NoTranslation(DefuseError):
    """The scenario has no translation into the language asked for."""


def check_language(code: str) -> str:
    """The language code as given, or a DefuseError saying what a code looks like."""
    if not LANG_PATTERN.match(code or ""):
        raise DefuseError(f"{code!r} is not a language code: use a code like de, es or pt-BR")
    return code


def languages_of(scenario_path: str | Path) -> dict[str, Path]:
    """The languages a scenario file is translated into, and their PO files."""
    p = Path(scenario_path)
    if not p.name or not p.parent.is_dir():
        return {}
    found = {}
    for po in sorted(p.parent.glob(f"{p.stem}.*.po")):
        lang = po.name[len(p.stem) + 1 : -3]
        if LANG_PATTERN.match(lang):
            found[lang] = po
    return found


def library_languages(library: Library) -> list[str]:
    """Every language any installed scenario is translated into."""
    langs: set[str] = set()
    for entry in library.entries().values():
        langs.update(languages_of(entry.path))
    return sorted(langs)


def read_translation(path: Path):
    """A PO file parsed, or a ScenarioError with its located problem."""
    try:
        raw = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as e:
        raise ScenarioError([Diagnostic(str(path), 1, 1, "L001", f"cannot read the file: {e.strerror or e}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ScenarioError([Diagnostic(str(path), line, 1, "L001", "not UTF-8: a PO file must be saved as UTF-8")]) from None
    po, diags = read_po(text, str(path))
    if po is None:
        raise ScenarioError(diags)
    return po


def localize(entry: Entry, language: str | None) -> Translated | None:
    """The entry's scenario in `language` (None, or no language: the scenario as written)."""
    if not language:
        return None
    langs = languages_of(entry.path)
    if language not in langs:
        have = ", ".join(langs) or "none"
        raise NoTranslation(f"scenario {entry.id!r} has no translation into {language!r} (translations: {have}); `defuse l10n init` starts one")
    return translate(entry.scenario, read_translation(langs[language]), language)


def protocol_in(protocol, language: str | None):
    """The protocol's texts (step names, feedback lines) in `language` when its file has a
    translation beside it (`<protocol>.<lang>.po`); otherwise the protocol as written.

    A debrief must never fail for want of a translation: a missing or broken catalogue gives
    the source texts (`defuse l10n check` and `lint` report the broken file)."""
    if not language:
        return protocol

    def make(p):
        path = protocol_path(p.id)
        po_file = path.parent / po_path_name(path.stem, language) if path is not None else None
        if po_file is None or not po_file.is_file():
            return p
        try:
            return translate_protocol(p, read_translation(po_file))
        except (ScenarioError, ValueError):
            return p

    return derived_value(protocol, f"in:{language}", make)


def stale_translations(source_path: str | Path, source) -> list[Diagnostic]:
    """What `defuse lint` says about the translations beside a scenario or a protocol file:
    broken files, and translations made for an older text (fuzzy or stale) or missing new lines."""
    out: list[Diagnostic] = []
    for path in languages_of(source_path).values():
        try:
            po = read_translation(path)
        except ScenarioError as e:
            out.extend(e.diagnostics)
            continue
        out.extend(d for d in check_po(po, source, str(path)) if d.code in ("L004", "L005"))
    return out
