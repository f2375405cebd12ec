"""Cross-reference checks of a scenario, run on the raw document so that they report
alongside type errors: ids, destinations, endings, routes, protocols, scripted tests.

They tolerate any shape of data (a wrong type is the model validator's to report), so a
file with many kinds of mistakes gets all of them in one report.
"""
from __future__ import annotations

import difflib
import re
from typing import Any

from .customer import Dynamics
from .diagnostics import LINT_CODES
from .model import ID_PATTERN, PHRASE_REF
from .validation import _where
from .yaml_reader import Document
from .yaml_reader import quote as _quote

DYNAMICS = sorted(Dynamics.names())

__all__ = ["check_scenario"]


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _sid(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def check_scenario(doc: Document, protocols: set[str] | None) -> None:
    data = _dict(doc.data)
    nodes = _list(data.get("nodes"))

    node_ids: dict[str, tuple] = {}
    line_ids: dict[str, tuple] = {}
    option_ids: set[str] = set()
    ends: set[str] = set()
    for i, node in enumerate(nodes):
        node = _dict(node)
        nid = _sid(node.get("id"))
        if nid is not None:
            if nid in node_ids:
                first = doc.positions.at(node_ids[nid])[0]
                doc.diag(("nodes", i, "id"), "E020", f"duplicate node id {nid!r} (first at line {first})")
            else:
                node_ids[nid] = ("nodes", i, "id")
                if node.get("end") is not None:  # the first node of an id is the one that counts
                    ends.add(nid)
        # every wording has an id of its own (the line, each line of a burst, each variant)
        for where in _wordings(node, ("nodes", i)):
            lid = _sid(_dict(_at(data, where)).get("id"))
            if lid is None:
                continue
            if lid in line_ids:
                first = doc.positions.at(line_ids[lid])[0]
                doc.diag(where + ("id",), "E020", f"duplicate line id {lid!r} (first at line {first})")
            else:
                line_ids[lid] = where + ("id",)
        seen_here: set[str] = set()
        for j, opt in enumerate(_list(node.get("options"))):
            oid = _sid(_dict(opt).get("id"))
            if oid is None:
                continue
            if oid in seen_here:
                doc.diag(("nodes", i, "options", j, "id"), "E020", f"duplicate option id {oid!r} in node {nid!r}")
            seen_here.add(oid)
            option_ids.add(oid)

    def target(path: tuple, value: Any, what: str) -> None:
        if isinstance(value, str) and node_ids and value not in node_ids:
            doc.diag(path, "E021", f"{what} leads to unknown node {value!r}{_near(value, node_ids)}")

    start = data.get("start")
    if isinstance(start, str) and nodes and start not in node_ids:
        doc.diag(("start",), "E024", f"start node {start!r} does not exist{_near(start, node_ids)}")
    elif isinstance(start, str) and start in ends:
        doc.diag(("start",), "E024", f"start node {start!r} is an ending: the conversation would be over before it began")
    hangup = data.get("hangup")
    target(("hangup",), hangup, "hangup")
    if isinstance(hangup, str) and hangup in node_ids and hangup not in ends:
        doc.diag(("hangup",), "E025", f"hangup node {hangup!r} must be an ending (give it `end: customer_left`)")

    for i, node in enumerate(nodes):
        node = _dict(node)
        nid = _sid(node.get("id")) or f"#{i + 1}"
        options = _list(node.get("options"))
        target(("nodes", i, "vent_start"), node.get("vent_start"), f"vent_start of node {nid!r}")
        if node.get("end") is not None and options:
            doc.diag(("nodes", i, "options"), "E025", f"ending node {nid!r} cannot have options")
        if node.get("end") is None and not options and node:
            doc.diag(("nodes", i), "E025", f"node {nid!r} has no options and no `end:` outcome: the conversation would stop dead")
        for j, opt in enumerate(options):
            opt = _dict(opt)
            oid = _sid(opt.get("id")) or f"#{j + 1}"
            here = ("nodes", i, "options", j)
            has_goto, has_routes = "goto" in opt, "routes" in opt
            if has_goto and has_routes:
                doc.diag(here + ("routes",), "E012", f"option {oid!r} in node {nid!r} has both `goto` and `routes`; keep one", key=True)
            elif not has_goto and not has_routes and opt:
                doc.diag(here, "E011", f"option {oid!r} in node {nid!r} needs `goto` or `routes`")
            target(here + ("goto",), opt.get("goto"), f"option {oid!r} in node {nid!r}")
            routes = _list(opt.get("routes"))
            for k, route in enumerate(routes):
                route = _dict(route)
                target(here + ("routes", k, "goto"), route.get("goto"), f"route {k + 1} of option {oid!r}")
                last = k == len(routes) - 1
                if last and route.get("when") is not None:
                    doc.diag(here + ("routes", k), "E026", f"the last route of option {oid!r} must have no `when`, so that some route always applies")
                elif not last and route.get("when") is None:
                    doc.diag(here + ("routes", k), "E026", f"route {k + 1} of option {oid!r} has no `when`, so the routes after it can never be taken")

    _check_phrases(doc, data)
    _check_moods(doc, data, nodes)
    _check_state(doc, nodes, node_ids)

    # The anger model silently ignores parameters it does not know, so a typo here would
    # change nothing and nobody would notice: refuse it at load time instead.
    dynamics = _dict(_dict(data.get("persona")).get("dynamics"))
    for key in dynamics:
        if key not in DYNAMICS:
            doc.diag(("persona", "dynamics", key), "E010", f"unknown anger-model parameter {_quote(key)} in persona.dynamics{_near(str(key), DYNAMICS)}", key=True)

    for k, code in enumerate(_list(_dict(data.get("lint")).get("ignore"))):
        if isinstance(code, str) and code not in LINT_CODES:
            doc.diag(("lint", "ignore", k), "E012", f"lint.ignore: {_quote(code)} is not a lint code ({min(LINT_CODES)} to {max(LINT_CODES)}){_near(code, LINT_CODES)}")

    proto = data.get("protocol")
    if protocols is not None and isinstance(proto, str) and proto not in protocols:
        doc.diag(("protocol",), "E023", f"unknown protocol {proto!r}{_near(proto, protocols)}")
    named = {proto}
    for k, alt in enumerate(_list(data.get("alternates"))):
        if not isinstance(alt, str):
            continue
        if alt in named:
            doc.diag(("alternates", k), "E020", f"protocol {alt!r} is already named {'as the main protocol' if alt == proto else 'among the alternates'}")
        elif protocols is not None and alt not in protocols:
            doc.diag(("alternates", k), "E023", f"unknown protocol {alt!r} in alternates{_near(alt, protocols)}")
        named.add(alt)

    names: set[str] = set()
    for t, test in enumerate(_list(data.get("tests"))):
        test = _dict(test)
        name = _sid(test.get("name"))
        if name is not None:
            if name in names:
                doc.diag(("tests", t, "name"), "E020", f"duplicate test name {name!r}")
            names.add(name)
        tp = test.get("protocol")
        if protocols is not None and isinstance(tp, str) and tp not in protocols:
            doc.diag(("tests", t, "protocol"), "E023", f"unknown protocol {tp!r} in test {name!r}{_near(tp, protocols)}")
        rng = _list(_dict(test.get("expect")).get("score"))
        if len(rng) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in rng) and rng[0] > rng[1]:
            doc.diag(("tests", t, "expect", "score"), "E012", f"test {name!r} expects a score between {rng[0]} and {rng[1]}: the minimum comes first")
        for c, choice in enumerate(_list(test.get("choices"))):
            if isinstance(choice, str) and option_ids and choice.rstrip("!") not in option_ids:
                doc.diag(("tests", t, "choices", c), "E028", f"test {name!r} chooses unknown option {_quote(choice)}")


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _wordings(node: dict, here: tuple) -> list[tuple]:
    """Paths of every wording of a node: its line, the lines of its burst, and their variants."""
    lines = [here + ("line",)] + [here + ("burst", k) for k in range(len(_list(node.get("burst"))))]
    out = []
    for path in lines:
        out.append(path)
        line = _dict(_at({"n": node}, ("n",) + path[len(here):]))
        out += [path + ("variants", v) for v in range(len(_list(line.get("variants"))))]
    return out


