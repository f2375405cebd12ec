"""Subcommands this package adds to `defuse` (see simulator.cli; shared helpers in simulator.cli_common): the instructor's side.

`sessions`, `report`, `lrs push`, `export-sessions` and `import`. Renderers return text or
bytes, or write to a stream handed to them; only this module opens output files, and it
writes each to FILE.part first so a failed report never leaves half a file behind.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from collections import deque
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from scoring import SCORING_VERSION, score
from simulator.cli_common import emit_json, fail, open_store
from simulator.diagnostics import DefuseError
from simulator.files import open_regular, replacing
from simulator.library import UnknownName, protocol
from simulator.store import MODES, Store, utc_now

from .classview import DEFAULT_LATEST, DEFAULT_THRESHOLD, build
from .csv import write_csv
from .exchange import ExchangeError, iter_export, label, rescored, session_from, write_export
from .from_lrs import fetch, into_store
from .html import render_html
from .jsonreport import write_json
from .lrs import MAX_TIMEOUT, Lrs, LrsError, check_endpoint, printable
from .pdf import render_pdf
from .rows import judged, table, unusable
from .settings import KEYS, check, config_path, load, resolved, save
from .xapi import ACTIVITY_BASE, DEFAULT_HOMEPAGE, statements, write_xapi
from .xlsx import render_xlsx

__all__ = ["register"]

FORMATS = ("csv", "xlsx", "json", "html", "xapi", "pdf")
LATEST_DETAIL = 3  # --detail latest: this many sessions in full after a trainee's summary page


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _filters(p: argparse.ArgumentParser, mode: str = "practice") -> None:
    g = p.add_argument_group("filters (all optional, combined with AND)")
    g.add_argument("--trainee", metavar="NAME", help="only this trainee's sessions (any case, surrounding spaces ignored)")
    g.add_argument(
        "--mode",
        choices=MODES,
        default=mode,
        help=f"practice sessions, scripted runs (defuse run, autoplay) or all (default: {mode})",
    )
    g.add_argument("--scenario", metavar="ID", help="only sessions of this scenario")
    g.add_argument("--since", metavar="DATE", type=_day, help="started on or after this day (YYYY-MM-DD, UTC, inclusive)")
    g.add_argument("--until", metavar="DATE", type=_day, help="started on or before this day (YYYY-MM-DD, UTC, inclusive)")
    verdict = g.add_mutually_exclusive_group()
    verdict.add_argument("--passed", dest="verdict", action="store_const", const=True, help="only sessions that passed")
    verdict.add_argument("--failed", dest="verdict", action="store_const", const=False, help="only sessions that failed")
    g.add_argument("--incomplete", action="store_true", help="only sessions that never reached an ending")


def _filter_doc(args) -> dict:
    return {
        "trainee": args.trainee,
        "scenario": args.scenario,
        "since": args.since,
        "until": args.until,
        "passed": args.verdict,
        "incomplete": args.incomplete,
        "mode": args.mode,
        "protocol": getattr(args, "protocol", None),
    }


def _store_filters(args) -> dict:
    """The filters the store applies (the verdict is applied after scoring, which may be redone)."""
    until = (date.fromisoformat(args.until) + timedelta(days=1)).isoformat() if args.until else None
    return {
        "trainee": args.trainee,
        "scenario": args.scenario,
        "since": args.since,
        "until": until,
        "complete": False if args.incomplete else None,
        "mode": args.mode,
    }


def _selected(store, args, override=None, problems: list[str] | None = None):
    """The filtered sessions with their scores, streamed oldest first (unscorable ones go to `problems`)."""
    for j in judged(store.find(**_store_filters(args)), protocol, override, problems):
        if args.verdict is None or j.passed == args.verdict:
            yield j


def _override(args):
    if not getattr(args, "protocol", None):
        return None
    return protocol(args.protocol)


@contextmanager
def _output(path: str, binary: bool):
    """A stream for the report: stdout for '-', else FILE.part renamed over FILE once complete.
    Only a regular file is ever replaced (never a symlink, a device or a folder)."""
    if path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    with replacing(path, binary=binary) as fh:
        yield fh


# ---------------------------------------------------------------- sessions


def cmd_sessions(args) -> int:
    override = _override(args)
    problems: list[str] = []
    with open_store(args) as store:
        if override is None:
            items = list(_listings(store, args, problems))
        else:
            items = [_listing(j) for j in _selected(store, args, override, problems)]
    if args.json:
        emit_json(items)
        return _left_out(problems)
    if not items:
        print("no sessions match")
        return _left_out(problems)
    print(f"{'session':<8}  {'started (UTC)':<20} {'trainee':<18} {'scenario':<26} {'outcome':<13} {'total':>6}  verdict")
    for d in items:
        verdict = ("PASS" if d["passed"] else "FAIL") if d["complete"] else "incomplete"
        scen = f"{d['scenario']} r{d['revision']}"
        print(f"{_clip(d['id'], 8):<8}  {_clip(d['started_at'], 20):<20} {_clip(d['trainee'], 18):<18} {_clip(scen, 26):<26} {d['outcome'] or '-':<13} {_total(d['total'])}  {verdict}")
    print(f"{len(items)} session(s), {sum(1 for d in items if d['passed'])} passed")
    return _left_out(problems)


def _total(value) -> str:
    return f"{value:>6.1f}" if isinstance(value, (int, float)) else f"{'-':>6}"


def _left_out(problems: list[str]) -> int:
    """Report the sessions a listing or report had to leave out; 1 if there were any."""
    for p in problems:
        sys.stderr.write(f"defuse: {p}\n")
    if problems:
        sys.stderr.write(f"defuse: {len(problems)} session(s) left out; everything else was written\n")
    return 1 if problems else 0


def _clip(text: str, width: int) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _listings(store, args, problems: list[str]):
    """Listing entries from the summary scan; only a session without a saved score is read in full."""
    for sm in store.summaries(**_store_filters(args)):
        if why := unusable(sm):
            problems.append(why)
            continue
        if not sm.scored:
            for j in judged([store.get(sm.id)], protocol, None, problems):
                if args.verdict is None or j.passed == args.verdict:
                    yield _listing(j)
            continue
        if args.verdict is not None and bool(sm.passed) != args.verdict:
            continue
        yield {
            "id": sm.id,
            "trainee": sm.trainee,
            "scenario": sm.scenario,
            "revision": sm.revision,
            "title": sm.title,
            "started_at": sm.started_at,
            "ended_at": sm.ended_at,
            "outcome": sm.outcome.value if sm.outcome else None,
            "complete": sm.complete,
            "turns": sm.turn_count,
            "protocol": sm.protocol,
            "total": sm.total,
            "passed": bool(sm.passed),
        }


def _listing(j) -> dict:
    s = j.session
    return {
        "id": s.id,
        "trainee": s.trainee,
        "scenario": s.scenario,
        "revision": s.revision,
        "title": s.title,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "outcome": s.outcome.value if s.outcome else None,
        "complete": s.complete,
        "turns": len(s.turns),
        "protocol": j.score["protocol"],
        "total": j.score["total"],
        "passed": bool(j.score["passed"]),
    }


# ---------------------------------------------------------------- report


def progress_bar(args, total: int | None = None, unit: str = "session", desc: str = ""):
    """Wraps an iterable in a progress bar on stderr, only when stderr is a terminal and not under --json."""
    quiet = bool(getattr(args, "json", False)) or not sys.stderr.isatty()

    def wrap(iterable):
        if quiet:
            return iterable
        from tqdm import tqdm  # only when a person watches a long run on a terminal

        return tqdm(iterable, total=total, unit=unit, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)

    return wrap


def _count(store, args) -> int | None:
    """How many sessions the filters select (for the progress bar), when stderr shows one."""
    if not sys.stderr.isatty() or getattr(args, "json", False):
        return None
    return store.count(**_store_filters(args))


def refresh_scores(store, protocol_of, problems: list[str]) -> int:
    """Re-score, from their turns, the sessions whose saved score predates the current rules,
    so every report (and every aggregate computed in SQL) judges all sessions alike. A saved
    score is a cache of a pure function of the turns, so replacing it loses nothing; a store
    opened read-only keeps its scores, and the row-by-row reports re-score as they read."""
    ids = store.outdated_ids(SCORING_VERSION)
    done = 0
    for sid in ids:
        s = store.get(sid)
        try:
            result = score(s.transcript(), protocol_of(s.protocol)).to_dict()
            store.save_score(sid, result)
        except Exception as e:  # an unknown protocol, a read-only file: leave that score as it was
            problems.append(f"session {sid}: kept its score from older rules ({e})")
            continue
        done += 1
    return done


def _from_lrs(args):
    """The finished sessions in the record store named by --from-lrs (a `from_lrs.Fetched`), or
    an exit status when it cannot be read."""
    if not args.user:
        return fail("--from-lrs needs --user (and --password-file, DEFUSE_LRS_PASSWORD or the prompt)", 2)
    lrs = _client(args, args.from_lrs, "--from-lrs")
    if isinstance(lrs, int):
        return lrs
    try:
        got = fetch(lrs, protocol, progress_bar(args, None, desc="read LRS"))
    except LrsError as e:
        return fail(f"reading the record store: {e}")
    for line in got.problems:
        sys.stderr.write(f"defuse: {printable(line)}\n")
    if got.without_record:
        sys.stderr.write(
            f"defuse: {got.without_record} finished session(s) in {printable(args.from_lrs)} carry no session record"
            " (pushed by an older Defuse or another tool) and are left out\n"
        )
    return got


def cmd_report(args) -> int:
    if args.from_lrs:
        # the record store's sessions go into a scratch store, and the report is made from it
        # exactly as from the local one (same code, same numbers)
        got = _from_lrs(args)
        if isinstance(got, int):
            return got
        with tempfile.TemporaryDirectory(prefix="defuse-lrs-") as tmp:
            scratch = f"{tmp}/from-lrs.sqlite3"
            with Store(scratch) as store:
                into_store(store, got.sessions)
            args.db, args.from_lrs = scratch, None
            status = cmd_report(args)
        return status or (1 if got.problems else 0)

    if args.detail is not None and args.format != "pdf":
        return fail("--detail is for --format pdf", 2)
    if args.latest < 1 or not 0 <= args.threshold < 1:
        return fail("--latest must be at least 1 and --threshold from 0 to below 1", 2)
    override = _override(args)
    problems: list[str] = []
    with open_store(args) as store:
        refreshed = refresh_scores(store, protocol, problems) if override is None else 0
        bar = progress_bar(args, _count(store, args), desc=f"report {args.format}")
        filters = _store_filters(args)
        if args.format in ("csv", "json", "xapi", "html"):
            # streamed: memory stays flat however many sessions there are
            with _output(args.output, binary=False) as out:
                if args.format == "csv":
                    n = write_csv(bar(table(store, protocol, override=override, verdict=args.verdict, problems=problems, **filters)), out)
                elif args.format == "json":
                    n = write_json(bar(_selected(store, args, override, problems)), out, generated=utc_now(), filters=_filter_doc(args))
                elif args.format == "xapi":
                    homepage, base = _identity(args)
                    n = write_xapi(bar(_selected(store, args, override, problems)), out, homepage=homepage, base=base)
                else:
                    report = _class_report(store, args, override, bar, problems)
                    for chunk in render_html(report, generated=utc_now(), filters=_filter_doc(args)):
                        out.write(chunk)
                    n = report.sessions + report.unfinished_count
        elif args.format == "xlsx":
            chosen = list(bar(_selected(store, args, override, problems)))
            data = render_xlsx(chosen, _class_report(store, args, override, problems=[]))
            with _output(args.output, binary=True) as out:
                out.write(data)
            n = len(chosen)
        else:
            report = _class_report(store, args, override, bar)
            if not report.trainees:
                who = f"trainee {args.trainee!r}" if args.trainee else "any trainee"
                return fail(f"no sessions for {who} match the filters")
            details = {t.name: _details(store, args, override, t.name) for t in report.trainees}
            data = render_pdf(report, generated=utc_now(), details=details)
            with _output(args.output, binary=True) as out:
                out.write(data)
            n = report.sessions + report.unfinished_count
    if refreshed:
        sys.stderr.write(f"note: {refreshed} session(s) were scored under older rules and are re-scored here with the current ones (scoring version {SCORING_VERSION})\n")
    if args.output != "-":
        unit = "statement(s)" if args.format == "xapi" else "session(s)"
        sys.stderr.write(f"wrote {args.output}: {n} {unit}\n")
    return _left_out(problems)


def _class_report(store, args, override, bar=lambda it: it, problems: list[str] | None = None):
    return build(store, protocol, override=override, verdict=args.verdict, latest_n=args.latest, threshold=args.threshold, progress=bar, problems=problems, **_store_filters(args))


def _details(store, args, override, trainee: str) -> list:
    """The sessions of one trainee whose detail the PDF prints: --detail latest (3), all or none."""
    detail = args.detail or ("latest" if args.trainee else "none")
    if detail == "none":
        return []
    filters = dict(_store_filters(args), trainee=trainee)
    if detail == "all":
        items = judged(store.find(**filters), protocol, override)
        return [j for j in items if j.session.trainee == trainee and (args.verdict is None or j.passed == args.verdict)]
    # the latest 3: found from the flat summaries, then only those read in full
    latest = deque((sm.id for sm in store.summaries(**filters) if sm.trainee == trainee), maxlen=LATEST_DETAIL)
    chosen = [j for j in judged((store.get(sid) for sid in latest), protocol, override) if args.verdict is None or j.passed == args.verdict]
    return list(reversed(chosen))


# ---------------------------------------------------------------- lrs push


def _client(args, endpoint: str, option: str):
    """The record store client for this command's endpoint and credentials, or an exit status."""
    try:
        check_endpoint(endpoint)
    except ValueError as e:
        return fail(f"{option} {e}", 2)
    password = _password(args)
    if password is None:
        return fail("give --password-file FILE, set DEFUSE_LRS_PASSWORD, or run in a terminal to be asked", 2)
    return Lrs(endpoint, args.user, password, timeout=args.timeout)


