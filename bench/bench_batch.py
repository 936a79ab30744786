"""Benchmark: batch conversion of an archive, as ratios to reference tools in one run.

Makes ``--posts`` synthetic mitbbs-shaped posts (``synthetic.py``) as a Hexo
``<category>/<source>/<feed>/<title>.md`` tree, writes each body (the HTML after the
front matter) to a file once for the reference tools, then runs, each as a whole fresh
process, round-robin, ``--repeats`` times, and takes medians:

- ``newsconv to-json POSTS -o OUT``, ``to-md POSTS -o OUT``,
  ``to-epub POSTS -o book.epub --offline --cache-dir EMPTY`` (default options);
- ``to-md --jobs 1`` and ``--jobs 2`` (the speed-up), a no-change re-run of ``to-md``
  into the folder of the full run just before it (the incremental run);
- references: an lxml parse-only loop (``lxml.html.document_fromstring`` per body),
  bare ``markdownify.markdownify`` per body, both in one process of this Python, and
  ``pandoc -f html -t gfm`` with every body file as an argument (if on PATH).

It prints and writes the issue's ratios (to-json / lxml, to-md / pandoc,
to-md / markdownify, to-epub / to-json, jobs 1 / jobs 2, re-run / full), wall times,
posts/s and the peak RSS summed over the process tree (``measure.py``:
:class:`measure.TreeSampler`).

``--memory``: peak tree RSS of ``to-md`` and ``to-json --lines`` at 1,000 and 20,000
posts (bar: growth at most 1.3×) and of ``to-epub --offline`` (bar: under 150 MB at
20,000). ``--profile`` (``profile_report.py``): ``to-json --jobs 1`` under cProfile, top 25
functions.

    .venv/bin/python bench/bench_batch.py --json bench/results/batch-1000.json
    .venv/bin/python bench/bench_batch.py --memory --json bench/results/memory.json
    .venv/bin/python bench/bench_batch.py --profile
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import synthetic
from measure import MB, count_files, run_measured
from profile_report import profile

REPO = Path(__file__).resolve().parents[1]
NEWSCONV = [sys.executable, "-m", "convert"]

LXML_LOOP = """
import os, sys
from lxml import html
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        html.document_fromstring(f.read())
"""
MARKDOWNIFY_LOOP = """
import os, sys
from markdownify import markdownify
folder, out = sys.argv[1:3]
with open(out, "w", encoding="utf-8") as sink:
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            sink.write(markdownify(f.read()) + "\\n")
"""

# ----------------------------------------------------------------- the cases


class Case:
    """One measured command: ``argv(work, index)`` builds the command line of run
    ``index``; ``fresh`` names an output path removed before each run; ``check`` says
    what is wrong with a run's output, or ``None``."""

    def __init__(self, name: str, argv: Callable[[Path], list[str]],
                 fresh: str | None = None,
                 check: Callable[[Path], str | None] | None = None) -> None:
        self.name, self.argv, self.fresh, self.check = name, argv, fresh, check


def cases(work: Path, posts: int, jobs_pair: bool = True) -> list[Case]:
    p, b = str(work / "posts"), str(work / "bodies")

    def want(folder: str, suffix: str) -> Callable[[Path], str | None]:
        def check(w: Path) -> str | None:
            found = count_files(w / folder, suffix)
            return None if found == posts else f"{found} of {posts} {suffix} files"
        return check

    def book(w: Path) -> str | None:
        return None if (w / "book.epub").is_file() else "no book written"

    out = [
        Case("startup", lambda w: [*NEWSCONV, "--version"]),
        Case("lxml-parse", lambda w: [sys.executable, "-c", LXML_LOOP, b]),
        Case("markdownify", lambda w: [sys.executable, "-c", MARKDOWNIFY_LOOP, b,
                                       str(w / "markdownify.md")]),
    ]
    if shutil.which("pandoc"):
        names = sorted(str(f) for f in (work / "bodies").iterdir())
        out.append(Case("pandoc", lambda w: ["pandoc", "-f", "html", "-t", "gfm", "-o",
                                             str(w / "pandoc.md"), *names]))
    out += [
        Case("to-json", lambda w: [*NEWSCONV, "to-json", p, "-o", str(w / "json")],
             "json", want("json", ".json")),
        Case("to-md", lambda w: [*NEWSCONV, "to-md", p, "-o", str(w / "md")],
             "md", want("md", ".md")),
        # no fresh folder: the same command again over the full run's output just above
        Case("to-md rerun", lambda w: [*NEWSCONV, "to-md", p, "-o", str(w / "md")],
             None, want("md", ".md")),
        Case("to-epub", lambda w: [*NEWSCONV, "to-epub", p, "-o", str(w / "book.epub"),
                                   "--offline", "--cache-dir", str(w / "empty-cache")],
             "book.epub", book),
    ]
    if jobs_pair:
        out += [Case(f"to-md jobs{n}", lambda w, n=n: [*NEWSCONV, "to-md", p, "-o",
                                                       str(w / f"md{n}"), "--jobs", str(n)],
                     f"md{n}", want(f"md{n}", ".md")) for n in (1, 2)]
    return out


