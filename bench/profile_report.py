"""``bench_batch.py --profile``: where ``to-json --jobs 1`` spends its time (cProfile)."""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import sys
from pathlib import Path

import synthetic
from measure import run_measured

REPO = Path(__file__).resolve().parents[1]

PHASES = (  # label, file suffix, function name: cumulative time shown as a share
    ("whole run (run_conversion)", "convert/conversion_run.py", "run_conversion"),
    ("input discovery (discover)", "convert/inputs.py", "discover"),
    ("convert_one", "convert/pipeline.py", "convert_one"),
    ("  read input bytes", "convert/inputs.py", "read_bytes"),
    ("  reader (read_post)", "convert/reader.py", "read_post"),
    ("  normalise", "convert/normalise/__init__.py", "normalise"),
    ("  JSON export (JsonExporter.export)", "convert/exporters/json.py", "export"),
    ("    document_to_dict", "convert/model_json.py", "document_to_dict"),
    ("    json.dumps", "json/__init__.py", "dumps"),
    ("writing outputs (write_files)", "convert/writers.py", "write_files"),
    ("  atomic_write_with", "convert/output.py", "atomic_write_with"),
    ("  fsync", "~", "<built-in method posix.fsync>"),
    ("  manifest up_to_date", "convert/manifest.py", "up_to_date"),
    ("  manifest save", "convert/manifest.py", "save"),
)


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    for prefix in (str(REPO) + "/", *(p + "/" for p in sys.path if "site-packages" in p),
                   os.path.dirname(os.__file__) + "/"):
        filename = filename.removeprefix(prefix)
    return f"{filename}:{line}({name})" if filename != "~" else name


def _callers(callers: dict) -> list[str]:
    """The two callers that spent the most time in a function."""
    ranked = sorted(callers.items(), key=lambda kv: -kv[1][3])[:2]
    return [_where(k).rsplit("/", 1)[-1] for k, _ in ranked]


def profile(args: argparse.Namespace, work: Path, result: dict) -> None:
    posts = work / "posts"
    if not posts.exists():
        print(f"generating {args.posts} posts ...", flush=True)
        synthetic.write_tree(posts, args.posts, args.seed)
    shutil.rmtree(work / "prof-json", ignore_errors=True)
    stats_file = work / "to-json.prof"
    argv = [sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "convert",
            "to-json", str(posts), "-o", str(work / "prof-json"), "--jobs", "1"]
    run = run_measured(argv, work / "profile.log", args.timeout, work)
    stats = pstats.Stats(str(stats_file))
    table = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    out: dict = {"wall_s": run["wall_s"], "total_tt": total, "phases": [], "top": {}}
    print(f"\nto-json --jobs 1 under cProfile: {run['wall_s']:.2f} s wall, "
          f"{total:.2f} s profiled")
    for label, suffix, func in PHASES:
        ct = sum(v[3] for k, v in table.items() if k[2] == func
                 and (suffix == "~" and k[0] == "~" or k[0].endswith(suffix)))
        out["phases"].append({"phase": label, "cumulative_s": ct, "share": ct / total})
        print(f"  {label:38} {ct:7.2f} s {100 * ct / total:5.1f}%")
    # the start-up chain (runpy, typer, click, cli) wraps the whole run: not a hot spot
    whole = out["phases"][0]["cumulative_s"] or total
    for key, column in (("cumulative", 3), ("tottime", 2)):
        rows = sorted(((k, v) for k, v in table.items() if v[3] <= whole or column == 2),
                      key=lambda kv: -kv[1][column])[: args.top]
        out["top"][key] = [{"function": _where(k), "ncalls": v[1], "tottime": v[2],
                            "cumtime": v[3], "callers": _callers(v[4])} for k, v in rows]
        print(f"\ntop {args.top} by {key}:\n{'ncalls':>9} {'tottime':>8} {'cumtime':>8}  "
              "function  [main callers]")
        for row in out["top"][key]:
            callers = f"  [{', '.join(row['callers'])}]" if column == 2 else ""
            print(f"{row['ncalls']:9} {row['tottime']:8.3f} {row['cumtime']:8.3f}  "
                  f"{row['function']}{callers}")
    result["profile"] = out
