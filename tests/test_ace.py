"""DAISY Ace (the EPUB accessibility checker readers' tools use) finds nothing serious or
moderate in our books: the corpus book offline (images as labelled links), the corpus
book with its images embedded from a loopback server, and books of generated posts.

Runs when ``ace-puppeteer`` (``npm install -g @daisy/ace``) and a Chromium are on the
PATH (``.ci/run`` installs both); skipped otherwise. Ace takes about half a minute a book.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from imageserver import image_server
from strategies import documents

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.pipeline import load_path

ACE = shutil.which("ace-puppeteer")
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(not (ACE and CHROMIUM),
                                reason="DAISY Ace (ace-puppeteer) or Chromium not installed")
#: What a book must not have: Ace's impacts a reader is hurt by.
BLOCKING = ("critical", "serious", "moderate")
_URL_HOST = re.compile(r"(?:https?:)?//([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::\d+)?(?=[/\"'?])")


def ace_violations(book: Path, out: Path) -> list[str]:
    """Ace's serious, moderate and critical violations of ``book``, one line each."""
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(CHROMIUM)}
    report = out / "report.json"
    # One Ace at a time across test workers (two at once sometimes end with exit 1 and
    # no report), and one retry for a browser that did not start.
    with open(Path(tempfile.gettempdir()) / "newsconv-ace.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for _ in range(2):
            run = subprocess.run([str(ACE), "-f", "-s", "-o", str(out), str(book)],
                                 env=env, capture_output=True, text=True, timeout=900)
            if report.exists():
                break
    assert report.exists(), (f"Ace failed ({run.returncode}): {run.stdout[-1000:]} "
                             f"{run.stderr[-1000:]}")
    found = []
    for subject in json.loads(report.read_text(encoding="utf-8"))["assertions"]:
        for test in subject.get("assertions", []):
            impact = test["earl:test"]["earl:impact"]
            if test["earl:result"]["earl:outcome"] == "fail" and impact in BLOCKING:
                found.append(f"{impact}: {test['earl:test']['dct:title']} in "
                             f"{subject['earl:testSubject']['url']}")
    return found


def test_corpus_book_offline(corpus: list[Path], tmp_path: Path) -> None:
    docs = [load_path(p) for p in corpus]
    book = tmp_path / "corpus.epub"
    book.write_bytes(EpubExporter(EpubOptions(
        offline=True, cache_dir=tmp_path / "empty-cache")).export(docs))
    assert ace_violations(book, tmp_path / "ace") == []


def test_corpus_book_with_images(corpus: list[Path], tmp_path: Path) -> None:
    with image_server() as server:
        docs = []
        for post in corpus:
            local = tmp_path / post.name
            local.write_text(_URL_HOST.sub(lambda m: f"{server.base}/{m.group(1)}",
                                           post.read_text(encoding="utf-8")), "utf-8")
            docs.append(load_path(local))
        data = EpubExporter(EpubOptions(allow_private_hosts=True,
                                          cache_dir=tmp_path / "cache")).export(docs)
    book = tmp_path / "corpus-images.epub"
    book.write_bytes(data)
    assert b"EPUB/images/" in data  # images really embedded
    assert ace_violations(book, tmp_path / "ace") == []


@given(st.lists(documents, min_size=20, max_size=20))
@settings(max_examples=1, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
def test_generated_posts(tmp_path: Path, posts) -> None:
    book = tmp_path / "generated.epub"
    book.write_bytes(EpubExporter(EpubOptions(
        offline=True, cache_dir=tmp_path / "empty-cache")).export(posts))
    assert ace_violations(book, tmp_path / "ace") == []
