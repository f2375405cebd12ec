"""`reports.lrs.push` and `Sending`, the retry loop, as a function of a session store and a
client: what it sends per request, what the ledger then holds, and what a refusal or an outage
leaves pending."""
from __future__ import annotations

import json

import pytest
from playthrough import BY_THE_BOOK, play

from simulator.library import protocol
from simulator.reports.lrs import LrsError, Pushed, Sending, parcel, push
from simulator.reports.rows import judged
from simulator.store import Store

ENDPOINT = "http://lrs.example/xAPI/"


class Client:
    """Records each request's sessions; refuses those in `refuse` (4xx), and is down from request `down_from` on."""

    def __init__(self, refuse=(), down_from: int | None = None):
        self.refuse, self.down_from = set(refuse), down_from
        self.requests: list[list[str]] = []

    def send_encoded(self, body: bytes, ids: list) -> None:
        statements = json.loads(body)
        assert [st["id"] for st in statements] == ids
        sessions = list(dict.fromkeys(st["session"] for st in statements))
        if self.down_from is not None and len(self.requests) + 1 >= self.down_from:
            raise LrsError("503 Service Unavailable", retry=True)
        if self.refuse & set(sessions):
            raise LrsError("400 Bad Request: a statement is not valid", retry=False)
        self.requests.append(sessions)


def two_statements(j) -> list[dict]:
    return [{"id": f"{j.session.id}/{k}", "session": j.session.id, "part": k} for k in range(2)]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        for name in ("Ann", "Ben", "Cy", "Dee", "Eve"):
            play(store, name, BY_THE_BOOK)
        yield store


def run(store: Store, client: Client, errors: list[str], batch: int = 4) -> Pushed:
    ids = [s.id for s in store.find(with_turns=False)]
    sending = Sending(client, batch, errors)
    return push(store, ENDPOINT, ids, lambda pending: sending.run(parcel(j.session, two_statements(j)) for j in judged(store.get_many(pending), protocol)))


def order(store: Store) -> list[str]:
    return [s.id for s in store.find(with_turns=False)]


def test_sessions_go_many_per_request_and_each_once(store):
    client, errors = Client(), []
    done = run(store, client, errors)
    ids = order(store)
    assert client.requests == [ids[0:2], ids[2:4], ids[4:5]]  # 4 statements a request, a session never split
    assert done == Pushed(sent=5, statements=10, already=0, pending=0) and errors == []
    again = Client()
    assert run(store, again, errors) == Pushed(sent=0, statements=0, already=5, pending=0)
    assert again.requests == []


def test_a_refused_session_is_found_and_the_others_still_go(store):
    ids = order(store)
    client, errors = Client(refuse={ids[3]}), []
    done = run(store, client, errors)
    assert done == Pushed(sent=4, statements=8, already=0, pending=1)
    assert errors == [f"session {ids[3]}: 400 Bad Request: a statement is not valid"]
    assert sorted(sum(client.requests, [])) == sorted(set(ids) - {ids[3]})
    assert store.lrs_pending(store.lrs_ledger(ENDPOINT), ids) == [ids[3]]


def test_an_outage_stops_the_push_and_the_next_push_sends_the_rest(store):
    ids = order(store)
    errors: list[str] = []
    done = run(store, Client(down_from=2), errors)
    assert done == Pushed(sent=2, statements=4, already=0, pending=3)
    assert errors == ["2 sessions: 503 Service Unavailable"]  # one line, and no request after it
    later = Client()
    assert run(store, later, []) == Pushed(sent=3, statements=6, already=2, pending=0)
    assert later.requests == [ids[2:4], ids[4:5]]



def test_the_push_leaves_the_interpreter_as_it_was_and_an_outage_still_keeps_the_rest_pending(store):
    import sys
    import threading

    seen = []

    class Noting(Client):
        def send_encoded(self, body, ids):
            seen.append((sys.getswitchinterval(), threading.current_thread() is threading.main_thread()))
            super().send_encoded(body, ids)

    before = sys.getswitchinterval()
    threads = set(threading.enumerate())  # (another test's progress bar may have left its monitor thread)
    errors: list[str] = []
    done = run(store, Noting(down_from=3), errors)
    # two requests landed, the third failed: its session stays pending for the next push
    assert done == Pushed(sent=4, statements=8, already=0, pending=1) and len(errors) == 1
    # requests went from the sender thread while the next was built, with threads switching often
    # (the sender waits on the network many times a request)
    assert [on_main for _, on_main in seen] == [False, False, False]
    assert all(interval <= 0.0005 for interval, _ in seen)
    assert sys.getswitchinterval() == before and set(threading.enumerate()) <= threads  # the sender thread is gone
