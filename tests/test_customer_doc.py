"""docs/customer-model.md is generated from the customer model and kept in step with it."""
from __future__ import annotations

from pathlib import Path

from simulator import customer
from simulator.actions import Action
from simulator.authoring.customer_doc import render, source_comments
from simulator.customer import Dynamics

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "customer-model.md"


def test_the_page_is_what_the_generator_writes_today():
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "docs/customer-model.md is out of date: python -m simulator.authoring.customer_doc > docs/customer-model.md"
    )


def test_every_action_and_every_parameter_has_a_row():
    page = render()
    for a in Action:
        assert page.count(f"\n| `{a.value}` |") == 1, a
    for name in Dynamics.names():
        assert page.count(f"\n| `{name}` | {getattr(Dynamics(), name):g} |") == 1, name


def test_the_numbers_come_from_the_model_not_from_the_page(monkeypatch):
    monkeypatch.setitem(customer.DEFAULT_EFFECTS, Action.APOLOGIZE, -11.0)
    row = next(ln for ln in render().splitlines() if ln.startswith("| `apologize` |"))
    decay = Dynamics().decay
    assert row.split(" | ")[2:4] == ["-11", f"{-11 * decay:+.2f}".rstrip("0").rstrip(".")]


def test_the_notes_are_the_comments_beside_the_defaults():
    notes = source_comments()
    assert notes["over_promise"].startswith("feels good now")
    assert notes["decay"] == "each repeat of a calming action is worth this fraction of the last"
