"""`defuse export-sessions` and `defuse import`: sessions moved between machines, merged by id
without duplicates; a file with any bad session is refused whole."""
from __future__ import annotations

import sys

from simulator.cli_common import emit_json, fail, open_store
from simulator.diagnostics import DefuseError
from simulator.files import open_regular
from simulator.library import UnknownName, protocol
from simulator.store import utc_now

from .exchange import ExchangeError, iter_export, label, rescored, session_from, write_export
from .from_lrs import into_store
from .lrs import printable
from .output import output
from .record_store import read_back
from .selection import count_for_bar, left_out, progress_bar, selected, store_filters

__all__ = ["cmd_export", "cmd_import"]


def cmd_export(args) -> int:
    problems: list[str] = []
    with open_store(args) as store:
        if args.verdict is None:
            sessions = store.find(**store_filters(args))  # exported as they are: no need to judge them
        else:
            sessions = (j.session for j in selected(store, args, None, problems))
        sessions = progress_bar(args, count_for_bar(store, args), desc="export")(sessions)
        with output(args.output, binary=False) as out:
            n = write_export(sessions, out, exported=utc_now())
    if args.output != "-":
        sys.stderr.write(f"wrote {args.output}: {n} session(s)\n")
    return left_out(problems)


def cmd_import(args) -> int:
    if not args.files and not args.from_lrs:
        return fail("give the files to import, or --from-lrs URL", 2)
    if args.files and args.from_lrs:
        return fail("import files or --from-lrs, not both at once", 2)
    if args.from_lrs:
        got = read_back(args)
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
