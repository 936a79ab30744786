"""The options that every converting command shares, and the run settings they make.

Declared once here so that ``to-md``, ``to-json``, ``to-epub``, ``convert`` and ``check``
spell and explain them alike.
"""

from __future__ import annotations

import re
from typing import Any

import typer

from .conversion_run import RunSettings, UsageError

INPUTS = typer.Argument(..., metavar="INPUT...", help="Post files, folders, or - for stdin.",
                        show_default=False)
QUIET = typer.Option(False, "--quiet", "-q", help="Print only errors.")
VERBOSE = typer.Option(False, "--verbose", "-v",
                       help="Also print what cleaning changed in each post.")
PROFILES = typer.Option(None, "--profile", "-p", metavar="FILE",
                        help="A site profile (YAML) to use besides the built-in and the "
                             "user's ones; repeatable.")
JOBS = typer.Option(None, "--jobs", "-j", metavar="N", show_default=False,
                    help="Convert N posts at a time in worker processes. Default: the "
                         "number of CPUs. 1 converts in this process, for debugging "
                         "(--post-timeout then cannot stop every hang).")
POST_TIMEOUT = typer.Option(60.0, "--post-timeout", metavar="SECONDS",
                            help="Skip a post that takes longer than this to convert "
                                 "(0: no limit).")
MAX_INPUT_SIZE = typer.Option("20M", "--max-input-size", metavar="SIZE",
                              help="Refuse inputs larger than this (e.g. 500K, 20M, 1G; "
                                   "0: no limit).")
FORCE = typer.Option(False, "--force",
                     help="Convert every input again, even those whose output in the -o "
                          "folder is up to date.")
PRUNE = typer.Option(False, "--prune",
                     help="Remove outputs in the -o folder whose input is gone.")
SINCE = typer.Option(None, "--since", metavar="DATE",
                     help="Only posts from this date on: 2021-11-07, 2021-11-07T08:00, or a "
                          "time ago like 7d, 2w, 12h.")
UNTIL = typer.Option(None, "--until", metavar="DATE",
                     help="Only posts up to this date (a bare date includes the whole day).")
CATEGORY = typer.Option(None, "--category", metavar="NAME",
                        help="Only posts in this category; repeatable.")
SOURCE = typer.Option(None, "--source", metavar="NAME",
                      help="Only posts from this source (site); repeatable.")
KEEP_UNDATED = typer.Option(False, "--keep-undated",
                            help="Keep posts without a date when --since/--until select.")
KEEP_DUPLICATES = typer.Option(False, "--keep-duplicates",
                               help="Keep every copy of an article (same address, or same "
                                    "title and text) in a book or JSON Lines stream.")
FOLLOW_SYMLINKS = typer.Option(False, "--follow-symlinks",
                               help="Read symbolic links in input folders that lead out of "
                                    "the folder (skipped by default).")



def parse_size(text: str) -> int | None:
    """``20M``, ``500K``, ``1G`` or a number of bytes; ``0``/``none`` for no limit."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*", text.lower())
    if text.strip().lower() in ("0", "none", "unlimited"):
        return None
    if not match:
        raise UsageError(f"--max-input-size {text}: give a size like 20M, 500K or 1G")
    factor = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[match.group(2)]
    return int(float(match.group(1)) * factor)


def run_settings(params: dict[str, Any]) -> RunSettings:
    """The run settings from a command's parameters (those it has; defaults for others)."""
    from datetime import datetime, timezone

    from .batch import default_jobs
    from .selection import Selection, SelectionError, parse_when

    jobs = params.get("jobs")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: give 1 or more")
    post_timeout = params.get("post_timeout", 60.0)
    if post_timeout < 0:
        raise UsageError(f"--post-timeout {post_timeout:g}: give 0 (no limit) or more seconds")
    now = datetime.now(timezone.utc)
    try:
        since = params.get("since") and parse_when(params["since"], "--since", now)
        until = params.get("until") and parse_when(params["until"], "--until", now,
                                                   end_of_day=True)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    selection = Selection(since or None, until or None, tuple(params.get("category") or ()),
                          tuple(params.get("source") or ()), params.get("keep_undated", False))
    return RunSettings(
        quiet=params.get("quiet", False), verbose=params.get("verbose", False),
        profile_files=tuple(params.get("profile") or ()),
        jobs=jobs or default_jobs(), processes=jobs != 1, post_timeout=post_timeout or None,
        max_input_size=parse_size(params.get("max_input_size", "20M")),
        follow_symlinks=params.get("follow_symlinks", False),
        force=params.get("force", False), prune=params.get("prune", False),
        selection=selection, keep_duplicates=params.get("keep_duplicates", False),
        split_by=params.get("split_by"))


