"""What an instructor's report says about a class, computed without reading every session in full.

`build` answers the two questions an instructor brings (who needs coaching on which step; is
each trainee improving) plus the class in numbers. Only finished sessions count towards
means, pass rates and the grid; unfinished ones are counted and listed apart.

With saved scores (the usual case) it scans the flat session summaries once (SQLite does
the filtering and keeps each score's parts, its missed steps and its kinds of feedback as
columns), and reads in full only each trainee's latest N finished sessions (the
coaching grid and the per-session detail). Re-scoring against another protocol reads and
scores every session instead; both ways give the same figures (a test compares them).
Memory does not grow with the number of sessions: each trainee's scores over time are kept
as at most `_POINTS` running means.
"""
from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable, Iterator, Sequence

from simulator.store.reading import where_clause

from .rows import Judged, judged, printable

__all__ = ["ClassReport", "TraineeProgress", "buckets", "Grid", "Cell", "Coaching", "UnfinishedSession", "build", "mistake_labels", "heat", "HEAT_SCALE", "DEFAULT_LATEST", "DEFAULT_THRESHOLD"]

DEFAULT_LATEST = 5  # the grid and the HTML detail look at each trainee's latest N finished sessions
DEFAULT_THRESHOLD = 0.5  # a step missed in more than this share of a trainee's latest sessions needs coaching
_POINTS = 120  # at most this many points per trainee's progress line
_UNFINISHED_LISTED = 100


def buckets(totals: Sequence[float], points: int = _POINTS) -> list[tuple[float, float]]:
    """Scores over attempts as at most `points` (mean attempt number, mean score) pairs, in order.

    Attempt i (0-based) of n falls in bucket i * min(n, points) // n: every attempt has its
    own point up to `points` attempts, and longer histories are averaged in equal runs.
    """
    n = len(totals)
    if not n:
        return []
    k = min(n, points)
    sums: list[list[float]] = [[0.0, 0.0, 0] for _ in range(k)]
    for i, y in enumerate(totals):
        b = sums[i * k // n]
        b[0] += i + 1
        b[1] += y
        b[2] += 1
    return [(x / c, y / c) for x, y, c in sums if c]


@dataclass
class TraineeProgress:
    """One trainee's finished sessions over time (oldest first), and their latest few in full."""

    name: str
    sessions: int = 0
    passed: int = 0
    sum_total: float = 0.0
    best: float | None = None
    first: float | None = None
    latest_total: float | None = None
    first_at: str = ""
    last_at: str = ""
    unfinished: int = 0
    points: list[tuple[float, float]] = field(default_factory=list)  # (attempt, score), at most _POINTS
    trend: float | None = None  # points gained per attempt: the least-squares slope; None below two attempts
    latest: list[Judged] = field(default_factory=list)  # the latest N finished, oldest first

    def record(self, totals: Sequence[float], passed: int, first_at: str, last_at: str) -> None:
        """Set the figures from the trainee's scores in order (held only while this trainee is read)."""
        n = len(totals)
        self.sessions, self.passed = n, passed
        if not n:
            return
        self.sum_total = math.fsum(totals)
        self.best, self.first, self.latest_total = max(totals), totals[0], totals[-1]
        self.first_at, self.last_at = first_at, last_at
        self.points = buckets(totals)
        if n >= 2:
            mx = (n + 1) / 2
            my = self.sum_total / n
            sxy = math.fsum((i + 1 - mx) * (y - my) for i, y in enumerate(totals))
            sxx = n * (n * n - 1) / 12
            self.trend = round(sxy / sxx, 6)

    @property
    def mean(self) -> float | None:
        return self.sum_total / self.sessions if self.sessions else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.sessions if self.sessions else None


@dataclass(frozen=True)
class Cell:
    """One trainee and one step over their latest sessions under one protocol."""

    sessions: int  # sessions in which the step applied
    done: int
    in_order: int
    missed: int

    @property
    def missed_share(self) -> float | None:
        return self.missed / self.sessions if self.sessions else None


@dataclass(frozen=True)
class Coaching:
    step: str
    title: str
    trainees: tuple[tuple[str, int, int], ...]  # (trainee, missed, sessions), worst first


@dataclass(frozen=True)
class Grid:
    """Trainees x steps of one protocol, steps in the protocol's order."""

    protocol: str
    title: str
    steps: tuple[tuple[str, str, bool], ...]  # (id, title, critical)
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]  # (trainee, a cell per step)
    coaching: tuple[Coaching, ...]


