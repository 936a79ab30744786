"""Where a run's outputs go: one stream, a folder mirroring the inputs, or books.

Each writer takes the run (for converting, counting and reporting) and writes outputs
as the converted inputs arrive, atomically, never over an input.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .exporters import Exporter
from .inputs import Input
from .manifest import MANIFEST_NAME, Manifest
from .output import (
    OutputError,
    OutputTree,
    atomic_write_with,
    describe_os_error,
    remove_stale_temporaries,
    safe_stem,
)
from .spool import Span, Spool

if TYPE_CHECKING:
    from .conversion_run import ConversionRun
    from .model import Document

#: How ``--split-by`` names a post's book.
SPLITS = ("source", "category", "month", "year")


def check_book_output(exporter: Exporter, output: str | None, split_by: str | None,
                      stdout_ok: bool) -> None:
    """Raise UsageError when ``output`` cannot take the book(s)."""
    from .conversion_run import UsageError

    to_stdout = output in (None, "-")
    if split_by:
        if split_by not in SPLITS:
            raise UsageError(f"--split-by {split_by}: use one of {', '.join(SPLITS)}")
        if (to_stdout or Path(output).is_file()  # type: ignore[arg-type]
                or output.lower().endswith(exporter.file_extension)):  # type: ignore[union-attr]
            raise UsageError(f"--split-by writes one book per {split_by}: give -o FOLDER")
        return
    if to_stdout and not stdout_ok:
        raise UsageError(f"{exporter.name} writes one file for all inputs: give -o FILE"
                         f"{exporter.file_extension}")
    if not to_stdout and Path(output).is_dir():  # type: ignore[arg-type]
        raise UsageError(f"-o {output}: is a folder; give a file name like "
                         f"{Path(output) / ('book' + exporter.file_extension)}"
                         " (or --split-by for one book per group)")


def wants_folder(output: str | None, inputs: int) -> bool:
    """Whether per-document outputs go into the folder ``output`` (else one file)."""
    from .conversion_run import UsageError

    assert output is not None
    if Path(output).is_dir() or output.endswith(("/", os.sep)):
        return True
    if inputs > 1:
        if Path(output).exists():
            raise UsageError(f"-o {output}: several inputs need a folder, and this is a file")
        return True
    return False


class InputFiles:
    """The device and inode of every input file: no output may be written over one
    (hard and symbolic links included). Sorted arrays, 8 bytes an input: an archive
    holds hundreds of thousands."""

    def __init__(self, sources: Iterable[Input]) -> None:
        found: dict[int, list[int]] = {}
        for source in sources:
            if source.file is not None:
                try:
                    info = os.stat(source.file)
                except OSError:
                    continue
                found.setdefault(info.st_dev, []).append(info.st_ino)
        self._inodes: dict[int, array[int]] = {}
        self._wide: set[tuple[int, int]] = set()  # inode numbers past 64 bits (ReFS)
        for device, inodes in found.items():
            narrow = sorted(i for i in inodes if i < 1 << 64)
            self._inodes[device] = array("Q", narrow)
            self._wide.update((device, i) for i in inodes if i >= 1 << 64)

    def __contains__(self, info: os.stat_result) -> bool:
        """Whether the file with this status is an input."""
        inodes = self._inodes.get(info.st_dev)
        if inodes is None or info.st_ino >= 1 << 64:
            return (info.st_dev, info.st_ino) in self._wide
        at = bisect_left(inodes, info.st_ino)
        return at < len(inodes) and inodes[at] == info.st_ino


def _refusal(path: Path, protected: InputFiles) -> str | None:
    try:
        info = os.stat(path)
    except OSError:
        return None  # nothing there yet: nothing to overwrite
    if info in protected:
        return f"{path}: refusing to overwrite an input file"
    return None


def write_stream(run: ConversionRun, sources: list[Input], exporter: Exporter,
                 path: Path | None, protected: InputFiles) -> None:
    """Every input's output, in order, into one stream: standard output or one file
    (one input, or JSON Lines, where an article appears once), written as the inputs
    are converted."""
    def write_all(stream) -> None:  # noqa: ANN001
        for _, source, outcome in run.outcomes(sources):
            if exporter.collection and not run.first_copy(source, outcome):
                continue
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


def write_files(run: ConversionRun, sources: list[Input], exporter: Exporter,
                folder: Path, protected: InputFiles) -> None:
    """One output per input in ``folder``, mirroring the inputs' tree, each written as
    soon as it is ready; inputs whose output is up to date (see :mod:`.manifest`) are
    not converted again."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"-o {folder}: cannot make this folder: "
                          f"{describe_os_error(exc)}") from None
    recipe = run.recipe(run.conversion)  # type: ignore[arg-type]
    manifest = Manifest.load(folder)
    tree = OutputTree()
    todo: list[Input] = []
    relatives: list[str] = []
    folders: set[str] = set()
    for source in sources:
        relative = tree.allocate(source.relative, exporter.file_extension)
        if (source.path is not None and not run.settings.force
                and manifest.up_to_date(relative, source.path, recipe)):
            run.up_to_date += 1
            continue
        todo.append(source)
        relatives.append(relative)
        folders.add(relative.rpartition("/")[0])

    def sweep() -> None:
        for name in folders:
            remove_stale_temporaries(folder / name)

    sweep()  # leftovers of killed runs, before this run's workers write the files
    failed_before = run.failed
    refused: dict[int, str] = {}

    def targets() -> Iterator[str | None]:
        """Where each output goes, as it is handed out (None: onto an input; refused)."""
        for index, relative in enumerate(relatives):
            target = folder / relative
            problem = _refusal(target, protected)
            if problem:
                refused[index] = problem
            yield None if problem else str(target)

    try:
        for index, source, outcome in run.outcomes(todo, targets()):
            if index in refused:
                run.fail(refused[index])
            elif not outcome.written:  # write_error says why
                run.fail(outcome.write_error or f"{folder / relatives[index]}: not written")
            else:
                run.converted += 1
                if source.file is not None and outcome.input_read is not None:
                    manifest.record(relatives[index], source.file, outcome.input_read,
                                    recipe)
        _report_orphans(run, manifest)
        if run.failed > failed_before:  # a worker killed while writing (time budget)
            run.close()
            sweep()
    except BaseException:
        # A worker stopped while writing (Ctrl-C) leaves its temporary file behind.
        run.close()
        sweep()
        raise
    finally:
        try:
            manifest.save()
        except OSError as exc:
            run.say(f"{folder / MANIFEST_NAME}: {describe_os_error(exc)}; the next run "
                    "converts everything again")