def cmd_lrs_push(args) -> int:
    if not 1 <= args.batch <= 10_000:
        return fail("--batch must be from 1 to 10000 statements", 2)
    lrs = _client(args, args.endpoint, "--endpoint")
    if isinstance(lrs, int):
        return lrs
    homepage, base = _identity(args)
    sent = statements_sent = 0
    errors: list[str] = []
    with open_store(args) as store:
        ledger = store.lrs_ledger(args.endpoint)
        if args.verdict is None:
            # no verdict to compute: the ids come from one scan, without reading any turns
            ids = [sm.id for sm in store.summaries(**_store_filters(args))]
        else:
            ids = [j.session.id for j in _selected(store, args, None, errors)]
        pending = store.lrs_pending(ledger, ids)
        already = len(ids) - len(pending)
        left = set(pending)
        todo = left.copy()

        def post(group: list) -> bool:
            """Send sessions' statements in one request; False when the store should not be asked again now."""
            nonlocal sent, statements_sent
            batch = [st for _, sts in group for st in sts]
            try:
                lrs.send(batch)
            except LrsError as e:
                if not e.retry and len(group) > 1:
                    # refused (4xx): find the session it is about, and send the others
                    return all(post([one]) for one in group)
                errors.append(f"session {printable(group[0][0].id)}: {e}" if len(group) == 1 else f"{len(group)} sessions: {e}")
                return not e.retry  # the store is down or struggling: leave the rest for the next push
            store.mark_sent_many(ledger, [s for s, _ in group])
            left.difference_update(s.id for s, _ in group)
            sent += len(group)
            statements_sent += len(batch)
            return True

        # sessions are read as one stream and sent many per request, up to --batch statements
        group: list = []
        size = 0
        going = True
        for j in progress_bar(args, len(pending), desc="push")(j for j in _selected(store, args, None, errors if args.verdict is None else []) if j.session.id in todo):
            sts = statements(j, homepage, base)
            if group and size + len(sts) > args.batch:
                going = post(group)
                group, size = [], 0
                if not going:
                    break
            group.append((j.session, sts))
            size += len(sts)
        if going and group:
            post(group)
    doc = {"endpoint": args.endpoint, "sent": sent, "statements": statements_sent, "already_sent": already, "pending": len(left), "errors": errors}
    if args.json:
        emit_json(doc)
    else:
        print(f"sent {sent} session(s) ({statements_sent} statements) to {printable(args.endpoint)}; {already} already there; {len(left)} pending")
    for e in errors:
        sys.stderr.write(f"defuse: {e}\n")
    if errors:
        sys.stderr.write(f"defuse: {len(left)} session(s) still pending; run `defuse lrs push` again to retry\n")
        return 1
    return 0


