"""The batch engine on the smallest inputs: order, time budget, crash isolation."""

from __future__ import annotations

import os
import signal
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convert.batch import Failed, ordered_map


def square(context: int, item: int) -> int:
    return context * item * item


def slow_or_fast(context: None, item: tuple[str, float]) -> str:
    name, seconds = item
    time.sleep(seconds)
    return name


def explode(context: None, item: str) -> str:
    if item == "segfault":
        os.kill(os.getpid(), signal.SIGKILL)
    if item == "raise":
        raise ValueError("a bug")
    if item == "forever":
        while True:
            pass
    return item.upper()


@settings(max_examples=20, deadline=None)
@given(items=st.lists(st.integers(-1000, 1000), max_size=40), jobs=st.integers(1, 3))
def test_results_come_in_input_order_whatever_the_jobs(items: list[int], jobs: int) -> None:
    expected = [3 * i * i for i in items]
    assert list(ordered_map(square, 3, items, jobs)) == expected
    assert list(ordered_map(square, 3, items, jobs, processes=False)) == expected


def test_a_slow_item_does_not_reorder_the_fast_ones() -> None:
    items = [("slow", 0.5), *((f"fast{i}", 0.0) for i in range(20))]
    assert list(ordered_map(slow_or_fast, None, items, jobs=2)) == [n for n, _ in items]


@pytest.mark.parametrize("processes", [True, False])
def test_a_failing_item_fails_alone(processes: bool) -> None:
    items = ["a", "raise", "b", "forever", "c"]
    results = list(ordered_map(explode, None, items, jobs=2, timeout=1.0, processes=processes))
    assert results[0] == "A" and results[2] == "B" and results[4] == "C"
    assert isinstance(results[1], Failed) and "ValueError: a bug" in results[1].reason
    assert isinstance(results[3], Failed) and "longer than 1 s" in results[3].reason


def test_a_crashed_worker_fails_its_item_and_is_replaced() -> None:
    items = ["a", "segfault", "b", "segfault", "c", "d"]
    results = list(ordered_map(explode, None, items, jobs=2))
    assert [r for r in results if not isinstance(r, Failed)] == ["A", "B", "C", "D"]
    crashes = [r for r in results if isinstance(r, Failed)]
    assert len(crashes) == 2 and all("SIGKILL" in r.reason for r in crashes)


def test_closing_early_reaps_every_worker() -> None:
    import multiprocessing

    before = set(multiprocessing.active_children())
    results = ordered_map(slow_or_fast, None, [("x", 0.0)] * 50, jobs=2)
    assert next(results) == "x"
    results.close()
    assert set(multiprocessing.active_children()) == before


@pytest.mark.parametrize("bad, word", [("segfault", "SIGKILL"), ("forever", "longer than")])
def test_items_queued_behind_a_lost_item_go_to_the_new_worker(bad: str, word: str) -> None:
    # One worker holds two items at a time: the one behind the crash or the timeout is
    # handed to the replacement, not lost.
    items = ["a", bad, "b", "c", bad, "d"]
    results = list(ordered_map(explode, None, items, jobs=1, timeout=1.0))
    assert [r for r in results if not isinstance(r, Failed)] == ["A", "B", "C", "D"]
    assert isinstance(results[1], Failed) and word in results[1].reason
    assert isinstance(results[4], Failed) and word in results[4].reason


def test_the_time_budget_counts_from_when_an_item_starts() -> None:
    # The second item is handed over at once but starts at 0.7 s: counted from its
    # hand-over it would run past 1.2 s at 1.4 s and be killed.
    items = [(f"x{i}", 0.7) for i in range(3)]
    assert list(ordered_map(slow_or_fast, None, items, jobs=1, timeout=1.2)) == \
        ["x0", "x1", "x2"]


def big_or_hang(context: None, item: object) -> object:
    if item == "hang":
        while True:
            pass
    if item == "big out":
        return b"y" * 3_000_000
    return len(item) if isinstance(item, bytes) else item


def run_with_deadline(seconds: float, *args: object, **kwargs: object) -> list:
    """ordered_map's results, or a failure if it has not finished in ``seconds``."""
    import threading

    results: list = []
    thread = threading.Thread(target=lambda: results.extend(ordered_map(*args, **kwargs)),
                              daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "ordered_map hung"
    return results


@pytest.mark.parametrize("first", ["hang", "big out"])
def test_a_big_item_never_waits_in_a_busy_workers_pipe(first: str) -> None:
    # Standard input's bytes travel inside the item: queued behind a worker that is stuck
    # (or sending a big result), the parent would block sending it, and nothing moves.
    items = [first, "b", b"x" * 5_000_000]
    results = run_with_deadline(60, big_or_hang, None, items, jobs=2, timeout=2.0)
    assert results[1:] == ["b", 5_000_000]
    assert (isinstance(results[0], Failed) if first == "hang"
            else results[0] == b"y" * 3_000_000)


def exit_after(context: None, item: str) -> str:
    if item == "last words":
        import threading

        threading.Timer(0.1, os._exit, (1,)).start()  # dies idle, after its result
    return item.upper()


def test_a_worker_that_dies_idle_costs_no_item() -> None:
    def items():  # the worker is dead before the next item is handed to it
        yield "last words"
        time.sleep(0.5)
        yield from "abcdef"

    assert list(ordered_map(exit_after, None, items(), jobs=1)) == \
        ["LAST WORDS", *"ABCDEF"]
    assert list(ordered_map(exit_after, None, items(), jobs=2)) == \
        ["LAST WORDS", *"ABCDEF"]


def test_an_item_that_cannot_be_pickled_fails_alone() -> None:
    items = ["a", (lambda: None), "b"]  # noqa: E731 - a lambda does not pickle
    results = list(ordered_map(big_or_hang, None, items, jobs=2))
    assert results[0] == "a" and results[2] == "b"
    assert isinstance(results[1], Failed) and "not passed to a worker" in results[1].reason
