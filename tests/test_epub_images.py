"""Every image of every post reaches its chapter (issue 10, point 1): a cover taken from
a post stays in the post, no file in the book goes unreferenced (epubcheck ``-u``), and
books made online and ``--offline`` hold the same chapters with the same figures."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from epubchecker import problems
from imageserver import image_server


def newsconv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args], capture_output=True,
                          text=True, timeout=600)


def book_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def figures(files: dict[str, bytes]) -> dict[str, int]:
    """Per chapter, how many figures it shows (an image or a link to one)."""
    return {name: data.decode("utf-8").count("<figure")
            for name, data in sorted(files.items()) if "/chapter-" in name}


@pytest.fixture(scope="module")
def server():
    with image_server() as srv:
        yield srv


def photo_post(folder: Path, base: str, name: str = "photo") -> Path:
    """A post whose body is one picture, which is also its cover."""
    url = f"{base}/photos/{name}.png"
    post = folder / f"{name}.md"
    post.write_text(f"---\ntitle: Photo {name}\nauthor: Someone\ncover: '{url}'\n---\n\n"
                    f'<p><img src="{url}" alt="A harbour at dusk"></p>\n', encoding="utf-8")
    return post


def text_post(folder: Path, base: str) -> Path:
    post = folder / "text.md"
    post.write_text(f"---\ntitle: Words\nauthor: Someone\n---\n\n<p>Some words.</p>\n"
                    f'<p><img src="{base}/photos/inline.png" alt="inline"></p>\n',
                    encoding="utf-8")
    return post


def test_a_photo_post_keeps_its_photo_when_it_is_the_cover(server, tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    photo_post(posts, server.base)
    text_post(posts, server.base)
    online, offline = tmp_path / "online.epub", tmp_path / "offline.epub"
    run = newsconv("to-epub", str(posts), "-o", str(online), "--allow-private-hosts",
                   "--cache-dir", str(tmp_path / "cache"))
    assert run.returncode == 0, run.stderr
    files = book_files(online)
    opf = files["EPUB/content.opf"].decode()
    cover = re.search(r'href="([^"]+)"[^>]*properties="cover-image"', opf)[1]
    photo = next(data.decode() for name, data in files.items()
                 if "/chapter-" in name and "Photo photo" in data.decode())
    assert f'src="{cover}"' in photo
    assert "has no content" not in photo
    # one file for the picture, shown on the cover page and in its chapter
    assert len([n for n in files if n.startswith("EPUB/images/")]) == 2
    assert problems(online, usage=True) == []

    run = newsconv("to-epub", str(posts), "-o", str(offline), "--offline",
                   "--cache-dir", str(tmp_path / "empty"))
    assert run.returncode == 0, run.stderr
    assert problems(offline, usage=True) == []
    assert figures(book_files(offline)) == figures(files) == {
        "EPUB/chapter-0001.xhtml": 1, "EPUB/chapter-0002.xhtml": 1}