def _password(args) -> str | None:
    """The LRS password: from --password-file, --password, DEFUSE_LRS_PASSWORD, else asked in a terminal."""
    if args.password_file is not None:
        path = Path(args.password_file)
        try:
            if not path.is_file():
                raise DefuseError(f"--password-file {args.password_file}: not a regular file")
            with path.open("rb") as fh:
                raw = fh.read(4097)
        except OSError as e:
            raise DefuseError(f"--password-file {args.password_file}: cannot read it ({e.strerror or e})") from None
        if len(raw) > 4096:
            raise DefuseError(f"--password-file {args.password_file}: too long to hold a password")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DefuseError(f"--password-file {args.password_file}: not UTF-8 text") from None
        first = text.splitlines()[0] if text.splitlines() else ""
        if not first:
            raise DefuseError(f"--password-file {args.password_file}: the first line is empty")
        return first
    if args.password is not None:
        return args.password
    env = os.environ.get("DEFUSE_LRS_PASSWORD")
    if env is not None:
        return env
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass(f"password for {args.user} at the record store: ")
        except (EOFError, KeyboardInterrupt):
            return None
    return None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (0 < value <= MAX_TIMEOUT):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds above 0 and at most {MAX_TIMEOUT:.0f}")
    return value


# ---------------------------------------------------------------- import / export


