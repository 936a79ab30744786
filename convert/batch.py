"""Run one pure function over many items in worker processes, results in input order.

The conversion of one post is a pure function of (bytes, options); this module only
decides where it runs. ``jobs`` worker processes each convert one item at a time (with
the next one already handed over, so that no worker waits for the parent between
items), so a post that crashes its worker (a segfault, the OOM killer) or runs past
the time budget fails alone: its worker is killed and replaced, the items queued
behind it go to the new worker, and the run goes on. Results come back
in the order of the items whatever the number of workers, so output and reports are
the same with one job or many. On request the function runs in this process instead
(for debugging), and the time budget is then an interval timer.

Nothing here knows about posts; :mod:`convert.pipeline` supplies the function.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from .memory import release_free_memory

Item = TypeVar("Item")
Result = TypeVar("Result")

#: How many results may wait, per worker, for an earlier slow item before new items
#: stop being handed out (bounds memory when one item is slow).
RESULTS_AHEAD_PER_WORKER = 8
#: Items handed to a worker at a time: the one it works on and the next, so that it
#: starts the next as soon as it sends a result (a round trip through a busy parent
#: costs a millisecond).
ITEMS_PER_WORKER = 2


@dataclass(frozen=True)
class Failed:
    """The function gave no result for an item; ``reason`` says why, for the user."""

    reason: str


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(fn: Callable[[Any, Item], Result], context: Any, items: Iterable[Item],
                jobs: int = 1, timeout: float | None = None,
                processes: bool = True) -> Iterator[Result | Failed]:
    """``fn(context, item)`` for every item, yielded in the items' order.

    ``fn`` must be a module-level function and should catch its own exceptions;
    anything it lets through, a crashed worker and an item that runs longer than
    ``timeout`` seconds become :class:`Failed`. ``context`` is handed to every worker
    once. Closing the iterator early (or Ctrl-C) stops and reaps all workers.
    ``processes=False`` runs everything in this process (``jobs`` is then ignored):
    easy to debug, but the time budget cannot stop code that never returns to Python
    (a regular expression that backtracks forever), and a crash ends the run.
    """
    with Workers(fn, context, jobs, timeout, processes) as workers:
        yield from workers.map(items)


class Workers:
    """The processes of :func:`ordered_map`, started when this is made: a caller that
    starts them before it builds large state of its own (a list of 20,000 inputs) keeps
    that state out of the forked workers. :meth:`map` runs once; leaving the ``with``
    block stops the workers."""

    def __init__(self, fn: Callable[[Any, Item], Result], context: Any, jobs: int = 1,
                 timeout: float | None = None, processes: bool = True) -> None:
        self.fn, self.context, self.timeout = fn, context, timeout
        self._pool = _Pool(fn, context, jobs, timeout) if processes else None
        if self._pool is not None:
            self._pool.start()

    def map(self, items: Iterable[Item]) -> Iterator[Result | Failed]:
        """``fn(context, item)`` for every item, in the items' order."""
        if self._pool is None:
            return _in_process(self.fn, self.context, items, self.timeout)
        return self._pool.run(items)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _TimeBudgetExceeded(BaseException):
    """Raised in the item's own code by the interval timer (a BaseException, so that the
    function's ``except Exception`` does not swallow it)."""


def _in_process(fn: Callable[[Any, Item], Result], context: Any, items: Iterable[Item],
                timeout: float | None) -> Iterator[Result | Failed]:
    # The timer can only interrupt Python code of the main thread; elsewhere, or on a
    # platform without SIGALRM, items run without a budget.
    use_timer = (timeout is not None and hasattr(signal, "setitimer")
                 and threading.current_thread() is threading.main_thread())
    for item in items:
        if not use_timer:
            yield _call(fn, context, item)
            continue
        previous = signal.signal(signal.SIGALRM, _raise_budget_exceeded)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            result: Result | Failed = _call(fn, context, item)
        except _TimeBudgetExceeded:
            result = Failed(_timeout_reason(timeout))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        yield result


def _raise_budget_exceeded(signum: int, frame: object) -> None:
    raise _TimeBudgetExceeded


def _timeout_reason(timeout: float | None) -> str:
    return f"took longer than {timeout:g} s, skipped (--post-timeout)"


def _call(fn: Callable[[Any, Item], Result], context: Any, item: Item) -> Result | Failed:
    try:
        return fn(context, item)
    except (Exception, RecursionError, MemoryError) as exc:  # a bug: fail this item only
        return Failed(f"internal error: {type(exc).__name__}: {exc}")


