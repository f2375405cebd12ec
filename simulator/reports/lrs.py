"""Sending statements to an xAPI learning record store over HTTP (standard library only).

`Lrs.send(statements)` is one POST of a list of statements with one deadline for the whole
request (connect, send, headers and body), and it succeeds only when the answer proves the
statements are stored:

- 200 with the JSON array of statement ids xAPI requires, every id one we sent, none twice
  (an LRS lists only the ids it newly stored; the others it already held);
- 204 (it already held them all) or 409 (it holds an id and keeps its copy); a 409 on a
  list is retried one statement at a time so the new ones still land.

Anything else is an `LrsError` with a one-line message: a redirect is never followed (the
request carries credentials, and a redirected POST arrives as a GET that stores nothing),
a 200 that is not the id array (a captive portal's HTML page) is not a success, and a slow,
short or malformed answer is an error, never a traceback. The caller marks a session sent
only when `send` returns.

`Lrs.statements(query)` reads statements back (GET, the same deadline per page and the same
refusal of redirects), following the `more` links a record store pages its answers with; a
`more` link to another host or scheme is refused, since the request carries credentials.

`push(store, endpoint, ids, deliver)` works out what the store's ledger says the record store
lacks, has `deliver` send it, and marks each session sent only once the record store confirmed
it; what fails stays pending for the next push. `Sending` is the sending itself, many sessions
per request: sessions go as `Parcel`s, their statements already encoded (`parcel`), whether
this process sends them or worker processes do (`packing`).
"""
from __future__ import annotations

import base64
import http.client
import json
import math
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, NamedTuple
from urllib.parse import urlencode, urljoin, urlsplit

import orjson

from simulator.store import Store, StoredSession

__all__ = ["Lrs", "LrsError", "push", "Pushed", "Parcel", "Receipt", "parcel", "Sending", "statements_url", "check_endpoint", "printable", "MAX_TIMEOUT", "MAX_ANSWER_BYTES"]

MAX_TIMEOUT = 600.0  # seconds: the longest deadline `--timeout` accepts
MAX_ANSWER_BYTES = 1024 * 1024  # an answer listing statement ids is far smaller than this
MAX_PAGE_BYTES = 256 * 1024 * 1024  # one page of statements read back (a few hundred sessions with their turns)
MAX_PAGES = 100_000
_DETAIL = 200  # characters of an error body quoted in a message


class LrsError(Exception):
    """A send that did not reach the record store or that it refused; `retry` says if it may work later."""

    def __init__(self, message: str, retry: bool):
        super().__init__(message)
        self.retry = retry


def printable(text: str, limit: int | None = None) -> str:
    """Text safe to print on one terminal line: control characters escaped, optionally cut."""
    out = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


def check_endpoint(endpoint: str) -> str:
    """The endpoint if it is a usable http(s) URL without credentials, else ValueError saying why."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as e:
        raise ValueError(f"not a URL ({e})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("has no host")
    if parts.username is not None or parts.password is not None:
        # the URL would be printed in messages and is visible to other users on the command line
        raise ValueError("must not hold a user name or password: give --user and --password-file instead")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    del port
    return endpoint


def statements_url(endpoint: str) -> str:
    """The statements resource under an xAPI base such as http://127.0.0.1:8100/xAPI/."""
    return endpoint if endpoint.rstrip("/").endswith("/statements") else endpoint.rstrip("/") + "/statements"


