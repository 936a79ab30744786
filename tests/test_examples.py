"""examples/ shows real posts and what newsconv makes of them; keep the outputs current.

Regenerate with ``pytest --update-golden tests/test_examples.py`` (refused when ``CI`` is
set) and review the diff.
"""

from __future__ import annotations

from pathlib import Path

from convert.exporters.epub.options import EpubOptions
from convert.pipeline import export, load_path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POSTS = sorted((EXAMPLES / "posts").glob("*.md"))
OUTPUT = EXAMPLES / "output"


def expected_outputs() -> dict[Path, bytes]:
    docs = [load_path(p) for p in POSTS]
    out: dict[Path, bytes] = {}
    for post, doc in zip(POSTS, docs, strict=True):
        out[OUTPUT / f"{post.stem}.md"] = export([doc], "markdown")
        out[OUTPUT / f"{post.stem}.json"] = export([doc], "json")
    # offline, from an empty cache, with a cover file (a drawn cover depends on the
    # fonts installed): the same book on every machine, network or not
    options = EpubOptions(title="newsconv examples", offline=True,
                          cache_dir=EXAMPLES / "no-cache", cover=str(EXAMPLES / "cover.png"))
    out[OUTPUT / "news.epub"] = export(docs, "epub", options)
    return out


def test_examples_outputs_are_current(update_golden: bool) -> None:
    assert len(POSTS) >= 3
    outputs = expected_outputs()
    if update_golden:
        OUTPUT.mkdir(exist_ok=True)
        for path, data in outputs.items():
            path.write_bytes(data)
        return
    for path, data in outputs.items():
        assert path.exists(), f"{path} missing: regenerate the examples"
        assert path.read_bytes() == data, f"{path.name} is out of date: regenerate the examples"
