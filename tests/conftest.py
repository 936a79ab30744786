"""Shared fixtures: where the corpus lives.

The corpus of real posts travels with the tests in ``tests/corpus/posts`` (see
``tests/corpus/README.md`` for where they come from); ``NEWSCONV_CORPUS`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest



def corpus_dir() -> Path:
    env = os.environ.get("NEWSCONV_CORPUS")
    return Path(env) if env else Path(__file__).resolve().parent / "corpus" / "posts"


def corpus_posts() -> list[Path]:
    return sorted(corpus_dir().glob("*.md"))


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    posts = corpus_posts()
    if not posts:
        pytest.fail(f"no corpus posts in {corpus_dir()} (set NEWSCONV_CORPUS)")
    return posts