def describe(argv: list[str], work: Path) -> str:
    """A command line for the record: scripts by name, the work folder as WORK."""
    names = {LXML_LOOP: "LXML_LOOP", MARKDOWNIFY_LOOP: "MARKDOWNIFY_LOOP"}
    shown = [names.get(a, a) for a in argv[:10]] + (["..."] if len(argv) > 10 else [])
    return " ".join(shown).replace(str(work), "WORK")


def run_case(case: Case, work: Path, timeout: float, tag: str) -> dict:
    if case.fresh:
        target = work / case.fresh
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    (work / "empty-cache").mkdir(exist_ok=True)
    run = run_measured(case.argv(work), work / f"{case.name.replace(' ', '_')}-{tag}.log",
                       timeout, cwd=work)
    problem = f"exit code {run['exit_code']}" if run["exit_code"] else None
    problem = problem or (case.check(work) if case.check else None)
    if problem:
        run["problem"] = problem
        print(f"  {case.name}: {problem}\n{run['log_tail']}", file=sys.stderr)
    return run


def median_of(runs: list[dict]) -> dict:
    keys = ("wall_s", "user_s", "sys_s", "tree_peak_rss", "top_peak_rss", "tree_hwm_sum",
            "tree_peak_pss")
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {
        "wall_s_all": [round(r["wall_s"], 3) for r in runs]}


# (name, numerator, denominator, bar, the bar holds when the ratio is ...)
RATIOS = (
    ("to-json / lxml-parse", "to-json", "lxml-parse", 4.0, "<="),
    ("to-md / pandoc", "to-md", "pandoc", 0.5, "<="),
    ("to-md / markdownify", "to-md", "markdownify", 1.3, "<="),
    ("to-epub / to-json", "to-epub", "to-json", 1.5, "<="),
    ("jobs1 / jobs2 (speed-up)", "to-md jobs1", "to-md jobs2", 1.7, ">="),
    # The bar is set at 20,000 posts (--memory measures it there): at 1,000 posts the
    # start-up, the same in both, is most of a no-change run.
    ("rerun / full (to-md)", "to-md rerun", "to-md", None, "<"),
)


def holds(value: float, bar: float, how: str) -> bool:
    return {"<=": value <= bar, ">=": value >= bar, "<": value < bar}[how]


def speed(args: argparse.Namespace, work: Path, result: dict) -> None:
    print(f"generating {args.posts} posts ...", flush=True)
    result["posts_bytes"] = synthetic.write_tree(work / "posts", args.posts, args.seed,
                                                 work / "bodies")
    todo = cases(work, args.posts)
    result["commands"] = {c.name: describe(c.argv(work), work) for c in todo}
    runs: dict[str, list[dict]] = {c.name: [] for c in todo}
    for r in range(args.repeats):  # round-robin, so drift hits every case alike
        for case in todo:
            run = run_case(case, work, args.timeout, str(r))
            runs[case.name].append(run)
            print(f"  [{r + 1}/{args.repeats}] {case.name:16} {run['wall_s']:7.2f} s  "
                  f"{run['tree_peak_rss'] / MB:7.1f} MB", flush=True)
    if not shutil.which("pandoc"):
        print("skipped: no pandoc")
    result["runs"] = runs
    summarise(result)


