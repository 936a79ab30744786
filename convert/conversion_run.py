"""One run of the command line: discover inputs, convert them, write outputs, report.

The parent process owns all writing and reporting, in input order (the workers of
:func:`convert.pipeline.convert_many` only convert), so what a run prints and writes
is the same whatever the number of jobs. Every problem with one input is one
``path: problem`` line on stderr and the run goes on; the summary line counts inputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .exporters import Exporter, UnknownFormatError, get_exporter
from .inputs import DEFAULT_MAX_INPUT_SIZE, Input, Skipped, discover
from .manifest import MANIFEST_NAME, Manifest
from .model import Document
from .output import OutputTree, atomic_write, atomic_write_with, remove_stale_temporaries
from .progress import progress_bar
from .progress import wanted as progress_wanted

if TYPE_CHECKING:
    from .pipeline import Job, Outcome

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad options or arguments: exit code 2."""


class OutputError(Exception):
    """The output cannot be written at all (e.g. its folder cannot be made): exit 1."""


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


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def describe_os_error(exc: OSError) -> str:
    """An OSError's reason without the file name it carries (which may be a temporary
    file the user never asked for)."""
    return exc.strerror or str(exc)


class ConversionRun:
    """Counts and reports one run; ``failed`` and ``converted`` count inputs."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.failed = 0
        self.converted = 0
        self.inputs = 0
        self.up_to_date = 0

    def fail(self, message: str) -> None:
        self.failed += 1
        _say(message)

    def discover(self, names: list[str]) -> list[Input]:
        """The inputs to convert; names that give none are reported and counted."""
        sources = []
        for found in discover(names, self.settings.follow_symlinks):
            if isinstance(found, Input):
                sources.append(found)
            elif isinstance(found, Skipped):
                if not self.settings.quiet:
                    _say(str(found))
            else:
                self.inputs += 1
                self.fail(str(found))
        self.inputs += len(sources)
        return sources

    def job(self, format_name: str | None, exporter: Exporter | None = None) -> Job:
        # The converting modules (lxml, markdownify) load only when a run needs them.
        from .normalise.profiles import ProfileError, available_profiles
        from .pipeline import Job

        try:
            profiles = available_profiles(list(self.settings.profile_files))
        except ProfileError as exc:
            raise UsageError(str(exc)) from None
        options = exporter.options if exporter is not None else Job().options
        return Job(profiles, format_name, options, self.settings.max_input_size)

    def outcomes(self, sources: list[Input], job: Job
                 ) -> Iterator[tuple[int, Input, Outcome]]:
        """Converted inputs in order, with their index in ``sources``; failures are
        reported (and not yielded)."""
        from .pipeline import convert_many

        s = self.settings
        results = convert_many(sources, job, s.jobs, s.post_timeout, s.processes)
        with progress_bar(len(sources), "posts", progress_wanted(s.quiet)) as advance:
            for index, (source, outcome) in enumerate(results):
                advance()
                self.report_diagnostics(source, outcome)
                if outcome.error is not None:
                    self.fail(f"{source.display}: {outcome.error}")
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
        if self.settings.quiet:
            return
        failed = f", {self.failed} failed" if self.failed else ""
        current = f", {self.up_to_date} up to date" if self.up_to_date else ""
        _say(f"newsconv: {self.converted} of {self.inputs} inputs converted to "
             f"{exporter.name} → {where}{current}{failed}")


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
    try:
        return get_exporter(format_name)(options)
    except UnknownFormatError as exc:
        raise UsageError(str(exc)) from None


def run_conversion(names: list[str], exporter: Exporter, output: str | None,
                   settings: RunSettings, stdout_ok: bool = True) -> int:
    """Convert ``names`` with ``exporter`` into ``output``; the exit code."""
    to_stdout = output == "-" or output is None
    book = exporter.collection and not exporter.streams
    if book:
        if to_stdout and not stdout_ok:
            raise UsageError(f"{exporter.name} writes one file for all inputs: give -o FILE"
                             f"{exporter.file_extension}")
        if not to_stdout and Path(output).is_dir():  # type: ignore[arg-type]
            raise UsageError(f"-o {output}: is a folder; give a file name like "
                             f"{Path(output) / ('book' + exporter.file_extension)}")
    run = ConversionRun(settings)
    sources = run.discover(names)
    protected = {s.path.resolve() for s in sources if s.path is not None}
    if book:
        _write_book(run, sources, exporter, output, protected)
    elif exporter.collection or to_stdout or not _wants_folder(output, run.inputs):
        if output is None and run.inputs > 1 and not exporter.collection:
            raise UsageError("several inputs: give -o FOLDER (or -o - for standard output)")
        _write_stream(run, sources, exporter, None if to_stdout else Path(output), protected)
    else:
        _write_files(run, sources, exporter, Path(output), protected)  # type: ignore[arg-type]
    run.summary(exporter, "standard output" if to_stdout else str(output))
    return EXIT_FAILED if run.failed else EXIT_OK


def _wants_folder(output: str | None, inputs: int) -> bool:
    assert output is not None
    if Path(output).is_dir() or output.endswith(("/", os.sep)):
        return True
    if inputs > 1:
        if Path(output).exists():
            raise UsageError(f"-o {output}: several inputs need a folder, and this is a file")
        return True
    return False


def _refusal(path: Path, protected: set[Path]) -> str | None:
    if path.resolve() in protected:
        return f"{path}: refusing to overwrite an input file"
    return None


def _write_stream(run: ConversionRun, sources: list[Input], exporter: Exporter,
                  path: Path | None, protected: set[Path]) -> None:
    """Every input's output, in order, into one stream: standard output or one file
    (one input, or JSON Lines), written as the inputs are converted."""
    job = run.job(exporter.name, exporter)

    def write_all(stream) -> None:  # noqa: ANN001
        for _, _, outcome in run.outcomes(sources, job):
            stream.write(outcome.output)
            stream.flush()
            run.converted += 1

    if path is None:
        write_all(sys.stdout.buffer)
        return
    problem = _refusal(path, protected)
    if problem:
        run.fail(problem)
        return
    try:
        remove_stale_temporaries(path.parent)
        atomic_write_with(path, write_all)
    except OSError as exc:
        run.converted = 0
        run.fail(f"{path}: {describe_os_error(exc)}")


def _write_files(run: ConversionRun, sources: list[Input], exporter: Exporter,
                 folder: Path, protected: set[Path]) -> None:
    """One output per input in ``folder``, mirroring the inputs' tree, each written as
    soon as it is ready; inputs whose output is up to date (see :mod:`.manifest`) are
    not converted again."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"-o {folder}: cannot make this folder: "
                          f"{describe_os_error(exc)}") from None
    job = run.job(exporter.name, exporter)
    recipe = run.recipe(job)
    manifest = Manifest.load(folder)
    tree = OutputTree()
    todo: list[tuple[Input, str, os.stat_result | None]] = []
    for source in sources:
        relative = tree.allocate(source.relative, exporter.file_extension)
        if (source.path is not None and not run.settings.force
                and manifest.up_to_date(relative, source.path, recipe)):
            run.up_to_date += 1
            continue
        todo.append((source, relative, _stat(source)))
    cleaned: set[Path] = set()
    try:
        for index, source, outcome in run.outcomes([s for s, _, _ in todo], job):
            _, relative, info = todo[index]
            target = folder / relative
            problem = _refusal(target, protected)
            if problem:
                run.fail(problem)
                continue
            try:
                if target.parent not in cleaned:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    remove_stale_temporaries(target.parent)
                    cleaned.add(target.parent)
                atomic_write(target, outcome.output)  # type: ignore[arg-type]
            except OSError as exc:
                run.fail(f"{target}: {describe_os_error(exc)}")
                continue
            run.converted += 1
            if source.path is not None and info is not None:
                manifest.record(relative, source.path, info, outcome.input_sha256 or "", recipe)
        _report_orphans(run, manifest)
    finally:
        try:
            manifest.save()
        except OSError as exc:
            _say(f"{folder / MANIFEST_NAME}: {describe_os_error(exc)}; the next run "
                 "converts everything again")


