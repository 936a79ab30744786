"""One run of the command line: discover inputs, convert them, write outputs, report.

The parent process owns all reporting and the book and stream outputs, in input order;
the workers of :func:`convert.pipeline.convert_many` convert and write per-post files
to the paths the parent chose. So what a run prints and writes is the same whatever
the number of jobs. Every problem with one input is one
``path: problem`` line on stderr and the run goes on; the summary line counts inputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .inputs import DEFAULT_MAX_INPUT_SIZE, Input, Skipped, discover
from .progress import progress_bar
from .progress import wanted as progress_wanted
from .selection import DuplicateFinder, Selection

if TYPE_CHECKING:
    from .batch import Workers
    from .exporters import Exporter
    from .pipeline import Job, Outcome

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad options or arguments: exit code 2."""


@dataclass
class RunSettings:
    """How a run treats its inputs and reports; the same for every command."""

    quiet: bool = False
    verbose: bool = False
    profile_files: tuple[str, ...] = ()
    jobs: int = 1
    #: False converts in this process (``--jobs 1``: for debugging).
    processes: bool = True
    post_timeout: float | None = 60.0
    max_input_size: int | None = DEFAULT_MAX_INPUT_SIZE
    follow_symlinks: bool = False
    #: Convert every input, even those whose output is up to date.
    force: bool = False
    #: Remove outputs whose input is gone.
    prune: bool = False
    #: Which posts to take (``--since``, ``--category``, …).
    selection: Selection = dataclasses.field(default_factory=Selection)
    #: Keep every copy of an article in a book or a JSON Lines stream.
    keep_duplicates: bool = False
    #: One book per group (source, category, month, year) instead of one book.
    split_by: str | None = None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ConversionRun:
    """Counts and reports one run. The counts are of inputs: each ends converted, up to
    date, left out (by the selection, or as a duplicate) or failed."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.inputs = 0
        self.converted = 0
        self.up_to_date = 0
        self.failed = 0
        self.left_out = 0
        self.undated = 0
        self.duplicates = 0
        self._copies = DuplicateFinder()
        self.conversion: Job | None = None
        self._workers: Workers | None = None

    def say(self, message: str) -> None:
        """A line on stderr (warnings and notes: not with ``-q``)."""
        if not self.settings.quiet:
            _say(message)

    def fail(self, message: str) -> None:
        self.failed += 1
        _say(message)

    def first_copy(self, source: Input, outcome: Outcome) -> bool:
        """True for the first copy of an article in this run; a later copy is reported
        and counted (always true with ``--keep-duplicates``)."""
        if self.settings.keep_duplicates:
            return True
        earlier = self._copies.first_copy(outcome.identities, source.display)
        if earlier is None:
            return True
        self.duplicates += 1
        self.say(f"{source.display}: duplicate of {earlier}, left out "
                 "(--keep-duplicates keeps it)")
        return False

    def discover(self, names: list[str]) -> list[Input]:
        """The inputs to convert; names that give none are reported and counted."""
        sources = []
        for found in discover(names, self.settings.follow_symlinks):
            if isinstance(found, Input):
                sources.append(found)
            elif isinstance(found, Skipped):
                self.say(str(found))
            else:
                self.inputs += 1
                self.fail(str(found))
        self.inputs += len(sources)
        return sources

    def job(self, format_name: str | None, exporter: Exporter | None = None,
            identify: bool = False, prepared: bool = False) -> Job:
        """What each worker needs; ``identify``: find copies of one article (unless
        ``--keep-duplicates``); ``prepared``: hand back what the exporter prepares of
        each Document (see :attr:`convert.pipeline.Job.prepared`)."""
        # The converting modules (lxml, markdownify) load only when a run needs them.
        from .normalise.profiles import ProfileError, available_profiles
        from .pipeline import Job

        try:
            profiles = available_profiles(list(self.settings.profile_files))
        except ProfileError as exc:
            raise UsageError(str(exc)) from None
        options = exporter.options if exporter is not None else Job().options
        return Job(profiles, format_name, options, self.settings.max_input_size,
                   self.settings.selection, identify and not self.settings.keep_duplicates,
                   prepared)

    def start(self, job: Job) -> None:
        """Convert with ``job`` from now on. The worker processes start here, before the
        inputs are listed, so that they do not carry that list (forked memory)."""
        from .pipeline import start_workers

        s = self.settings
        self.conversion = job
        self._workers = start_workers(job, s.jobs, s.post_timeout, s.processes)

    def close(self) -> None:
        """Stop the worker processes."""
        if self._workers is not None:
            self._workers.close()
            self._workers = None

    def outcomes(self, sources: list[Input], targets: Iterable[str | None] | None = None,
                 ) -> Iterator[tuple[int, Input, Outcome]]:
        """Converted inputs in order, with their index in ``sources``; failures are
        reported (and not yielded). ``targets``: the files the workers write the outputs
        to (see :func:`convert.pipeline.convert_many`)."""
        from .pipeline import convert_many

        s = self.settings
        results = convert_many(sources, self.conversion, workers=self._workers,
                               targets=targets)
        with progress_bar(len(sources), "posts", progress_wanted(s.quiet)) as advance:
            for index, (source, outcome) in enumerate(results):
                advance()
                self.report_diagnostics(source, outcome)
                if outcome.error is not None:
                    self.fail(f"{source.display}: {outcome.error}")
                elif outcome.left_out is not None:
                    self.left_out += 1
                    self.undated += outcome.left_out.startswith("no date")
                    if s.verbose:
                        self.say(f"{source.display}: left out: {outcome.left_out}")
                else:
                    yield index, source, outcome

    def recipe(self, job: Job) -> str:
        """What besides the input decides an output: version, format, options, profiles."""
        from . import __version__

        described = {"version": __version__, "format": job.format_name,
                     "options": _stable(job.options), "profiles": _stable(job.profiles)}
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]

    def report_diagnostics(self, source: Input, outcome: Outcome) -> None:
        if self.settings.quiet:
            return
        for d in outcome.diagnostics:
            if d.level in ("warning", "error") or (self.settings.verbose and d.level == "change"):
                count = f" ({d.count}×)" if d.count > 1 else ""
                _say(f"{source.display}: {d.level}: {d.message}{count}")

    def summary(self, exporter: Exporter, where: str) -> None:
        notes = [f"{self.up_to_date} up to date" if self.up_to_date else "",
                 (f"{self.left_out} left out by the selection"
                  + (f" ({self.undated} undated)" if self.undated else "")
                  if self.left_out else ""),
                 f"{self.duplicates} duplicates left out" if self.duplicates else "",
                 f"{self.failed} failed" if self.failed else ""]
        self.say(f"newsconv: {self.converted} of {self.inputs} inputs converted to "
                 f"{exporter.name} → {where}" + "".join(f", {n}" for n in notes if n))


def _stable(value: object) -> object:
    """``value`` as JSON-ready data that is the same in every process (sets sorted,
    patterns and selectors by their text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _stable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(json.dumps(_stable(v), sort_keys=True) for v in value)
    if isinstance(value, (list, tuple)):
        return [_stable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, re.Pattern):
        return value.pattern
    if hasattr(value, "css"):  # cssselect's CSSSelector
        return value.css
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def make_exporter(format_name: str, options) -> Exporter:  # noqa: ANN001
    from .exporters import UnknownFormatError, get_exporter

    try:
        return get_exporter(format_name)(options)
    except UnknownFormatError as exc:
        raise UsageError(str(exc)) from None


def run_conversion(names: list[str], exporter: Exporter, output: str | None,
                   settings: RunSettings, stdout_ok: bool = True) -> int:
    """Convert ``names`` with ``exporter`` into ``output``; the exit code."""
    from . import writers

    to_stdout = output == "-" or output is None
    book = exporter.collection and not exporter.streams
    if book:
        writers.check_book_output(exporter, output, settings.split_by, stdout_ok)
    run = ConversionRun(settings)
    if book:  # the posts' own part of the book's work is done by the workers
        run.start(run.job(exporter.name, exporter, identify=True, prepared=True))
    else:  # a JSON Lines stream holds each article once, like a book
        run.start(run.job(exporter.name, exporter, identify=exporter.collection))
    try:
        sources = run.discover(names)
        protected = writers.InputFiles(sources)
        if book and settings.split_by:
            writers.write_books(run, sources, exporter, Path(output), protected)  # type: ignore[arg-type]
        elif book:
            writers.write_book(run, sources, exporter, output, protected)
        elif exporter.collection or to_stdout or not writers.wants_folder(output, run.inputs):
            if output is None and run.inputs > 1 and not exporter.collection:
                raise UsageError("several inputs: give -o FOLDER (or -o - for standard output)")
            writers.write_stream(run, sources, exporter, None if to_stdout else Path(output),
                                 protected)
        else:
            writers.write_files(run, sources, exporter, Path(output), protected)  # type: ignore[arg-type]
    finally:
        run.close()
    run.summary(exporter, "standard output" if to_stdout else str(output))
    return EXIT_FAILED if run.failed else EXIT_OK
