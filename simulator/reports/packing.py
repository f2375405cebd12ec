"""Sessions sent to a learning record store for `lrs push`: read from the store, judged, their
statements built and encoded (`lrs.Parcel`), and sent (`lrs.Sending`).

Making a session's statements costs several times what sending them does, and one Python
process uses one core, so a large push is shared between worker processes: each takes the
sessions a chunk at a time, reads them through its own connection to the store, makes their
statements and sends them, and hands back the receipts of what the record store confirmed.
Only this process writes the ledger, as the receipts come back in the order the chunks were
given. A few chunks are asked for ahead of the one awaited, so the memory held stays small
however large the store. A small push, or `--jobs 1`, runs the same steps in this process.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterator

from simulator.library import protocol, use_protocol_dirs
from simulator.store import Store

from .lrs import Lrs, Parcel, Receipt, Sending, parcel
from .rows import judged
from .xapi import statements

__all__ = ["Packing", "parcels", "deliver", "default_jobs", "CHUNK"]

CHUNK = 500  # sessions a worker takes at a time (about 13 MB of statements)
AHEAD = 2  # chunks asked of each worker beyond the one it works on
WORTH_IT = 4  # chunks per worker below which starting workers costs more than it saves
MAX_JOBS = 8


@dataclass(frozen=True)
class Packing:
    """What a session's statements depend on besides the session: the organisation's IRIs, and
    the protocol folders a session saved under older scoring rules is scored again with."""

    homepage: str
    base: str
    protocol_dirs: tuple[str, ...] = ()


def default_jobs() -> int:
    """Worker processes for a large push: one per core this process may use, at most MAX_JOBS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_JOBS, cores))


def parcels(store: Store, ids: list[str], packing: Packing, problems: list[str]) -> Iterator[Parcel]:
    """The parcels of these sessions, in this order; one that cannot be judged is described in
    `problems` and left out."""
    for j in judged(store.get_many(ids), protocol, None, problems):
        yield parcel(j.session, statements(j, packing.homepage, packing.base))


def deliver(store: Store, client: Lrs, ids: list[str], packing: Packing, *, batch: int, errors: list[str], jobs: int = 1) -> Iterator[list[Receipt]]:
    """Send these sessions (`Sending`), by `jobs` worker processes CHUNK sessions at a time, or
    here (1 job, or too few sessions to repay starting workers); yields the receipts of each
    confirmed request, chunk after chunk in the order given.

    After a failure that may pass (the store is down), nothing more is asked of the workers and
    the requests they had under way are awaited. If a worker dies (killed, out of memory), that
    is one line in `errors` and the sessions not confirmed stay unsent."""
    chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    pool = _pool(store, client, packing, batch, jobs) if jobs > 1 and len(chunks) >= WORTH_IT * jobs else None
    if pool is None:
        yield from Sending(client, batch, errors).run(parcels(store, ids, packing, errors))
        return
    todo = deque(chunks)
    asked: deque = deque()
    outage = False
    finished = False
    try:
        while asked or (todo and not outage):
            while todo and not outage and len(asked) < jobs * (1 + AHEAD):
                asked.append(pool.submit(_deliver_here, todo.popleft()))
            try:
                receipts, lines, stopped = asked.popleft().result()
            except BrokenProcessPool:
                errors.append("a worker process sending the sessions stopped unexpectedly; the sessions it had not sent stay pending")
                return
            if stopped and outage:
                lines = lines[:-1]  # the same outage again, seen by another worker: said once
            errors.extend(lines)
            outage = outage or stopped
            if receipts:
                yield receipts
        finished = True
    finally:
        _stop(pool, finished)


def _pool(store: Store, client: Lrs, packing: Packing, batch: int, jobs: int) -> ProcessPoolExecutor | None:
    """Worker processes with their own connection to the store and client of the record store, or
    None where they cannot be had (an in-memory store, a system without process semaphores)."""
    if str(store.path) == ":memory:":
        return None
    try:
        # spawned, not forked: a fork would copy this process's open SQLite connection and its threads
        context = multiprocessing.get_context("spawn")
        down = context.Event()  # set by the first worker the record store fails: the others then stop asking it
        return ProcessPoolExecutor(jobs, mp_context=context, initializer=_start, initargs=(str(store.path), client, packing, batch, down))
    except (OSError, NotImplementedError, ImportError):
        return None


def _stop(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Let the workers go: after a whole push, once they are idle; when it was cut short (Ctrl-C,
    an error), at once, with what they had under way left unconfirmed (sent again next time)."""
    if not finished:
        for process in list((getattr(pool, "_processes", None) or {}).values()):  # no public way before Python 3.14
            process.terminate()
    pool.shutdown(wait=finished, cancel_futures=True)


_worker: tuple | None = None  # (store, client, packing, batch, the outage event) in a worker


def _start(path: str, client: Lrs, packing: Packing, batch: int, down) -> None:
    """A worker's start: Ctrl-C is the pushing process's to handle; its own store connection."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    use_protocol_dirs(list(packing.protocol_dirs))
    _worker = (Store(path), client, packing, batch, down)
    # A worker makes hundreds of thousands of short-lived dicts and lists without a cycle among
    # them: the collector has nothing to find, yet it would look through what is alive (the
    # modules, the caches) over and over. What exists now is set aside, and it looks less often
    # (about 9% of a worker's time).
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)


def _deliver_here(ids: list[str]) -> tuple[list[Receipt], list[str], bool]:
    """In a worker: send these sessions; (the receipts, the error lines, whether an outage stopped it).
    Once any worker met an outage, the others send nothing more (each request could wait the
    whole timeout)."""
    assert _worker is not None, "a worker started without its store"
    store, client, packing, batch, down = _worker
    if down.is_set():
        return [], [], True
    errors: list[str] = []
    sending = Sending(client, batch, errors)
    receipts = [r for confirmed in sending.run(parcels(store, ids, packing, errors)) for r in confirmed]
    if sending.outage is not None:
        down.set()
    return receipts, errors, sending.outage is not None