def _check_phrases(doc: Document, data: dict) -> None:
    """Every {name} in a text names a phrase; a phrase holds no {name} of its own."""
    phrases = _dict(data.get("phrases"))
    if not phrases:
        return  # without phrases, braces in a text are just braces
    for key, text in phrases.items():
        if isinstance(key, str) and not re.match(ID_PATTERN, key):
            doc.diag(("phrases", key), "E012", f"phrases: {_quote(key)} is not a valid phrase name: use letters, digits, _ . and -, starting with a letter", key=True)
        if isinstance(text, str) and (m := PHRASE_REF.search(text)):
            doc.diag(("phrases", key), "E050", f"phrase {_quote(key)} uses {{{m.group(1)}}}: a phrase cannot use another phrase; write the words out")

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("text", "speech", "feedback") and isinstance(v, str):
                    for m in PHRASE_REF.finditer(v):
                        if m.group(1) not in phrases:
                            known = _near(m.group(1), phrases) or f" (phrases: {', '.join(sorted(map(str, phrases)))})"
                            doc.diag(path + (k,), "E050", f"unknown phrase {{{m.group(1)}}} in {_where(path + (k,))}{known}")
                else:
                    walk(v, path + (k,))
        elif isinstance(value, list):
            for k, v in enumerate(value):
                walk(v, path + (k,))

    walk(data.get("nodes"), ("nodes",))