def cmd_export(args) -> int:
    problems: list[str] = []
    with open_store(args) as store:
        if args.verdict is None:
            sessions = store.find(**_store_filters(args))  # exported as they are: no need to judge them
        else:
            sessions = (j.session for j in _selected(store, args, None, problems))
        sessions = progress_bar(args, _count(store, args), desc="export")(sessions)
        with _output(args.output, binary=False) as out:
            n = write_export(sessions, out, exported=utc_now())
    if args.output != "-":
        sys.stderr.write(f"wrote {args.output}: {n} session(s)\n")
    return _left_out(problems)


def cmd_import(args) -> int:
    if not args.files and not args.from_lrs:
        return fail("give the files to import, or --from-lrs URL", 2)
    if args.files and args.from_lrs:
        return fail("import files or --from-lrs, not both at once", 2)
    if args.from_lrs:
        got = _from_lrs(args)
        if isinstance(got, int):
            return got
        with open_store(args) as store:
            counts = into_store(store, got.sessions)
        if args.json:
            emit_json({**counts, "source": args.from_lrs, "errors": got.problems, "without_record": got.without_record})
        else:
            print(
                f"{printable(args.from_lrs)}: {counts['imported']} imported, {counts['updated']} updated (more complete copy),"
                f" {counts['skipped']} skipped (already here), {counts['conflicts']} conflicting"
            )
        return 1 if got.problems or counts["conflicts"] else 0
    counts = {"imported": 0, "updated": 0, "skipped": 0, "conflicts": 0}
    files, errors, warnings = [], [], []
    with open_store(args) as store:
        for path in args.files:
            mine = {"imported": 0, "updated": 0, "skipped": 0, "conflicts": 0}
            problems: list[str] = []
            clashes: list[str] = []
            try:
                with open_regular(path) as fh, store.importing():
                    for n, raw in iter_export(fh, path):
                        try:
                            s = rescored(session_from(raw, n, path), protocol)
                        except UnknownName:
                            problems.append(f"{path}: {label(raw, n)}: protocol: {raw['protocol']!r} is not installed here, so the session cannot be scored")
                            continue
                        except ExchangeError as e:
                            problems.append(str(e))
                            continue
                        if problems:
                            continue  # the file is refused whole: checking goes on, writing stops
                        verdict = store.merge(s)
                        if verdict == "conflict":
                            mine["conflicts"] += 1
                            clashes.append(f"{path}: {label(raw, n)}: differs from the copy here{' (finished)' if store.get(s.id).complete else ''}; kept ours, skipped this one")
                        else:
                            mine[verdict] += 1
                    if problems:
                        raise _Refused()
            except _Refused:
                errors.extend(problems[:_MAX_LINES])
                if len(problems) > _MAX_LINES:
                    errors.append(f"{path}: {len(problems) - _MAX_LINES} more problem(s)")
                errors.append(f"{path}: nothing imported from this file")
                continue
            except DefuseError as e:
                errors.append(str(e).splitlines()[0])
                continue
            for k, v in mine.items():
                counts[k] += v
            warnings.extend(clashes)
            files.append({"file": path, **mine})
    if args.json:
        emit_json({**counts, "files": files, "errors": errors, "conflicts_found": warnings})
    else:
        for f in files:
            print(f"{f['file']}: {f['imported']} imported, {f['updated']} updated (more complete copy), {f['skipped']} skipped (already here), {f['conflicts']} conflicting")
    for e in errors + warnings:
        sys.stderr.write(f"defuse: {e}\n")
    return 1 if errors or warnings else 0


