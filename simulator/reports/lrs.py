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

`push(store, client, ...)` is the retry loop over a session store: it sends what the store's
ledger says the record store lacks, many sessions per request, and marks each sent only once
the record store confirmed it; what fails stays pending for the next push.
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
from typing import Callable, Iterable, Iterator
from urllib.parse import urlencode, urljoin, urlsplit

import orjson

from simulator.store import Store

from .rows import Judged

__all__ = ["Lrs", "LrsError", "push", "Pushed", "statements_url", "check_endpoint", "printable", "MAX_TIMEOUT", "MAX_ANSWER_BYTES"]

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
        status = self._post(statements)
        if status == 409 and len(statements) > 1:
            # a conflict rejects the whole list: send one by one so the new ones still land
            for st in statements:
                self._post([st])

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

    def _post(self, statements: list[dict]) -> int:
        # orjson: a large push encodes about a gigabyte of statements, 7x faster than json (the same
        # text: UTF-8, no spaces); the values are finite, as the store and the importer keep them
        body = orjson.dumps(statements)
        status, reason, headers, answer = self._exchange(body)
        where = printable(self.url)
        if status == 200:
            _check_ids(answer, headers, [st.get("id") for st in statements], where)
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
        ids = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise LrsError(f"{where} answered 200 with {kind}, not the statement ids xAPI requires (a login page or proxy in the way?): nothing is taken as stored", retry=True) from None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise LrsError(f"{where} answered 200 without the list of stored statement ids xAPI requires: nothing is taken as stored", retry=True)
    wanted = {str(i).lower() for i in sent}
    got = [i.lower() for i in ids]
    if len(set(got)) != len(got) or not set(got) <= wanted:
        raise LrsError(f"{where} answered 200 with statement ids that do not match those sent: nothing is taken as stored", retry=True)


# ---------------------------------------------------------------- pushing a store's sessions


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


def push(
    store: Store,
    client: Lrs,
    endpoint: str,
    ids: list[str],
    sessions: Iterable[Judged],
    statements_of: Callable[[Judged], list[dict]],
    *,
    batch: int,
    errors: list[str],
    progress: Callable[[int], Callable[[Iterable], Iterable]] = lambda total: (lambda items: items),
) -> Pushed:
    """Send `client` the sessions among `ids` that the store's ledger says `endpoint` does not
    hold as they are now; `sessions` streams them judged (others in the stream are passed over).

    Sessions go many per request, up to `batch` statements (a session is never split), and
    each is marked sent in the ledger only once the record store confirmed it. A refused
    request (4xx) is split to find the session it is about, and the others are still sent;
    a failure that may pass (5xx, a timeout, no connection) stops the push and leaves the rest
    pending for the next one. Each failure is one line added to `errors`.
    """
    ledger = store.lrs_ledger(endpoint)
    pending = store.lrs_pending(ledger, ids)
    left = set(pending)
    todo = left.copy()
    sent = statements_sent = 0

    def done(group: list, statements: int) -> None:
        """The record store confirmed these sessions: mark them sent (here, in the store's thread)."""
        nonlocal sent, statements_sent
        store.mark_sent_many(ledger, [s for s, _ in group])
        left.difference_update(s.id for s, _ in group)
        sent += len(group)
        statements_sent += statements

    def failed(group: list, e: LrsError) -> bool:
        """A request failed; False when the store should not be asked again now."""
        if not e.retry and len(group) > 1:
            # refused (4xx): find the session it is about, and send the others
            return all(post([one]) for one in group)
        errors.append(f"session {printable(group[0][0].id)}: {e}" if len(group) == 1 else f"{len(group)} sessions: {e}")
        return not e.retry  # the store is down or struggling: leave the rest for the next push

    def post(group: list) -> bool:
        """Send sessions' statements in one request, and wait for the answer."""
        request = [st for _, sts in group for st in sts]
        try:
            client.send(request)
        except LrsError as e:
            return failed(group, e)
        done(group, len(request))
        return True

    # Sessions are read as one stream and sent many per request, up to `batch` statements. One
    # request is in flight (in a worker thread) while the next is built from the stream; its
    # answer is taken, and its sessions marked, before the next request goes.
    group: list = []
    size = 0
    going = True
    flying: tuple | None = None  # (the answer to come, its sessions, its statements)

    def land() -> bool:
        nonlocal flying
        if flying is None:
            return True
        answer, landed, n = flying
        flying = None
        try:
            answer.result()
        except LrsError as e:
            return failed(landed, e)
        done(landed, n)
        return True

    # The sender waits on the network many times a request and needs the interpreter back after
    # each wait; with the default switch interval (5 ms) the busy builder thread keeps it that long
    # every time, and the request in flight, not the building, becomes the slow part.
    with _switch_interval(0.0005), ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrs-push") as sender:
        for j in progress(len(pending))(j for j in sessions if j.session.id in todo):
            sts = statements_of(j)
            if group and size + len(sts) > batch:
                going = land()
                if not going:
                    break
                request = [st for _, g in group for st in g]
                flying = (sender.submit(client.send, request), group, len(request))
                group, size = [], 0
            group.append((j.session, sts))
            size += len(sts)
        going = land() and going
    if going and group:
        post(group)
    return Pushed(sent, statements_sent, len(ids) - len(pending), len(left))
