"""Paths: outputs only ever replace regular files; only regular files are read."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator.store import Store

from playthrough import BY_THE_BOOK, play


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        play(store, "Amira", BY_THE_BOOK)
    return path


def test_a_report_never_replaces_a_symlink(cli, db, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "link.csv"
    link.symlink_to(precious)
    status, out, err = cli("report", "--db", str(db), "--format", "csv", "-o", str(link))
    assert status == 1
    assert err == f"defuse: cannot write {link}: it is a symbolic link; an output only ever replaces a regular file\n"
    assert link.is_symlink() and precious.read_text() == "keep me"


@pytest.mark.parametrize("kind", ["fifo", "folder", "empty"])
def test_a_report_to_a_fifo_a_folder_or_nothing_is_one_line(cli, db, tmp_path, kind):
    target = {"fifo": tmp_path / "pipe", "folder": tmp_path, "empty": ""}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    status, out, err = cli("report", "--db", str(db), "--format", "csv", "-o", str(target))
    assert status == 1
    expected = {
        "fifo": f"defuse: cannot write {target}: it is a pipe (FIFO); an output only ever replaces a regular file\n",
        "folder": f"defuse: cannot write {target}: it is a folder; an output only ever replaces a regular file\n",
        "empty": "defuse: -o: an empty file name\n",
    }[kind]
    assert err == expected


def test_graph_never_replaces_a_device_or_a_link(cli, tmp_path):
    link = tmp_path / "g.dot"
    link.symlink_to("/dev/null")
    status, out, err = cli("graph", "billing_double_charge", "-o", str(link))
    assert status == 1 and err == f"defuse: cannot write {link}: it is a symbolic link; an output only ever replaces a regular file\n"


@pytest.mark.parametrize("command", [("validate",), ("run", "--policy", "protocol", "--no-save"), ("import",)])
def test_a_fifo_is_refused_instead_of_blocking(cli, tmp_path, command):
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    status, out, err = cli(command[0], str(fifo), *command[1:])
    assert status == 1
    text = out + err
    assert "not a regular file" in text and "Traceback" not in text


def test_a_link_out_of_a_scenarios_folder_is_not_read(cli, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "evil.yaml").symlink_to(secret)
    status, out, err = cli("scenarios", "--scenarios", str(folder))
    assert "hunter2" not in out + err
    assert f"{folder / 'evil.yaml'}:1:1: E001 cannot read the file: it is a symbolic link to a file outside the folder (not read)" in err.splitlines()