def _worker_main(conn: Connection, fn: Callable[[Any, Any], Any], context: Any) -> None:
    # The parent owns Ctrl-C: it stops the workers itself and reports once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        result = _call(fn, context, item)
        try:
            conn.send((index, result))
        except (Exception, RecursionError) as exc:  # e.g. a result too deep to pickle
            conn.send((index, Failed(f"internal error: result not passed back: {exc}")))
        del result, item, message
        # What the item freed goes back to the system (a microsecond when there is
        # nothing to give): a worker that converts 20,000 items, a few big, otherwise
        # keeps the pages of its largest ones, scattered, and grows.
        release_free_memory()


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    #: The items handed over and not yet done, as (index, item); it works on the first.
    queue: deque[tuple[int, Any]] = field(default_factory=deque)
    deadline: float | None = None  # for the first item

    @property
    def busy(self) -> bool:
        return bool(self.queue)


def _context() -> multiprocessing.context.BaseContext:
    # fork starts a worker in milliseconds with every module already imported; workers
    # are started before the run starts any thread of its own.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _Pool:
    def __init__(self, fn: Callable[[Any, Any], Any], context: Any, jobs: int,
                 timeout: float | None) -> None:
        self.fn, self.context, self.jobs, self.timeout = fn, context, jobs, timeout
        self.mp = _context()
        self.workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent, child = self.mp.Pipe()
        process = self.mp.Process(target=_worker_main, args=(child, self.fn, self.context),
                                  daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker, done: dict[int, Any]) -> _Worker:
        """Kill ``worker`` (its first item has failed and is gone from its queue) and
        hand the items queued behind it to a new one, which is returned."""
        _stop(worker, kill=True)
        new = self.workers[self.workers.index(worker)] = self._start()
        for index, item in worker.queue:
            self._hand(new, index, item, done)
        return new

    def _hand(self, worker: _Worker, index: int, item: Any, done: dict[int, Any],
              again: bool = True) -> None:
        try:
            worker.conn.send((index, item))
        except (OSError, EOFError):
            if worker.queue:
                # It died on its first item: _collect finds out, and its replacement
                # gets this one too.
                worker.queue.append((index, item))
            elif again:  # it died while idle
                self._hand(self._replace(worker, done), index, item, done, again=False)
            else:
                done[index] = Failed("internal error: worker unavailable")
            return
        if not worker.queue:
            worker.deadline = (time.monotonic() + self.timeout
                               if self.timeout is not None else None)
        worker.queue.append((index, item))

    def start(self) -> None:
        # Objects made so far (modules, compiled patterns) are left alone by the workers'
        # garbage collector: collecting would touch, and so copy, every page of them.
        gc.freeze()
        try:
            self.workers = [self._start() for _ in range(self.jobs)]
        finally:
            gc.unfreeze()

    def stop(self) -> None:
        for worker in self.workers:
            _stop(worker, kill=worker.busy)
        self.workers = []

    def run(self, items: Iterable[Item]) -> Iterator[Any]:
        pending = iter(items)
        exhausted = False
        next_index = 0  # the next item to hand out
        next_yield = 0  # the next result the caller gets
        done: dict[int, Any] = {}
        limit = self.jobs * RESULTS_AHEAD_PER_WORKER
        try:
            while True:
                # The emptiest worker first: every worker gets an item before any gets
                # a second one.
                while not exhausted and next_index - next_yield < limit:
                    worker = min(self.workers, key=lambda w: len(w.queue))
                    if len(worker.queue) >= ITEMS_PER_WORKER:
                        break
                    try:
                        item = next(pending)
                    except StopIteration:
                        exhausted = True
                        break
                    self._hand(worker, next_index, item, done)
                    next_index += 1
                while next_yield in done:
                    yield done.pop(next_yield)
                    next_yield += 1
                busy = [w for w in self.workers if w.busy]
                if not busy:
                    if exhausted:
                        return
                    continue
                self._collect(busy, done)
        finally:
            self.stop()

    def _collect(self, busy: list[_Worker], done: dict[int, Any]) -> None:
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = wait([w.conn for w in busy], timeout=wait_for)
        now = time.monotonic()
        for worker in busy:
            if worker.conn in ready:
                try:
                    index, result = worker.conn.recv()
                except (EOFError, OSError):
                    worker.process.join(1)
                    done[worker.queue.popleft()[0]] = Failed(
                        _crash_reason(worker.process.exitcode))
                    self._replace(worker, done)
                    continue
                done[index] = result
                worker.queue.popleft()
                # It started on the next item (if any) as it sent this result.
                worker.deadline = (now + self.timeout
                                   if worker.queue and self.timeout is not None else None)
            elif worker.deadline is not None and now >= worker.deadline:
                done[worker.queue.popleft()[0]] = Failed(_timeout_reason(self.timeout))
                self._replace(worker, done)


def _crash_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        how = f"killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    else:
        how = f"exit code {exitcode}"
    return f"the worker converting this input stopped ({how}); skipped"


def _stop(worker: _Worker, kill: bool) -> None:
    try:
        if not kill:
            worker.conn.send(None)
    except (OSError, EOFError):
        pass
    if kill and worker.process.is_alive():
        worker.process.kill()
    worker.process.join(5)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    worker.conn.close()