# The grid's colours by the share of sessions that missed the step: every format draws the same
# scale (the HTML cells and legend, the workbook's conditional format).
HEAT_SCALE = ((0.0, "#e8f4ec"), (0.5, "#fbe9c8"), (1.0, "#e06666"))  # all done .. all missed
HEAT_EMPTY = "#f5f7f9"  # no sessions


def heat(share: float | None) -> str:
    """The background of a grid cell for the share of sessions that missed its step."""
    if share is None:
        return HEAT_EMPTY
    for (a, ca), (b, cb) in zip(HEAT_SCALE, HEAT_SCALE[1:]):
        if share <= b:
            t = (share - a) / (b - a)
            return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(_rgb(ca), _rgb(cb)))
    return HEAT_SCALE[-1][1]


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


@dataclass(frozen=True)
class UnfinishedSession:
    id: str
    trainee: str
    scenario: str
    title: str
    started_at: str
    turns: int


@dataclass
class ClassReport:
    sessions: int = 0  # finished
    passed: int = 0
    sum_total: float = 0.0
    unfinished_count: int = 0
    unfinished: list[UnfinishedSession] = field(default_factory=list)  # the latest _UNFINISHED_LISTED
    trainees: list[TraineeProgress] = field(default_factory=list)
    scenarios: list[dict] = field(default_factory=list)
    weeks: list[dict] = field(default_factory=list)
    mistakes: list[tuple[str, int]] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    latest_n: int = DEFAULT_LATEST
    threshold: float = DEFAULT_THRESHOLD

    @property
    def mean(self) -> float | None:
        return self.sum_total / self.sessions if self.sessions else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.sessions if self.sessions else None


def mistake_labels(score: dict) -> set[str]:
    """What went wrong in one session, named so that the same mistake counts once per session."""
    titles = {s["id"]: s["title"] for s in score["steps"]}
    labels = set()
    for f in score["feedback"]:
        labels.add(_label(f["kind"], f["step"], titles.get))
    labels.discard(None)
    return labels


def _label(kind: str, step: str | None, title_of: Callable[[str], str | None]) -> str | None:
    step = step or ""
    if kind == "step":
        return f"Missed: {title_of(step) or step}"
    if kind == "order":
        return f"Out of order: {title_of(step) or step}"
    if kind == "conduct":
        return f"Harmful move: {step.removeprefix('conduct:').replace('_', ' ')}"
    if kind == "safety":
        return "Safety rule broken"
    return None


def _week(started_at: str) -> str:
    """The Monday (ISO-8601 date) of the week a session started in."""
    try:
        d = date.fromisoformat(started_at[:10])
    except ValueError:
        return started_at[:10]
    return (d - timedelta(days=d.weekday())).isoformat()


