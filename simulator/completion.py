"""Shell completion for `defuse` (bash, zsh, fish), generated from its argparse parser.

The parser is read into a small tree of commands and options, and each shell's script is
rendered from that tree as plain tables, so a new command or option completes without
editing this module. Renderers return text; `defuse completion SHELL` prints it.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

__all__ = ["SHELLS", "Command", "Option", "command_tree", "render"]

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Command:
    path: str  # "defuse lrs push"
    help: str
    commands: tuple[Command, ...]
    options: tuple[Option, ...]
    choices: tuple[str, ...]  # of its positional arguments (e.g. the shells of `completion`)

    def walk(self):
        yield self
        for c in self.commands:
            yield from c.walk()


def _help(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if text == argparse.SUPPRESS:
        return ""
    try:
        text = text % dict(vars(action), prog=prog)
    except (KeyError, TypeError, ValueError):
        pass
    return " ".join(text.split())


def command_tree(parser: argparse.ArgumentParser, path: str | None = None, help: str = "") -> Command:
    path = path or parser.prog
    commands, options, choices = [], [], []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                commands.append(command_tree(sub, f"{path} {name}", " ".join(helps.get(name, "").split())))
        elif action.option_strings:
            if action.help == argparse.SUPPRESS:
                continue
            values = tuple(str(c) for c in action.choices) if action.choices else ()
            options.append(Option(tuple(action.option_strings), _help(action, parser.prog), action.nargs != 0, values))
        elif action.choices:
            choices.extend(str(c) for c in action.choices)
    return Command(path, help, tuple(commands), tuple(options), tuple(choices))


def render(parser: argparse.ArgumentParser, shell: str) -> str:
    tree = command_tree(parser)
    try:
        return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](tree)
    except KeyError:
        raise ValueError(f"no completion for {shell!r} (one of: {', '.join(SHELLS)})") from None


def _sq(text: str) -> str:
    """Single-quoted for bash and zsh (a backslash is literal inside single quotes)."""
    return "'" + text.replace("'", "'\\''") + "'"


def _fq(text: str) -> str:
    """Single-quoted for fish (backslash and quote are escaped inside single quotes)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _steps(tree: Command) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The `path:word` keys that enter a subcommand (with the path they lead to), and per
    command the `path:flag` keys of its options that take a value (the next word is that value)."""
    enter, value = [], []
    for cmd in tree.walk():
        for sub in cmd.commands:
            enter.append((f"{cmd.path}:{sub.path.rsplit(' ', 1)[1]}", sub.path))
        keys = [f"{cmd.path}:{flag}" for opt in cmd.options if opt.takes_value for flag in opt.flags]
        if keys:
            value.append(keys)
    return enter, value


def _follow(tree: Command, words: str, first: int, current: str) -> list[str]:
    """The loop bash and zsh share: follow the words typed before the cursor through the
    subcommands they name (into `cmdpath`), noting in `skip` when the next word is an option's
    value. `words` is the shell's array of words, `first` the index of the word after `defuse`,
    `current` the index of the word being completed."""
    enter, value = _steps(tree)
    return [
        f"    for ((i = {first}; i < {current}; i++)); do",
        f"        w=${{{words}[i]}}",
        "        if ((skip)); then skip=0; continue; fi",
        '        case "$cmdpath:$w" in',
        *(f"            {_sq(key)}) cmdpath={_sq(path)} ;;" for key, path in enter),
        *(f"            {'|'.join(_sq(v) for v in keys)}) skip=1 ;;" for keys in value),
        "        esac",
        "    done",
    ]


def _choice_cases(tree: Command, offer) -> list[str]:
    """`case` arms (bash and zsh) for the options whose value is one of a few choices:
    `offer(choices)` is the shell command that offers them."""
    return [
        f"            {'|'.join(_sq(f'{cmd.path}:{f}') for f in opt.flags)}) {offer(opt.choices)} ;;"
        for cmd in tree.walk()
        for opt in cmd.options
        if opt.choices
    ]


def _bash(tree: Command) -> str:
    choice_cases = _choice_cases(tree, lambda choices: f"words={_sq(' '.join(choices))}")
    word_cases = []
    for cmd in tree.walk():
        subs = [c.path.rsplit(" ", 1)[1] for c in cmd.commands] + list(cmd.choices)
        flags = [f for o in cmd.options for f in o.flags]
        word_cases.append(f"        {_sq(cmd.path)}) words={_sq(' '.join(subs))}; opts={_sq(' '.join(flags))} ;;")
    lines = [
        "# bash completion for defuse, generated by `defuse completion bash`.",
        "# Install: defuse completion bash > ~/.local/share/bash-completion/completions/defuse",
        "_defuse() {",
        '    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}',
        "    local cmdpath=defuse w i skip=0 words='' opts=''",
        *_follow(tree, "COMP_WORDS", 1, "COMP_CWORD"),
        "    COMPREPLY=()",
        "    if ((skip)); then",
        "        # the value of an option: its choices, or file names (complete -o default)",
        '        case "$cmdpath:$prev" in',
        *choice_cases,
        "            *) return 0 ;;",
        "        esac",
        '        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")',
        "        return 0",
        "    fi",
        '    case "$cmdpath" in',
        *word_cases,
        "    esac",
        '    if [[ $cur == -* ]]; then',
        '        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")',
        '    elif [[ -n $words ]]; then',
        '        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")',
        "    fi",
        "    return 0",
        "}",
        "complete -o default -F _defuse defuse",
        "",
    ]
    return "\n".join(lines)


def _zsh_item(name: str, help: str) -> str:
    return _sq(name.replace(":", "\\:") + (":" + help if help else ""))


def _zsh(tree: Command) -> str:
    choice_cases = _choice_cases(tree, lambda choices: f"compadd -- {' '.join(_sq(c) for c in choices)}")
    word_cases = []
    for cmd in tree.walk():
        subs = [_zsh_item(c.path.rsplit(" ", 1)[1], c.help) for c in cmd.commands] + [_zsh_item(c, "") for c in cmd.choices]
        flags = [_zsh_item(f, o.help) for o in cmd.options for f in o.flags]
        word_cases.append(f"        {_sq(cmd.path)}) cmds=({' '.join(subs)}); opts=({' '.join(flags)}) ;;")
    lines = [
        "#compdef defuse",
        "# zsh completion for defuse, generated by `defuse completion zsh`.",
        '# Install: defuse completion zsh > "${fpath[1]}/_defuse" (or any folder on $fpath), then restart zsh',
        "_defuse() {",
        "    local cmdpath=defuse w i skip=0 prev=${words[CURRENT-1]}",
        "    local -a cmds opts",
        *_follow(tree, "words", 2, "CURRENT"),
        "    if ((skip)); then",
        "        # the value of an option: its choices, or file names",
        '        case "$cmdpath:$prev" in',
        *choice_cases,
        "            *) _files ;;",
        "        esac",
        "        return",
        "    fi",
        '    case "$cmdpath" in',
        *word_cases,
        "    esac",
        "    if [[ $PREFIX == -* ]]; then",
        "        _describe -t options option opts",
        "    elif (( ${#cmds} )); then",
        "        _describe -t commands command cmds",
        "    else",
        "        _files",
        "    fi",
        "}",
        'if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then',
        '    _defuse "$@"',
        "else",
        "    compdef _defuse defuse",
        "fi",
        "",
    ]
    return "\n".join(lines)


def _fish(tree: Command) -> str:
    enter, value = _steps(tree)
    lines = [
        "# fish completion for defuse, generated by `defuse completion fish`.",
        "# Install: defuse completion fish > ~/.config/fish/completions/defuse.fish",
        "function __defuse_path --description 'the defuse command being typed, e.g. \"defuse lrs push\"'",
        "    set -l cmdpath defuse",
        "    set -l skip 0",
        "    for w in (commandline -opc)[2..-1]",
        "        if test $skip = 1",
        "            set skip 0",
        "            continue",
        "        end",
        '        switch "$cmdpath:$w"',
    ]
    for key, path in enter:
        lines += [f"            case {_fq(key)}", f"                set cmdpath {_fq(path)}"]
    for keys in value:
        lines += [f"            case {' '.join(_fq(v) for v in keys)}", "                set skip 1"]
    lines += [
        "        end",
        "    end",
        '    echo "$cmdpath"',
        "end",
        "",
        "function __defuse_at",
        '    test (__defuse_path) = "$argv[1]"',
        "end",
        "",
    ]
    for cmd in tree.walk():
        at = _fq(f"__defuse_at {_fq(cmd.path)}")
        if cmd.commands:
            lines.append(f"complete -c defuse -n {at} -f")
        for sub in cmd.commands:
            lines.append(f"complete -c defuse -n {at} -a {_fq(sub.path.rsplit(' ', 1)[1])} -d {_fq(sub.help)}")
        if cmd.choices:
            lines.append(f"complete -c defuse -n {at} -f -a {_fq(' '.join(cmd.choices))}")
        for opt in cmd.options:
            spec = []
            for flag in opt.flags:
                if flag.startswith("--"):
                    spec.append(f"-l {_fq(flag[2:])}")
                elif len(flag) == 2:
                    spec.append(f"-s {_fq(flag[1:])}")
                else:
                    spec.append(f"-o {_fq(flag[1:])}")
            if opt.choices:
                spec.append(f"-x -a {_fq(' '.join(opt.choices))}")
            elif opt.takes_value:
                spec.append("-r")
            lines.append(f"complete -c defuse -n {at} {' '.join(spec)} -d {_fq(opt.help)}")
    lines.append("")
    return "\n".join(lines)
