"""`defuse completion bash|zsh|fish`, `defuse --version` and help for every option: the
scripts are generated from the parser, so every command of the parser must appear in them."""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from simulator.cli import build_parser
from simulator.completion import SHELLS, command_tree, render

ROOT = Path(__file__).resolve().parent.parent


def every_parser(parser: argparse.ArgumentParser, path: str = "defuse"):
    """(path, parser, help of the command) for the parser and each of its subcommands, nested."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from every_parser(sub, f"{path} {name}")


def command_helps(parser: argparse.ArgumentParser, path: str = "defuse"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", helps.get(name)
                yield from command_helps(sub, f"{path} {name}")


def test_every_option_and_argument_of_every_command_has_help():
    missing = []
    for path, parser in every_parser(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.metavar or action.dest}")
    missing += [path for path, text in command_helps(build_parser()) if not (text or "").strip()]
    assert missing == [], "no help text: " + ", ".join(missing)


def test_the_options_the_issue_named_explain_themselves(capsys):
    for argv, option in [
        (["run", "--help"], "--seed N"),
        (["score", "--help"], "--protocol ID"),
        (["score", "--help"], "--actions A,A,..."),
        (["protocols", "--help"], "ID"),
        (["lrs", "push", "--help"], "--user U"),
        (["lrs", "push", "--help"], "--timeout SECONDS"),
    ]:
        with pytest.raises(SystemExit) as done:
            build_parser().parse_args(argv)
        assert done.value.code == 0
        lines = capsys.readouterr().out.splitlines()
        # argparse prints "  --seed N   its help", or the help on the next line when the option is long
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(option))
        rest = lines[at].strip()[len(option):].strip() or lines[at + 1].strip()
        assert rest and not rest.startswith("-"), (argv, option, lines[at : at + 2])


def test_version_prints_the_installed_version_and_exits_0():
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"defuse {metadata.version('defuse')}"
    assert metadata.version("defuse") in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def all_commands() -> set[str]:
    return {path.rsplit(" ", 1)[1] for path, _ in every_parser(build_parser()) if " " in path}


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_names_every_command_and_option(cli, shell):
    status, out, err = cli("completion", shell)
    assert status == 0, err
    assert out == render(build_parser(), shell)
    tree = command_tree(build_parser())
    assert {c.path.rsplit(" ", 1)[1] for c in tree.walk() if c is not tree} == all_commands()
    for command in tree.walk():
        assert f"'{command.path}" in out, command.path
        for option in command.options:
            for flag in option.flags:
                assert flag.lstrip("-") in out, (command.path, flag)
    assert {"lrs push", "l10n check", "completion"} <= {c.path.split(" ", 1)[1] for c in tree.walk() if c is not tree}


def test_a_new_command_completes_without_editing_the_generator():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    p = sub.add_parser("frobnicate", help="a command added after the generator was written")
    p.add_argument("--widget-count", help="how many widgets")
    for shell in SHELLS:
        text = render(parser, shell)
        assert "frobnicate" in text and "widget-count" in text, shell


def test_an_unknown_shell_is_a_usage_error(cli):
    with pytest.raises(SystemExit) as done:
        cli("completion", "tcsh")
    assert done.value.code == 2


def test_bash_accepts_the_script():
    script = render(build_parser(), "bash")
    proc = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def bash_complete(*words: str) -> list[str]:
    """What the generated bash completion offers for the words typed so far (the last is the one being completed)."""
    script = render(build_parser(), "bash")
    driver = script + '\nCOMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _defuse; printf "%s\\n" "${COMPREPLY[@]}"\n'
    proc = subprocess.run(["bash", "-c", driver, "bash", "defuse", *words], capture_output=True, text=True, check=True)
    return [w for w in proc.stdout.splitlines() if w]


def test_bash_completes_commands_nested_commands_options_and_choices():
    assert set(bash_complete("")) == {p.rsplit(" ", 1)[1] for p, _ in every_parser(build_parser()) if p.count(" ") == 1}
    assert bash_complete("l") == ["lint", "l10n", "lrs"]
    assert bash_complete("lrs", "") == ["push"]
    assert bash_complete("lrs", "push", "--ti") == ["--timeout"]
    assert bash_complete("report", "--format", "") == ["csv", "xlsx", "json", "html", "xapi", "pdf"]
    # the value of --seed is skipped, so the next word is an option of `run` again
    assert bash_complete("run", "--seed", "3", "--no-") == ["--no-save"]
    assert bash_complete("completion", "") == list(SHELLS)
    # an option's value with no choices, or a scenario: nothing offered, bash falls back to file names
    assert bash_complete("run", "--db", "") == []


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_accepts_the_script():
    proc = subprocess.run(["zsh", "-n"], input=render(build_parser(), "zsh"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_accepts_the_script_and_completes_nested_commands(tmp_path):
    script = tmp_path / "defuse.fish"
    script.write_text(render(build_parser(), "fish"))
    proc = subprocess.run(["fish", "--no-config", "-n", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        ["fish", "--no-config", "-c", f"source {script}; complete -C 'defuse lrs push --ti'; complete -C 'defuse l'"],
        capture_output=True, text=True, check=True,
    )
    offered = [line.split("\t")[0] for line in proc.stdout.splitlines()]
    assert offered == ["--timeout", "l10n", "lint", "lrs"]