class _Builder:
    """The full way: every session read and scored, in start order (re-scoring, or unscored sessions)."""

    def __init__(self, latest_n: int):
        self.report = ClassReport(latest_n=latest_n)
        self.totals: dict[str, list] = {}  # trainee -> [scores in order, passed, first_at, last_at]
        self.unfinished_by: Counter = Counter()
        self.latest: dict[str, deque] = {}
        self.scenarios: dict[tuple[str, str], list] = {}
        self.weeks: dict[str, list] = {}
        self.unfinished: deque = deque(maxlen=_UNFINISHED_LISTED)
        self.mistakes: Counter = Counter()

    def finished(self, j: Judged) -> None:
        s, total, passed = j.session, j.score["total"], j.passed
        r = self.report
        r.sessions += 1
        r.passed += passed
        r.sum_total += total
        t = self.totals.setdefault(s.trainee, [[], 0, s.started_at, s.started_at])
        t[0].append(total)
        t[1] += passed
        t[3] = s.started_at
        self.latest.setdefault(s.trainee, deque(maxlen=r.latest_n)).append(j)
        for bucket in (self.scenarios.setdefault((s.scenario, s.title or s.scenario), [0, 0, 0.0]), self.weeks.setdefault(_week(s.started_at), [0, 0, 0.0])):
            bucket[0] += 1
            bucket[1] += passed
            bucket[2] += total
        self.mistakes.update(mistake_labels(j.score))

    def open(self, s) -> None:
        self.report.unfinished_count += 1
        self.unfinished_by[s.trainee] += 1
        self.unfinished.append(UnfinishedSession(s.id, s.trainee, s.scenario, s.title, s.started_at, len(s.turns)))

    def done(self, protocol_of, threshold: float) -> ClassReport:
        r = self.report
        trainees = []
        for name in set(self.totals) | set(self.unfinished_by):
            t = TraineeProgress(name, unfinished=self.unfinished_by[name], latest=list(self.latest.get(name, ())))
            if name in self.totals:
                t.record(*self.totals[name])
            trainees.append(t)
        r.scenarios = [{"id": sid, "title": title, "sessions": n, "passed": p, "mean": s / n} for (sid, title), (n, p, s) in sorted(self.scenarios.items())]
        r.weeks = [{"week": w, "sessions": n, "passed": p, "mean": s / n} for w, (n, p, s) in sorted(self.weeks.items())]
        r.unfinished = list(reversed(self.unfinished))
        return _finish(r, trainees, self.mistakes, protocol_of, threshold)


def _finish(r: ClassReport, trainees: list[TraineeProgress], mistakes: Counter, protocol_of, threshold: float) -> ClassReport:
    r.threshold = threshold
    r.trainees = sorted(trainees, key=lambda t: (t.name.casefold(), t.name))
    r.mistakes = sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    r.grids = grids(r.trainees, protocol_of, threshold)
    return r


def build(
    store,
    protocol_of: Callable[[str], object],
    *,
    override=None,
    verdict: bool | None = None,
    latest_n: int = DEFAULT_LATEST,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
    problems: list[str] | None = None,
    **filters,
) -> ClassReport:
    """The class report for the sessions matching `filters` (as Store.summaries takes them)."""
    where, args = where_clause(*(filters.get(k) for k in ("trainee", "scenario", "since", "until")), verdict, True, filters.get("mode"))
    unscored = store.conn.execute(f"SELECT COUNT(*) FROM sessions{where} AND mistakes IS NULL", args).fetchone()[0]  # (kept with every saved score)
    if override is not None or unscored:
        # re-scoring, or a finished session without a saved score (an old import): read and score every session
        return _build_full(store, protocol_of, override, verdict, latest_n, threshold, progress, filters, problems)
    # a number that is not finite (an old store, a hand-edited file) would poison every sum:
    # such a session is named and left out, as the per-session path does (rows.judged)
    bad = store.conn.execute(f"SELECT id, trainee, scenario FROM sessions{where} AND NOT ({_FINITE})", args).fetchall()
    if bad and problems is None:
        raise ValueError(f"session {bad[0][0]}: an anger value is not a finite number")
    for sid, trainee, scenario in bad:
        problems.append(f"session {printable(sid)} ({printable(trainee)}, {printable(scenario)}) left out of the report: an anger value is not a finite number")
    return _build_sql(store, protocol_of, f"{where} AND {_FINITE}", args, latest_n, threshold, progress, filters, problems)


# every number a class aggregate reads, within the finite range (SQLite keeps an infinity as a REAL)
_FINITE = " AND ".join(
    f"({col} IS NULL OR {col} BETWEEN -1.7e308 AND 1.7e308)" for col in ("anger_start", "anger_end", "anger_peak", "total")
)


