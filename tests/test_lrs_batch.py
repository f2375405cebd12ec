"""`defuse lrs push` sends many sessions per request, and knows one store however its address is written.

Against the scripted HTTP peer of test_lrs (which records every request body) for the
request shapes, and against the live Ralph LRS of test_lrs for the end-to-end count.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.reports.rows import judged
from simulator.reports.xapi import statements
from simulator.library import protocol
from simulator.store import Store, lrs_key

from playthrough import BY_THE_BOOK, play
from test_lrs import held, push, ralph, running, scripted  # noqa: F401  (fixtures)

HOSTILE = ["quick_see!", "her_side"]


def class_of(path: Path, n: int, same: bool = False) -> dict[str, int]:
    """n sessions (alternating two plays unless `same`); the number of statements of each, by session id."""
    with Store(path) as store:
        for i in range(n):
            play(store, f"T{i}", BY_THE_BOOK if i % 2 or same else HOSTILE)
        return {j.session.id: len(statements(j)) for j in judged(store.find(), protocol)}


def sessions_in(body: list[dict]) -> list[str]:
    key = "https://defuse.example/xapi/extensions/session"
    return list(dict.fromkeys(st["context"]["extensions"][key] for st in body))


def test_many_sessions_per_request_never_split(cli, scripted, tmp_path):  # noqa: F811
    endpoint, peer = scripted
    counts = class_of(tmp_path / "a.sqlite3", 7)
    # any two sessions fit in a request, whatever order the store reads them in (sessions begun in
    # the same second come by id), but not every three: requests hold two or three of mixed sizes
    limit = 2 * max(counts.values())
    assert sum(sorted(counts.values())[-3:]) > limit
    status, doc, err = push(cli, tmp_path / "a.sqlite3", endpoint, "--batch", str(limit))
    assert status == 0, err
    assert doc["sent"] == 7 and doc["statements"] == sum(counts.values()) and doc["pending"] == 0
    assert 1 < len(peer.bodies) <= 4
    seen = []
    for body in peer.bodies:
        assert len(body) <= limit
        for sid in sessions_in(body):
            # a session's statements all travel in one request
            assert sum(1 for st in body if sessions_in([st]) == [sid]) == counts[sid]
            seen.append(sid)
    assert sorted(seen) == sorted(counts)


def test_default_batch_sends_a_small_class_in_one_request(cli, scripted, tmp_path):  # noqa: F811
    endpoint, peer = scripted
    counts = class_of(tmp_path / "b.sqlite3", 5)
    status, doc, _ = push(cli, tmp_path / "b.sqlite3", endpoint)
    assert status == 0 and len(peer.bodies) == 1 and len(peer.bodies[0]) == sum(counts.values()) <= 500


def test_a_refused_request_is_split_so_only_the_bad_session_stays_pending(cli, scripted, tmp_path):  # noqa: F811
    endpoint, peer = scripted
    counts = class_of(tmp_path / "c.sqlite3", 3)
    peer.answers = [400, 200, 400, 200]  # the request of all three, then each alone: the second is refused
    status, doc, err = push(cli, tmp_path / "c.sqlite3", endpoint)
    assert status == 1 and doc["sent"] == 2 and doc["pending"] == 1 and len(doc["errors"]) == 1
    assert [len(sessions_in(b)) for b in peer.bodies] == [3, 1, 1, 1]
    refused = sessions_in(peer.bodies[2])[0]
    status, doc, _ = push(cli, tmp_path / "c.sqlite3", endpoint)
    assert status == 0 and doc["sent"] == 1 and sessions_in(peer.bodies[-1]) == [refused]
    assert len(counts) == 3


def test_a_server_error_stops_the_push_and_keeps_the_rest_pending(cli, scripted, tmp_path):  # noqa: F811
    endpoint, peer = scripted
    counts = class_of(tmp_path / "d.sqlite3", 6, same=True)
    limit = max(counts.values()) * 2  # two sessions per request
    peer.answers = [200, 503]
    status, doc, _ = push(cli, tmp_path / "d.sqlite3", endpoint, "--batch", str(limit))
    assert status == 1 and doc["sent"] == 2 and doc["pending"] == 4 and len(peer.bodies) == 2
    status, doc, _ = push(cli, tmp_path / "d.sqlite3", endpoint, "--batch", str(limit))
    assert status == 0 and doc["sent"] == 4 and doc["already_sent"] == 2


@pytest.mark.parametrize("spelling", ["/xAPI", "/xAPI/statements", "/xAPI/statements/", "/xAPI//"])
def test_one_store_however_its_address_is_written(cli, scripted, tmp_path, spelling):  # noqa: F811
    endpoint, peer = scripted
    base = endpoint.rstrip("/").removesuffix("/xAPI")
    class_of(tmp_path / "e.sqlite3", 2)
    assert push(cli, tmp_path / "e.sqlite3", endpoint)[1]["sent"] == 2
    status, doc, _ = push(cli, tmp_path / "e.sqlite3", base + spelling)
    assert status == 0 and doc["sent"] == 0 and doc["already_sent"] == 2
    assert len(peer.bodies) == 1
    assert lrs_key(base + spelling) == base + "/xAPI"


def test_a_ledger_written_under_another_spelling_is_kept(tmp_path):
    with Store(tmp_path / "f.sqlite3") as store:
        rec = play(store, "Ivy", BY_THE_BOOK)
        store.mark_sent("http://lrs.example/xAPI/", store.get(rec.session_id))  # as an older Defuse wrote it
        key = store.lrs_ledger("http://lrs.example/xAPI/statements")
        assert key == "http://lrs.example/xAPI"
        assert store.lrs_pending(key, [rec.session_id]) == []
        assert [r[0] for r in store.conn.execute("SELECT endpoint FROM lrs_sent")] == [key]


@pytest.mark.lrs
@pytest.mark.slow
def test_batched_push_to_a_live_ralph_stores_every_statement_once(cli, running, tmp_path):  # noqa: F811
    db = tmp_path / "g.sqlite3"
    counts = class_of(db, 6)
    with Store(db) as store:
        ids = [st["id"] for j in judged(store.find(), protocol) for st in statements(j)]
    status, doc, err = push(cli, db, running.endpoint, "--batch", str(max(counts.values()) * 2))
    assert status == 0, err
    assert doc["sent"] == 6 and doc["statements"] == len(ids)
    assert sorted(held(running, ids)) == sorted(ids)
    assert json.dumps(doc["errors"]) == "[]"
