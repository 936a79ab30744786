"""The command line as scripts use it: exit codes, error lines, where outputs go."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

POST = """
---
title: '测试文章'
author: 测试站
categories:
 - 新闻
 - 测试站
date: 2021-11-07 04:21:12
---

<div><p>第一段文字。</p><p>第二段，<b>加粗</b>。</p></div>
"""


def newsconv(*args: str, stdin: bytes | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "convert", *args], input=stdin,
                          capture_output=True, timeout=300, cwd=cwd)


def tree(folder: Path) -> list[str]:
    """The output files under ``folder`` (not the manifest), as sorted relative paths."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not p.name.startswith("."))


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text(POST, encoding="utf-8")
    (folder / "sub" / "b.html").write_text("<p>plain html body</p>", encoding="utf-8")
    (folder / "notes.txt").write_text("not a post", encoding="utf-8")
    return folder


def test_version_and_help() -> None:
    run = newsconv("--version")
    assert run.returncode == 0 and run.stdout.decode().startswith("newsconv ")
    run = newsconv("--help")
    assert run.returncode == 0
    for command in ("to-md", "to-json", "to-epub", "convert", "formats"):
        assert command in run.stdout.decode()
    run = newsconv("to-epub", "--help")
    assert "Examples" in run.stdout.decode()


def test_formats_lists_the_builtin_exporters() -> None:
    run = newsconv("formats")
    assert run.returncode == 0
    lines = run.stdout.decode().splitlines()
    names = {line.split()[0]: line.split()[1:3] for line in lines}
    assert names["markdown"] == [".md", "text/markdown"]
    assert names["json"] == [".json", "application/json"]
    assert names["epub"] == [".epub", "application/epub+zip"]


def test_single_input_goes_to_stdout(posts: Path) -> None:
    run = newsconv("to-md", str(posts / "a.md"), "-q")
    assert run.returncode == 0
    out = run.stdout.decode()
    assert out.startswith("---\ntitle: 测试文章\n")
    assert "第二段，**加粗**。" in out


def test_stdin_input() -> None:
    run = newsconv("to-md", "-", "-q", stdin=POST.encode("utf-8"))
    assert run.returncode == 0, run.stderr
    assert "第一段文字。" in run.stdout.decode()


def test_folder_is_searched_recursively_for_posts(posts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = newsconv("to-md", str(posts), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert tree(out) == ["a.md", "sub/b.md"]  # the output mirrors the input tree
    assert "2 of 2 inputs converted" in run.stderr.decode()


def test_several_inputs_without_output_is_a_usage_error(posts: Path) -> None:
    run = newsconv("to-md", str(posts))
    assert run.returncode == 2
    assert b"-o" in run.stderr


def test_failed_input_is_reported_and_others_go_on(posts: Path, tmp_path: Path) -> None:
    (posts / "bad.md").write_bytes(b"\x00\x01\x02binary\xff\xfe\x00")
    out = tmp_path / "out"
    run = newsconv("to-json", str(posts), str(tmp_path / "missing.md"), "-o", str(out))
    assert run.returncode == 1
    errors = [line for line in run.stderr.decode().splitlines() if not line.startswith("newsconv:")]
    assert any(line.startswith(str(posts / "bad.md") + ": ") for line in errors), errors
    assert any(line.startswith(str(tmp_path / "missing.md") + ": ") for line in errors), errors
    assert tree(out) == ["a.json", "sub/b.json"]


def test_unknown_format_lists_known_ones(posts: Path) -> None:
    run = newsconv("convert", "--to", "markdwon", str(posts / "a.md"))
    assert run.returncode == 2
    err = run.stderr.decode()
    assert "did you mean 'markdown'" in err and "epub" in err


def test_convert_uses_any_registered_exporter(posts: Path, tmp_path: Path) -> None:
    run = newsconv("convert", "--to", "json", str(posts / "a.md"), "-o", str(tmp_path / "a.json"))
    assert run.returncode == 0, run.stderr
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert data["metadata"]["title"] == "测试文章"


def test_json_lines(posts: Path) -> None:
    run = newsconv("to-json", str(posts), "--lines", "-q")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.decode().splitlines()
    assert [json.loads(line)["origin"] for line in lines] == ["a.md", "b.html"]


def test_epub_needs_an_output_file(posts: Path, tmp_path: Path) -> None:
    run = newsconv("to-epub", str(posts))
    assert run.returncode == 2
    run = newsconv("to-epub", str(posts), "-o", str(tmp_path))  # a folder
    assert run.returncode == 2
    book = tmp_path / "news.epub"
    run = newsconv("to-epub", str(posts), "-o", str(book), "--title", "My digest", "--offline",
                   "--cache-dir", str(tmp_path / "cache"))
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(book) as z:
        assert z.namelist()[0] == "mimetype"
        opf = next(z.read(n).decode() for n in z.namelist() if n.endswith(".opf"))
    assert "My digest" in opf


def test_an_input_is_never_overwritten(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text(POST, encoding="utf-8")
    run = newsconv("to-md", str(post), "-o", str(post))
    assert run.returncode == 1
    assert post.read_text(encoding="utf-8") == POST
    assert "overwrite" in run.stderr.decode()


def test_no_partial_file_when_all_inputs_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\x00\x00\x00\x00binary")
    book = tmp_path / "book.epub"
    run = newsconv("to-epub", str(bad), "-o", str(book))
    assert run.returncode == 1
    assert not book.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.md"]  # no temp file left behind


def test_output_names_are_safe_and_distinct(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "x").mkdir(parents=True)
    (folder / "CON.md").write_text(POST, encoding="utf-8")
    (folder / "x" / "CON.html").write_text("<p>two</p>", encoding="utf-8")
    out = tmp_path / "out"
    run = newsconv("to-md", str(folder), "-o", str(out), "-q")
    assert run.returncode == 0, run.stderr
    assert tree(out) == ["_CON.md", "x/_CON.md"]
    (folder / "CON.html").write_text("<p>three</p>", encoding="utf-8")  # clash in one folder
    run = newsconv("to-md", str(folder), "-o", str(out), "-q")
    assert run.returncode == 0, run.stderr
    assert tree(out) == ["_CON-2.md", "_CON.md", "x/_CON.md"]


def test_a_folder_of_saved_documents_converts_again(posts: Path, tmp_path: Path) -> None:
    json_dir = tmp_path / "json"
    assert newsconv("to-json", str(posts), "-o", str(json_dir), "-q").returncode == 0
    run = newsconv("to-md", str(json_dir), "-o", str(tmp_path / "md"))
    assert run.returncode == 0, run.stderr
    assert tree(tmp_path / "md") == ["a.md", "sub/b.md"]
    direct = newsconv("to-md", str(posts / "a.md"), "-q").stdout
    assert (tmp_path / "md" / "a.md").read_bytes() == direct
    empty = tmp_path / "empty"
    empty.mkdir()
    run = newsconv("to-md", str(empty))
    assert run.returncode == 1 and "no posts" in run.stderr.decode()