def _build_full(store, protocol_of, override, verdict, latest_n, threshold, progress, filters, problems=None) -> ClassReport:
    b = _Builder(latest_n)
    for j in progress(judged(store.find(**filters), protocol_of, override, problems)):
        if not j.session.complete:
            b.open(j.session)
        elif verdict is None or j.passed == verdict:
            b.finished(j)
    return b.done(protocol_of, threshold)


def _build_sql(store, protocol_of, where: str, args: list, latest_n: int, threshold: float, progress, filters, problems=None) -> ClassReport:
    """Aggregates from SQLite over the covering index `sessions_report`; only the latest N per trainee read in full."""
    conn = store.conn
    r = ClassReport(latest_n=latest_n)
    (r.sessions, passed, total), = conn.execute(f"SELECT COUNT(*), COALESCE(SUM(passed), 0), COALESCE(SUM(total), 0.0) FROM sessions{where}", args)
    r.passed, r.sum_total = int(passed), float(total)
    r.scenarios = [
        {"id": sid, "title": title or sid, "sessions": n, "passed": int(p), "mean": s / n}
        for sid, title, n, p, s in conn.execute(f"SELECT scenario, title, COUNT(*), SUM(passed), SUM(total) FROM sessions{where} GROUP BY scenario, title ORDER BY scenario, title", args)
    ]
    monday = "date(started_at, '-6 days', 'weekday 1')"  # the Monday on or before the day
    r.weeks = [
        {"week": w, "sessions": n, "passed": int(p), "mean": s / n}
        for w, n, p, s in conn.execute(f"SELECT {monday} AS w, COUNT(*), SUM(passed), SUM(total) FROM sessions{where} GROUP BY w ORDER BY w", args)
    ]
    # each distinct set of mistakes once, however many sessions share it
    mistakes: Counter = Counter()
    titles: dict[str, Callable] = {}
    for pid, keys, n in conn.execute(f"SELECT protocol, mistakes, COUNT(*) FROM sessions{where} GROUP BY protocol, mistakes", args):
        if pid not in titles:
            titles[pid] = _titles(protocol_of, pid)
        labels = {_label(kind, step or None, titles[pid]) for kind, _, step in (k.partition(":") for k in keys.split("\x1f")[:-1])}
        labels.discard(None)
        for label in labels:
            mistakes[label] += n
    # unfinished sessions: counted per trainee, the latest listed
    open_where, open_args = where_clause(*(filters.get(k) for k in ("trainee", "scenario", "since", "until")), None, False, filters.get("mode"))
    unfinished_by = dict(conn.execute(f"SELECT trainee, COUNT(*) FROM sessions{open_where} GROUP BY trainee", open_args))
    r.unfinished_count = sum(unfinished_by.values())
    r.unfinished = [
        UnfinishedSession(*row)
        for row in conn.execute(f"SELECT id, trainee, scenario, title, started_at, turn_count FROM sessions{open_where} ORDER BY started_at DESC, id DESC LIMIT {_UNFINISHED_LISTED}", open_args)
    ]
    # per trainee, in start order: the index hands the rows grouped by trainee, so one trainee's scores are held at a time
    trainees: list[TraineeProgress] = []
    latest_ids: dict[str, list[str]] = {}
    cur = conn.cursor()
    cur.row_factory = None
    rows = cur.execute(f"SELECT trainee, started_at, id, total, passed FROM sessions{where} ORDER BY trainee, started_at, id", args)
    name, totals, npassed, first_at, last_at, ids = None, [], 0, "", "", deque(maxlen=latest_n)

    def close() -> None:
        t = TraineeProgress(name, unfinished=unfinished_by.pop(name, 0))
        t.record(totals, npassed, first_at, last_at)
        trainees.append(t)
        latest_ids[name] = list(ids)

    for trainee, started_at, sid, total, passed in progress(rows):
        if trainee != name:
            if name is not None:
                close()
            name, totals, npassed, first_at, ids = trainee, [], 0, started_at, deque(maxlen=latest_n)
        totals.append(total)
        npassed += passed
        last_at = started_at
        ids.append(sid)
    if name is not None:
        close()
    for other, n in unfinished_by.items():  # trainees with unfinished sessions only
        trainees.append(TraineeProgress(other, unfinished=n))
    for t in trainees:
        t.latest = [j for sid in latest_ids.get(t.name, ()) for j in judged([store.get(sid)], protocol_of, None, problems)]
    return _finish(r, trainees, mistakes, protocol_of, threshold)


