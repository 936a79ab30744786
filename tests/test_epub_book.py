"""Books as readers get them: images embedded from a loopback server, covers, title
page, grouping, reproducibility, and epubcheck on every book (0 errors, 0 warnings)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from epubchecker import problems, problems_of_books
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from imageserver import image_server, png

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.normalise import normalise
from convert.reader import read_post

_URL_HOST = re.compile(r"(?:https?:)?//([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::\d+)?(?=[/\"'?])")


def newsconv(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args], capture_output=True,
                          text=True, timeout=600, env=env)


def book_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def remote_images(files: dict[str, bytes]) -> list[str]:
    found = []
    for name, data in files.items():
        if name.endswith(".xhtml"):
            found += re.findall(r'<img[^>]+src="(?:https?:)?//[^"]*"', data.decode("utf-8"))
    return found


@pytest.fixture(scope="module")
def server():
    with image_server() as srv:
        yield srv


@pytest.fixture(scope="module")
def local_corpus(tmp_path_factory: pytest.TempPathFactory, corpus: list[Path], server) -> Path:
    """The corpus with every URL host moved under the loopback server
    (``https://img.host/a.png`` → ``http://127.0.0.1:PORT/img.host/a.png``)."""
    folder = tmp_path_factory.mktemp("local-corpus")
    for post in corpus:
        text = post.read_text(encoding="utf-8")
        text = _URL_HOST.sub(lambda m: f"{server.base}/{m.group(1)}", text)
        (folder / post.name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def embedded_book(tmp_path_factory: pytest.TempPathFactory, local_corpus: Path,
                  server) -> tuple[Path, subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("books")
    cache = out / "cache"
    run = newsconv("to-epub", str(local_corpus), "-o", str(out / "all.epub"),
                   "--allow-private-hosts", "--cache-dir", str(cache))
    assert run.returncode == 0, run.stderr
    return out / "all.epub", run, cache


def test_corpus_book_with_images_embedded(embedded_book, corpus: list[Path]) -> None:
    path, run, _ = embedded_book
    assert problems(path, usage=True) == []  # -u: no unreferenced file (OPF-097)
    files = book_files(path)
    images = [n for n in files if n.startswith("EPUB/images/") and "cover" not in n]
    assert len(images) > 50
    assert remote_images(files) == []
    assert re.search(r"images: (\d+) of \1 embedded", run.stderr), run.stderr
    chapters = [n for n in files if re.match(r"EPUB/chapter-\d+\.xhtml", n)]
    assert len(chapters) == len(corpus)


def test_second_build_uses_the_cache_and_is_identical(embedded_book, local_corpus: Path,
                                                      server, tmp_path: Path) -> None:
    path, _, cache = embedded_book
    before = len(server.requests)
    again = tmp_path / "again.epub"
    run = newsconv("to-epub", str(local_corpus), "-o", str(again), "--allow-private-hosts",
                   "--cache-dir", str(cache))
    assert run.returncode == 0, run.stderr
    assert len(server.requests) == before, "the cache was not used"
    assert "0 downloaded" in run.stderr
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(
        path.read_bytes()).digest()


def test_reproducible_with_source_date_epoch(local_corpus: Path, embedded_book,
                                             tmp_path: Path) -> None:
    _, _, cache = embedded_book
    import os

    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    digests = []
    for name in ("a.epub", "b.epub"):
        run = newsconv("to-epub", str(local_corpus), "-o", str(tmp_path / name),
                       "--allow-private-hosts", "--cache-dir", str(cache), env=env)
        assert run.returncode == 0, run.stderr
        digests.append(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    opf = book_files(tmp_path / "a.epub")["EPUB/content.opf"].decode()
    assert "2023-11-14T22:13:20Z" in opf


def test_offline_book_shows_images_as_links(local_corpus: Path, tmp_path: Path,
                                            server, embedded_book) -> None:
    before = len(server.requests)
    book = tmp_path / "offline.epub"
    run = newsconv("to-epub", str(local_corpus), "-o", str(book), "--offline",
                   "--cache-dir", str(tmp_path / "empty-cache"))
    assert run.returncode == 0, run.stderr
    assert len(server.requests) == before, "offline mode touched the network"
    assert problems(book, usage=True) == []
    files = book_files(book)
    # the same chapters with the same figures as the book with images embedded
    online = book_files(embedded_book[0])

    def figures(book: dict[str, bytes]) -> dict[str, int]:
        return {n: d.count(b"<figure") for n, d in book.items() if "/chapter-" in n}

    assert figures(files) == figures(online)
    assert [n for n in files if n.startswith("EPUB/images/")] == ["EPUB/images/cover.png"]
    assert remote_images(files) == []
    assert "(offline): 0 of" in run.stderr


def test_loopback_refused_without_the_flag(local_corpus: Path, tmp_path: Path,
                                           server) -> None:
    post = sorted(local_corpus.glob("25-*.md"))[0]
    before = len(server.requests)
    book = tmp_path / "refused.epub"
    run = newsconv("to-epub", str(post), "-o", str(book), "--cache-dir", str(tmp_path / "c"))
    assert run.returncode == 0, run.stderr
    assert len(server.requests) == before
    assert re.search(r"0 of 1 embedded .* 1 shown as links", run.stderr), run.stderr
    assert remote_images(book_files(book)) == []


def test_each_corpus_post_alone(corpus: list[Path], tmp_path: Path) -> None:
    books = []
    for post in corpus:
        book = tmp_path / f"{post.stem}.epub"
        book.write_bytes(EpubExporter(EpubOptions(offline=True, cache_dir=tmp_path / "c"))
                         .export([normalise(read_post(post.read_bytes()), post.name)]))
        books.append(book)
    # one JVM for all 42 books (epubcheck's start-up is most of a small book's check)
    for book, found in problems_of_books(books).items():
        assert found == [], f"{book.name}: {found}"


def test_cover_from_file_post_or_generated(local_corpus: Path, embedded_book,
                                           tmp_path: Path) -> None:
    _, _, cache = embedded_book
    post = sorted(local_corpus.glob("35-*.md"))[0]  # jianshu: its cover is its first image
    cover = tmp_path / "cover.png"
    cover.write_bytes(png(60, 80, b"cover"))
    runs = {
        "file": ["--cover", str(cover)],
        "post": [],
        "generated": ["--offline"],
    }
    for name, extra in runs.items():
        book = tmp_path / f"{name}.epub"
        run = newsconv("to-epub", str(post), "-o", str(book), "--allow-private-hosts",
                       "--cache-dir", str(cache if name != "generated" else tmp_path / "e"),
                       *extra)
        assert run.returncode == 0, run.stderr
        files = book_files(book)
        covers = [n for n in files if n.startswith("EPUB/images/cover")]
        opf = files["EPUB/content.opf"].decode()
        assert 'properties="cover-image"' in opf
        if name == "file":
            assert covers == ["EPUB/images/cover.png"]
            assert files["EPUB/images/cover.png"] == cover.read_bytes()
        elif name == "post":
            # the cover is the post's first image: one file, shown on the cover page and
            # still in its chapter (issue 10: no image is lost)
            assert covers == []
            cover_href = re.search(r'href="([^"]+)"[^>]*properties="cover-image"', opf)[1]
            chapter = files["EPUB/chapter-0001.xhtml"].decode()
            assert f'<figure><img src="{cover_href}"' in chapter.split("</header>", 1)[1]
        else:
            assert covers == ["EPUB/images/cover.png"]
        assert problems(book) == []


def test_bad_cover_fails_without_touching_the_old_book(local_corpus: Path,
                                                       tmp_path: Path) -> None:
    book = tmp_path / "book.epub"
    book.write_bytes(b"old book")
    run = newsconv("to-epub", str(local_corpus), "-o", str(book), "--offline",
                   "--cover", str(tmp_path / "missing.png"))
    assert run.returncode == 1
    assert "missing.png" in run.stderr
    assert book.read_bytes() == b"old book"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.epub"]


def test_grouping_and_order(local_corpus: Path, tmp_path: Path) -> None:
    book = tmp_path / "grouped.epub"
    run = newsconv("to-epub", str(local_corpus), "-o", str(book), "--offline",
                   "--cache-dir", str(tmp_path / "c"), "--group-by", "date", "--sort", "date")
    assert run.returncode == 0, run.stderr
    files = book_files(book)
    nav = files["EPUB/nav.xhtml"].decode()
    # days holding several posts are sections; a day with one post is listed directly
    groups = re.findall(r"<li>\s*<a href=\"[^\"]+\">([^<]+)</a>\s*<ol>", nav)
    # named in the book's language (the corpus is mostly Simplified Chinese)
    assert groups and all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日|无日期", g) for g in groups)
    assert groups[-1] == "无日期"
    # chapters run oldest first, undated ones last
    times = []
    for name in sorted(n for n in files if re.match(r"EPUB/chapter-\d+\.xhtml", n)):
        found = re.search(r'<time datetime="([^"]+)"', files[name].decode())
        times.append(found.group(1) if found else "~undated")
    assert times == sorted(times) and times[-1] == "~undated"
    assert problems(book) == []
    run = newsconv("to-epub", str(local_corpus), "-o", str(book), "--group-by", "site")
    assert run.returncode == 2


def test_title_page_and_stylesheet(local_corpus: Path, tmp_path: Path) -> None:
    book = tmp_path / "b.epub"
    run = newsconv("to-epub", str(local_corpus), "-o", str(book), "--offline",
                   "--cache-dir", str(tmp_path / "c"), "--title", "周报", "--author", "我")
    assert run.returncode == 0, run.stderr
    files = book_files(book)
    title_page = files["EPUB/title.xhtml"].decode()
    assert "<h1>周报</h1>" in title_page and "<p>我</p>" in title_page
    assert "42 篇文章" in title_page  # the corpus book is mostly Simplified Chinese
    css = files["EPUB/style.css"].decode()
    assert "line-height: 1.7" in css and "max-width: 100%" in css
    assert "text-align: justify" not in css
    for name, data in files.items():
        if name.endswith(".xhtml"):
            assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), name


_HOSTILE = st.lists(st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "<p>", "</p>", "<br>", "<img src='javascript:alert(1)'>", "<img src='//x'>",
        "<a href='javascript:x'>", "<a href='http://[::1'>", "<iframe src='data:x'>",
        "<script>alert(1)</script>", "<svg><script>1</script></svg>", "<center>",
        "<table align='left'><tr><td>", "<font color='#F8F8F8'>", "<pre><template>",
        "<form><input>", "<h7>", "<math>", "<video src='x.mp4'>", "\u202e", "\ufffd",
        "\U0001f600", "&#0;", "&#x1F600;", "<ruby>字<rt>zì</rt></ruby>", "]]>", "<![CDATA[",
        "<a href='http://xn--80ak6aa92e.com/'>", "<img srcset='data:,a 1x, x 2x'>",
    ]),
), max_size=25)


