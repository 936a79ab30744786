"""What a run keeps of each input: small, and exact."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from convert.inputs import Input, discover
from convert.writers import InputFiles


def test_an_input_keeps_its_fields_however_they_are_stored(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "post.md").write_text("x", encoding="utf-8")
    found = next(discover([str(tmp_path)]))
    assert isinstance(found, Input)
    assert found.relative == "a/b/post.md"  # kept as a length: the end of its path
    assert found.file == str(tmp_path / "a" / "b" / "post.md")
    elsewhere = Input("/x/post.md", "shown", "other/name.md")  # not the path's end
    stdin = Input(None, "<stdin>")
    for one in (found, elsewhere, stdin):
        copy = pickle.loads(pickle.dumps(one))
        assert copy == one and hash(copy) == hash(one) and repr(copy) == repr(one)
    assert elsewhere.relative == "other/name.md" and stdin.relative == ""
    assert Input("/x/post.md", "shown", "post.md") != Input("/x/post.md", "shown", "x/post.md")
    with pytest.raises(AttributeError):
        found.file = "/etc/passwd"  # type: ignore[misc]


def test_input_files_know_every_input_and_nothing_else(tmp_path: Path) -> None:
    posts = [tmp_path / f"p{n}.md" for n in range(50)]
    for post in posts:
        post.write_text("x", encoding="utf-8")
    other = tmp_path / "out.md"
    other.write_text("y", encoding="utf-8")
    os.link(posts[7], tmp_path / "hard.md")
    os.symlink(posts[3], tmp_path / "soft.md")
    files = InputFiles(Input(str(p), str(p)) for p in posts)
    assert all(os.stat(p) in files for p in posts)
    assert os.stat(tmp_path / "hard.md") in files and os.stat(tmp_path / "soft.md") in files
    assert os.stat(other) not in files
    assert os.stat(tmp_path) not in files


def test_input_files_take_inode_numbers_wider_than_64_bits() -> None:
    # ReFS gives 128-bit file ids; a fake status stands in for such a file.
    wide = 1 << 100

    def status(device: int, inode: int) -> os.stat_result:
        return os.stat_result((0o100644, inode, device, 1, 0, 0, 1, 0, 0, 0))

    class Source:  # what InputFiles reads of an input, with a status of our choosing
        file = "x"

    real_stat = os.stat
    try:
        os.stat = lambda path: status(5, wide)  # type: ignore[assignment]
        files = InputFiles([Source()])  # type: ignore[list-item]
    finally:
        os.stat = real_stat
    assert status(5, wide) in files
    assert status(5, wide + 1) not in files and status(6, wide) not in files
    assert status(5, 12) not in files