class _Refused(Exception):
    """A file with a bad session: its transaction is rolled back."""


_MAX_LINES = 20  # problems listed per refused file


# ---------------------------------------------------------------- parser


def register(sub, common) -> None:
    """Add this package's subcommands to the `defuse` parser."""
    p = sub.add_parser("sessions", parents=[common], help="list recorded sessions with their scores")
    _filters(p)
    p.add_argument("--protocol", metavar="ID", help="re-score every session against this protocol")
    p.add_argument("--json", action="store_true", help="print the sessions as one JSON document")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("report", parents=[common], help="a score report: csv, xlsx, json, html, xapi or pdf")
    p.add_argument("--format", required=True, choices=FORMATS, help="the kind of report: " + ", ".join(FORMATS))
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it ('-' for stdout)")
    p.add_argument("--protocol", metavar="ID", help="re-score every session against this protocol")
    p.add_argument("--homepage", metavar="URL", help="xapi: the account homePage naming trainees (default: DEFUSE_XAPI_HOMEPAGE, else `defuse config`)")
    p.add_argument("--activity-base", metavar="IRI", help="xapi: the IRI every activity id starts with (default: `defuse config`)")
    p.add_argument("--latest", type=int, default=DEFAULT_LATEST, metavar="N", help=f"the coaching grid and the HTML detail use each trainee's latest N finished sessions (default {DEFAULT_LATEST})")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="SHARE", help=f"who needs coaching: a step missed in more than this share of those sessions (default {DEFAULT_THRESHOLD})")
    p.add_argument("--detail", choices=("latest", "all", "none"), help=f"pdf: after each summary page, the latest {LATEST_DETAIL} sessions, all or none (default: latest with --trainee, else none)")
    _lrs_source(p)
    _filters(p)
    p.set_defaults(func=cmd_report)

    lrs = sub.add_parser("lrs", help="a learning record store (xAPI)")
    lrs_sub = lrs.add_subparsers(dest="lrs_command", metavar="COMMAND")
    lrs.set_defaults(func=lambda args: (lrs.print_help(), 2)[1])
    p = lrs_sub.add_parser("push", parents=[common], help="send the sessions not yet sent; failed sends are retried next time")
    p.add_argument("--endpoint", required=True, metavar="URL", help="the xAPI base, e.g. http://127.0.0.1:8100/xAPI/")
    p.add_argument("--user", required=True, metavar="U", help="the LRS account's user name (HTTP basic authentication)")
    p.add_argument("--password-file", metavar="FILE", help="a file whose first line is the password (safer than --password)")
    p.add_argument("--password", metavar="P", help="visible to other users of this machine: prefer --password-file, DEFUSE_LRS_PASSWORD or the prompt")
    p.add_argument("--homepage", metavar="URL", help="the account homePage naming trainees (default: DEFUSE_XAPI_HOMEPAGE, else `defuse config`)")
    p.add_argument("--activity-base", metavar="IRI", help="the IRI every activity id starts with (default: `defuse config`)")
    p.add_argument("--timeout", type=_seconds, default=15.0, metavar="SECONDS", help="one deadline for each request, whole (default 15, at most 600)")
    p.add_argument("--batch", type=int, default=500, metavar="N", help="statements per request, at most (default 500; a session is never split)")
    p.add_argument("--json", action="store_true", help="print the counts (sent, pending, errors) as one JSON document")
    _filters(p, mode="all")
    p.set_defaults(func=cmd_lrs_push)

    p = sub.add_parser("config", help="settings kept in a file: the organisation's xAPI homePage and activity IRIs")
    p.add_argument("action", nargs="?", choices=("show", "set", "unset"), default="show", help="show the settings (default), set KEY VALUE or unset KEY")
    p.add_argument("key", nargs="?", metavar="KEY", help="xapi.homepage or xapi.activity_base")
    p.add_argument("value", nargs="?", metavar="VALUE", help="with set: the new value")
    p.add_argument("--json", action="store_true", help="print the settings file and its settings as one JSON document")
    p.set_defaults(func=_config_usage(p))

    p = sub.add_parser("export-sessions", parents=[common], help="write sessions to a file for another machine")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the export file to write ('-' for stdout)")
    _filters(p, mode="all")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", parents=[common], help="merge exported sessions (files, or a record store with --from-lrs) into this machine's store")
    p.add_argument("files", nargs="*", metavar="FILE", help="files written by `defuse export-sessions`")
    p.add_argument("--json", action="store_true", help="print the counts as one JSON document")
    _lrs_source(p)
    p.set_defaults(func=cmd_import)


