"""The ``newsconv`` command line: parse options, expand inputs, run the pipeline, report.

No conversion logic lives here; see :mod:`convert.pipeline`. Heavy modules (lxml,
ebooklib, markdownify) are imported inside the commands so ``--version`` and
``--help`` stay fast.

Exit codes: 0 all inputs converted, 1 some inputs failed, 2 usage error.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from . import __version__
from .cli_epub import COVER_FONT, DEVICE, KEEP_IMAGE_FORMATS, MAX_IMAGE_SIZE, epub_options
from .cli_options import (
    CATEGORY,
    FOLLOW_SYMLINKS,
    FORCE,
    INPUTS,
    JOBS,
    KEEP_DUPLICATES,
    KEEP_UNDATED,
    MAX_INPUT_SIZE,
    POST_TIMEOUT,
    PROFILES,
    PRUNE,
    QUIET,
    SINCE,
    SOURCE,
    UNTIL,
    VERBOSE,
    run_settings,
)
from .cli_profiles import profiles_app
from .conversion_run import EXIT_FAILED, EXIT_OK, EXIT_USAGE, RunSettings, UsageError

if TYPE_CHECKING:
    from .conversion_run import ConversionRun
    from .exporters import ExportOptions

app = typer.Typer(
    name="newsconv",
    help="Turn scraped front-matter HTML posts into clean Markdown, EPUB books and JSON.\n\n"
         "INPUT is a post file (.md, .markdown, .html, .htm), a document saved by to-json "
         "(.json), a folder (searched recursively for posts) or - for stdin.\n\n"
         "Exit codes: 0 all inputs converted, 1 some inputs failed, 2 usage error.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.add_typer(profiles_app, name="profiles")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newsconv {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """newsconv: scraped posts to Markdown, EPUB and JSON."""


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _run(inputs: list[str], format_name: str, output: str | None, options: ExportOptions,
         settings: Callable[[], RunSettings], stdout_ok: bool = True) -> int:
    from .conversion_run import make_exporter, run_conversion

    return run_conversion(inputs, make_exporter(format_name, options), output, settings(),
                          stdout_ok)


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM (cron's timeout, systemd) ends the run like Ctrl-C: temporary files are
    # removed on the way out and workers are stopped.
    raise _Terminated


class _Terminated(Exception):
    pass


def _guarded(fn, *args, **kwargs) -> None:  # noqa: ANN001 - thin wrapper
    from .output import OutputError

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        code = fn(*args, **kwargs)
    except UsageError as exc:
        _err(f"newsconv: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except OutputError as exc:
        _err(f"newsconv: error: {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        _err("newsconv: interrupted")
        raise typer.Exit(130) from None
    except _Terminated:
        _err("newsconv: terminated")
        raise typer.Exit(143) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    raise typer.Exit(code)


def _options(title: str | None = None, author: str | None = None, lang: str | None = None,
             lines: bool = False) -> ExportOptions:
    """The options every exporter shares (an exporter with options of its own turns
    them into its ``options_class``; ``to-epub`` builds EpubOptions itself)."""
    from .exporters import ExportOptions

    return ExportOptions(title=title, author=author, lang=lang, lines=lines)


@app.command("to-md", epilog="Examples:\n\n"
             "  newsconv to-md post.md                 # to standard output\n\n"
             "  newsconv to-md posts/ -o out/          # one .md per post\n\n"
             "  cat post.html | newsconv to-md - -o post.md")
def to_md(
    inputs: list[str] = INPUTS,
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="DIR|FILE|-",
        help="Folder for one file per post, a file (one input), or - for standard output. "
             "Default: standard output for one input."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
    profile: list[str] | None = PROFILES,
    jobs: int | None = JOBS,
    post_timeout: float = POST_TIMEOUT,
    max_input_size: str = MAX_INPUT_SIZE,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    category: list[str] | None = CATEGORY,
    source: list[str] | None = SOURCE,
    keep_undated: bool = KEEP_UNDATED,
    follow_symlinks: bool = FOLLOW_SYMLINKS,
    force: bool = FORCE,
    prune: bool = PRUNE,
) -> None:
    """Convert posts to Markdown with YAML front matter."""
    _guarded(_run, inputs, "markdown", output, _options(),
             partial(run_settings, dict(locals())))


@app.command("to-json", epilog="Examples:\n\n"
             "  newsconv to-json post.md -o post.json\n\n"
             "  newsconv to-json posts/ --lines > posts.jsonl")
def to_json(
    inputs: list[str] = INPUTS,
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="DIR|FILE|-",
        help="Folder for one file per post, a file, or - for standard output. "
             "Default: standard output for one input or with --lines."),
    lines: bool = typer.Option(False, "--lines", help="Write JSON Lines: one document a line."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
    profile: list[str] | None = PROFILES,
    jobs: int | None = JOBS,
    post_timeout: float = POST_TIMEOUT,
    max_input_size: str = MAX_INPUT_SIZE,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    category: list[str] | None = CATEGORY,
    source: list[str] | None = SOURCE,
    keep_undated: bool = KEEP_UNDATED,
    keep_duplicates: bool = KEEP_DUPLICATES,
    follow_symlinks: bool = FOLLOW_SYMLINKS,
    force: bool = FORCE,
    prune: bool = PRUNE,
) -> None:
    """Convert posts to the document model as JSON."""
    _guarded(_run, inputs, "json", output, _options(lines=lines),
             partial(run_settings, dict(locals())))


@app.command("to-epub", epilog="Examples:\n\n"
             "  newsconv to-epub posts/ -o news.epub\n\n"
             "  newsconv to-epub a.md b.md -o digest.epub --title Digest --lang zh-Hans\n\n"
             "  newsconv to-epub posts/ -o news.epub --offline --group-by date --sort date")
def to_epub(
    inputs: list[str] = INPUTS,
    output: str = typer.Option(..., "--output", "-o", metavar="BOOK.epub",
                               help="The book to write (- for standard output), or the "
                                    "folder for --split-by."),
    title: str | None = typer.Option(None, help="Book title. Default: from the posts."),
    author: str | None = typer.Option(None, help="Book author. Default: the posts' authors."),
    lang: str | None = typer.Option(
        None, help="Book language (BCP 47). Default: the posts' most common language."),
    cover: str | None = typer.Option(
        None, metavar="FILE|URL",
        help="Cover image. Default: the first real post cover, else a generated one."),
    group_by: str = typer.Option(
        "auto", "--group-by", metavar="source|category|date|none|auto",
        help="Group the table of contents. auto: by source when the posts come from "
             "several, flat otherwise."),
    sort: str = typer.Option("input", metavar="input|date|title",
                             help="Chapter order (date: oldest first)."),
    offline: bool = typer.Option(False, help="Embed only images already in the cache; "
                                             "the others become links."),
    cache_dir: Path | None = typer.Option(
        None, metavar="DIR", help="Image cache. Default: the user cache dir."),
    allow_private_hosts: bool = typer.Option(
        False, help="Let the image fetcher reach private, loopback and link-local hosts."),
    fetch_timeout: float = typer.Option(
        120.0, min=0.1, metavar="SECONDS",
        help="Time for all of the book's image downloads; images not fetched by then "
             "become links."),
    device: str = DEVICE,
    keep_image_formats: bool = KEEP_IMAGE_FORMATS,
    max_image_size: str | None = MAX_IMAGE_SIZE,
    cover_font: str | None = COVER_FONT,
    split_by: str | None = typer.Option(
        None, "--split-by", metavar="source|category|month|year",
        help="One book per source, category, month or year in the -o FOLDER, each titled "
             "after its group."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
    profile: list[str] | None = PROFILES,
    jobs: int | None = JOBS,
    post_timeout: float = POST_TIMEOUT,
    max_input_size: str = MAX_INPUT_SIZE,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    category: list[str] | None = CATEGORY,
    source: list[str] | None = SOURCE,
    keep_undated: bool = KEEP_UNDATED,
    keep_duplicates: bool = KEEP_DUPLICATES,
    follow_symlinks: bool = FOLLOW_SYMLINKS,
) -> None:
    """Convert posts to one EPUB 3 book, one chapter per post, images embedded."""
    params = dict(locals())
    from .progress import wanted as progress_wanted

    _guarded(lambda: _run(inputs, "epub", output,
                          epub_options(params, progress_wanted(quiet)),
                          partial(run_settings, params), stdout_ok=False))


@app.command("convert", epilog="Examples:\n\n"
             "  newsconv convert --to markdown posts/ -o out/\n\n"
             "  newsconv convert --to epub posts/ -o news.epub")
def convert(
    inputs: list[str] = INPUTS,
    to: str = typer.Option(..., "--to", "-t", metavar="NAME",
                           help="A registered format (see `newsconv formats`)."),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="DIR|FILE|-", help="Where to write (as in to-md)."),
    title: str | None = typer.Option(None, help="Title, for formats that use one."),
    author: str | None = typer.Option(None, help="Author, for formats that use one."),
    lang: str | None = typer.Option(None, help="Language, for formats that use one."),
    lines: bool = typer.Option(False, "--lines", help="JSON Lines, for formats that stream."),
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
    profile: list[str] | None = PROFILES,
    jobs: int | None = JOBS,
    post_timeout: float = POST_TIMEOUT,
    max_input_size: str = MAX_INPUT_SIZE,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    category: list[str] | None = CATEGORY,
    source: list[str] | None = SOURCE,
    keep_undated: bool = KEEP_UNDATED,
    keep_duplicates: bool = KEEP_DUPLICATES,
    follow_symlinks: bool = FOLLOW_SYMLINKS,
    force: bool = FORCE,
    prune: bool = PRUNE,
) -> None:
    """Convert posts with any registered exporter, built-in or from a plug-in."""
    _guarded(_run, inputs, to, output, _options(title, author, lang, lines),
             partial(run_settings, dict(locals())))


@app.command("formats")
def formats() -> None:
    """List the registered output formats: name, file extension, media type."""
    from .exporters import exporter_entry_points, get_exporter

    rows = []
    for name, ep in exporter_entry_points().items():
        try:
            cls = get_exporter(name)
            rows.append((name, cls.file_extension, cls.media_type, cls.description))
        except Exception as exc:  # a broken plug-in must not hide the others
            rows.append((name, "?", "?", f"cannot load {ep.value}: {exc}"))
    width = max((len(r[0]) for r in rows), default=4)
    for name, ext, media, desc in rows:
        typer.echo(f"{name:<{width}}  {ext:<6}  {media:<22}  {desc}")


@app.command("check", epilog="Examples:\n\n"
             "  newsconv check posts/\n\n"
             "  newsconv check post.md --json | jq '.[].warnings'")
def check(
    inputs: list[str] = INPUTS,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON report for all posts."),
    profile: list[str] | None = PROFILES,
    jobs: int | None = JOBS,
    post_timeout: float = POST_TIMEOUT,
    max_input_size: str = MAX_INPUT_SIZE,
    since: str | None = SINCE,
    until: str | None = UNTIL,
    category: list[str] | None = CATEGORY,
    source: list[str] | None = SOURCE,
    keep_undated: bool = KEEP_UNDATED,
    keep_duplicates: bool = KEEP_DUPLICATES,
    follow_symlinks: bool = FOLLOW_SYMLINKS,
) -> None:
    """Report per post what cleaning removed and the problems found.

    Exit 1 when a post has errors (unreadable, or nothing left to convert).
    """
    _guarded(_check, inputs, as_json,
             partial(run_settings, {**locals(), "quiet": True}))


def _check(inputs: list[str], as_json: bool, settings: Callable[[], RunSettings]) -> int:
    from .conversion_run import ConversionRun

    run = ConversionRun(settings())
    run.start(run.job(None, identify=True))
    try:
        return _check_reports(run, inputs, as_json)
    finally:
        run.close()


def _check_reports(run: ConversionRun, inputs: list[str], as_json: bool) -> int:
    import json

    from .check import check_document, format_report

    reports = []
    sources = run.discover(inputs)
    seen: dict[str, str] = {}
    for _, source, outcome in run.outcomes(sources):
        report = {"path": source.display, **check_document(outcome.document)}
        earlier = next((seen[k] for k in outcome.identities if k in seen), None)
        for key in outcome.identities:
            seen.setdefault(key, source.display)
        report["duplicate_of"] = earlier
        reports.append(report)
        if report["errors"]:
            run.failed += 1
        if not as_json:
            typer.echo(format_report(source.display, report))
            if earlier:
                typer.echo(f"{source.display}: duplicate of {earlier}")
    if as_json:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
    return EXIT_FAILED if run.failed else EXIT_OK


def main() -> None:
    """Console-script entry point."""
    app(prog_name="newsconv")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
