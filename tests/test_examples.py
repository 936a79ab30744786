"""examples/ shows real posts and what newsconv makes of them; keep the outputs current.

Regenerate with ``NEWSCONV_UPDATE_GOLDEN=1 pytest tests/test_examples.py`` (never in CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convert.exporters import ExportOptions
from convert.pipeline import export, load_path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POSTS = sorted((EXAMPLES / "posts").glob("*.md"))
OUTPUT = EXAMPLES / "output"
UPDATE = os.environ.get("NEWSCONV_UPDATE_GOLDEN") == "1"


def expected_outputs() -> dict[Path, bytes]:
    docs = [load_path(p) for p in POSTS]
    out: dict[Path, bytes] = {}
    for post, doc in zip(POSTS, docs, strict=True):
        out[OUTPUT / f"{post.stem}.md"] = export([doc], "markdown")
        out[OUTPUT / f"{post.stem}.json"] = export([doc], "json")
    # offline, from an empty cache: the same book on every machine, network or not
    options = ExportOptions(title="newsconv examples", offline=True,
                            cache_dir=EXAMPLES / "no-cache")
    out[OUTPUT / "news.epub"] = export(docs, "epub", options)
    return out


def test_examples_outputs_are_current() -> None:
    assert len(POSTS) >= 3
    outputs = expected_outputs()
    if UPDATE:
        if os.environ.get("CI"):
            pytest.fail("example outputs are never regenerated under CI")
        OUTPUT.mkdir(exist_ok=True)
        for path, data in outputs.items():
            path.write_bytes(data)
        return
    for path, data in outputs.items():
        assert path.exists(), f"{path} missing: regenerate the examples"
        assert path.read_bytes() == data, f"{path.name} is out of date: regenerate the examples"
