"""A progress bar on the terminal for long runs; nothing at all anywhere else.

Shown only when stderr is a terminal and nobody asked for plain output (``-q``,
``NO_COLOR``, ``TERM=dumb``, a ``CI`` variable): pipes, cron mails and CI logs get the
summary lines only. Lines printed while the bar runs appear above it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def wanted(quiet: bool) -> bool:
    """Whether a progress bar may be drawn on stderr now."""
    if quiet or os.environ.get("NO_COLOR") or os.environ.get("CI"):
        return False
    if os.environ.get("TERM", "") in ("dumb", ""):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_bar(total: int, noun: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """Yields a function to call once per finished item; draws a bar with counts, rate
    and time left while ``enabled``. The bar disappears when done."""
    if not enabled or total < 2:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn(noun), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(noun, total=total, rate="")

        def advance() -> None:
            progress.advance(task)
            speed = progress.tasks[0].speed
            progress.update(task, rate=f"{speed:.0f}/s" if speed else "")

        yield advance
