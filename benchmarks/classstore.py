"""A large session store for the report benchmarks, filled directly with executemany.

Three real sessions (by the book, hostile, jumping to a fix) played through the Recorder
are copied under fresh ids, spread over `trainees` trainees and a year of days, so the
report has a real grid, real progress and real mistakes to compute.
"""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from playthrough import BY_THE_BOOK, play  # noqa: E402
from simulator.store import Store  # noqa: E402
from simulator.store.records import TURN_INSERT, fault_columns, score_columns, turn_row  # noqa: E402

PLAYS = (BY_THE_BOOK, ["quick_see!", "cut_in"], ["breathe_listen", "keep_listening", "jump_fix", "ask_now", "found_it", "just_do_it", "goodbye", "next_caller"])


def fill(path: Path, n: int, trainees: int = 100) -> None:
    with Store(path) as store:
        models = []
        for choices in PLAYS:
            rec = play(store, "seed", choices)
            m = store.get(rec.session_id)
            sm = next(s for s in store.summaries() if s.id == rec.session_id)
            models.append((m, json.dumps(m.score), (*score_columns(m.score), sm.turn_count, sm.anger_peak, sm.interruptions), fault_columns(m.score)))
        with store.conn:
            store.conn.execute("DELETE FROM sessions")
        sessions, turns = [], []
        for i in range(n):
            t = i % trainees
            # later attempts go better: each trainee improves over the year
            m, score_json, parts, faults = models[(i * 7 + t) % 3 if i < n // 2 else (0 if (i + t) % 3 else 2)]
            sid = str(uuid.UUID(int=i + 1))
            day = i * 365 // n
            started = f"2026-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}T{9 + t % 8:02d}:{t % 60:02d}:00Z"
            sessions.append((sid, f"Trainee {t:03d}", m.scenario, 1, m.title, m.protocol, i, "text", started, started,
                             m.outcome.value, 1, m.anger_start, m.anger_end, m.total, int(m.passed), score_json, *parts, started, *faults,
                             m.score["scoring_version"]))
            turns.extend(turn_row(sid, tn, started) for tn in m.turns)
            if len(sessions) >= 20_000:
                _insert(store, sessions, turns)
                sessions, turns = [], []
        _insert(store, sessions, turns)


def _insert(store: Store, sessions: list, turns: list) -> None:
    with store.conn:
        store.conn.executemany(
            "INSERT INTO sessions (id, trainee, scenario, revision, title, protocol, seed, mode, started_at, ended_at, outcome, complete,"
            " anger_start, anger_end, total, passed, score_json, coverage, order_score, conduct, outcome_score, sequence,"
            " turn_count, anger_peak, interruptions, last_turn_at, missed, mistakes, scoring_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            sessions,
        )
        store.conn.executemany(TURN_INSERT, turns)
