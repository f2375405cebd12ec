"""xAPI 1.0.3 statements for sessions, as a learning record store takes them.

Per session: `attempted` at the start; `answered` for every turn; for a finished session
the step order as a `sequencing` interaction, then `passed` or `failed` and `completed`
with the score. `completed` also carries the whole session as `defuse export-sessions`
writes it (extension `.../extensions/record`), so a report or an import can be made from
the record store alone (`--from-lrs`) and scores it again from its turns, exactly as a
local report would. The trainee is an `account` agent (never an e-mail address). Statement
ids and the registration are uuid5s of the session id, so sending a session twice, or
again after a failure, gives the same ids and a record store keeps one copy.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from functools import lru_cache
from typing import Callable, Iterable, NamedTuple, TextIO
from urllib.parse import quote

from .exchange import EXPORT_FORMAT, session_doc
from .rows import Judged, duration_seconds

__all__ = ["statements", "write_xapi", "iso_duration", "DEFAULT_HOMEPAGE", "ANONYMOUS", "ACTIVITY_BASE", "VERBS", "RECORD_EXTENSION"]

DEFAULT_HOMEPAGE = "https://defuse.example/trainees"
ACTIVITY_BASE = "https://defuse.example/xapi/"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, ACTIVITY_BASE)
_NS_BYTES = _NS.bytes
_ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {v: {"id": _ADL + v, "display": {"en-US": v}} for v in ("attempted", "answered", "passed", "failed", "completed")}
_INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
_SIMULATION = "http://adlnet.gov/expapi/activities/simulation"
_EXT = ACTIVITY_BASE + "extensions/"
RECORD_EXTENSION = "record"  # the last part of the extension IRI holding the session itself


# An account name may not be empty; a session recorded before names were required gets this one.
ANONYMOUS = "anonymous"


def _pruned(value):
    """The statement without empty values (None, "", {}), which strict record stores refuse;
    extensions are kept as they are, since xAPI allows anything inside them."""
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if k == "extensions":
            out[k] = dict(v) if isinstance(v, dict) else v
            continue
        if isinstance(v, (dict, list)):
            v = _pruned(v)
        if v is None or v == "" or v == {}:
            continue
        out[k] = v
    return out


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration in whole seconds, e.g. 252 -> PT4M12S."""
    total = int(round(max(0.0, seconds)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s or not (h or m) else "")


@lru_cache(maxsize=4096)  # the same scenarios, nodes and protocols recur in every session
def _iri(base: str, *parts: str) -> str:
    return base + "/".join(quote(p, safe="") for p in parts)


def uuid5(name: str) -> str:
    """`str(uuid.uuid5(namespace, name))` in Defuse's namespace, without building UUID objects
    (a push makes one per statement: a million for a large class)."""
    return _uuid_text(hashlib.sha1(_NS_BYTES + name.encode("utf-8")).hexdigest())


def _uuid_text(x: str) -> str:
    """A uuid5's text from the SHA-1 hex digest of its namespace and name: the version (5) in
    the 13th hex digit, the RFC 4122 variant (binary 10) in the top bits of the 17th."""
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _ids_of(session_id: str) -> Callable[[str], str]:
    """The statement id of each part (key) of a session: `uuid5(f"{session_id}/{key}")`, with the
    session's part of the hash computed once."""
    head = hashlib.sha1(_NS_BYTES + f"{session_id}/".encode("utf-8"))

    def sid(key: str) -> str:
        h = head.copy()
        h.update(key.encode("utf-8"))
        return _uuid_text(h.hexdigest())

    return sid


# The parts of statements that recur across sessions are built once (without empty values, as
# `_pruned` leaves them) and shared between statements: never changed once made.


class _Keys(NamedTuple):
    """The extension IRIs under one activity base."""

    scenario: str
    session: str
    protocol: str
    actions: str
    anger_before: str
    anger_after: str
    interrupted: str
    said: str
    outcome: str
    record: str


@lru_cache(maxsize=64)
def _keys(base: str) -> _Keys:
    ext = base + "extensions/"
    return _Keys(*(ext + name for name in ("scenario", "session", "protocol", "actions", "anger-before", "anger-after", "interrupted", "said", "outcome", RECORD_EXTENSION)))


@lru_cache(maxsize=4096)
def _actor(homepage: str, trainee: str) -> dict:
    return _pruned({"objectType": "Agent", "account": {"homePage": homepage, "name": trainee.strip() or ANONYMOUS}})


@lru_cache(maxsize=4096)
def _scenario_activity(base: str, scenario: str, title: str) -> dict:
    return _pruned({
        "objectType": "Activity",
        "id": _iri(base, "scenarios", scenario),
        "definition": {"type": _SIMULATION, "name": {"en-US": title or scenario}},
    })


@lru_cache(maxsize=4096)
def _context_activities(base: str, scenario: str, revision, protocol_id: str) -> tuple[dict, dict]:
    """A session's context activities: of its own statements, and of its turns' (with the scenario as parent)."""
    own = {
        "grouping": [
            {"objectType": "Activity", "id": _iri(base, "scenarios", scenario, "revisions", str(revision))},
            {"objectType": "Activity", "id": _iri(base, "protocols", protocol_id)},
        ]
    }
    return _pruned(own), _pruned(dict(own, parent=[{"objectType": "Activity", "id": _iri(base, "scenarios", scenario)}]))


@lru_cache(maxsize=8192)
def _node_activity(base: str, scenario: str, node: str, text: str) -> dict:
    definition = {"type": _INTERACTION, "interactionType": "choice", "name": {"en-US": node}}
    if text:
        definition["description"] = {"en-US": text}
    return {"objectType": "Activity", "id": _iri(base, "scenarios", scenario, "nodes", node), "definition": definition}


@lru_cache(maxsize=1024)
def _values(actions: tuple) -> list[str]:
    return [a.value for a in actions]


@lru_cache(maxsize=256)  # one per protocol (and base): every finished session of a class shares it
def _order_activity(base: str, protocol_id: str, steps: tuple[tuple[str, str], ...]) -> dict:
    """The protocol's step order as a `sequencing` interaction, without empty values.
    Shared between statements: never changed once made."""
    return _pruned({
        "objectType": "Activity",
        "id": _iri(base, "protocols", protocol_id, "order"),
        "definition": {
            "type": _INTERACTION,
            "interactionType": "sequencing",
            "name": {"en-US": f"Step order of {protocol_id}"},
            "choices": [{"id": step, "description": {"en-US": title}} for step, title in steps],
            "correctResponsesPattern": ["[,]".join(step for step, _ in steps)],
        },
    })


def statements(j: Judged, homepage: str = DEFAULT_HOMEPAGE, base: str = ACTIVITY_BASE) -> list[dict]:
    """The statements of one session, in the order they happened.

    `base` starts every activity and extension IRI (an organisation's own, from `defuse config`);
    statement ids and registrations do not depend on it, so a session keeps its ids. Statements
    share their unchanging parts (the actor, the context, a protocol's step order), so they are
    to be read or serialised, never modified.
    """
    s, sc = j.session, j.score
    base = base if base.endswith("/") else base + "/"
    k = _keys(base)
    actor = _actor(homepage, s.trainee)
    scenario = _scenario_activity(base, s.scenario, s.title)
    protocol_id = sc["protocol"]
    own, turns = _context_activities(base, s.scenario, s.revision, protocol_id)
    extensions = {k.scenario: {"id": s.scenario, "revision": s.revision}, k.session: s.id, k.protocol: protocol_id}
    registration = uuid5(s.id)
    context = {"registration": registration, "platform": "Defuse", "contextActivities": own, "extensions": extensions}
    child = {"registration": registration, "platform": "Defuse", "contextActivities": turns, "extensions": extensions}
    sid = _ids_of(s.id)

    def stmt(key: str, verb: str, obj: dict, timestamp: str, ctx: dict, result: dict | None = None) -> dict:
        """A statement of parts already without empty values (`_pruned`)."""
        out = {"id": sid(key), "actor": actor, "verb": VERBS[verb], "object": obj, "context": ctx}
        if timestamp:
            out["timestamp"] = timestamp
        if result:
            out["result"] = result
        return out

    out = [stmt("attempted", "attempted", scenario, s.started_at, context)]
    times = s.turn_times
    for i, t in enumerate(s.turns):
        extensions_of_turn = {
            k.actions: _values(t.actions),
            k.anger_before: round(t.anger_before, 3),
            k.anger_after: round(t.anger_after, 3),
            k.interrupted: t.interrupted,
            k.said: t.said,
        }
        result = {"response": t.choice, "extensions": extensions_of_turn} if t.choice else {"extensions": extensions_of_turn}
        node = _node_activity(base, s.scenario, t.node, t.text)
        out.append(stmt(f"turn/{t.index}", "answered", node, times[i] if i < len(times) else s.started_at, child, result))
    if not (s.complete and s.ended_at):
        return out

    order = _order_activity(base, protocol_id, tuple((st["id"], st["title"]) for st in sc["steps"]))
    comp = sc["components"]
    order_scaled = comp.get("order") if comp.get("order") is not None else comp.get("coverage")
    # results are built without empty values, as `_pruned` would leave them
    order_result = {"response": "[,]".join(sc["sequence"])} if sc["sequence"] else {}
    if order_scaled is not None:
        order_result["score"] = {"scaled": round(float(order_scaled), 4)}
    out.append(stmt("order", "answered", order, s.ended_at, child, order_result))

    raw = min(100.0, max(0.0, float(sc["total"])))
    result = {
        "score": {"scaled": round(raw / 100.0, 4), "raw": raw, "min": 0, "max": 100},
        "success": bool(sc["passed"]),
        "completion": True,
        "duration": iso_duration(duration_seconds(s) or 0.0),
        "extensions": {k.outcome: s.outcome.value if s.outcome else None},
    }
    out.append(stmt("verdict", "passed" if sc["passed"] else "failed", scenario, s.ended_at, context, result))
    record = {"format": EXPORT_FORMAT, "version": 1, "session": session_doc(s, with_score=False)}
    out.append(stmt("completed", "completed", scenario, s.ended_at, context, dict(result, extensions={**result["extensions"], k.record: record})))
    return out


def write_xapi(items: Iterable[Judged], out: TextIO, homepage: str = DEFAULT_HOMEPAGE, base: str = ACTIVITY_BASE) -> int:
    """Stream one JSON array of every session's statements; returns the number of statements."""
    out.write("[")
    n = 0
    for j in items:
        for st in statements(j, homepage, base):
            out.write(("," if n else "") + "\n  " + json.dumps(st, ensure_ascii=False))
            n += 1
    out.write("\n]\n")
    return n
