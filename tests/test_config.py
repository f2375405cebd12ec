"""`defuse config`: the organisation's xAPI homePage and activity IRIs, kept in a file (platformdirs)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.store import Store

from playthrough import BY_THE_BOOK, play


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "c.sqlite3"
    with Store(path) as store:
        play(store, "Amira", BY_THE_BOOK)
    return path


def xapi(cli, db: Path, tmp_path: Path, *extra: str) -> list[dict]:
    out = tmp_path / "x.json"
    status, _, err = cli("report", "--db", str(db), "--format", "xapi", "-o", str(out), *extra)
    assert status == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def test_settings_live_in_the_user_config_folder(cli, tmp_path):
    status, out, _ = cli("config", "set", "xapi.homepage", "https://lms.acme.example/people")
    assert status == 0 and "xapi.homepage = https://lms.acme.example/people" in out
    path = tmp_path / "xdg-config" / "defuse" / "config.json"  # XDG_CONFIG_HOME is set by conftest
    assert json.loads(path.read_text()) == {"xapi.homepage": "https://lms.acme.example/people"}
    status, out, _ = cli("config", "--json")
    assert json.loads(out) == {"path": str(path), "settings": {"xapi.homepage": "https://lms.acme.example/people"}}
    assert cli("config", "unset", "xapi.homepage")[0] == 0
    assert json.loads(path.read_text()) == {}


def test_an_organisations_statements_carry_its_own_iris(cli, db, tmp_path, monkeypatch):
    monkeypatch.delenv("DEFUSE_XAPI_HOMEPAGE", raising=False)
    default = xapi(cli, db, tmp_path)
    assert default[0]["actor"]["account"]["homePage"] == "https://defuse.example/trainees"
    cli("config", "set", "xapi.homepage", "https://lms.acme.example/people")
    cli("config", "set", "xapi.activity_base", "https://training.acme.example/xapi")
    ours = xapi(cli, db, tmp_path)
    assert {st["actor"]["account"]["homePage"] for st in ours} == {"https://lms.acme.example/people"}
    assert ours[0]["object"]["id"] == "https://training.acme.example/xapi/scenarios/billing_double_charge"
    text = json.dumps(ours)
    assert "defuse.example" not in text and "https://training.acme.example/xapi/extensions/session" in text
    # the same statements: ids and registrations do not depend on the IRIs
    assert [st["id"] for st in ours] == [st["id"] for st in default]
    # an option wins over the environment, which wins over the file
    monkeypatch.setenv("DEFUSE_XAPI_HOMEPAGE", "https://env.example/people")
    assert xapi(cli, db, tmp_path)[0]["actor"]["account"]["homePage"] == "https://env.example/people"
    assert xapi(cli, db, tmp_path, "--homepage", "https://option.example/p")[0]["actor"]["account"]["homePage"] == "https://option.example/p"
    assert xapi(cli, db, tmp_path, "--activity-base", "https://b.example/x/")[0]["object"]["id"].startswith("https://b.example/x/scenarios/")


def test_bad_settings_are_one_clear_line(cli, tmp_path):
    status, _, err = cli("config", "set", "xapi.colour", "https://x.example")
    assert status == 1 and err == "defuse: unknown setting 'xapi.colour': one of xapi.homepage, xapi.activity_base\n"
    status, _, err = cli("config", "set", "xapi.homepage", "https://user:secret@x.example/")
    assert status == 1 and "not an http(s) IRI without credentials" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as e:
        cli("config", "set", "xapi.homepage")
    assert e.value.code == 2
    path = tmp_path / "xdg-config" / "defuse" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2")
    status, _, err = cli("config")
    assert status == 1 and f"defuse: {path}: not a JSON configuration" in err
