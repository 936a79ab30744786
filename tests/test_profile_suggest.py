"""``newsconv profiles suggest``: repeated edge blocks found per source, a usable profile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from convert.inputs import discover
from convert.model import inline_text, iter_blocks
from convert.normalise.profiles import parse_profile
from convert.pipeline import load_path
from convert.profile_suggest import format_reports, profile_yaml, suggest

HEAD = "本文由示例新闻独家授权发布"
TAIL = "© 2022 示例新闻 版权所有"


def _post(folder: Path, n: int, source: str = "示例新闻", boilerplate: bool = True) -> None:
    head = f"<p>{HEAD}</p>" if boilerplate else ""
    tail = (f'<p>{TAIL}</p><p class="editor">责任编辑：<b>张三</b></p>' if boilerplate else "")
    body = f"{head}<p>第 {n} 篇文章的正文，内容各不相同。</p><p>结尾 {n}。</p>{tail}"
    (folder / f"{n:02d}.md").write_text(
        f"---\ntitle: 文章 {n}\nauthor: {source}\ncategories: [新闻, {source}]\n---\n{body}\n",
        encoding="utf-8")


def _archive(tmp_path: Path) -> Path:
    for n in range(1, 5):
        _post(tmp_path, n)
    _post(tmp_path, 5, boilerplate=False)
    for n in range(6, 9):  # another source, nothing repeating
        _post(tmp_path, n, source="Other", boilerplate=False)
    return tmp_path


def test_repeated_edge_blocks_counted_per_source(tmp_path: Path) -> None:
    reports, problems = suggest(discover([str(_archive(tmp_path))]), ())
    assert problems == []
    (report,) = reports
    assert report.source == "示例新闻" and report.posts == 5
    found = {(r.edge, r.text): r.count for r in report.repeated}
    assert found[("head", HEAD)] == 4 and found[("tail", TAIL)] == 4
    assert not any("正文" in text for _, text in found)
    assert report.match == {"authors": ["示例新闻"]}


def test_share_threshold(tmp_path: Path) -> None:
    reports, _ = suggest(discover([str(_archive(tmp_path))]), (), min_share=0.9)
    assert reports == []
    assert "no text block repeats" in format_reports(reports, 0.9)


def test_suggested_profile_loads_and_removes_the_blocks(tmp_path: Path) -> None:
    (tmp_path / "posts").mkdir()
    archive = _archive(tmp_path / "posts")
    (report,) = suggest(discover([str(archive)]), ())[0]
    text = profile_yaml(report)
    profile = parse_profile(yaml.safe_load(text), "suggested")
    assert profile.authors == {"示例新闻"}
    assert "p.editor" in text  # several text pieces: removed by its class
    doc = load_path(archive / "01.md", profiles=(profile,))
    left = [inline_text(b.children) for b in iter_blocks(doc.blocks) if hasattr(b, "children")]
    assert left == ["第 1 篇文章的正文，内容各不相同。", "结尾 1。"]


def test_cli_prints_counts_and_profile_and_removes_nothing(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    before = sorted((p.name, p.read_bytes()) for p in archive.iterdir())
    result = subprocess.run([sys.executable, "-m", "convert", "profiles", "suggest",
                             str(archive)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"#   head    4/5  {HEAD}" in result.stdout
    profile = parse_profile(yaml.safe_load(result.stdout), "stdout")  # comments and YAML
    assert profile.name == "示例新闻-suggested" and len(profile.remove_text) == 2
    assert sorted((p.name, p.read_bytes()) for p in archive.iterdir()) == before


def test_cli_profiles_still_lists(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "convert", "profiles"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "zhihu" in result.stdout
