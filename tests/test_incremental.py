"""Re-runs into the same output folder redo exactly the inputs whose output is stale."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import convert
from convert.conversion_run import RunSettings, make_exporter, run_conversion
from convert.exporters import ExportOptions

POST = "\n---\ntitle: 'Post {n}'\nauthor: Site\n---\n<p>Body {n}.</p>\n"


def newsconv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args], capture_output=True,
                          text=True, timeout=120)


def counts(run: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    """(converted, up to date) from the summary line."""
    match = re.search(r"(\d+) of \d+ inputs converted.*?(?:, (\d+) up to date)?$",
                      run.stderr.strip().splitlines()[-1])
    assert match, run.stderr
    return int(match.group(1)), int(match.group(2) or 0)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    posts = tmp_path / "posts"
    for n in range(6):
        folder = posts / f"site{n % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"p{n}.md").write_text(POST.format(n=n), encoding="utf-8")
    return posts


def test_each_kind_of_change_redoes_exactly_its_inputs(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = newsconv("to-md", str(archive), "-o", str(out))
    assert counts(run) == (6, 0)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.md")}

    assert counts(newsconv("to-md", str(archive), "-o", str(out))) == (0, 6)  # nothing
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.md")} == before

    post = archive / "site1" / "p3.md"
    os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))  # touch
    assert counts(newsconv("to-md", str(archive), "-o", str(out))) == (0, 6)

    post.write_text(POST.format(n="changed"), encoding="utf-8")  # one changed
    assert counts(newsconv("to-md", str(archive), "-o", str(out))) == (1, 5)
    assert "Post changed" in (out / "site1" / "p3.md").read_text(encoding="utf-8")

    (out / "site0" / "p0.md").unlink()  # an output deleted: made again
    assert counts(newsconv("to-md", str(archive), "-o", str(out))) == (1, 5)

    profile = tmp_path / "p.yaml"  # another option: everything again
    profile.write_text("name: p\nmatch:\n  authors: [Nobody]\n", encoding="utf-8")
    assert counts(newsconv("to-md", str(archive), "-o", str(out), "-p", str(profile))) == (6, 0)
    assert counts(newsconv("to-md", str(archive), "-o", str(out), "-p", str(profile))) == (0, 6)
    assert counts(newsconv("to-md", str(archive), "-o", str(out), "--force")) == (6, 0)


def test_a_new_version_redoes_everything(archive: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"

    def run() -> RunSettings:
        settings = RunSettings(quiet=True, processes=False)
        code = run_conversion([str(archive)], make_exporter("json", ExportOptions()),
                              str(out), settings)
        assert code == 0
        return settings

    run()
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    run()
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.json")} == written
    monkeypatch.setattr(convert, "__version__", convert.__version__ + ".post1")
    os.utime(out / "site0" / "p0.json", ns=(0, 0))
    run()
    assert (out / "site0" / "p0.json").stat().st_mtime_ns != 0


def test_outputs_of_removed_inputs_are_listed_and_pruned_on_request(archive: Path,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "out"
    newsconv("to-md", str(archive), "-o", str(out))
    (archive / "site0" / "p2.md").unlink()
    run = newsconv("to-md", str(archive), "-o", str(out))
    assert f"{out / 'site0' / 'p2.md'}: warning: its input is gone (--prune removes it)" \
        in run.stderr
    assert (out / "site0" / "p2.md").exists() and counts(run) == (0, 5)
    run = newsconv("to-md", str(archive), "-o", str(out), "--prune")
    assert f"{out / 'site0' / 'p2.md'}: removed (its input is gone)" in run.stderr
    assert not (out / "site0" / "p2.md").exists()
    run = newsconv("to-md", str(archive), "-o", str(out))
    assert "gone" not in run.stderr


def test_a_corrupt_manifest_means_converting_again(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    newsconv("to-md", str(archive), "-o", str(out))
    (out / ".newsconv-manifest").write_text("{not json", encoding="utf-8")
    assert counts(newsconv("to-md", str(archive), "-o", str(out))) == (6, 0)
    assert counts(newsconv("to-md", str(archive), "-o", str(out))) == (0, 6)