def summarise(result: dict) -> None:
    """Medians, ratios of median wall times and of median CPU times (user + system of
    the whole tree: ``os.wait4`` counts the workers the top process waited for). CPU
    ratios hardly move with the machine's load; wall ratios do, and only wall time
    shows the speed-up of ``--jobs 2``."""
    posts, runs = result["params"]["posts"], result["runs"]
    med = result["median"] = {name: median_of(rs) for name, rs in runs.items()}
    for name, m in med.items():
        m["posts_per_s"] = posts / m["wall_s"]
        m["cpu_s"] = statistics.median(r["user_s"] + r["sys_s"] for r in runs[name])
        m["load_before"] = statistics.median(r.get("load_before", 0) for r in runs[name])
    result["ratios"] = {}
    print(f"\n{'command':18} {'median s':>9} {'CPU s':>7} {'posts/s':>8} {'tree RSS':>10} "
          f"{'load':>5}  all runs (s)")
    for name, m in med.items():
        print(f"{name:18} {m['wall_s']:9.3f} {m['cpu_s']:7.2f} {m['posts_per_s']:8.0f} "
              f"{m['tree_peak_rss'] / MB:7.1f} MB {m['load_before']:5.1f}  {m['wall_s_all']}")
    print(f"\n{'ratio of medians':26} {'wall':>7} {'CPU':>7}  bar (on wall time)")
    for label, a, b, bar, how in RATIOS:
        if a not in med or b not in med:
            print(f"{label:26} skipped")
            continue
        value = med[a]["wall_s"] / med[b]["wall_s"]
        cpu = med[a]["cpu_s"] / med[b]["cpu_s"]
        if bar is None:
            result["ratios"][label] = {"value": value, "cpu_ratio": cpu}
            print(f"{label:26} {value:7.3f} {cpu:7.3f}  (bar at 20,000 posts: --memory)")
            continue
        ok = holds(value, bar, how)
        result["ratios"][label] = {"value": value, "cpu_ratio": cpu, "bar": f"{how} {bar}",
                                   "meets": ok}
        print(f"{label:26} {value:7.3f} {cpu:7.3f}  {how} {bar}: {'meets' if ok else 'MISSES'}")
    two = runs.get("to-md jobs2", [])
    if two and all("top_own_cpu_s" in r for r in two) and "to-md jobs1" in med:
        # On a loaded machine the wall-time speed-up says little. What the CPU times
        # allow: the main process's own work is serial, the workers' is split over 2 cores.
        top = statistics.median(r["top_own_cpu_s"] for r in two)
        bound = med["to-md jobs1"]["cpu_s"] / max(top, med["to-md jobs2"]["cpu_s"] / 2)
        result["jobs2_cpu_model"] = {"top_own_cpu_s": top, "speedup_bound": bound}
        print(f"to-md --jobs 2: main process's own CPU {top:.2f} s of "
              f"{med['to-md jobs2']['cpu_s']:.2f} s; speed-up on 2 idle cores at most "
              f"{bound:.2f}x (CPU-bound model, not a measurement)")


