"""`defuse lrs push`: the command around `lrs.push` (the password, the endpoint check, the
summary printed); the sending, the retries and the ledger are `lrs.push`'s."""
from __future__ import annotations

import sys

from simulator.cli_common import emit_json, fail, open_store

from .lrs import printable, push
from .packing import Packing, default_jobs, deliver
from .record_store import client_for
from .selection import progress_bar, selected, store_filters
from .settings import xapi_identity

__all__ = ["cmd_lrs_push"]


def cmd_lrs_push(args) -> int:
    if not 1 <= args.batch <= 10_000:
        return fail("--batch must be from 1 to 10000 statements", 2)
    jobs = default_jobs() if args.jobs is None else args.jobs
    if not 1 <= jobs <= 64:
        return fail("--jobs must be from 1 to 64 processes", 2)
    client = client_for(args, args.endpoint, "--endpoint")
    if isinstance(client, int):
        return client
    homepage, base = xapi_identity(args)
    packing = Packing(homepage, base, tuple(str(d) for d in getattr(args, "protocols", None) or ()))
    errors: list[str] = []
    with open_store(args) as store:
        if args.verdict is None:
            # no verdict to compute: the ids come from one scan, without reading any turns
            ids = store.ids(**store_filters(args))
        else:
            ids = [j.session.id for j in selected(store, args, None, errors)]
        done = push(
            store, args.endpoint, ids,
            lambda pending: deliver(store, client, pending, packing, batch=args.batch, errors=errors, jobs=jobs),
            progress=lambda total: progress_bar(args, total, desc="push"),
        )
    sent, statements_sent, already, pending = done.sent, done.statements, done.already, done.pending
    doc = {"endpoint": args.endpoint, "sent": sent, "statements": statements_sent, "already_sent": already, "pending": pending, "errors": errors}
    if args.json:
        emit_json(doc)
    else:
        print(f"sent {sent} session(s) ({statements_sent} statements) to {printable(args.endpoint)}; {already} already there; {pending} pending")
    for e in errors:
        sys.stderr.write(f"defuse: {e}\n")
    if errors:
        sys.stderr.write(f"defuse: {pending} session(s) still pending; run `defuse lrs push` again to retry\n")
        return 1
    return 0
