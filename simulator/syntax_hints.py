"""Plain words for the YAML mistakes trainers actually make.

The parser reports what it could not do ("did not find expected key", "mapping values are
not allowed here"), usually some lines after the real mistake. These functions look at the
text around a parse error and name the likely cause, where it is and the fix: a quote
never closed (pointed at where it opened), an apostrophe inside single quotes, text that
starts with `*` or `&`, unquoted text holding ": ", a key indented too far or not far
enough. They only read the text they are given; nothing here parses or raises.
"""
from __future__ import annotations

import re

__all__ = ["explain_syntax_error", "plain_scalar_comment", "bare_word"]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _code_part(line: str) -> str:
    """The line without a trailing comment (a '#' after a space, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or line[i - 1] in " :[{,-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _open_double_quote(line: str) -> int | None:
    """Column (0-based) of a double quote this line opens and never closes, if any."""
    i, start, single = 0, None, False
    code = line
    while i < len(code):
        ch = code[i]
        if start is not None:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                start = None
        elif single:
            if ch == "'":
                if i + 1 < len(code) and code[i + 1] == "'":
                    i += 2
                    continue
                single = False
        elif ch == "#" and (i == 0 or code[i - 1] in " \t"):
            break
        elif ch == '"' and (i == 0 or code[i - 1] in " :[{,-"):
            start = i
        elif ch == "'" and (i == 0 or code[i - 1] in " :[{,-"):
            single = True
        i += 1
    return start


def _early_single_quote(line: str) -> int | None:
    """Column (0-based) of an apostrophe that closed a single-quoted text too early."""
    m = re.search(r"(?:^|[\s:\[{,-])'", line)
    if not m:
        return None
    i = m.end()
    while i < len(line):
        if line[i] == "'":
            if i + 1 < len(line) and line[i + 1] == "'":
                i += 2
                continue
            rest = line[i + 1 :].strip()
            return i if rest and not rest.startswith(("#", ",", "]", "}")) else None
        i += 1
    return None


def _key_column(line: str) -> int:
    """Column (0-based) where the key of this line starts, past any '- ' list markers."""
    col = _indent(line)
    while line[col : col + 2] == "- ":
        col += 2
        while col < len(line) and line[col] == " ":
            col += 1
    return col


def _is_key_line(line: str) -> bool:
    return re.match(r"\s*(?:-\s+)*([^\s:#\"'][^:#]*?):(\s|$)", line) is not None


def _key_name(line: str) -> str:
    m = re.match(r"\s*(?:-\s+)*([^\s:#][^:#]*?):(\s|$)", line)
    return m.group(1) if m else line.strip()


def explain_syntax_error(text: str, problem: str | None, context: str | None, line: int, col: int, context_line: int | None, context_col: int | None) -> tuple[int, int, str] | None:
    """(line, col, message) in plain words for a parse error at 1-based `line`, `col`, or None
    when no known mistake fits (the caller then quotes the parser)."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines) + 1:
        return None
    here = lines[line - 1] if line <= len(lines) else ""
    problem = problem or ""
    context = context or ""

    # Text starting with * or &: YAML reads it as an alias or an anchor.
    if "while scanning an alias" in context or "while scanning an anchor" in context:
        ln, c = (context_line, context_col) if context_line else (line, col)
        src = lines[ln - 1]
        sign = src[c - 1] if c - 1 < len(src) else "*"
        value = src[c - 1 :].split(" #")[0].strip()
        return ln, c, f"text that starts with {sign} must be quoted: YAML reads {sign}name as {'a reference to an anchor' if sign == '*' else 'an anchor'}; write it in double quotes: \"{value}\""

    # A double quote opened and never closed: the error shows up where the parser gave up,
    # which can be many lines later; point at where the quote opened.
    first = context_line if context_line and context_line <= line else max(1, line - 40)
    if "quoted scalar" in context and context_line:
        first = context_line
    for ln in range(first, min(line, len(lines)) + 1):
        c = _open_double_quote(lines[ln - 1])
        if c is not None and ("quoted scalar" in context or ln < line or problem.startswith("found unexpected end")):
            return ln, c + 1, "this double quote is never closed, so YAML read on into the lines after it: end the text with a \" on the same line"

    # An apostrophe inside single quotes ends the text there.
    c = _early_single_quote(here)
    if c is not None:
        return line, c + 1, "an apostrophe inside single quotes ends the text early: write it twice (don''t), or put the whole text in double quotes instead"

    if problem.startswith("mapping values are not allowed"):
        code = _code_part(here)
        key_end = code.find(": ") if ": " in code else code.find(":")
        if 0 <= key_end < col - 2:  # a second ': ' on the key's own line
            return line, col, "unquoted text cannot hold ': ' (YAML reads it as a new key): put the whole text in double quotes"
        # a key indented further than the key above it: YAML read it as more of that value
        prev = next((ln for ln in range(line - 1, 0, -1) if lines[ln - 1].strip() and not lines[ln - 1].lstrip().startswith("#")), None)
        if prev is not None:
            above = lines[prev - 1]
            want = _key_column(above)
            if _indent(here) > want:
                return line, _indent(here) + 1, (
                    f"`{_key_name(here)}:` is indented more than `{_key_name(above)}:` on line {prev}, so YAML read it as more of that value: "
                    f"line it up with `{_key_name(above)}:` ({want} spaces)"
                )
        return line, col, "a ':' YAML cannot place: quote text that contains ': ', and check this key's indentation"

    if "expected '-' indicator" in problem or "did not find expected key" in problem or "expected <block end>" in problem:
        prev = next((ln for ln in range(line - 1, 0, -1) if lines[ln - 1].strip()), None)
        if here.strip() and not _is_key_line(here) and not here.lstrip().startswith("- "):
            if prev is not None and re.search(r"[ \t]#", lines[prev - 1]):
                return line, _indent(here) + 1, (
                    f"this line cannot continue the text above it: the text on line {prev} stops at ' #', "
                    "which YAML reads as the start of a comment; put the whole text in double quotes"
                )
            return line, _indent(here) + 1, "this line is neither a `key: value` nor more of the text above it: check its indentation, or put the text above in double quotes"
        if context_line and context_line <= len(lines) and here.strip():
            opener = lines[context_line - 1]
            # a mapping's keys line up with its first key; a list item's keys with the key after its '-'
            want = context_col - 1 if "block mapping" in context else _key_column(opener)
            got = _indent(here)
            if got != want:
                return line, got + 1, (
                    f"`{_key_name(here)}:` is indented {got} space{'s' if got != 1 else ''}, but the keys it belongs with "
                    f"(from line {context_line}) are indented {want}: line it up with `{_key_name(opener)}:`"
                )
    return None