MAX_FACTS = 64  # flags, counter thresholds and visited nodes named in conditions: one bit each


def _conditions(nodes: list):
    """(path, condition) for every `when` of every option and route, and every condition nested in them."""
    def nested(cond, path):
        if not isinstance(cond, dict):
            return
        yield path, cond
        for key in ("all", "any"):
            for k, c in enumerate(_list(cond.get(key))):
                yield from nested(c, path + (key, k))
        if "not" in cond:
            yield from nested(cond.get("not"), path + ("not",))

    for i, node in enumerate(nodes):
        for j, opt in enumerate(_list(_dict(node).get("options"))):
            here = ("nodes", i, "options", j)
            yield from nested(_dict(opt).get("when"), here + ("when",))
            for k, route in enumerate(_list(_dict(opt).get("routes"))):
                yield from nested(_dict(route).get("when"), here + ("routes", k, "when"))


def _check_state(doc: Document, nodes: list, node_ids: dict) -> None:
    """Flags and counters: each name is one kind (a flag is set true/false, a counter to a number
    or by `add`), every name a condition reads is set somewhere, `visited` names real nodes."""
    kinds: dict[str, tuple[str, tuple]] = {}  # name -> (flag | counter, where first set)
    for i, node in enumerate(nodes):
        node = _dict(node)
        setters = [(("nodes", i, "set"), node.get("set"))]
        setters += [(("nodes", i, "options", j, "set"), _dict(o).get("set")) for j, o in enumerate(_list(node.get("options")))]
        for path, mapping in setters:
            for name, value in _dict(mapping).items():
                if not isinstance(name, str):
                    continue
                if not re.match(ID_PATTERN, name):
                    doc.diag(path + (name,), "E012", f"{_where(path)}: {_quote(name)} is not a valid flag or counter name: use letters, digits, _ . and -, starting with a letter", key=True)
                    continue
                kind = "flag" if isinstance(value, bool) else "counter" if isinstance(value, (int, dict)) else None
                if kind is None:
                    continue  # a wrong type: the model reports it
                first = kinds.get(name)
                if first is None:
                    kinds[name] = (kind, path + (name,))
                elif first[0] != kind:
                    line = doc.positions.at(first[1], key=True)[0]
                    doc.diag(path + (name,), "E054", f"{_quote(name)} is set as a {kind} here but as a {first[0]} on line {line}: a name is a flag (true/false) or a counter (a number, or {{add: N}}), not both", key=True)
    flags = sorted(n for n, (k, _) in kinds.items() if k == "flag")
    counters = sorted(n for n, (k, _) in kinds.items() if k == "counter")
    facts: set = set()
    for path, cond in _conditions(nodes):
        for k, name in enumerate(_list(cond.get("flags"))):
            if not isinstance(name, str):
                continue
            if name in counters:
                doc.diag(path + ("flags", k), "E054", f"{_quote(name)} is a counter, not a flag: test it with count_at_least or count_below")
            elif name not in flags:
                doc.diag(path + ("flags", k), "E053", f"unknown flag {_quote(name)}: no option or node sets it{_near(name, flags) or _listed(flags, 'flags')}")
            else:
                facts.add(("flag", name))
        for key in ("count_at_least", "count_below"):
            for name, n in _dict(cond.get(key)).items():
                if not isinstance(name, str):
                    continue
                if name in flags:
                    doc.diag(path + (key, name), "E054", f"{_quote(name)} is a flag, not a counter: test it with flags (or not: {{flags: [...]}})", key=True)
                elif name not in counters:
                    doc.diag(path + (key, name), "E053", f"unknown counter {_quote(name)}: no option or node sets it{_near(name, counters) or _listed(counters, 'counters')}", key=True)
                elif isinstance(n, int):
                    facts.add(("count", name, n))
        for k, nid in enumerate(_list(cond.get("visited"))):
            if isinstance(nid, str) and node_ids and nid not in node_ids:
                doc.diag(path + ("visited", k), "E055", f"visited names unknown node {_quote(nid)}{_near(nid, node_ids)}")
            elif isinstance(nid, str):
                facts.add(("visited", nid))
    if len(facts) > MAX_FACTS:
        doc.diag(("nodes",), "E056", f"conditions test {len(facts)} different flags, counter values and visited nodes: at most {MAX_FACTS} are allowed in one scenario")