def _report_orphans(run: ConversionRun, manifest: Manifest) -> None:
    """Outputs whose input is gone: listed, and removed only with ``--prune``."""
    for relative in manifest.orphans():
        path = manifest.folder / relative
        if not run.settings.prune:
            run.say(f"{path}: warning: its input is gone (--prune removes it)")
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            run.say(f"{path}: cannot remove: {describe_os_error(exc)}")
            continue
        manifest.forget(relative)
        run.say(f"{path}: removed (its input is gone)")


class _Posts:
    """The converted posts of a book, each article once, as an iterator consumed once
    (by the exporter); counts how many it gave. An exception from converting (not from
    the exporter) is kept, so that it is not reported as the book's failure."""

    def __init__(self, documents: Iterator[Document]) -> None:
        self._documents = documents
        self._held: list[Document] = []  # the first post, once any() has looked
        self.count = 0
        self.error: BaseException | None = None

    @classmethod
    def of(cls, run: ConversionRun, sources: list[Input]) -> _Posts:
        def converted() -> Iterator[Document]:
            for _, source, outcome in run.outcomes(sources):
                if run.first_copy(source, outcome):
                    yield outcome.document  # type: ignore[misc]
            # Every post is in: the worker processes' memory is given back before the
            # book is written (tens of MB while ebooklib builds a big book's package).
            run.close()

        return cls(converted())

    def any(self) -> bool:
        """Whether there is a post at all (converting up to the first one, which is
        then given first): no book is started for none."""
        if self.count or self._held:
            return True
        try:
            self._held.append(self._converted())
        except StopIteration:
            return False
        return True

    def __iter__(self) -> _Posts:
        return self

    def __next__(self) -> Document:
        doc = self._held.pop() if self._held else self._converted()
        self.count += 1
        return doc

    def _converted(self) -> Document:
        try:
            return next(self._documents)
        except StopIteration:
            raise
        except BaseException as exc:
            self.error = exc
            raise

    def drain(self) -> int:
        """Convert (and count) the posts the exporter did not take; the total count."""
        for _ in self:
            pass
        return self.count