def memory(args: argparse.Namespace, work: Path, result: dict) -> None:
    result["memory"] = {}
    for size in args.memory_sizes:
        root = work / f"m{size}"
        print(f"generating {size} posts ...", flush=True)
        synthetic.write_tree(root / "posts", size, args.seed)
        p = str(root / "posts")
        (root / "empty-cache").mkdir(exist_ok=True)
        todo = {
            "to-md": [*NEWSCONV, "to-md", p, "-o", str(root / "md")],
            "to-md rerun": [*NEWSCONV, "to-md", p, "-o", str(root / "md")],
            "to-json --lines": [*NEWSCONV, "to-json", p, "--lines", "-o",
                                str(root / "all.jsonl")],
            "to-epub --offline": [*NEWSCONV, "to-epub", p, "-o", str(root / "book.epub"),
                                  "--offline", "--cache-dir", str(root / "empty-cache")],
        }
        for name, argv in todo.items():
            run = run_measured(argv, root / f"{name.split()[0]}-{name[-5:]}.log",
                               args.timeout, root)
            if run["exit_code"]:
                print(f"  {name}: exit {run['exit_code']}\n{run['log_tail']}", file=sys.stderr)
            result["memory"].setdefault(name, {})[str(size)] = run
            mb = {k: run[k] / MB for k in ("tree_peak_rss", "top_peak_rss", "tree_hwm_sum",
                                            "tree_peak_pss")}
            print(f"  {size:6} {name:18} {run['wall_s']:8.2f} s  tree peak "
                  f"{mb['tree_peak_rss']:7.1f} MB (top {mb['top_peak_rss']:.1f}, sum of HWM "
                  f"{mb['tree_hwm_sum']:.1f}, PSS {mb['tree_peak_pss']:.1f}, "
                  f"{run['tree_processes']} procs)", flush=True)
        shutil.rmtree(root)
    small, large = (str(s) for s in (min(args.memory_sizes), max(args.memory_sizes)))
    mem, bars = result["memory"], {}
    print(f"\nmemory, peak RSS summed over the process tree ({small} → {large} posts)")
    for name in ("to-md", "to-json --lines", "to-epub --offline"):
        growth = mem[name][large]["tree_peak_rss"] / mem[name][small]["tree_peak_rss"]
        bars[f"{name} growth"] = {"value": growth, "bar": "<= 1.3", "meets": growth <= 1.3}
        pss = [mem[name][s]["tree_peak_pss"] / MB for s in (small, large)]
        print(f"  {name:18} {mem[name][small]['tree_peak_rss'] / MB:7.1f} MB → "
              f"{mem[name][large]['tree_peak_rss'] / MB:7.1f} MB  ×{growth:.2f}   "
              f"(PSS {pss[0]:.1f} → {pss[1]:.1f} MB)")
    epub = mem["to-epub --offline"][large]["tree_peak_rss"] / MB
    bars["to-epub --offline peak MB"] = {"value": epub, "bar": "< 150", "meets": epub < 150}
    rerun = mem["to-md rerun"][large]["wall_s"] / mem["to-md"][large]["wall_s"]
    bars["to-md rerun / full"] = {"value": rerun, "bar": "< 0.05", "meets": rerun < 0.05}
    for label, bar in bars.items():
        print(f"  {label:28} {bar['value']:8.3f}  {bar['bar']}: "
              f"{'meets' if bar['meets'] else 'MISSES'}")
    result["memory_bars"] = bars


# ----------------------------------------------------------------- main


def machine() -> dict:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    pandoc = shutil.which("pandoc")
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "loadavg": os.getloadavg(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "pandoc": subprocess.run([pandoc, "--version"], capture_output=True, text=True
                                     ).stdout.split("\n")[0] if pandoc else None}


def precompile() -> None:
    """Byte-compile newsconv's own modules, as a regular install has them (pip compiles
    the references' packages when it installs them). An editable install compiles them
    on the first run, unless PYTHONDONTWRITEBYTECODE is set: then every run compiles
    39 modules again, 0.1 s of each measured run."""
    package = Path(__file__).resolve().parent.parent / "convert"
    compileall.compile_dir(str(package), quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000, help="posts (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per command (3)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--memory", action="store_true",
                        help="peak RSS at --memory-sizes posts instead of the speed runs")
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=(1000, 20000),
                        metavar=("SMALL", "LARGE"))
    parser.add_argument("--profile", action="store_true",
                        help="to-json --jobs 1 under cProfile instead of the speed runs")
    parser.add_argument("--top", type=int, default=25, help="functions shown (25)")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--from-json", metavar="FILE",
                        help="print the summary of a speed run saved with --json, run nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        result = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        summarise(result)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False)
                                       + "\n", encoding="utf-8")
        return 0
    if args.posts < 1 or args.repeats < 1:
        parser.error("--posts and --repeats must be >= 1")

    work = Path(args.keep or tempfile.mkdtemp(prefix="newsconv-batch-")).resolve()
    if args.keep:
        for old in ("posts", "bodies"):
            shutil.rmtree(work / old, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": machine(), "params": {
        "posts": args.posts, "repeats": args.repeats, "seed": args.seed,
        "mode": "memory" if args.memory else "profile" if args.profile else "speed"}}
    print(f"machine: {result['machine']}")
    precompile()
    try:
        if args.memory:
            result["params"]["memory_sizes"] = list(args.memory_sizes)
            memory(args, work, result)
        elif args.profile:
            profile(args, work, result)
        else:
            speed(args, work, result)
    finally:
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
