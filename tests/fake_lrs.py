"""A misbehaving learning record store on loopback, for the client's hostile-answer tests.

`FakeLrs(mode)` answers every POST in one way: "ok" (200 with the ids it stored), "redirect"
(a 302 to another address, which logs whatever reaches it), "html" (200 with a captive
portal's page), "trickle" (a byte every 0.2 s), "short" (fewer bytes than Content-Length),
"badstatus" (a status line that is not HTTP), "headers" (more than 100 header lines),
"status:CODE" (that status, with `body` as its text), "wrongids" (200 with ids never sent),
"silent" (reads the request and never answers) and "script" (one entry of `script` per
request: (status, body bytes, delay seconds)). Each test uses it as a context manager: the
server stops on exit, and its handler never blocks more than `limit` seconds.
"""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLrs:
    def __init__(self, mode: str = "ok", *, body: bytes = b"", script: list | None = None, limit: float = 10.0):
        self.mode = mode
        self.body = body
        self.script = list(script or [])
        self.limit = limit
        self.stored: list[dict] = []  # statements this store kept
        self.requests: list[dict] = []  # {"method", "path", "headers"} of every request
        self._server: ThreadingHTTPServer | None = None
        self._stop = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/xAPI/"

    def __enter__(self) -> "FakeLrs":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = fake.limit  # a client that stalls cannot hold the thread for ever

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802  (where a followed redirect would land)
                fake.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
                self._plain(200, b"[]")

            def do_POST(self):  # noqa: N802
                fake.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers)})
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    sent = json.loads(raw)
                except ValueError:
                    sent = []
                fake.answer(self, sent)

            def _plain(self, status: int, body: bytes, ctype: str = "application/json", extra: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    # ---------------------------------------------------------------- answers

    def answer(self, h, sent: list) -> None:
        mode = self.mode
        ids = [st.get("id") for st in sent if isinstance(st, dict)]
        if mode == "script":
            status, body, delay = self.script.pop(0) if self.script else (200, None, 0.0)
            if delay:
                self._stop.wait(min(delay, self.limit))
            if body is None and status == 200:  # "the right answer": the ids stored, or 204 for none
                body = self._store(sent)
                status = 200 if body else 204
            h._plain(status, body or b"")
        elif mode == "ok":
            body = self._store(sent)
            h._plain(200 if body else 204, body)
        elif mode == "redirect":
            h._plain(302, b"", extra={"Location": f"http://127.0.0.1:{self._server.server_address[1]}/elsewhere/"})
        elif mode == "html":
            h._plain(200, b"<html><body>Please log in to the guest network</body></html>", "text/html")
        elif mode == "wrongids":
            h._plain(200, json.dumps(["00000000-0000-0000-0000-000000000000"]).encode())
        elif mode.startswith("status:"):
            h._plain(int(mode.split(":")[1]), self.body)
        elif mode == "trickle":
            body = json.dumps(ids).encode()
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            for byte in body:
                if self._stop.wait(0.2):
                    return
                try:
                    h.wfile.write(bytes([byte]))
                    h.wfile.flush()
                except OSError:
                    return
        elif mode == "short":
            body = json.dumps(ids).encode()
            h.send_response(200)
            h.send_header("Content-Length", str(len(body) + 50))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_WR)
        elif mode == "badstatus":
            h.wfile.write(b"HELLO THERE\r\n\r\n")
            h.close_connection = True
        elif mode == "headers":
            h.wfile.write(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Pad-%d: x\r\n" % i for i in range(150)) + b"Content-Length: 2\r\n\r\n[]")
            h.close_connection = True
        elif mode == "silent":
            self._stop.wait(self.limit)
            h.close_connection = True
        else:  # pragma: no cover
            raise ValueError(mode)

    def _store(self, sent: list) -> bytes:
        held = {st.get("id") for st in self.stored}
        new = [st for st in sent if isinstance(st, dict) and st.get("id") not in held]
        self.stored.extend(new)
        return json.dumps([st["id"] for st in new]).encode() if new else b""