@dataclass(frozen=True)
class Lrs:
    endpoint: str
    user: str
    password: str
    timeout: float = 15.0

    def __post_init__(self):
        check_endpoint(self.endpoint)
        if not (isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout) and 0 < self.timeout <= MAX_TIMEOUT):
            raise ValueError(f"timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:.0f}")

    @property
    def url(self) -> str:
        return statements_url(self.endpoint)

    def send(self, statements: list[dict]) -> None:
        """Store these statements (all of them, or raise LrsError)."""
        self.send_encoded(_encoded(statements), [st.get("id") for st in statements])

    def send_encoded(self, body: bytes, ids: list) -> None:
        """Store the statements of `body`, a JSON array of statements whose ids are `ids` in order
        (all of them, or raise LrsError)."""
        status = self._post(body, ids)
        if status == 409 and len(ids) > 1:
            # a conflict rejects the whole list: send one by one so the new ones still land
            for st in orjson.loads(body):
                self._post(_encoded([st]), [st.get("id")])

    def statements(self, query: dict[str, str]) -> Iterator[dict]:
        """Every statement matching the xAPI query (e.g. {"verb": IRI}), page after page."""
        base = urlsplit(self.url)
        target = self.url + "?" + urlencode(query)
        for _ in range(MAX_PAGES):
            page = self._page(target)
            yield from page["statements"]
            more = page.get("more")
            if not more:
                return
            target = urljoin(self.url, more)
            nxt = urlsplit(target)
            if (nxt.scheme, nxt.hostname, nxt.port) != (base.scheme, base.hostname, base.port):
                raise LrsError(f"{printable(self.url)} pointed its next page at {printable(target, 120)}, another server: not followed (it would carry the password there)", retry=False)
        raise LrsError(f"{printable(self.url)} gave more than {MAX_PAGES} pages of statements", retry=False)

    def _page(self, target: str) -> dict:
        status, reason, headers, answer = self._exchange(None, method="GET", target=target, limit=MAX_PAGE_BYTES)
        where = printable(self.url)
        said = f"{status} {printable(reason, 60)}".strip()
        if 300 <= status < 400:
            location = printable(headers.get("Location") or "nowhere", 120)
            raise LrsError(f"{where} answered {said}, a redirect to {location}: not followed; give the final address as the endpoint", retry=False)
        if status != 200:
            detail = printable(answer[:_DETAIL * 4].decode("utf-8", "replace").strip().replace("\n", " "), _DETAIL)
            raise LrsError(f"{where} answered {said}" + (f": {detail}" if detail else ""), retry=status >= 500 or status == 429)
        try:
            page = json.loads(answer.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise LrsError(f"{where} answered 200 with something that is not the JSON statement result xAPI requires", retry=True) from None
        if not isinstance(page, dict) or not isinstance(page.get("statements"), list) or not isinstance(page.get("more", ""), (str, type(None))):
            raise LrsError(f"{where} answered 200 without the statement result xAPI requires ({{statements, more}})", retry=True)
        return page

    # ---------------------------------------------------------------- one request

    def _post(self, body: bytes, ids: list) -> int:
        status, reason, headers, answer = self._exchange(body)
        where = printable(self.url)
        if status == 200:
            _check_ids(answer, headers, ids, where)
            return 200
        if status in (204, 409):
            return status
        detail = printable(answer[:_DETAIL * 4].decode("utf-8", "replace").strip().replace("\n", " "), _DETAIL)
        said = f"{status} {printable(reason, 60)}".strip()
        if 300 <= status < 400:
            location = printable(headers.get("Location") or "nowhere", 120)
            raise LrsError(
                f"{where} answered {said}, a redirect to {location}: not followed (it would carry the password elsewhere"
                " and store nothing); give the final address as --endpoint",
                retry=False,
            )
        if 200 <= status < 300:
            raise LrsError(f"{where} answered {said}, not 200 with the stored statement ids: nothing is taken as stored", retry=True)
        # 5xx and 429 are the store's trouble, worth retrying; 4xx is ours and would fail again
        raise LrsError(f"{where} answered {said}" + (f": {detail}" if detail else ""), retry=status >= 500 or status == 429)

    def _exchange(self, body: bytes | None, method: str = "POST", target: str | None = None, limit: int = MAX_ANSWER_BYTES) -> tuple[int, str, http.client.HTTPMessage, bytes]:
        """POST the body (or GET `target`); (status, reason, headers, answer) within one deadline, or LrsError."""
        parts = urlsplit(target or self.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        token = base64.b64encode(f"{self.user}:{self.password}".encode("utf-8")).decode("ascii")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = kind(parts.hostname, parts.port, timeout=self.timeout)
        deadline = time.monotonic() + self.timeout
        expired = threading.Event()

        def cut() -> None:
            # per-read timeouts let a server that drips a byte at a time hold us for ever:
            # at the deadline the socket is shut, which ends any read in progress
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(self.timeout, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            length = resp.getheader("Content-Length")
            if length is not None and length.strip().isdigit() and int(length) > limit:
                raise LrsError(f"{printable(self.url)} answered {resp.status} with {int(length)} bytes, more than an LRS answer holds", retry=True)
            chunks, size = [], 0
            while size <= limit:
                chunk = resp.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            answer = b"".join(chunks)
            if resp.length:  # the connection ended before the Content-Length it announced
                raise http.client.IncompleteRead(answer, resp.length)
            if len(answer) > limit:
                raise LrsError(f"{printable(self.url)} answered {resp.status} with more than {limit} bytes, more than an LRS answer holds", retry=True)
            if expired.is_set() or time.monotonic() > deadline:
                raise socket.timeout()
            return resp.status, resp.reason or "", resp.headers, answer
        except LrsError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as e:
            if expired.is_set() or isinstance(e, socket.timeout):
                raise LrsError(f"{printable(self.url)} gave no complete answer within {self.timeout:g} s", retry=True) from None
            raise LrsError(f"cannot reach {printable(self.url)}: {_why(e)}", retry=True) from None
        finally:
            watchdog.cancel()
            conn.close()


def _encoded(statements: list[dict]) -> bytes:
    # orjson: a large push encodes gigabytes of statements, 7x faster than json (the same text:
    # UTF-8, no spaces); the values are finite, as the store and the importer keep them
    return orjson.dumps(statements)


def _why(e: BaseException) -> str:
    if isinstance(e, http.client.IncompleteRead):
        return f"the answer was cut short ({len(e.partial)} bytes read)"
    if isinstance(e, http.client.LineTooLong):
        return "an answer line was too long"
    if isinstance(e, http.client.BadStatusLine):
        return "the answer is not HTTP (bad status line)"
    if isinstance(e, http.client.RemoteDisconnected):
        return "the connection closed without an answer"
    if isinstance(e, http.client.HTTPException):
        return f"a malformed answer ({printable(str(e), 120) or type(e).__name__})"
    reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return printable(str(reason), 160)


def _check_ids(answer: bytes, headers, sent: list, where: str) -> None:
    """A 200 must carry the ids the LRS stored, each one we sent; else LrsError."""
    kind = printable((headers.get("Content-Type") or "no content type").split(";")[0].strip(), 60)
    try:
        ids = orjson.loads(answer)  # a large push reads thousands of these answers
    except (ValueError, RecursionError):
        raise LrsError(f"{where} answered 200 with {kind}, not the statement ids xAPI requires (a login page or proxy in the way?): nothing is taken as stored", retry=True) from None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise LrsError(f"{where} answered 200 without the list of stored statement ids xAPI requires: nothing is taken as stored", retry=True)
    got = set(ids)
    if len(got) == len(ids) and got <= set(sent):
        return  # as sent (the usual answer: checked without changing case)
    wanted = {str(i).lower() for i in sent}
    got_lower = [i.lower() for i in ids]
    if len(set(got_lower)) != len(got_lower) or not set(got_lower) <= wanted:
        raise LrsError(f"{where} answered 200 with statement ids that do not match those sent: nothing is taken as stored", retry=True)


# ---------------------------------------------------------------- pushing a store's sessions


class Parcel(NamedTuple):
    """One session's statements, encoded, as a push sends them."""

    session: str  # the session's id
    turns: int  # its turns and whether it was finished: the state the ledger records once sent
    complete: bool
    ids: tuple[str, ...]  # the statements' ids, in order
    body: bytes  # the statements as the elements of a JSON array, without the brackets

    @property
    def receipt(self) -> "Receipt":
        return Receipt(self.session, self.turns, self.complete, len(self.ids))


class Receipt(NamedTuple):
    """A session the record store confirmed it holds, in the state that was sent."""

    session: str
    turns: int
    complete: bool
    statements: int


def parcel(session: StoredSession, statements: list[dict]) -> Parcel:
    """The session's statements as a push sends them."""
    return Parcel(session.id, len(session.turns), session.complete, tuple([st.get("id") for st in statements]), _encoded(statements)[1:-1])


@dataclass(frozen=True)
class Pushed:
    """What one push did."""

    sent: int  # sessions the record store now holds as they are
    statements: int  # statements sent for them
    already: int  # sessions it held already, as they are
    pending: int  # sessions still to send: a failed request leaves them for the next push


@contextmanager
def _switch_interval(seconds: float) -> Iterator[None]:
    """The interpreter's thread switch interval at most `seconds` for a while, then as it was."""
    was = sys.getswitchinterval()
    sys.setswitchinterval(min(was, seconds))
    try:
        yield
    finally:
        sys.setswitchinterval(was)


class Sending:
    """Sends a stream of parcels to one record store, many sessions per request, up to `batch`
    statements (a session is never split); `run` yields the receipts of each request the store
    confirmed. A refused request (4xx) is split to find the session it is about, and the others
    are still sent; a failure that may pass (5xx, a timeout, no connection) stops the sending
    (`outage` then holds its line) and leaves the rest unsent. Each failure is one line added
    to `errors`.

    One request is in flight (in a thread) while the next is gathered from the stream; its answer
    is taken before the next request goes.
    """

    def __init__(self, client: Lrs, batch: int, errors: list[str]):
        self.client, self.batch, self.errors = client, batch, errors
        self.outage: str | None = None

    def run(self, parcels: Iterable[Parcel]) -> Iterator[list[Receipt]]:
        flying: tuple | None = None  # (the answer to come, its sessions)
        # The sender waits on the network many times a request and needs the interpreter back
        # after each wait; with the default switch interval (5 ms) a busy thread here keeps it
        # that long every time, and the request in flight, not the building, becomes the slow part.
        with _switch_interval(0.0005), ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrs-push") as sender:
            for group in self._groups(parcels):
                if flying is not None:
                    yield from self._landed(*flying)
                    flying = None
                if self.outage:
                    return
                flying = (sender.submit(self._send, group), group)
            if flying is not None:
                yield from self._landed(*flying)

    def _groups(self, parcels: Iterable[Parcel]) -> Iterator[list[Parcel]]:
        """The parcels gathered into requests of at most `batch` statements (a larger session alone)."""
        group: list[Parcel] = []
        size = 0
        for p in parcels:
            if group and size + len(p.ids) > self.batch:
                yield group
                group, size = [], 0
            group.append(p)
            size += len(p.ids)
        if group:
            yield group

    def _send(self, group: list[Parcel]) -> None:
        self.client.send_encoded(b"[" + b",".join(p.body for p in group if p.body) + b"]", [i for p in group for i in p.ids])

    def _landed(self, answer, group: list[Parcel]) -> Iterator[list[Receipt]]:
        """The answer to a request sent from the thread."""
        return self._answered(group, answer.result)

    def _post(self, group: list[Parcel]) -> Iterator[list[Receipt]]:
        """Send sessions' statements in one request from here, and wait for the answer."""
        return self._answered(group, lambda: self._send(group))

    def _answered(self, group: list[Parcel], answer: Callable[[], None]) -> Iterator[list[Receipt]]:
        try:
            answer()
        except LrsError as e:
            yield from self._failed(group, e)
            return
        yield [p.receipt for p in group]

    def _failed(self, group: list[Parcel], e: LrsError) -> Iterator[list[Receipt]]:
        if not e.retry and len(group) > 1:
            # refused (4xx): find the session it is about, and send the others
            for one in group:
                if self.outage:
                    return
                yield from self._post([one])
            return
        line = f"session {printable(group[0].session)}: {e}" if len(group) == 1 else f"{len(group)} sessions: {e}"
        self.errors.append(line)
        if e.retry:
            self.outage = line  # the store is down or struggling: leave the rest for the next push


def push(
    store: Store,
    endpoint: str,
    ids: list[str],
    deliver: Callable[[list[str]], Iterable[list[Receipt]]],
    *,
    progress: Callable[[int], Callable[[Iterable], Iterable]] = lambda total: (lambda items: items),
) -> Pushed:
    """Send the sessions among `ids` that the store's ledger says `endpoint` does not hold as
    they are now: `deliver(pending)` sends those (as `Sending.run` does, here or in other
    processes) and yields the receipts of what the record store confirmed, which are marked in
    the ledger (here, in the store's thread) as they come. What is not confirmed stays pending.
    """
    ledger = store.lrs_ledger(endpoint)
    pending = store.lrs_pending(ledger, ids)
    sent = statements = 0

    def confirmed() -> Iterator[Receipt]:
        nonlocal sent, statements
        for receipts in deliver(pending):
            store.mark_sent_many(ledger, [(r.session, r.turns, r.complete) for r in receipts])
            sent += len(receipts)
            statements += sum(r.statements for r in receipts)
            yield from receipts

    for _ in progress(len(pending))(confirmed()):
        pass
    return Pushed(sent, statements, len(ids) - len(pending), len(pending) - sent)