def _lrs_source(p) -> None:
    """The options that read sessions back from a learning record store."""
    g = p.add_argument_group("from a learning record store")
    g.add_argument("--from-lrs", metavar="URL", help="read the finished sessions pushed to this xAPI endpoint (`defuse lrs push`) instead of the local store")
    g.add_argument("--user", metavar="U", help="with --from-lrs: the record store's user")
    g.add_argument("--password-file", metavar="FILE", help="with --from-lrs: a file whose first line is the password")
    g.add_argument("--password", metavar="P", help="with --from-lrs: visible to other users of this machine; prefer --password-file, DEFUSE_LRS_PASSWORD or the prompt")
    g.add_argument("--timeout", type=_seconds, default=60.0, metavar="SECONDS", help="with --from-lrs: one deadline for each page read (default 60, at most 600)")


def _identity(args) -> tuple[str, str]:
    """The xAPI homePage and activity base in force for this command (option, environment, config, default)."""
    return (
        resolved(args.homepage, "xapi.homepage", "DEFUSE_XAPI_HOMEPAGE", DEFAULT_HOMEPAGE),
        resolved(args.activity_base, "xapi.activity_base", None, ACTIVITY_BASE),
    )


def _config_usage(parser):
    def run(args) -> int:
        wants = {"show": (False, False), "set": (True, True), "unset": (True, False)}[args.action]
        if (args.key is not None) != wants[0] or (args.value is not None) != wants[1]:
            parser.error({"show": "show takes no KEY", "set": "set takes KEY VALUE", "unset": "unset takes KEY"}[args.action])
        return cmd_config(args)

    return run


def cmd_config(args) -> int:
    path = config_path()
    settings = load(path)
    if args.action == "set":
        settings[args.key] = check(args.key, args.value)
        save(settings, path)
    elif args.action == "unset":
        if args.key not in KEYS:
            check(args.key, "http://x")  # the unknown-key message
        settings.pop(args.key, None)
        save(settings, path)
    if args.json:
        emit_json({"path": str(path), "settings": settings})
    elif args.action != "show":
        print(f"{args.key} = {settings[args.key]} (in {path})" if args.action == "set" else f"{args.key} unset (in {path})")
    else:
        print(f"# {path}")
        for key, what in KEYS.items():
            print(f"{key} = {settings[key]}" if key in settings else f"# {key} (not set): {what}")
    return 0
