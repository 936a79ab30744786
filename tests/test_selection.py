"""Selecting posts (dates, categories, sources), splitting books, and finding copies."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from convert.model import Document, Metadata, Paragraph, Text
from convert.selection import DuplicateFinder, Selection, SelectionError, identities, parse_when

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def post(title: str, date: str | None, site: str, category: str, body: str,
         link: str | None = None) -> str:
    lines = ["", "---", f"title: '{title}'", f"author: {site}", "categories:",
             f" - {category}", f" - {site}"]
    if date:
        lines.append(f"date: {date}")
    if link:
        lines.append(f"link: {link}")
    return "\n".join([*lines, "---", f"<p>{body}</p>", ""])


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "posts"
    specs = {
        "news/a/1.md": ("One", "2021-11-01 08:00:00", "SiteA", "news", "first text"),
        "news/a/2.md": ("Two", "2021-11-15 08:00:00", "SiteA", "news", "second text"),
        "tech/b/3.md": ("Three", "2021-12-02 08:00:00", "SiteB", "tech", "third text"),
        "tech/b/4.md": ("Four", None, "SiteB", "tech", "undated text"),
        "tech/b/5.md": ("Five", "2022-01-03 08:00:00", "SiteB", "Tech", "fifth text"),
    }
    for rel, spec in specs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(post(*spec), encoding="utf-8")
    return root


def newsconv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args], capture_output=True,
                          text=True, timeout=300)


def titles(run: subprocess.CompletedProcess[str]) -> list[str]:
    assert run.returncode == 0, run.stderr
    return [json.loads(line)["metadata"]["title"] for line in run.stdout.splitlines()]


# ---------------------------------------------------------------- rules


@pytest.mark.parametrize("text, expected", [
    ("7d", NOW - timedelta(days=7)),
    ("12h", NOW - timedelta(hours=12)),
    ("2w", NOW - timedelta(days=14)),
    ("2021-11-07", datetime(2021, 11, 7, tzinfo=timezone.utc)),
    ("2021-11-07T08:30", datetime(2021, 11, 7, 8, 30, tzinfo=timezone.utc)),
    ("2021-11-07T08:30+08:00", datetime(2021, 11, 7, 0, 30, tzinfo=timezone.utc)),
])
def test_dates_and_times_ago(text: str, expected: datetime) -> None:
    assert parse_when(text, "--since", NOW) == expected


def test_a_bare_until_date_includes_its_day() -> None:
    end = parse_when("2021-11-07", "--until", NOW, end_of_day=True)
    assert end.date().isoformat() == "2021-11-07" and end.hour == 23


def test_bad_dates_name_the_option() -> None:
    with pytest.raises(SelectionError, match="--since yesterday"):
        parse_when("yesterday", "--since", NOW)


def test_selection_rules() -> None:
    meta = Metadata(title="t", authors=["站点"], categories=["Tech", "站点"],
                    date=datetime(2021, 11, 7, tzinfo=timezone.utc), source="站点")
    undated = Metadata(title="u", categories=["tech"])
    assert Selection().why_not(meta) is None and not Selection()
    assert Selection(categories=("tech",)).why_not(meta) is None  # case folded
    assert Selection(categories=("news",)).why_not(meta) == "not in --category"
    assert Selection(sources=("站点",)).why_not(meta) is None
    assert Selection(sources=("other",)).why_not(meta) == "not from --source"
    since = Selection(since=datetime(2021, 11, 8, tzinfo=timezone.utc))
    assert since.why_not(meta) == "older than --since"
    assert since.why_not(undated).startswith("no date")
    assert Selection(since=since.since, keep_undated=True).why_not(undated) is None
    assert Selection(until=datetime(2021, 11, 6, tzinfo=timezone.utc)).why_not(meta) \
        == "newer than --until"


def doc(title: str, text: str, link: str | None = None) -> Document:
    extra = {"link": link} if link else {}
    return Document(Metadata(title=title, extra=extra), [Paragraph([Text(text)])])


def test_copies_meet_by_address_or_by_title_and_text() -> None:
    finder = DuplicateFinder()
    assert finder.first_copy(identities(doc("A", "text", "https://x.com/p/1")), "a") is None
    # the same address, another title: a copy
    assert finder.first_copy(identities(doc("A2", "other", "http://www.x.com/p/1/")), "b") == "a"
    # same title, same text (spacing and case aside): a copy
    assert finder.first_copy(identities(doc("a", "  TEXT ")), "c") == "a"
    # same title, different text: two posts
    assert finder.first_copy(identities(doc("A", "different text")), "d") is None


# ---------------------------------------------------------------- command line


def test_filters_on_every_command(archive: Path, tmp_path: Path) -> None:
    run = newsconv("to-json", str(archive), "--lines", "--since", "2021-11-10",
                   "--until", "2021-12-31")
    assert titles(run) == ["Two", "Three"]
    assert "3 left out by the selection (1 undated)" in run.stderr
    run = newsconv("to-json", str(archive), "--lines", "--since", "2021-11-10", "--keep-undated")
    assert titles(run) == ["Two", "Three", "Four", "Five"]
    assert titles(newsconv("to-json", str(archive), "--lines", "--category", "TECH")) == [
        "Three", "Four", "Five"]
    assert titles(newsconv("to-json", str(archive), "--lines", "--source", "SiteA",
                           "--source", "nobody")) == ["One", "Two"]
    out = tmp_path / "md"
    run = newsconv("to-md", str(archive), "-o", str(out), "--source", "SiteA")
    assert run.returncode == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md")) == [
        "news/a/1.md", "news/a/2.md"]
    run = newsconv("check", str(archive), "--json", "--until", "2021-11-01")
    assert [r["path"] for r in json.loads(run.stdout)] == [str(archive / "news/a/1.md")]
    assert newsconv("to-md", str(archive), "--since", "someday").returncode == 2


def test_split_books_are_titled_after_their_group(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "books"
    run = newsconv("to-epub", str(archive), "-o", str(out), "--split-by", "month", "--offline",
                   "--cache-dir", str(tmp_path / "cache"))
    assert run.returncode == 0, run.stderr
    books = sorted(p.name for p in out.iterdir())
    assert books == ["2021-11.epub", "2021-12.epub", "2022-01.epub", "undated.epub"]
    with zipfile.ZipFile(out / "2021-11.epub") as z:
        opf = next(z.read(n).decode() for n in z.namelist() if n.endswith(".opf"))
        chapters = [n for n in z.namelist() if "chapter" in n and n.endswith(".xhtml")]
    assert "<dc:title>2021-11</dc:title>" in opf and len(chapters) == 2
    again = tmp_path / "again"
    newsconv("to-epub", str(archive), "-o", str(again), "--split-by", "month", "--offline",
             "--cache-dir", str(tmp_path / "cache"))
    for name in books:  # reproducible, as one book is
        assert (out / name).read_bytes() == (again / name).read_bytes()
    run = newsconv("to-epub", str(archive), "-o", str(tmp_path / "b.epub"), "--split-by", "year")
    assert run.returncode == 2 and "-o FOLDER" in run.stderr


def test_copies_appear_once_in_books_and_streams(archive: Path, tmp_path: Path) -> None:
    copy = archive / "tech" / "b" / "copy-of-1.md"
    copy.write_text(post("One", "2021-11-01 08:00:00", "SiteB", "tech", "first text"),
                    encoding="utf-8")
    same_title = archive / "tech" / "b" / "another-one.md"
    same_title.write_text(post("One", "2021-11-02 08:00:00", "SiteB", "tech", "new text"),
                          encoding="utf-8")
    run = newsconv("to-json", str(archive), "--lines")
    assert titles(run).count("One") == 2  # the copy left out, the namesake kept
    assert f"{copy}: duplicate of {archive / 'news/a/1.md'}, left out" in run.stderr
    assert "1 duplicates left out" in run.stderr
    assert titles(newsconv("to-json", str(archive), "--lines", "--keep-duplicates")).count(
        "One") == 3
    run = newsconv("check", str(archive))
    assert f"{copy}: duplicate of {archive / 'news/a/1.md'}" in run.stdout
    out = tmp_path / "md"
    newsconv("to-md", str(archive), "-o", str(out))  # per-file outputs: every input
    assert (out / "tech" / "b" / "copy-of-1.md").exists()
