"""The progress bar: drawn on a terminal, never in pipes or when plain output is asked."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

POST = "\n---\ntitle: 'Post {n}'\nauthor: Site\n---\n<p>Body {n}.</p>\n"
BAR = "━".encode()


def run_with_stderr_on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "convert", *args], stderr=slave,
                            stdout=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks)


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    for n in range(30):
        (folder / f"p{n:02}.md").write_text(POST.format(n=n), encoding="utf-8")
    return folder


def plain_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def test_a_terminal_gets_a_bar_with_counts(posts: Path, tmp_path: Path) -> None:
    shown = run_with_stderr_on_a_terminal(["to-md", str(posts), "-o", str(tmp_path / "o")],
                                          plain_env())
    assert BAR in shown and b"/30" in shown and b"ETA" in shown
    assert b"30 of 30 inputs converted" in shown


@pytest.mark.parametrize("extra, flag", [({"NO_COLOR": "1"}, None), ({"TERM": "dumb"}, None),
                                         ({"CI": "true"}, None), ({}, "-q")])
def test_plain_output_when_asked(posts: Path, tmp_path: Path, extra: dict[str, str],
                                 flag: str | None) -> None:
    args = ["to-md", str(posts), "-o", str(tmp_path / "o")] + ([flag] if flag else [])
    shown = run_with_stderr_on_a_terminal(args, plain_env(**extra))
    assert BAR not in shown and b"ETA" not in shown


def test_no_bar_in_a_pipe(posts: Path, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "convert", "to-md", str(posts), "-o",
                          str(tmp_path / "o")], capture_output=True, env=plain_env(),
                         timeout=120)
    assert run.returncode == 0
    assert run.stderr.decode().splitlines() == [
        f"newsconv: 30 of 30 inputs converted to markdown → {tmp_path / 'o'}"]
