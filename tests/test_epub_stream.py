"""Books from a stream of posts: the EPUB exporter takes the documents one at a time,
in one pass, keeps each post on disk (convert.spool) until its chapter is written, and
leaves nothing behind; the book writers hand posts over as they are converted.

Byte-identity with the former all-in-memory build is checked by the golden
fingerprints (tests/test_golden.py) and tests/test_epub.py's fixed digests."""

from __future__ import annotations

import gc
import io
import os
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import convert.spool
from convert import writers
from convert.exporters import Exporter
from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.model import Document, Figure, Metadata, Paragraph, Text
from convert.spool import Spool


def posts(count: int) -> list[Document]:
    return [Document(Metadata(title=f"Post {n}", source=("A", "B")[n % 2], lang="en"),
                     [Paragraph([Text(f"text {n} " * 50)]),
                      Figure(src=f"https://example.com/{n}.png", alt="")],
                     origin=f"post-{n}.md")
            for n in range(7)]


def export(documents, **options) -> bytes:
    return EpubExporter(EpubOptions(offline=True, **options)).export(documents)


class Recorded:
    """Every spool file made (and the folder asked for), to check they get closed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list = []
        self.folders: list[str | None] = []
        real = tempfile.TemporaryFile

        def temporary_file(*args, dir=None, **kwargs):  # noqa: A002
            handle = real(*args, dir=dir, **kwargs)
            self.files.append(handle)
            self.folders.append(dir)
            return handle

        monkeypatch.setattr(convert.spool.tempfile, "TemporaryFile", temporary_file)


def test_a_one_shot_iterator_gives_the_same_book_as_a_list() -> None:
    expected = export(posts(7))
    stream = iter(posts(7))
    assert export(stream) == expected
    assert next(stream, None) is None  # consumed, in one pass


@pytest.mark.parametrize("order", [{}, {"sort": "title"}, {"group_by": "source"}])
def test_at_most_one_post_is_alive_while_the_next_is_made(order: dict) -> None:
    """The exporter drops each Document before it asks for the next: the book never
    holds more than one (with a list of all, all would be alive at the end)."""
    made: list[weakref.ref[Document]] = []  # Documents are unhashable: no WeakSet
    most = 0

    def alive() -> int:
        gc.collect()
        return sum(ref() is not None for ref in made)

    def stream() -> Iterator[Document]:
        nonlocal most
        for n in range(7):
            most = max(most, alive())
            doc = posts(7)[n]
            made.append(weakref.ref(doc))
            yield doc
            del doc
        most = max(most, alive())

    book = export(stream(), **order)
    assert book == export(posts(7), **order)
    assert most <= 1


def test_the_spool_is_next_to_the_output_and_closed_after_the_book(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = Recorded(monkeypatch)
    with open(tmp_path / "book.epub", "wb") as out:
        EpubExporter(EpubOptions(offline=True)).write(iter(posts(3)), out)
    assert recorded.folders == [str(tmp_path)]
    assert recorded.files and all(f.closed for f in recorded.files)
    assert os.listdir(tmp_path) == ["book.epub"]


def test_the_spool_is_closed_when_the_posts_fail_midway(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = Recorded(monkeypatch)

    def failing() -> Iterator[Document]:
        yield from posts(3)
        raise RuntimeError("converting broke")

    with pytest.raises(RuntimeError, match="converting broke"):
        export(failing())
    assert recorded.files and all(f.closed for f in recorded.files)
    assert recorded.folders == [None]  # no file behind the stream: the temporary folder


def test_the_spool_is_closed_when_writing_the_book_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = Recorded(monkeypatch)

    class Broken(io.BytesIO):
        def write(self, data) -> int:  # noqa: ANN001
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        EpubExporter(EpubOptions(offline=True)).write(iter(posts(3)), Broken())
    assert recorded.files and all(f.closed for f in recorded.files)


def test_a_spool_gives_back_what_was_put() -> None:
    with Spool() as spool:
        first = spool.dump(posts(1)[0])
        raw = spool.put(b"chapter bytes")
        second = spool.dump(["blocks"])
        assert spool.load(second) == ["blocks"]
        assert spool.get(raw) == b"chapter bytes"
        assert spool.load(first) == posts(1)[0]
    assert spool.closed


# ---------------------------------------------------------------- the book writers


class FakeRun:
    """Just what writers.write_book uses of a ConversionRun."""

    def __init__(self, documents: list[Document], broken_after: int | None = None) -> None:
        self.documents, self.broken_after = documents, broken_after
        self.converted = self.failed = 0
        self.made = 0
        self.closed_at: int | None = None
        self.settings = SimpleNamespace(split_by="source")

    def outcomes(self, sources) -> Iterator:  # noqa: ANN001
        for index, doc in enumerate(self.documents):
            if index == self.broken_after:
                raise KeyboardInterrupt
            self.made += 1
            yield index, None, SimpleNamespace(document=doc)

    def first_copy(self, source, outcome) -> bool:  # noqa: ANN001
        return True

    def say(self, message: str) -> None:
        pass

    def close(self) -> None:
        self.closed_at = self.made


class TakesThree(Exporter):
    name, file_extension, media_type = "three", ".three", "text/plain"
    collection = True

    def write(self, documents, stream) -> None:  # noqa: ANN001
        for count, _ in enumerate(documents, 1):
            if count == 3:
                raise ValueError("exporter bug")


def test_a_failed_book_counts_every_post_failed(tmp_path: Path, capsys) -> None:
    run = FakeRun(posts(7))
    writers.write_book(run, [], TakesThree(), str(tmp_path / "b.three"), set())
    assert (run.converted, run.failed, run.made) == (0, 7, 7)
    assert "internal error: ValueError: exporter bug; book not written" in \
        capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_a_book_counts_the_posts_it_took(tmp_path: Path) -> None:
    run = FakeRun(posts(7))
    writers.write_book(run, [], EpubExporter(EpubOptions(offline=True)),
                       str(tmp_path / "b.epub"), set())
    assert (run.converted, run.failed) == (7, 0)
    assert run.closed_at == 7  # the workers stop once every post is in
    assert (tmp_path / "b.epub").read_bytes() == export(posts(7))


def test_split_books_are_the_books_of_their_groups(tmp_path: Path) -> None:
    run = FakeRun(posts(7))
    writers.write_books(run, [], EpubExporter(EpubOptions(offline=True)), tmp_path, set())
    assert (run.converted, run.failed) == (7, 0)
    assert sorted(os.listdir(tmp_path)) == ["A.epub", "B.epub"]
    for name, keep in (("A", 0), ("B", 1)):
        group = [d for n, d in enumerate(posts(7)) if n % 2 == keep]
        assert (tmp_path / f"{name}.epub").read_bytes() == export(group, title=name)


def test_an_interrupted_conversion_is_not_a_failed_book(tmp_path: Path) -> None:
    run = FakeRun(posts(7), broken_after=4)
    with pytest.raises(KeyboardInterrupt):
        writers.write_book(run, [], EpubExporter(EpubOptions(offline=True)),
                           str(tmp_path / "b.epub"), set())
    assert os.listdir(tmp_path) == []
    assert (run.converted, run.failed) == (0, 0)


def test_posts_prepared_apart_give_the_same_book() -> None:
    # A run prepares each post in the worker that converted it (prepare_document) and
    # hands the book those; mixed with plain Documents the book must not change.
    exporter = EpubExporter(EpubOptions(offline=True))
    documents = posts(7)
    prepared = [exporter.prepare_document(d) if n % 2 else d for n, d in enumerate(documents)]
    assert all(not isinstance(p, Document) for p in prepared[1::2])
    assert export(prepared) == export(documents)
    # and split books read the metadata of prepared posts as of Documents
    for how in writers.SPLITS:
        assert [writers.split_key(p, how) for p in prepared] == \
            [writers.split_key(d, how) for d in documents]
