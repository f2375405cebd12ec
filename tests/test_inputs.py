"""Every number has a range and every name a shape: out-of-range input is a usage error, never a traceback."""
from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seed", "99999999999999999999"], "argument --seed: a seed is from 0 to 9223372036854775807"),
        (["--seed", "-1"], "argument --seed: a seed is from 0 to 9223372036854775807"),
        (["--seed", "1e3"], "argument --seed: '1e3' is not a whole number"),
        (["--trainee", "  \t "], "argument --trainee: a trainee name cannot be empty"),
        (["--trainee", "x" * 61], "argument --trainee: a trainee name has at most 60 characters"),
    ],
)
def test_run_refuses_out_of_range_arguments(cli, capsys, args, message):
    with pytest.raises(SystemExit) as e:
        cli("run", "billing_double_charge", "--policy", "protocol", "--no-save", *args)
    assert e.value.code == 2
    assert capsys.readouterr().err.endswith(f"defuse run: error: {message}\n")


def test_names_are_trimmed_where_they_are_entered(cli):
    status, out, err = cli("run", "billing_double_charge", "--policy", "protocol", "--no-save", "--json", "--trainee", "  Amira \x1b[31m  B ")
    assert status == 0, err
    assert json.loads(out)["session"]["trainee"] == "Amira [31m B"