def test_hostile_posts_give_valid_books(tmp_path: Path) -> None:
    """10 books of 5 hypothesis-made hostile posts each (50 posts): epubcheck-clean.

    Hypothesis builds the books; epubcheck then checks all ten in one JVM (seconds per
    start-up). No shrinking: the failure names the book's markup instead."""
    books: dict[Path, list[tuple[str, list[str]]]] = {}

    @settings(max_examples=10, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate])
    @given(st.lists(st.tuples(st.text(max_size=30), _HOSTILE), min_size=5, max_size=5))
    def build(posts: list[tuple[str, list[str]]]) -> None:
        docs = []
        for title, parts in posts:
            # NUL makes a file binary (the reader refuses it, as it should): leave it out
            text = (f"---\ntitle: {title!r}\n---\n" + "".join(parts)).replace("\x00", "")
            docs.append(normalise(read_post(text.encode("utf-8"))))
        book = tmp_path / f"hostile-{len(books)}.epub"
        book.write_bytes(EpubExporter(EpubOptions(offline=True, cache_dir=tmp_path))
                         .export(docs))
        assert remote_images(book_files(book)) == [], posts
        books[book] = posts

    build()
    assert len(books) == 10
    for book, found in problems_of_books(books).items():
        assert found == [], f"{book.name} from {books[book]!r}: {found}"


def test_epubcheck_helper_reports_problems_of_each_book(tmp_path: Path) -> None:
    """The one-JVM helper is not a rubber stamp: a broken book gets its errors, and a
    good book checked in the same run gets none."""
    doc = normalise(read_post(b"---\ntitle: t\n---\n<p>text</p>"))
    good = tmp_path / "good.epub"
    good.write_bytes(EpubExporter(EpubOptions(offline=True, cache_dir=tmp_path)).export([doc]))
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "EPUB/chapter-0001.xhtml":
                data = data.replace(b"</body>", b"<p>unclosed</body>")
            target.writestr(info, data)
    found = problems_of_books([broken, good])
    assert found[good] == []
    assert found[broken] and all(p.startswith(("ERROR", "FATAL")) for p in found[broken])
    assert any("chapter-0001.xhtml" in p for p in found[broken]), found[broken]