def bare_word(source: str, value) -> str | None:
    """Why an unquoted word YAML read as something else cannot be used as text, and the fix."""
    if isinstance(value, bool):
        return f"YAML reads a bare {source} as {str(value).lower()}: quote it (\"{source}\")"
    if value is None:
        return f"YAML reads a bare {source or 'empty value'} as nothing (null): quote it or write the text" if source else None
    if isinstance(value, (int, float)):
        return f"YAML reads a bare {source} as a number: quote it (\"{source}\")"
    return None


def plain_scalar_comment(text: str, line: int, col: int) -> str | None:
    """The words YAML dropped as a comment from an unquoted text starting at `line`, `col`
    (1-based), or None. Only text written plain (not quoted, not a | or > block) is cut, and
    a '#' after two spaces or more is taken as a comment the trainer meant to write."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    first = lines[line - 1]
    if col - 1 >= len(first) or first[col - 1] in "\"'|>[{":
        return None
    key_indent = _indent(first)
    for ln in range(line, len(lines) + 1):
        src = lines[ln - 1]
        part = src[col - 1 :] if ln == line else src
        if ln > line and (not src.strip() or _indent(src) <= key_indent or src.lstrip().startswith("#")):
            return None
        m = re.search(r"[ \t]#", part)
        if m and m.start() > 0 and part[m.start() - 1] in " \t":
            return None  # two spaces or more before the '#': a comment the trainer meant
        if m:
            dropped = part[m.start() + 1 :].strip()
            return dropped if len(dropped) > 1 else None
    return None
