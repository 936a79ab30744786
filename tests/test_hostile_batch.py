"""An untrusted archive never aborts the batch: every bad input is one ``path: problem``
line, the others are converted, the summary counts right, and nothing is left behind.

Each case builds its input in a few lines and runs the command line in a subprocess
with a timeout, as cron would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GOOD = "\n---\ntitle: 'Post {n}'\nauthor: Site\ndate: 2021-11-07 04:21:12\n---\n<p>Body {n}.</p>\n"


def newsconv(*args: str, stdin: bytes | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args], input=stdin,
                          capture_output=True, timeout=timeout)


def lines(run: subprocess.CompletedProcess) -> list[str]:
    return run.stderr.decode().splitlines()


def assert_no_traceback(run: subprocess.CompletedProcess) -> None:
    assert b"Traceback" not in run.stderr, run.stderr.decode()


def good_posts(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"good{n:02}.md"
        path.write_text(GOOD.format(n=n), encoding="utf-8")
        paths.append(path)
    return paths


def slow_post_and_profile(posts: Path, tmp_path: Path) -> Path:
    """``posts/slow.md`` and a user's profile whose pattern backtracks forever on its
    text: the only way to stop that post is to stop its worker."""
    (posts / "slow.md").write_text(
        "\n---\ntitle: slow\nauthor: Slow Site\n---\n<p>" + "a" * 40 + "!</p>\n",
        encoding="utf-8")
    profile = tmp_path / "slow.yaml"
    profile.write_text("name: slow\nmatch:\n  authors: [Slow Site]\n"
                       "remove_text: ['(a|a)+']\n", encoding="utf-8")
    return profile


def problem_lines(run: subprocess.CompletedProcess, path: Path) -> list[str]:
    return [line for line in lines(run) if line.startswith(f"{path}: ")]


@pytest.mark.parametrize("name, content", [
    ("alias.md", "\n---\ntitle: x\ncategories: &c [*c, *c]\n---\n<p>text</p>\n"),
    ("deep.json", "[" * 900 + "]" * 900),
    ("digits.json", '{"schema_version": ' + "9" * 100_000 + "}"),
    ("binary.md", "\x00\x01\x02 not text"),
    ("nested-doc.json", json.dumps({"schema_version": 2, "metadata": {}, "blocks": "x"})),
])
def test_one_bad_post_fails_alone(tmp_path: Path, name: str, content: str) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 20)
    bad = posts / name
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    run = newsconv("to-md", str(posts), str(bad), "-o", str(out))
    assert_no_traceback(run)
    assert run.returncode == 1, run.stderr
    # a .json is only read when named; posts/ holds the .md ones
    bad_runs = 2 if name.endswith(".md") else 1
    assert len(problem_lines(run, bad)) == bad_runs, lines(run)
    assert len(list(out.glob("good*.md"))) == 20
    assert f"20 of {20 + bad_runs} inputs converted" in run.stderr.decode()
    assert f"{bad_runs} failed" in run.stderr.decode()


def test_a_post_past_the_time_budget_is_skipped(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 3)
    profile = slow_post_and_profile(posts, tmp_path)
    start = time.monotonic()
    run = newsconv("to-md", str(posts), "-o", str(tmp_path / "out"), "--profile",
                   str(profile), "--post-timeout", "2", "--jobs", "2", timeout=60)
    assert time.monotonic() - start < 50
    assert_no_traceback(run)
    assert run.returncode == 1
    assert problem_lines(run, posts / "slow.md") == [
        f"{posts / 'slow.md'}: took longer than 2 s, skipped (--post-timeout)"]
    assert len(list((tmp_path / "out").glob("*.md"))) == 3


def test_inputs_larger_than_the_cap_are_refused(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 2)
    big = posts / "big.md"
    with big.open("wb") as f:  # sparse: 21 MB on paper, nothing on disk
        f.truncate(21 * 1024 * 1024)
    run = newsconv("to-json", str(posts), "-o", str(tmp_path / "out"))
    assert_no_traceback(run)
    assert run.returncode == 1
    [line] = problem_lines(run, big)
    assert line.endswith(": is 21 MB, larger than --max-input-size 20 MB; skipped "
                         "(raise the limit to convert it)")
    assert len(list((tmp_path / "out").glob("*.json"))) == 2
    run = newsconv("to-md", "-", "--max-input-size", "1K", stdin=b"<p>" + b"x" * 2000 + b"</p>")
    assert run.returncode == 1
    assert "<stdin>: is larger than --max-input-size 1 KB; skipped" in run.stderr.decode()
    run = newsconv("to-md", str(big), "--max-input-size", "big")
    assert run.returncode == 2 and "--max-input-size big" in run.stderr.decode()


def test_posts_of_more_tags_than_the_cap_allows_are_refused(tmp_path: Path) -> None:
    """Memory goes with markup: a post that is nearly all tags costs 50-100x its size,
    so the size cap also bounds tags (one per 100 bytes) and a saved document's nodes,
    before anything is parsed, in every command that reads posts."""
    posts = tmp_path / "posts"
    good_posts(posts, 2)
    dense = posts / "dense.md"  # 1.2 MB, under the 20 MB cap, 300,000 tags
    dense.write_text("\n---\ntitle: dense\n---\n<ul>" + "<li>x" * 299_999, encoding="utf-8")
    started = time.monotonic()
    run = newsconv("to-md", str(posts), "-o", str(tmp_path / "out"))
    assert time.monotonic() - started < 60  # refused unparsed, not converted
    assert_no_traceback(run)
    assert run.returncode == 1
    [line] = problem_lines(run, dense)
    assert line.endswith(": has 300,000 tags, more than the 209,715 that --max-input-size "
                         "20 MB allows (one per 100 bytes: each costs up to 2.5 KB of "
                         "memory to convert); skipped (raise the limit to convert it)")
    assert len(list((tmp_path / "out").glob("*.md"))) == 2
    run = newsconv("profiles", "suggest", str(posts))
    assert_no_traceback(run)
    assert any(line.startswith(f"{dense}: has 300,000 tags") for line in lines(run))
    # A saved document: its nodes are counted the same way.
    nodes = json.dumps({"schema_version": 2, "type": "document", "metadata": {},
                        "blocks": [{"type": "paragraph",
                                    "children": [{"type": "line_break"}] * 300_000}]})
    (tmp_path / "doc.json").write_text(nodes, encoding="utf-8")
    run = newsconv("to-md", str(tmp_path / "doc.json"), "-o", str(tmp_path / "doc.md"))
    assert run.returncode == 1 and "has 300,003 nodes, more than the 209,715" in \
        run.stderr.decode()
    # The limit follows the cap: 1 KB allows 10 tags; no cap, no limit.
    small = b"\n---\ntitle: t\n---\n" + b"<br>" * 11
    run = newsconv("to-json", "-", "--max-input-size", "1K", stdin=small)
    assert run.returncode == 1 and "has 11 tags, more than the 10" in run.stderr.decode()
    run = newsconv("to-json", "-", "--max-input-size", "1K", stdin=small[:-4])
    assert run.returncode == 0, run.stderr.decode()
    run = newsconv("to-json", "-", "--max-input-size", "0", stdin=small * 2)
    assert run.returncode == 0, run.stderr.decode()


def test_output_problems_are_one_line(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 2)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    run = newsconv("to-md", str(posts), "-o", str(a_file))  # several inputs, -o a file
    assert_no_traceback(run)
    assert run.returncode == 2 and len(lines(run)) == 1, lines(run)
    assert a_file.read_text(encoding="utf-8") == "x"
    run = newsconv("to-md", str(posts), "-o", str(a_file / "sub") + "/")  # folder not makable
    assert_no_traceback(run)
    assert run.returncode == 1 and len(lines(run)) == 1, lines(run)
    assert str(a_file / "sub") in run.stderr.decode()


def test_a_book_that_cannot_be_written_counts_no_input_as_converted(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 2)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    run = newsconv("to-epub", str(posts), "-o", str(a_file / "book.epub"), "--offline",
                   "--cache-dir", str(tmp_path / "cache"))
    assert_no_traceback(run)
    assert run.returncode == 1
    assert "0 of 2 inputs converted" in run.stderr.decode()
    assert ".tmp" not in run.stderr.decode()


def test_summary_counts_inputs_once(tmp_path: Path) -> None:
    post = good_posts(tmp_path / "posts", 1)[0]
    run = newsconv("to-md", str(post), str(tmp_path / "missing.md"), "-o", str(tmp_path / "o"))
    assert run.returncode == 1
    assert "1 of 2 inputs converted" in run.stderr.decode() and "1 failed" in run.stderr.decode()
    run = newsconv("to-md", str(post), "-o", str(post))  # one input, refused
    assert run.returncode == 1
    [refusal] = [line for line in lines(run) if "refusing" in line]
    assert refusal == f"{post}: refusing to overwrite an input file"
    assert "0 of 1 inputs converted" in run.stderr.decode()


def test_a_write_failure_names_the_output_not_the_temporary_file(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 2)
    out = tmp_path / "out"
    (out / "good00.md").mkdir(parents=True)  # a folder where the output should go
    run = newsconv("to-md", str(posts), "-o", str(out))
    assert run.returncode == 1
    assert ".tmp" not in run.stderr.decode()
    assert f"{out / 'good00.md'}: " in run.stderr.decode()
    assert "1 of 2 inputs converted" in run.stderr.decode()
    assert sorted(p.name for p in out.glob("*.md")) == ["good00.md", "good01.md"]


def test_symlinks_out_of_the_input_folder_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(GOOD.format(n="secret"), encoding="utf-8")
    posts = tmp_path / "posts"
    good_posts(posts, 1)
    (posts / "notes.md").symlink_to(outside)
    (posts / "inside.md").symlink_to(posts / "good00.md")
    run = newsconv("to-md", str(posts), "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    assert any(line.startswith(f"{posts / 'notes.md'}: warning: symbolic link")
               for line in lines(run)), lines(run)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.md")) == ["good00.md", "inside.md"]
    run = newsconv("to-md", str(posts), "-o", str(tmp_path / "out2"), "--follow-symlinks")
    assert run.returncode == 0
    assert "secret" in (tmp_path / "out2" / "notes.md").read_text(encoding="utf-8")


def test_leftover_temporary_files_of_killed_runs_are_removed(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 1)
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.run(["true"])  # a process that has ended: its pid is free
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    stale = out / f".good00.md.{dead_pid.pid}.abcd1234.tmp"
    stale.write_text("half", encoding="utf-8")
    live = out / f".other.md.{os.getpid()}.abcd1234.tmp"  # a run still going
    live.write_text("in progress", encoding="utf-8")
    assert gone.returncode == 0
    run = newsconv("to-md", str(posts), "-o", str(out))
    assert run.returncode == 0
    assert not stale.exists() and live.exists()


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"),
                                             (signal.SIGTERM, 143, "terminated")])
def test_stopping_a_run_is_clean(tmp_path: Path, sig: int, code: int, word: str) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 4)
    profile = slow_post_and_profile(posts, tmp_path)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "convert", "to-json", "--lines", str(posts),
                             "-o", str(out), "--profile", str(profile), "--post-timeout", "0"],
                            stderr=subprocess.PIPE)
    time.sleep(3)
    proc.send_signal(sig)
    start = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - start < 10
    assert proc.returncode == code, err
    assert b"Traceback" not in err
    assert f"newsconv: {word}".encode() in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["posts", "slow.yaml"]  # no .tmp


def test_output_is_the_same_whatever_the_jobs(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    good_posts(posts, 12)
    (posts / "bad.md").write_bytes(b"\x00\x00binary")
    runs = {}
    for jobs in ("1", "2", "3"):
        run = newsconv("to-json", str(posts), "--lines", "-j", jobs)
        assert run.returncode == 1
        runs[jobs] = (run.stdout, run.stderr)
    assert runs["1"] == runs["2"] == runs["3"]