def _listed(names: list, what: str) -> str:
    return f" (the {what} set in this scenario: {', '.join(names)})" if names else f": this scenario sets no {what}"


def _check_moods(doc: Document, data: dict, nodes: list) -> None:
    """A node's own move needs a customer to move, and one way of moving; distress needs a persona that has it."""
    has_distress = _dict(data.get("persona")).get("distress") is not None
    for i, node in enumerate(nodes):
        node = _dict(node)
        nid = _sid(node.get("id")) or f"#{i + 1}"
        moves = [k for k in ("mood", "anger_delta", "distress_delta") if node.get(k) is not None]
        if node.get("mood") is not None and node.get("anger_delta") is not None:
            doc.diag(("nodes", i, "anger_delta"), "E051", f"node {nid!r} has both `mood` and `anger_delta`: keep one (mood moves anger into a band, anger_delta by an amount)", key=True)
        if node.get("narration") is True and moves:
            doc.diag(("nodes", i, moves[0]), "E051", f"node {nid!r} is narration: the customer is gone, so `{moves[0]}` would move nothing", key=True)
        if not has_distress:
            if node.get("distress_delta") is not None:
                doc.diag(("nodes", i, "distress_delta"), "E052", f"node {nid!r} changes distress, but the persona has none: give the persona a starting `distress` (0 to 100)", key=True)
            for j, opt in enumerate(_list(node.get("options"))):
                if _dict(opt).get("distress_delta") is not None:
                    oid = _sid(_dict(opt).get("id")) or f"#{j + 1}"
                    doc.diag(("nodes", i, "options", j, "distress_delta"), "E052", f"option {oid!r} in node {nid!r} changes distress, but the persona has none: give the persona a starting `distress` (0 to 100)", key=True)


def _near(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
