"""Sending statements to an xAPI learning record store over HTTP (standard library only).

One POST per session, so a session is either wholly stored or still pending. A record
store that already holds a statement id answers 204 (same statement) or 409 (it keeps its
copy): both mean the statement is there, so a retried send never duplicates anything.
"""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

__all__ = ["Lrs", "LrsError", "statements_url"]


class LrsError(Exception):
    """A send that did not reach the record store or that it refused; `retry` says if it may work later."""

    def __init__(self, message: str, retry: bool):
        super().__init__(message)
        self.retry = retry


def statements_url(endpoint: str) -> str:
    """The statements resource under an xAPI base such as http://127.0.0.1:8100/xAPI/."""
    return endpoint if endpoint.rstrip("/").endswith("/statements") else endpoint.rstrip("/") + "/statements"


@dataclass(frozen=True)
class Lrs:
    endpoint: str
    user: str
    password: str
    timeout: float = 15.0

    def _request(self, body: bytes) -> int:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req = urllib.request.Request(
            statements_url(self.endpoint),
            data=body,
            method="POST",
            headers={
                "Authorization": f"Basic {token}",
                "Content-Type": "application/json",
                "X-Experience-API-Version": "1.0.3",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()
                return resp.status
        except urllib.error.HTTPError as e:
            if e.code == 409:
                return 409
            detail = e.read(300).decode("utf-8", "replace").strip()
            # 5xx and 429 are the store's trouble, worth retrying; 4xx is ours and would fail again
            raise LrsError(f"the record store answered {e.code} {e.reason}: {detail}", retry=e.code >= 500 or e.code == 429) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise LrsError(f"cannot reach {statements_url(self.endpoint)}: {reason}", retry=True) from None

    def send(self, statements: list[dict]) -> None:
        """Store these statements (all of them, or raise LrsError)."""
        status = self._request(json.dumps(statements, ensure_ascii=False).encode("utf-8"))
        if status == 409 and len(statements) > 1:
            # a conflict rejects the whole batch: send one by one so the new ones still land
            for st in statements:
                self._request(json.dumps([st], ensure_ascii=False).encode("utf-8"))
