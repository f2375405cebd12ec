"""The LRS client against a record store that misbehaves: nothing is marked sent that was not
stored, no credential goes elsewhere, every failure is one line and never a traceback."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.reports.lrs import Lrs, LrsError
from simulator.reports.rows import judged
from simulator.reports.xapi import statements
from simulator.library import protocol
from simulator.store import Store

from fake_lrs import FakeLrs
from playthrough import BY_THE_BOOK, play

STATEMENTS = [{"id": f"00000000-0000-4000-8000-00000000000{i}", "n": i} for i in range(3)]


def send(fake: FakeLrs, timeout: float = 5.0, batch=STATEMENTS) -> None:
    Lrs(fake.endpoint, "u", "secret", timeout=timeout).send(batch)


def refused(fake: FakeLrs, timeout: float = 5.0) -> LrsError:
    with pytest.raises(LrsError) as e:
        send(fake, timeout)
    assert "\n" not in str(e.value)
    return e.value


def url(fake: FakeLrs) -> str:
    return fake.endpoint + "statements"


def test_the_ids_answered_are_taken_as_stored():
    with FakeLrs("ok") as fake:
        send(fake)
        send(fake)  # already held: 204
        assert [s["id"] for s in fake.stored] == [s["id"] for s in STATEMENTS]


def test_a_redirect_is_not_followed_and_the_password_goes_nowhere_else():
    with FakeLrs("redirect") as fake:
        e = refused(fake)
        assert str(e) == (
            f"{url(fake)} answered 302 Found, a redirect to {fake.endpoint[:-len('xAPI/')]}elsewhere/: not followed (it would carry"
            " the password elsewhere and store nothing); give the final address as --endpoint"
        )
        assert not e.retry
        assert [r["method"] for r in fake.requests] == ["POST"]  # no GET to the new address


def test_a_captive_portal_page_is_not_a_success():
    with FakeLrs("html") as fake:
        e = refused(fake)
    assert str(e) == f"{url(fake)} answered 200 with text/html, not the statement ids xAPI requires (a login page or proxy in the way?): nothing is taken as stored"
    assert e.retry


def test_ids_that_were_never_sent_are_not_a_success():
    with FakeLrs("wrongids") as fake:
        assert str(refused(fake)) == f"{url(fake)} answered 200 with statement ids that do not match those sent: nothing is taken as stored"


@pytest.mark.parametrize(
    "body",
    [b"[]", b"{}", b'"ok"', b"[1, 2]", b'["00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"]'],
)
def test_a_200_without_a_proper_id_list_is_not_a_success(body):
    with FakeLrs("script", script=[(200, body, 0)]) as fake:
        e = refused(fake)
    assert "nothing is taken as stored" in str(e)


def test_one_deadline_holds_for_the_whole_request_however_slowly_bytes_drip():
    with FakeLrs("trickle") as fake:
        e = refused(fake, timeout=0.6)
    assert str(e) == f"{url(fake)} gave no complete answer within 0.6 s"
    assert e.retry


def test_a_store_that_never_answers_is_cut_at_the_deadline():
    with FakeLrs("silent", limit=3) as fake:
        assert str(refused(fake, timeout=0.5)) == f"{url(fake)} gave no complete answer within 0.5 s"


def test_a_short_body_is_a_one_line_error():
    with FakeLrs("short") as fake:
        e = refused(fake)
    assert str(e).startswith(f"cannot reach {url(fake)}: the answer was cut short (")


def test_a_bad_status_line_is_a_one_line_error():
    with FakeLrs("badstatus") as fake:
        assert str(refused(fake)) == f"cannot reach {url(fake)}: the answer is not HTTP (bad status line)"


def test_too_many_headers_is_a_one_line_error():
    with FakeLrs("headers") as fake:
        assert str(refused(fake)) == f"cannot reach {url(fake)}: a malformed answer (got more than 100 headers)"


def test_a_422_is_not_retried_and_its_body_cannot_drive_the_terminal():
    with FakeLrs("status:422", body=b'{"detail": "no empty values \x1b[2J\x1b]0;pwned\x07"}') as fake:
        e = refused(fake)
    assert str(e) == f'{url(fake)} answered 422 Unprocessable Entity: {{"detail": "no empty values \\x1b[2J\\x1b]0;pwned\\x07"}}'
    assert not e.retry


# ---------------------------------------------------------------- through `defuse lrs push`


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    with Store(path) as store:
        play(store, "Amira", BY_THE_BOOK)
    return path


def push(cli, db, endpoint, *extra, password=("--password", "secret")):
    return cli("lrs", "push", "--db", str(db), "--endpoint", endpoint, "--user", "u", *password, "--timeout", "2", "--json", *extra)


@pytest.mark.parametrize("mode", ["redirect", "html", "trickle", "short", "badstatus", "headers", "status:422", "status:500", "wrongids"])
def test_a_failed_push_leaves_the_session_pending_and_prints_no_traceback(cli, db, mode):
    with FakeLrs(mode) as fake:
        status, out, err = push(cli, db, fake.endpoint, "--timeout", "0.5")
        doc = json.loads(out)
        assert status == 1 and doc["sent"] == 0 and doc["pending"] == 1
        assert "Traceback" not in err and err.count("\n") == 2  # the error and the reminder
        fake.mode = "ok"
        status, out, err = push(cli, db, fake.endpoint)
        assert status == 0 and json.loads(out)["sent"] == 1, err
        with Store(db) as store:
            want = [s["id"] for j in judged(store.find(), protocol) for s in statements(j)]
        assert sorted(s["id"] for s in fake.stored) == sorted(want)


def test_credentials_in_the_endpoint_are_refused_and_never_printed(cli, db):
    status, out, err = push(cli, db, "http://u:hunter2@127.0.0.1:9/xAPI/")
    assert status == 2 and out == ""
    assert err == "defuse: --endpoint must not hold a user name or password: give --user and --password-file instead\n"


@pytest.mark.parametrize(
    "endpoint, message",
    [
        ("127.0.0.1:8100/xAPI/", "--endpoint must start with http:// or https://"),
        ("ftp://lrs.example/xAPI/", "--endpoint must start with http:// or https://"),
        ("http:///xAPI/", "--endpoint has no host"),
        ("http://127.0.0.1:99999/xAPI/", "--endpoint not a URL (Port out of range 0-65535)"),
    ],
)
def test_an_unusable_endpoint_is_a_usage_error(cli, db, endpoint, message):
    status, out, err = push(cli, db, endpoint)
    assert (status, out, err) == (2, "", f"defuse: {message}\n")


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "601", "soon"])
def test_the_timeout_has_a_range(cli, db, value):
    with pytest.raises(SystemExit) as e:
        push(cli, db, "http://127.0.0.1:9/xAPI/", "--timeout", value)
    assert e.value.code == 2


def test_the_password_comes_from_a_file(cli, db, tmp_path, monkeypatch):
    monkeypatch.delenv("DEFUSE_LRS_PASSWORD", raising=False)
    (tmp_path / "pw").write_text("from-the-file\nsecond line ignored\n")
    with FakeLrs("ok") as fake:
        status, out, err = push(cli, db, fake.endpoint, password=("--password-file", str(tmp_path / "pw")))
        assert status == 0, err
        import base64

        token = fake.requests[0]["headers"]["Authorization"].split()[1]
        assert base64.b64decode(token).decode() == "u:from-the-file"


def test_no_password_and_no_terminal_is_a_usage_error(cli, db, monkeypatch):
    monkeypatch.delenv("DEFUSE_LRS_PASSWORD", raising=False)
    status, out, err = push(cli, db, "http://127.0.0.1:9/xAPI/", password=())
    assert status == 2 and err == "defuse: give --password-file FILE, set DEFUSE_LRS_PASSWORD, or run in a terminal to be asked\n"


def test_a_password_file_that_is_not_a_file_is_refused(cli, db, tmp_path):
    status, out, err = push(cli, db, "http://127.0.0.1:9/xAPI/", password=("--password-file", str(tmp_path)))
    assert status == 1 and err == f"defuse: --password-file {tmp_path}: not a regular file\n"


# ---------------------------------------------------------------- fuzzing the client

_LIES = [b"<html>portal</html>", b"", b"[]", b"{}", b"null", b'["not-sent"]', b"\xff\xfe", b"[" * 5000 + b"]" * 5000]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=st.lists(
        st.tuples(
            st.sampled_from(["honest", "lie", "status", "slow"]),
            st.sampled_from([201, 202, 301, 302, 307, 400, 401, 403, 404, 413, 422, 429, 500, 502, 503]),
            st.sampled_from(_LIES),
        ),
        min_size=1,
        max_size=5,
    ),
    held_first=st.sets(st.sampled_from([s["id"] for s in STATEMENTS])),
)
def test_fuzz_the_client_never_trusts_an_answer_that_did_not_store(answers, held_first):
    """A random store: honest, lying 200s, random statuses, answers late. `send` returning means every
    statement is held; anything else is an LrsError, never another exception."""
    held = set(held_first)

    def script_for(kind, status, lie, sent_ids):
        if kind == "honest":
            if any(i in held for i in sent_ids) and len(sent_ids) > 1 and status % 2:
                return 409, b"", 0  # a conflict: stores nothing
            new = [i for i in sent_ids if i not in held]
            held.update(new)
            return (200, json.dumps(new).encode(), 0) if new else (204, b"", 0)
        if kind == "lie":
            return 200, lie, 0
        if kind == "slow":
            return 200, json.dumps(sent_ids).encode(), 0.5  # stored nothing, answers after the deadline
        return status, lie, 0

    class Fuzzed(FakeLrs):
        def answer(self, h, sent):
            kind, status, lie = answers.pop(0) if answers else ("honest", 200, b"")
            code, body, delay = script_for(kind, status, lie, [s.get("id") for s in sent])
            if delay:
                self._stop.wait(delay)
            h._plain(code, body)

    with Fuzzed("script", limit=2) as fake:
        try:
            send(fake, timeout=0.3)
        except LrsError as e:
            assert "\n" not in str(e)
            return
    assert {s["id"] for s in STATEMENTS} <= held


# ---------------------------------------------------------------- reading statements back (--from-lrs)


class _Pages:
    """A record store on loopback answering GET with the pages given (status, body), in turn."""

    def __init__(self, pages):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.pages, self.requests = list(pages), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                outer.requests.append((self.path, self.headers.get("Authorization")))
                status, body = outer.pages.pop(0) if outer.pages else (200, b'{"statements": []}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/xAPI/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_reading_back_never_follows_a_more_link_to_another_server():
    elsewhere = _Pages([])
    first = json.dumps({"statements": [{"id": "a"}], "more": elsewhere.endpoint + "statements?page=2"}).encode()
    store = _Pages([(200, first)])
    try:
        got = []
        with pytest.raises(LrsError) as e:
            for st in Lrs(store.endpoint, "u", "secret", timeout=5).statements({"limit": "1"}):
                got.append(st)
        assert got == [{"id": "a"}] and "another server: not followed" in str(e.value) and "\n" not in str(e.value)
        assert elsewhere.requests == []  # the password never went there
    finally:
        store.close()
        elsewhere.close()


def test_reading_back_follows_more_links_on_the_same_server():
    pages = [(200, json.dumps({"statements": [{"id": str(i)}], "more": f"/xAPI/statements?page={i + 1}"}).encode()) for i in range(3)]
    pages.append((200, b'{"statements": [{"id": "3"}], "more": ""}'))
    store = _Pages(pages)
    try:
        got = [st["id"] for st in Lrs(store.endpoint, "u", "secret", timeout=5).statements({"limit": "1"})]
        assert got == ["0", "1", "2", "3"]
        assert [p for p, _ in store.requests][1:] == ["/xAPI/statements?page=1", "/xAPI/statements?page=2", "/xAPI/statements?page=3"]
    finally:
        store.close()


@pytest.mark.parametrize(
    "page, message",
    [
        ((200, b"<html>Please log in</html>"), "not the JSON statement result xAPI requires"),
        ((200, b'{"more": ""}'), "without the statement result xAPI requires"),
        ((302, b""), "a redirect to nowhere: not followed"),
        ((500, b"down"), "answered 500 Internal Server Error: down"),
    ],
)
def test_reading_back_a_bad_answer_is_one_line(page, message):
    store = _Pages([page])
    try:
        with pytest.raises(LrsError) as e:
            list(Lrs(store.endpoint, "u", "secret", timeout=5).statements({}))
        assert message in str(e.value) and "\n" not in str(e.value)
    finally:
        store.close()
