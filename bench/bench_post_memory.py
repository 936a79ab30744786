"""Benchmark: peak memory of converting one big post, as a multiple of its size.

Issue 7's bar: peak RSS for a post under 10x its size plus a fixed base. This makes
posts of four shapes at the given sizes (MB of UTF-8 body), runs ``newsconv to-md`` and
``to-json`` on each (``--jobs 1``: one process, the post converted in it) and prints
``(peak - base) / size``, where *base* is the peak of the same command on a one-line
post. Shapes (all Chinese text, as in the archives newsconv reads):

- ``text``: paragraphs of 300 characters (long articles);
- ``bbs``: BBS thread style, lines of 30-40 characters joined by ``<br>`` with a
  hidden watermark ``<font>`` in each (mitbbs);
- ``dense``: a paragraph per 6 characters, each in ``<b>`` and ``<i>`` (the most
  markup per byte a post plausibly has);
- ``table``: a table of two-cell rows of 4 characters.

    .venv/bin/python bench/bench_post_memory.py --sizes 1 5 --json bench/results/post-memory.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

from measure import MB, run_measured

NEWSCONV = [sys.executable, "-m", "convert"]
# Common characters, so that the text reads as Chinese to language detection.
CHARS = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同"
         "工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理")
SHAPES = ("text", "bbs", "dense", "table")


def _words(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(CHARS) for _ in range(n))


def _unit(shape: str, rng: random.Random) -> str:
    if shape == "text":
        return f"<p>{_words(rng, 300)}</p>\n"
    if shape == "bbs":
        return (f'{_words(rng, 40)}<br>\n<font color="#F8F8F8">Mitbbs.com</font>'
                f"{_words(rng, 30)}<br>\n")
    if shape == "dense":
        return f"<p><b>{_words(rng, 3)}</b><i>{_words(rng, 3)}</i></p>\n"
    return f"<tr><td>{_words(rng, 4)}</td><td>{_words(rng, 4)}</td></tr>\n"


def make_post(shape: str, size_mb: float, path: Path) -> int:
    """Write a post of ``shape`` whose body is about ``size_mb`` MB; returns its bytes."""
    rng = random.Random(1)
    parts, size = [], 0
    while size < size_mb * MB:
        unit = _unit(shape, rng)
        parts.append(unit)
        size += len(unit.encode("utf-8"))
    body = "".join(parts)
    if shape == "table":
        body = f"<table>{body}</table>"
    data = f"---\ntitle: big\ndate: 2024-01-01\n---\n{body}".encode()
    path.write_bytes(data)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1.0, 5.0],
                        help="body sizes in MB (default: 1 5)")
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--commands", nargs="+", default=["to-md", "to-json"])
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tiny = work / "tiny.md"
        tiny.write_text("---\ntitle: t\n---\n<p>x</p>\n", encoding="utf-8")
        def peak(command: str, post: Path) -> float:
            run = run_measured([*NEWSCONV, command, str(post), "-o", str(work / "out/"),
                                "--jobs", "1", "--force", "-q"], work / "log", args.timeout)
            if run["exit_code"] != 0:
                print(f"  {post.name}: exit {run['exit_code']}", file=sys.stderr)
            return run["tree_peak_rss"] / MB

        for command in args.commands:
            base = peak(command, tiny)
            print(f"{command}: base {base:.0f} MB")
            for shape in args.shapes:
                for size_mb in args.sizes:
                    post = work / f"{shape}-{size_mb:g}.md"
                    size = make_post(shape, size_mb, post) / MB
                    top = peak(command, post)
                    ratio = (top - base) / size
                    verdict = "meets" if ratio <= 10 else "MISSES"
                    print(f"  {shape:6} {size:5.1f} MB  peak {top:6.0f} MB  "
                          f"(peak - base) / size = {ratio:5.1f}  <= 10: {verdict}")
                    results.append({"command": command, "shape": shape, "size_mb": size,
                                    "base_mb": base, "peak_mb": top, "ratio": ratio})
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
