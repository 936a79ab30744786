"""Plant each mutation of ``mutations.py`` in a copy of the repository, one at a time,
and run each of its test files there alone: which files kill which mutation.

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python tests/mutation/run.py                 # every mutation
    .venv/bin/python tests/mutation/run.py ssrf zip-times  # some of them
    .venv/bin/python tests/mutation/run.py --baseline      # unmutated copy first

The working tree is never touched: the copy lives in a temporary folder, and its own
``convert/`` is the one imported (``PYTHONPATH`` and the working directory point at it).
Prints a Markdown table (mutation × test file: killed / SURVIVED) and exits 1 when a
mutation survives a file that is listed as killing it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutations import MUTATIONS, Mutation  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# What a test run needs; the virtualenv and caches stay behind.
_COPIED = ("convert", "tests", "examples", "pyproject.toml", "README.md")


def copy_repository(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis", "*.pyc")
    for name in _COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def _evidence(output: str) -> str:
    """The first failing test of a pytest run (its short summary line), else its end."""
    failed = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return failed[0][:160] if failed else " / ".join(output.strip().splitlines()[-3:])[:300]


def run_tests(copy: Path, test_file: str, timeout: int) -> tuple[str, float]:
    """``killed``, ``survived`` or ``timeout`` (with the failing test), and the seconds
    it took."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("NEWSCONV_UPDATE_GOLDEN", None)
    start = time.monotonic()
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                              f"tests/{test_file}"], cwd=copy, env=env, capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start
    seconds = time.monotonic() - start
    if run.returncode == 0:
        return "survived", seconds
    if run.returncode == 1:
        return f"killed: {_evidence(run.stdout)}", seconds
    # a collection or usage error is no kill
    return f"error (exit {run.returncode}): {_evidence(run.stdout + run.stderr)}", seconds


def apply(copy: Path, mutation: Mutation) -> str | None:
    """Plant the mutation; returns the file's original text, or None if it is stale."""
    path = copy / mutation.file
    text = path.read_text(encoding="utf-8")
    if text.count(mutation.original) != 1:
        return None
    path.write_text(text.replace(mutation.original, mutation.replacement), encoding="utf-8")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*", help="mutation ids (default: all)")
    parser.add_argument("--baseline", action="store_true",
                        help="first run every listed test file on the unmutated copy")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per test file")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.ids or m.id in args.ids]
    unknown = set(args.ids) - {m.id for m in MUTATIONS}
    if unknown:
        parser.error(f"unknown mutation ids: {', '.join(sorted(unknown))}")

    rows, failed = [], False
    with tempfile.TemporaryDirectory(prefix="newsconv-mutation-") as tmp:
        copy = Path(tmp)
        copy_repository(copy)
        if args.baseline:
            for test_file in sorted({t for m in chosen for t in m.tests}):
                result, seconds = run_tests(copy, test_file, args.timeout)
                print(f"baseline {test_file}: {result} ({seconds:.0f} s)", flush=True)
                if result != "survived":  # the unmutated code must pass
                    failed = True
        for mutation in chosen:
            original = apply(copy, mutation)
            if original is None:
                print(f"{mutation.id}: STALE (original text not found once in "
                      f"{mutation.file})", flush=True)
                rows.append((mutation, "-", "stale", 0.0))
                failed = True
                continue
            try:
                for test_file in mutation.tests:
                    result, seconds = run_tests(copy, test_file, args.timeout)
                    print(f"{mutation.id} × {test_file}: {result} ({seconds:.0f} s)", flush=True)
                    rows.append((mutation, test_file, result, seconds))
                    failed |= not result.startswith("killed")
            finally:
                (copy / mutation.file).write_text(original, encoding="utf-8")

    print("\n| mutation | test file | result | seconds |\n| --- | --- | --- | --- |")
    for mutation, test_file, result, seconds in rows:
        shown = result if result.startswith("killed") else f"**{result.upper()}**"
        print(f"| {mutation.id} | {test_file} | {shown} | {seconds:.0f} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
