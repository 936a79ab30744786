"""Speed of the metadata steps that must stay cheap on huge or hostile input.

Moved here from the tests (wall-clock limits there fail on a busy machine):

- ``detect_language`` on a 70,000-character post (it reads only the first 5,000);
- ``normalise_metadata`` on a "billion laughs" front matter (10**10 leaves if walked
  naively).

Run: ``.venv/bin/python bench/bench_metadata.py`` (prints the best of 5 runs, per call).
"""

from __future__ import annotations

import timeit
from typing import Any

from convert.normalise.language import detect_language
from convert.normalise.metadata import normalise_metadata


def billion_laughs() -> list[Any]:
    level: Any = ["lol"] * 10
    for _ in range(9):
        level = [level] * 10
    return level


def main() -> None:
    big = ("Some English words 中文文本，这是一个测试。" * 3000)[:70_000]
    best = min(timeit.repeat(lambda: detect_language(big), number=20, repeat=5)) / 20
    print(f"detect_language, 70,000 characters: {best * 1000:.2f} ms per call")
    laughs = billion_laughs()
    raw = {"categories": laughs, "author": laughs, "x": laughs}
    best = min(timeit.repeat(lambda: normalise_metadata(raw, ""), number=1, repeat=5))
    print(f"normalise_metadata, billion laughs: {best * 1000:.2f} ms per call")


if __name__ == "__main__":
    main()