def _titles(protocol_of, pid: str) -> Callable[[str], str | None]:
    try:
        proto = protocol_of(pid)
    except Exception:  # a protocol no longer installed: its step ids stand in for titles
        return lambda step: None
    table = {s.id: s.title for s in proto.steps}
    return table.get


# ---------------------------------------------------------------- the coaching grid


def _applies(step: dict) -> bool:
    return step.get("applicable", True) is not False


def grids(trainees: list[TraineeProgress], protocol_of, threshold: float) -> list[Grid]:
    """One grid per protocol the trainees' latest sessions were scored against."""
    per_protocol: dict[str, dict[str, list[dict]]] = {}
    for t in trainees:
        for j in t.latest:
            per_protocol.setdefault(j.score["protocol"], {}).setdefault(t.name, []).append(j.score)
    out = []
    for pid in sorted(per_protocol):
        by_trainee = per_protocol[pid]
        steps = _step_order(pid, by_trainee, protocol_of)
        rows = []
        for name, scores in by_trainee.items():
            counts = {sid: [0, 0, 0, 0] for sid, _, _ in steps}
            for sc in scores:
                wrong = {f["step"] for f in sc["feedback"] if f["kind"] == "order"}
                for st in sc["steps"]:
                    c = counts.get(st["id"])
                    if c is None or not _applies(st):
                        continue
                    c[0] += 1
                    if st["performed"]:
                        c[1] += 1
                        c[2] += st["id"] not in wrong
                    else:
                        c[3] += 1
            rows.append((name, tuple(Cell(*counts[sid]) for sid, _, _ in steps)))
        coaching = []
        for i, (sid, title, _) in enumerate(steps):
            who = [(name, cells[i].missed, cells[i].sessions) for name, cells in rows if cells[i].sessions and cells[i].missed / cells[i].sessions > threshold]
            if who:
                who.sort(key=lambda w: (-w[1] / w[2], -w[1], w[0].casefold()))
                coaching.append(Coaching(sid, title, tuple(who)))
        try:
            title = protocol_of(pid).title
        except Exception:
            title = pid
        out.append(Grid(pid, title, tuple(steps), tuple(rows), tuple(coaching)))
    return out


def _step_order(pid: str, by_trainee: dict[str, list[dict]], protocol_of) -> list[tuple[str, str, bool]]:
    """The protocol's steps in its own order (as scored, if the protocol is not installed)."""
    try:
        return [(s.id, s.title, bool(s.critical)) for s in protocol_of(pid).steps]
    except Exception:
        seen: dict[str, tuple[str, str, bool]] = {}
        for scores in by_trainee.values():
            for sc in scores:
                for st in sc["steps"]:
                    seen.setdefault(st["id"], (st["id"], st["title"], bool(st["critical"])))
        return list(seen.values())


def trainee_rows(report: ClassReport) -> Iterator[dict]:
    """Per trainee, the progress figures as plain values (for the spreadsheet and JSON)."""
    for t in report.trainees:
        yield {
            "trainee": t.name,
            "sessions": t.sessions,
            "passed": t.passed,
            "unfinished": t.unfinished,
            "mean": t.mean,
            "first": t.first,
            "latest": t.latest_total,
            "best": t.best,
            "trend": t.trend,
            "first_at": t.first_at or None,
            "last_at": t.last_at or None,
        }
