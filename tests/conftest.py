"""Shared fixtures: where the corpus lives.

The corpus of real posts is ``../shared/corpus/posts`` next to the checkout (CI lays a
copy of ``shared/`` beside the clone); ``NEWSCONV_CORPUS`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    env = os.environ.get("NEWSCONV_CORPUS")
    return Path(env) if env else REPO.parent / "shared" / "corpus" / "posts"


def corpus_posts() -> list[Path]:
    return sorted(corpus_dir().glob("*.md"))


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    posts = corpus_posts()
    if not posts:
        pytest.fail(f"no corpus posts in {corpus_dir()} (set NEWSCONV_CORPUS)")
    return posts
