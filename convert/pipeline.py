"""The pipeline as a Python API: inputs → Documents → exporter output.

The CLI is a thin layer over these functions::

    from convert.pipeline import load_path, export
    doc = load_path("post.md")
    markdown = export([doc], "markdown")
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .batch import Failed, Workers
from .exporters import Exporter, ExportOptions, get_exporter
from .inputs import (
    DEFAULT_MAX_INPUT_SIZE,
    DOCUMENT_SUFFIX,
    Input,
    InputError,
    Skipped,
    discover,
    markup_problem,
)
from .model import Diagnostic, Document
from .model_json import SchemaError, document_from_dict
from .normalise import normalise
from .normalise.profiles import SiteProfile
from .output import describe_os_error, write_output
from .reader import ReadError, read_post
from .selection import Selection, identities

__all__ = ["DOCUMENT_SUFFIX", "Input", "InputError", "Job", "Outcome", "Skipped",
           "convert_many", "convert_one", "discover", "export", "load_bytes", "load_input",
           "load_path", "start_workers"]


def load_bytes(data: bytes, name: str,
               profiles: Sequence[SiteProfile] | None = None,
               max_input_size: int | None = None) -> Document:
    """A Document from a post's bytes, or from a serialised Document (``*.json``).

    ``name`` is the input's file name; it picks the format and names the outputs.
    ``profiles`` are the site profiles to try (default: built-in and the user's).
    ``max_input_size`` also bounds a post's tags and a document's nodes
    (:func:`convert.inputs.markup_problem`).
    Raises :class:`ValueError` (:class:`ReadError`, :class:`SchemaError`) on bad input.
    """
    origin = os.path.basename(name) if name else None
    if name.lower().endswith(DOCUMENT_SUFFIX):
        problem = markup_problem(data.count(b"{"), max_input_size, "nodes")
        if problem:
            raise SchemaError(problem)
        try:
            tree = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:  # incl. a 100,000-digit number
            raise SchemaError(f"not valid JSON: {exc}") from None
        except RecursionError:
            raise SchemaError("not a newsconv document: nested too deeply") from None
        try:
            return document_from_dict(tree)
        except RecursionError:
            raise SchemaError("not a newsconv document: nested too deeply") from None
    raw = read_post(data)
    problem = markup_problem(raw.body.count("<"), max_input_size)
    if problem:
        raise ReadError(problem)
    return normalise(raw, origin=origin, profiles=profiles)


def load_input(source: Input, profiles: Sequence[SiteProfile] | None = None,
               max_size: int | None = DEFAULT_MAX_INPUT_SIZE) -> Document:
    """Read and convert one input; every failure becomes an :class:`InputError`."""
    data = source.read_bytes(max_size)
    try:
        return load_bytes(data, source.name, profiles, max_size)
    except (ReadError, SchemaError) as exc:
        raise InputError(source.display, str(exc)) from None


def load_path(path: str | os.PathLike[str],
              profiles: Sequence[SiteProfile] | None = None) -> Document:
    """Read one post (or serialised Document) from a file."""
    p = Path(path)
    return load_input(Input(str(p), str(p), p.name), profiles)


def export(documents: Sequence[Document], format_name: str,
           options: ExportOptions | None = None) -> bytes:
    """Run the exporter registered as ``format_name`` over ``documents``."""
    return get_exporter(format_name)(options).export(documents)


@dataclass
class Job:
    """What converting each input of a run needs, the same for every input.

    ``format_name`` names a per-document exporter whose output each input gives, or is
    None when the caller wants the Documents (a book, ``check``).
    """

    profiles: Sequence[SiteProfile] | None = None
    format_name: str | None = None
    options: ExportOptions = field(default_factory=ExportOptions)
    max_input_size: int | None = DEFAULT_MAX_INPUT_SIZE
    #: Which posts to take (dates, categories, sources); the others are left out.
    selection: Selection = field(default_factory=Selection)
    #: Give each outcome the keys that find copies of one article.
    identify: bool = False
    #: With ``format_name``: hand back, as ``Outcome.document``, what that exporter's
    #: ``prepare_document`` makes of each Document (a book's posts), not its output.
    prepared: bool = False


@dataclass
class Outcome:
    """What converting one input gave: the exporter's output or the Document, the
    diagnostics to report, or the problem that stopped it (``error``)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    output: bytes | None = None
    document: Document | None = None
    error: str | None = None
    #: What was read: (SHA-256 of the bytes, the file's size and modification time
    #: then); None for standard input. The manifest records it.
    input_read: tuple[str, int, int] | None = None
    #: Why the selection leaves this post out (then there is no output), or None.
    left_out: str | None = None
    #: Keys under which copies of the same article meet (when the job asks).
    identities: list[str] = field(default_factory=list)
    #: The output was written to the task's target (then ``output`` is None).
    written: bool = False
    #: Why writing the output to the task's target failed: ``target: problem``.
    write_error: str | None = None


_exporters: dict[int, Exporter] = {}


#: What :func:`convert_one` does: the input; for standard input, its bytes already read
#: or the problem reading them (else None); and the file to write the output to, or
#: None to hand the output back.
Task = tuple[Input, bytes | InputError | None, str | None]


def convert_one(job: Job, task: Task) -> Outcome:
    """Convert one input and, when the task names a target file, write the output there
    (atomically; in the worker, so that writing many files runs in parallel too).

    A pure function of the input's bytes and the job: it may run in any worker. Any
    failure becomes ``Outcome.error`` (or ``write_error``), never an exception.
    """
    source, data, target = task
    try:
        if isinstance(data, InputError):
            raise data
        info = None
        if data is None:
            data, info = source.read(job.max_input_size)
        digest = hashlib.sha256(data).hexdigest()
        read = (digest, info.st_size, info.st_mtime_ns) if info is not None else None
        try:
            doc = load_bytes(data, source.name, job.profiles, job.max_input_size)
        except (ReadError, SchemaError) as exc:
            return Outcome(error=str(exc))
        left_out = job.selection.why_not(doc.metadata) if job.selection else None
        if left_out is not None:
            return Outcome(input_read=read, left_out=left_out)
        keys = identities(doc) if job.identify else []
        if job.format_name is None:
            return Outcome(doc.diagnostics, document=doc, input_read=read, identities=keys)
        exporter = _exporters.get(id(job))
        if exporter is None:
            exporter = _exporters[id(job)] = get_exporter(job.format_name)(job.options)
        if job.prepared:
            return Outcome(doc.diagnostics, document=exporter.prepare_document(doc),
                           input_read=read, identities=keys)
        outcome = Outcome(doc.diagnostics, output=exporter.export([doc]), input_read=read,
                          identities=keys)
        if target is not None:
            try:
                write_output(Path(target), outcome.output)  # type: ignore[arg-type]
            except OSError as exc:
                outcome.write_error = f"{target}: {describe_os_error(exc)}"
            else:
                outcome.written = True
            outcome.output = None
        return outcome
    except InputError as exc:
        return Outcome(error=exc.problem)
    except (Exception, RecursionError, MemoryError) as exc:  # a bug: fail this post only
        return Outcome(error=f"internal error: {type(exc).__name__}: {exc}")


def start_workers(job: Job, jobs: int = 1, timeout: float | None = None,
                  processes: bool = True) -> Workers:
    """Worker processes for :func:`convert_many`, started now: start them before building
    large state (the list of inputs), which forked workers would otherwise carry."""
    return Workers(convert_one, job, jobs, timeout, processes)


def convert_many(sources: Iterable[Input], job: Job, jobs: int = 1,
                 timeout: float | None = None, processes: bool = True,
                 workers: Workers | None = None,
                 targets: Iterable[str | None] | None = None,
                 ) -> Iterator[tuple[Input, Outcome]]:
    """Convert inputs in ``jobs`` worker processes, one at a time each; yields each input
    with its :class:`Outcome`, in input order, as soon as it and all before it are done.

    A post that runs past ``timeout`` seconds or crashes its worker fails alone.
    ``processes=False`` converts in this process (see :func:`convert.batch.ordered_map`).
    ``workers`` (from :func:`start_workers`, for this ``job``) replaces the other
    arguments. ``targets``, one per source (None: hand the output back), are the files
    the workers write the outputs to (see :func:`convert_one`). Standard input is read
    here, before the workers see the task.
    """
    if workers is None:
        with start_workers(job, jobs, timeout, processes) as own:
            yield from convert_many(sources, job, workers=own, targets=targets)
        return
    order: deque[Input] = deque()  # handed out, not yet yielded
    where = iter(targets) if targets is not None else None

    def tasks() -> Iterator[Task]:
        for source in sources:
            target = next(where) if where is not None else None
            order.append(source)
            data: bytes | InputError | None = None
            if source.path is None:
                try:
                    data = source.read_bytes(job.max_input_size)
                except InputError as exc:
                    data = exc
            yield source, data, target

    for result in workers.map(tasks()):
        if isinstance(result, Failed):
            result = Outcome(error=result.reason)
        yield order.popleft(), result
