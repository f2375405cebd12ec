"""The learning record store ledger: which state of each session every LRS already holds, so a
push sends each session once, and again only when it has changed (more turns, or finished)."""
from __future__ import annotations

import sqlite3

from .reading import BATCH
from .records import StoredSession, utc_now

__all__ = ["LrsLedger", "lrs_key"]


def lrs_key(endpoint: str) -> str:
    """A record store's address without a trailing slash or `/statements`: the same store, however written."""
    key = endpoint.strip().rstrip("/")
    if key.endswith("/statements"):
        key = key[: -len("/statements")].rstrip("/")
    return key


class LrsLedger:
    """The store's LRS ledger (a part of `Store`: it holds the connection)."""

    conn: sqlite3.Connection

    def lrs_ledger(self, endpoint: str) -> str:
        """The key under which a record store's ledger is kept: one per store however its address is written.

        `http://h/xAPI`, `http://h/xAPI/` and `http://h/xAPI/statements` are the same store; rows
        an older Defuse wrote under another spelling are folded into the key.
        """
        key = lrs_key(endpoint)
        variants = sorted({key + "/", key + "/statements", key + "/statements/"} - {key})
        with self.conn:
            self.conn.execute(f"UPDATE OR REPLACE lrs_sent SET endpoint = ? WHERE endpoint IN ({','.join('?' * len(variants))})", [key, *variants])
        return key

    def lrs_pending(self, endpoint: str, ids: list[str]) -> list[str]:
        """Of these sessions, those the endpoint has not been sent in their present state."""
        pending = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT s.id FROM sessions s LEFT JOIN lrs_sent l ON l.session_id = s.id AND l.endpoint = ?"
                f" WHERE s.id IN ({marks}) AND (l.session_id IS NULL OR l.complete != s.complete"
                f" OR l.turns != s.turn_count)",
                [endpoint, *chunk],
            )
            found = {r[0] for r in rows}
            pending.extend(i for i in chunk if i in found)
        return pending

    def mark_sent(self, endpoint: str, session: StoredSession, sent_at: str | None = None) -> None:
        self.mark_sent_many(endpoint, [(session.id, len(session.turns), session.complete)], sent_at)

    def mark_sent_many(self, endpoint: str, sessions: list[tuple[str, int, bool]], sent_at: str | None = None) -> None:
        """Record, in one transaction, that the endpoint holds these sessions as they were sent:
        each given as (session id, turns, complete)."""
        at = sent_at or utc_now()
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO lrs_sent (session_id, endpoint, turns, complete, sent_at) VALUES (?,?,?,?,?)",
                [(sid, endpoint, turns, int(complete), at) for sid, turns, complete in sessions],
            )