def write_book(run: ConversionRun, sources: list[Input], exporter: Exporter,
               output: str | None, protected: InputFiles) -> None:
    """One book of all the posts, handed to the exporter as they are converted."""
    documents = _Posts.of(run, sources)
    if documents.any() and _write_one_book(run, documents, exporter, output, protected):
        run.converted = documents.count


def write_books(run: ConversionRun, sources: list[Input], exporter: Exporter,
                folder: Path, protected: InputFiles) -> None:
    """One book per group of posts (``--split-by``) in ``folder``, named and titled after
    its group; books come in the order of their first post. The posts wait in a spool
    (:mod:`convert.spool`) while the others are converted: only where each lies is kept."""
    how = run.settings.split_by
    groups: dict[str, list[Span]] = {}
    with Spool(folder if folder.is_dir() else folder.parent) as spool:
        for doc in _Posts.of(run, sources):
            groups.setdefault(split_key(doc, how), []).append(spool.dump(doc))  # type: ignore[arg-type]
        if not groups:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"-o {folder}: cannot make this folder: "
                              f"{describe_os_error(exc)}") from None
        names: set[str] = set()
        base_title = exporter.options.title
        for group, spans in groups.items():
            name = safe_stem(group, "other")
            while name.lower() in names:
                name += "-"
            names.add(name.lower())
            title = f"{base_title} — {group}" if base_title else group
            book_exporter = type(exporter)(dataclasses.replace(exporter.options, title=title))
            target = str(folder / (name + exporter.file_extension))
            documents = _Posts(spool.load(span) for span in spans)
            if _write_one_book(run, documents, book_exporter, target, protected):
                run.converted += documents.count


def split_key(doc: Document, how: str) -> str:
    """The group ``--split-by how`` puts a post in (``doc``: a Document, or what the
    exporter prepared of one: only its ``metadata`` is read)."""
    meta = doc.metadata
    if how == "source":
        return (meta.source or (meta.authors[0] if meta.authors else "") or "other").strip()
    if how == "category":
        return (meta.categories[0] if meta.categories else "uncategorised").strip()
    if meta.date is None:
        return "undated"
    return f"{meta.date:%Y-%m}" if how == "month" else f"{meta.date:%Y}"


def _write_one_book(run: ConversionRun, documents: _Posts, exporter: Exporter,
                    output: str | None, protected: InputFiles) -> bool:
    """Write one book; on failure report it, count its posts as failed (all of them:
    those the exporter did not take are converted and counted too), return False."""
    target = "standard output" if output in (None, "-") else output
    try:
        if output in (None, "-"):
            sys.stdout.buffer.write(exporter.export(documents))
            sys.stdout.buffer.flush()
        else:
            path = Path(output)  # type: ignore[arg-type]
            problem = _refusal(path, protected)
            if problem:
                run.failed += documents.drain()
                print(problem, file=sys.stderr, flush=True)
                return False
            remove_stale_temporaries(path.parent)
            # Streamed into a temporary file: big books are never held in memory.
            atomic_write_with(path, lambda f: exporter.write(documents, f))
    except Exception as exc:
        if documents.error is not None:
            raise  # converting failed, not the book: as if no book had been started
        if isinstance(exc, OSError):
            problem = f"{target}: {describe_os_error(exc)}; book not written"
        else:  # an exporter bug: report, exit 1
            problem = (f"{target}: internal error: {type(exc).__name__}: {exc}; "
                       "book not written")
    else:
        documents.drain()  # an exporter that stops early still leaves every post counted
        for note in exporter.notes:
            run.say(f"newsconv: {note}")
        return True
    run.failed += documents.drain()
    print(problem, file=sys.stderr, flush=True)
    return False