def _stat(source: Input) -> os.stat_result | None:
    try:
        return source.path.stat() if source.path is not None else None
    except OSError:
        return None


def _report_orphans(run: ConversionRun, manifest: Manifest) -> None:
    """Outputs whose input is gone: listed, and removed only with ``--prune``."""
    orphans = manifest.orphans()
    for relative in orphans:
        path = manifest.folder / relative
        if run.settings.prune:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                _say(f"{path}: cannot remove: {describe_os_error(exc)}")
                continue
            manifest.forget(relative)
            if not run.settings.quiet:
                _say(f"{path}: removed (its input is gone)")
        elif not run.settings.quiet:
            _say(f"{path}: warning: its input is gone (--prune removes it)")


def _write_book(run: ConversionRun, sources: list[Input], exporter: Exporter,
                output: str | None, protected: set[Path]) -> None:
    documents: list[Document] = [outcome.document  # type: ignore[misc]
                                 for _, _, outcome in run.outcomes(sources, run.job(None))]
    if not documents:
        return
    target = "standard output" if output in (None, "-") else output
    try:
        if output in (None, "-"):
            sys.stdout.buffer.write(exporter.export(documents))
            sys.stdout.buffer.flush()
        else:
            path = Path(output)  # type: ignore[arg-type]
            problem = _refusal(path, protected)
            if problem:
                _say(problem)
                run.failed += len(documents)
                return
            remove_stale_temporaries(path.parent)
            # Streamed into a temporary file: big books are never held in memory.
            atomic_write_with(path, lambda f: exporter.write(documents, f))
    except OSError as exc:
        _say(f"{target}: {describe_os_error(exc)}; book not written")
        run.failed += len(documents)
        return
    except Exception as exc:  # an exporter bug: report, exit 1
        _say(f"{target}: internal error: {type(exc).__name__}: {exc}; book not written")
        run.failed += len(documents)
        return
    run.converted = len(documents)
    if not run.settings.quiet:
        for note in exporter.notes:
            _say(f"newsconv: {note}")
