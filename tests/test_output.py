"""Writing outputs (``convert/output.py``): file names safe everywhere, distinct names in
one folder, and atomic writes: a failure or a kill mid-write leaves the old file whole."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from convert.output import (
    MAX_NAME_BYTES,
    NameAllocator,
    atomic_write,
    atomic_write_with,
    safe_stem,
)

ROOT = Path(__file__).resolve().parents[1]
OLD = b"the old, complete output\n"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- safe_stem


@pytest.mark.parametrize(("name", "expected"), [
    ("plain", "plain"),
    ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
    ("tab\there\x00nul\x7f", "tab_here_nul_"),
    ("  .hidden. ", "hidden"),
    ("CON", "_CON"),
    ("nul.tar", "_nul.tar"),
    ("com1", "_com1"),
    ("lpt9.md", "_lpt9.md"),
    ("console", "console"),
    ("中文标题", "中文标题"),
    ("", "post"),
    (" . ", "post"),
])
def test_safe_stem(name: str, expected: str) -> None:
    assert safe_stem(name) == expected


def test_safe_stem_fallback_and_nfc() -> None:
    assert safe_stem("///", fallback="x") == "___"
    assert safe_stem("...", fallback="x") == "x"
    decomposed = unicodedata.normalize("NFD", "café")
    assert safe_stem(decomposed) == unicodedata.normalize("NFC", "café")


@pytest.mark.parametrize("char", ["a", "é", "中", "😀"])
def test_safe_stem_cuts_long_names_on_a_character_boundary(char: str) -> None:
    stem = safe_stem(char * 300)
    encoded = stem.encode("utf-8")
    assert len(encoded) <= MAX_NAME_BYTES
    assert len(encoded) > MAX_NAME_BYTES - 4  # cut at the limit, not far before it
    assert set(stem) == {char}  # no broken character at the end


# ---------------------------------------------------------------- NameAllocator


def test_name_allocator_gives_distinct_names() -> None:
    names = NameAllocator()
    got = [names.allocate(stem, ".md") for stem in ("a", "a", "A", "a", "b", "a-2")]
    assert got == ["a.md", "a-2.md", "A-3.md", "a-4.md", "b.md", "a-2-2.md"]
    assert names.allocate("a", ".json") == "a.json"  # another suffix is another name


def test_name_allocator_makes_stems_safe() -> None:
    names = NameAllocator()
    assert names.allocate("x/y", ".md") == "x_y.md"
    assert names.allocate("x:y", ".md") == "x_y-2.md"
    assert names.allocate("", ".md") == "post.md"


# ---------------------------------------------------------------- atomic writes


def test_atomic_write_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    atomic_write(target, b"first")
    assert target.read_bytes() == b"first"
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert leftovers(tmp_path) == ["out.md"]


def test_atomic_write_honours_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "out.md", b"x")
    finally:
        os.umask(old)
    # mkstemp makes 0600 files; outputs get the usual 0666 less the umask
    assert (tmp_path / "out.md").stat().st_mode & 0o777 == 0o640


def test_atomic_write_to_a_bare_name_writes_in_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    atomic_write(Path("bare.md"), b"x")
    assert leftovers(tmp_path) == ["bare.md"]


class WriterFailed(Exception):
    pass


@pytest.mark.parametrize("error", [WriterFailed, KeyboardInterrupt])
def test_failing_writer_keeps_the_old_file_and_no_temp_file(tmp_path: Path,
                                                            error: type) -> None:
    target = tmp_path / "book.epub"
    target.write_bytes(OLD)

    def write(handle) -> None:  # noqa: ANN001
        handle.write(b"half of the new")
        handle.flush()
        raise error()

    with pytest.raises(error):
        atomic_write_with(target, write)
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == ["book.epub"]


def test_failing_writer_leaves_no_file_where_there_was_none(tmp_path: Path) -> None:
    def write(handle) -> None:  # noqa: ANN001
        handle.write(b"partial")
        raise WriterFailed()

    with pytest.raises(WriterFailed):
        atomic_write_with(tmp_path / "new.md", write)
    assert leftovers(tmp_path) == []


def _limit_file_size(limit: int):  # noqa: ANN202
    """A child process in which files cannot grow past ``limit`` bytes: a write past it
    fails with EFBIG, as on a full disk (Python ignores SIGXFSZ, so no signal kills it)."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


_ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def test_atomic_write_failing_mid_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    target.write_bytes(OLD)
    script = ("import sys; from pathlib import Path; from convert.output import atomic_write;"
              "atomic_write(Path(sys.argv[1]), b'new ' * 100_000)")
    run = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True,
                         text=True, timeout=120, cwd=ROOT, env=_ENV,
                         preexec_fn=_limit_file_size(64 * 1024))
    assert run.returncode == 1 and "File too large" in run.stderr, run.stderr
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == ["out.md"]


# A writer that writes part of the new file, says so, and waits to be interrupted.
_SLOW_WRITER = """
import signal, sys, time
from pathlib import Path
from convert.output import atomic_write_with

# Ctrl-C raises KeyboardInterrupt even when started from a background job (which
# inherits SIGINT ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)

def write(handle):
    handle.write(b"new " * 100_000)
    handle.flush()
    print("half written", flush=True)
    time.sleep(120)
    handle.write(b"end")

atomic_write_with(Path(sys.argv[1]), write)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_process_killed_mid_write_keeps_the_old_file(tmp_path: Path, sig: int) -> None:
    target = tmp_path / "out.md"
    target.write_bytes(OLD)
    with subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                          env=_ENV) as child:
        assert child.stdout.readline() == b"half written\n", child.stderr.read()
        assert target.read_bytes() == OLD  # nothing visible while writing
        child.send_signal(sig)
        child.wait(timeout=60)
    assert child.returncode != 0
    assert target.read_bytes() == OLD
    others = [name for name in leftovers(tmp_path) if name != "out.md"]
    if sig == signal.SIGINT:
        assert others == []  # Ctrl-C: the temporary file is removed on the way out
    else:
        # a killed process cleans nothing up: its temporary file stays, hidden and named
        # after the target, never in the target's place
        assert all(name.startswith(".out.md.") and name.endswith(".tmp")
                   for name in others), others


# ---------------------------------------------------------------- the command line

BIG_POST = "---\ntitle: big\n---\n" + "<p>一段很长的文字。</p>\n" * 20_000
SMALL_POST = "---\ntitle: small\n---\n<p>小文章。</p>\n"


@pytest.mark.parametrize("command", ["to-md", "to-json"])
def test_cli_output_failing_mid_write_keeps_the_old_output(tmp_path: Path,
                                                           command: str) -> None:
    """``to-md``/``to-json -o DIR``: the write of one output fails half way (here a file
    size limit; on a user's machine a full disk). That output keeps its old version
    whole, no temporary file is left, and the other outputs are written."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "big.md").write_text(BIG_POST, encoding="utf-8")
    (posts / "small.md").write_text(SMALL_POST, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    suffix = ".md" if command == "to-md" else ".json"
    for stem in ("big", "small"):
        (out / f"{stem}{suffix}").write_bytes(OLD)
    run = subprocess.run([sys.executable, "-m", "convert", command, str(posts), "-o",
                          str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=_ENV, preexec_fn=_limit_file_size(256 * 1024))
    assert run.returncode == 1, run.stderr
    assert "big" in run.stderr and "1 failed" in run.stderr, run.stderr
    assert (out / f"big{suffix}").read_bytes() == OLD
    assert "小文章" in (out / f"small{suffix}").read_text(encoding="utf-8")
    # no temporary file left; the run's manifest records the one output it wrote
    assert leftovers(out) == [".newsconv-manifest", f"big{suffix}", f"small{suffix}"]
    assert f"small{suffix}" in (out / ".newsconv-manifest").read_text(encoding="utf-8")
    assert f"big{suffix}" not in (out / ".newsconv-manifest").read_text(encoding="utf-8")
