"""`defuse report`: the class report in one format (csv, json, xapi and html streamed; xlsx and
pdf built whole), with every saved score refreshed under the current scoring rules first."""
from __future__ import annotations

import sys
import tempfile
from collections import deque

from scoring import SCORING_VERSION, score
from simulator.cli_common import fail, open_store
from simulator.library import protocol
from simulator.store import Store, utc_now

from .classview import build
from .csv import write_csv
from .from_lrs import into_store
from .html import render_html
from .jsonreport import write_json
from .output import output
from .pdf import render_pdf
from .record_store import read_back
from .rows import judged, table
from .selection import chosen_protocol, count_for_bar, filter_doc, left_out, progress_bar, selected, store_filters
from .settings import xapi_identity
from .xapi import write_xapi
from .xlsx import render_xlsx

__all__ = ["cmd_report", "refresh_scores", "FORMATS", "LATEST_DETAIL"]

FORMATS = ("csv", "xlsx", "json", "html", "xapi", "pdf")
LATEST_DETAIL = 3  # --detail latest: this many sessions in full after a trainee's summary page


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


def cmd_report(args) -> int:
    if args.from_lrs:
        # the record store's sessions go into a scratch store, and the report is made from it
        # exactly as from the local one (same code, same numbers)
        got = read_back(args)
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
    override = chosen_protocol(args)
    problems: list[str] = []
    with open_store(args) as store:
        refreshed = refresh_scores(store, protocol, problems) if override is None else 0
        bar = progress_bar(args, count_for_bar(store, args), desc=f"report {args.format}")
        filters = store_filters(args)
        if args.format in ("csv", "json", "xapi", "html"):
            # streamed: memory stays flat however many sessions there are
            with output(args.output, binary=False) as out:
                if args.format == "csv":
                    n = write_csv(bar(table(store, protocol, override=override, verdict=args.verdict, problems=problems, **filters)), out)
                elif args.format == "json":
                    n = write_json(bar(selected(store, args, override, problems)), out, generated=utc_now(), filters=filter_doc(args))
                elif args.format == "xapi":
                    homepage, base = xapi_identity(args)
                    n = write_xapi(bar(selected(store, args, override, problems)), out, homepage=homepage, base=base)
                else:
                    report = _class_report(store, args, override, bar, problems)
                    for chunk in render_html(report, generated=utc_now(), filters=filter_doc(args)):
                        out.write(chunk)
                    n = report.sessions + report.unfinished_count
        elif args.format == "xlsx":
            chosen = list(bar(selected(store, args, override, problems)))
            data = render_xlsx(chosen, _class_report(store, args, override, problems=[]))
            with output(args.output, binary=True) as out:
                out.write(data)
            n = len(chosen)
        else:
            report = _class_report(store, args, override, bar)
            if not report.trainees:
                who = f"trainee {args.trainee!r}" if args.trainee else "any trainee"
                return fail(f"no sessions for {who} match the filters")
            details = {t.name: _details(store, args, override, t.name) for t in report.trainees}
            data = render_pdf(report, generated=utc_now(), details=details)
            with output(args.output, binary=True) as out:
                out.write(data)
            n = report.sessions + report.unfinished_count
    if refreshed:
        sys.stderr.write(f"note: {refreshed} session(s) were scored under older rules and are re-scored here with the current ones (scoring version {SCORING_VERSION})\n")
    if args.output != "-":
        unit = "statement(s)" if args.format == "xapi" else "session(s)"
        sys.stderr.write(f"wrote {args.output}: {n} {unit}\n")
    return left_out(problems)


def _class_report(store, args, override, bar=lambda it: it, problems: list[str] | None = None):
    return build(store, protocol, override=override, verdict=args.verdict, latest_n=args.latest, threshold=args.threshold, progress=bar, problems=problems, **store_filters(args))


def _details(store, args, override, trainee: str) -> list:
    """The sessions of one trainee whose detail the PDF prints: --detail latest (3), all or none."""
    detail = args.detail or ("latest" if args.trainee else "none")
    if detail == "none":
        return []
    filters = dict(store_filters(args), trainee=trainee)
    if detail == "all":
        items = judged(store.find(**filters), protocol, override)
        return [j for j in items if j.session.trainee == trainee and (args.verdict is None or j.passed == args.verdict)]
    # the latest 3: found from the flat summaries, then only those read in full
    latest = deque((sm.id for sm in store.summaries(**filters) if sm.trainee == trainee), maxlen=LATEST_DETAIL)
    chosen = [j for j in judged((store.get(sid) for sid in latest), protocol, override) if args.verdict is None or j.passed == args.verdict]
    return list(reversed(chosen))
