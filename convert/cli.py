"""The ``newsconv`` command line: parse options, expand inputs, run the pipeline, report.

No conversion logic lives here; see :mod:`convert.pipeline`. Heavy modules (lxml,
ebooklib, markdownify) are imported inside the commands so ``--version`` and
``--help`` stay fast.

Exit codes: 0 all inputs converted, 1 some inputs failed, 2 usage error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from . import __version__

if TYPE_CHECKING:
    from .exporters import ExportOptions
    from .model import Document
    from .pipeline import Input

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

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

INPUTS = typer.Argument(..., metavar="INPUT...", help="Post files, folders, or - for stdin.",
                        show_default=False)
QUIET = typer.Option(False, "--quiet", "-q", help="Print only errors.")
VERBOSE = typer.Option(False, "--verbose", "-v",
                       help="Also print what cleaning changed in each post.")
PROFILES = typer.Option(None, "--profile", "-p", metavar="FILE",
                        help="A site profile (YAML) to use besides the built-in and the "
                             "user's ones; repeatable.")


class UsageError(Exception):
    """Bad options or arguments: exit code 2."""


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


class _Run:
    """One conversion run: reads inputs, exports, writes, and counts failures."""

    def __init__(self, quiet: bool, verbose: bool, profiles: list[str] | None = None):
        self.profile_files = profiles or []
        self.quiet = quiet
        self.verbose = verbose
        self.failed = 0
        self.written = 0

    def fail(self, message: str) -> None:
        self.failed += 1
        _err(message)

    def report_diagnostics(self, source: Input, doc: Document) -> None:
        if self.quiet:
            return
        for d in doc.diagnostics:
            if d.level in ("warning", "error") or (self.verbose and d.level == "change"):
                count = f" ({d.count}×)" if d.count > 1 else ""
                _err(f"{source.display}: {d.level}: {d.message}{count}")

    def load_all(self, inputs: list[str]) -> list[tuple[Input, Document]]:
        from .normalise.profiles import ProfileError, available_profiles
        from .pipeline import InputError, expand_inputs, load_input

        try:
            profiles = available_profiles(self.profile_files)
        except ProfileError as exc:
            raise UsageError(str(exc)) from None
        loaded = []
        for source in expand_inputs(inputs):
            if isinstance(source, InputError):
                self.fail(str(source))
                continue
            try:
                doc = load_input(source, profiles)
            except InputError as exc:
                self.fail(str(exc))
                continue
            self.report_diagnostics(source, doc)
            loaded.append((source, doc))
        return loaded


def _input_files(sources: list[Input]) -> set[Path]:
    return {s.path.resolve() for s in sources if s.path is not None}


def _write(path: Path, data: bytes, inputs: set[Path]) -> None:
    from .output import atomic_write

    _refuse_input(path, inputs)
    atomic_write(path, data)


def _refuse_input(path: Path, inputs: set[Path]) -> None:
    if path.resolve() in inputs:
        raise OSError(f"{path}: refusing to overwrite an input file")


def _run(inputs: list[str], format_name: str, output: str | None, options: ExportOptions,
         quiet: bool, verbose: bool, profiles: list[str] | None = None,
         stdout_ok: bool = True) -> int:
    from .exporters import UnknownFormatError, get_exporter
    from .output import NameAllocator, atomic_write_with, write_stdout

    try:
        exporter = get_exporter(format_name)(options)
    except UnknownFormatError as exc:
        raise UsageError(str(exc)) from None

    if exporter.collection and output is None and not stdout_ok:
        raise UsageError(f"{format_name} writes one file for all inputs: give -o FILE"
                         f"{exporter.file_extension}")
    if output is not None and output != "-" and exporter.collection and Path(output).is_dir():
        raise UsageError(f"-o {output}: is a folder; give a file name like "
                         f"{Path(output) / ('book' + exporter.file_extension)}")

    run = _Run(quiet, verbose, profiles)
    loaded = run.load_all(inputs)
    sources = [s for s, _ in loaded]
    protected = _input_files(sources)

    if exporter.collection:
        if loaded:
            documents = [d for _, d in loaded]
            try:
                if output is None or output == "-":
                    write_stdout(exporter.export(documents))
                else:
                    _refuse_input(Path(output), protected)
                    # Streamed into a temporary file: big books are never held in memory.
                    atomic_write_with(Path(output), lambda f: exporter.write(documents, f))
                run.written = 1
            except Exception as exc:  # an exporter bug or a full disk: report, exit 1
                run.fail(f"{output or '<stdout>'}: {exc}")
            if not quiet:
                for note in exporter.notes:
                    _err(f"newsconv: {note}")
    else:
        many = len(loaded) + run.failed > 1
        to_stdout = output == "-" or (output is None and not many)
        if output is None and many:
            raise UsageError("several inputs: give -o FOLDER (or -o - for standard output)")
        folder = None
        if not to_stdout:
            target = Path(output)  # type: ignore[arg-type]
            if target.is_dir() or many or output.endswith(("/", os.sep)):  # type: ignore[union-attr]
                folder = target
                folder.mkdir(parents=True, exist_ok=True)
        names = NameAllocator()
        for source, doc in loaded:
            try:
                data = exporter.export([doc])
                if to_stdout:
                    write_stdout(data)
                elif folder is not None:
                    stem = Path(doc.origin or source.display).stem or "post"
                    name = names.allocate(stem, exporter.file_extension)
                    _write(folder / name, data, protected)
                else:
                    _write(Path(output), data, protected)  # type: ignore[arg-type]
                run.written += 1
            except Exception as exc:
                run.fail(f"{source.display}: {exc}")

    if not quiet:
        where = "standard output" if output in (None, "-") else output
        total = len(loaded) + run.failed - (1 if exporter.collection and run.written == 0
                                            and loaded else 0)
        failed = f", {run.failed} failed" if run.failed else ""
        _err(f"newsconv: {len(loaded)} of {max(total, len(loaded))} inputs converted "
             f"to {exporter.name} → {where}{failed}")
    return EXIT_FAILED if run.failed else EXIT_OK


def _guarded(fn, *args, **kwargs) -> None:  # noqa: ANN001 - thin wrapper
    try:
        code = fn(*args, **kwargs)
    except UsageError as exc:
        _err(f"newsconv: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        _err("newsconv: interrupted")
        raise typer.Exit(130) from None
    raise typer.Exit(code)


def _options(title: str | None = None, author: str | None = None, lang: str | None = None,
             lines: bool = False, **book: object) -> ExportOptions:
    from .exporters import ExportOptions

    return ExportOptions(title=title, author=author, lang=lang, lines=lines, **book)


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
) -> None:
    """Convert posts to Markdown with YAML front matter."""
    _guarded(_run, inputs, "markdown", output, _options(), quiet, verbose, profile)


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
) -> None:
    """Convert posts to the document model as JSON."""
    _guarded(_run, inputs, "json", output, _options(lines=lines), quiet, verbose, profile)


@app.command("to-epub", epilog="Examples:\n\n"
             "  newsconv to-epub posts/ -o news.epub\n\n"
             "  newsconv to-epub a.md b.md -o digest.epub --title Digest --lang zh-Hans\n\n"
             "  newsconv to-epub posts/ -o news.epub --offline --group-by date --sort date")
def to_epub(
    inputs: list[str] = INPUTS,
    output: str = typer.Option(..., "--output", "-o", metavar="BOOK.epub",
                               help="The book to write (- for standard output)."),
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
    quiet: bool = QUIET,
    verbose: bool = VERBOSE,
    profile: list[str] | None = PROFILES,
) -> None:
    """Convert posts to one EPUB 3 book, one chapter per post, images embedded."""
    from .exporters.epub import GROUPINGS, SORTS

    if group_by != "auto" and group_by not in GROUPINGS:
        _err(f"newsconv: error: --group-by {group_by}: use one of auto, {', '.join(GROUPINGS)}")
        raise typer.Exit(EXIT_USAGE)
    if sort not in SORTS:
        _err(f"newsconv: error: --sort {sort}: use one of {', '.join(SORTS)}")
        raise typer.Exit(EXIT_USAGE)
    options = _options(title, author, lang, cover=cover,
                       group_by=None if group_by == "auto" else group_by, sort=sort,
                       offline=offline, cache_dir=cache_dir,
                       allow_private_hosts=allow_private_hosts, fetch_timeout=fetch_timeout,
                       extra={"verbose": verbose})
    _guarded(_run, inputs, "epub", output, options, quiet, verbose, profile, stdout_ok=False)


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
) -> None:
    """Convert posts with any registered exporter, built-in or from a plug-in."""
    _guarded(_run, inputs, to, output, _options(title, author, lang, lines), quiet, verbose,
             profile)


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


@app.command("profiles")
def profiles(
    profile: list[str] | None = PROFILES,
) -> None:
    """List the site profiles: built-in, the user's, and any given with --profile."""
    from .normalise.profiles import ProfileError, available_profiles, user_profile_dir

    try:
        found = available_profiles(profile or [])
    except ProfileError as exc:
        _err(f"newsconv: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    for p in found:
        match = ", ".join([*sorted(p.authors), *p.hosts])
        typer.echo(f"{p.name:<10}  {p.origin:<24}  {match}")
        if p.description:
            typer.echo(f"{'':<10}  {p.description}")
    typer.echo(f"(user profiles: {user_profile_dir()}/*.yaml)")


@app.command("check", epilog="Examples:\n\n"
             "  newsconv check posts/\n\n"
             "  newsconv check post.md --json | jq '.[].warnings'")
def check(
    inputs: list[str] = INPUTS,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON report for all posts."),
    profile: list[str] | None = PROFILES,
) -> None:
    """Report per post what cleaning removed and the problems found.

    Exit 1 when a post has errors (unreadable, or nothing left to convert).
    """
    _guarded(_check, inputs, as_json, profile)


def _check(inputs: list[str], as_json: bool, profiles: list[str] | None) -> int:
    import json

    from .check import check_document, format_report

    run = _Run(quiet=True, verbose=False, profiles=profiles)
    reports = []
    for source, doc in run.load_all(inputs):
        report = {"path": source.display, **check_document(doc)}
        reports.append(report)
        if report["errors"]:
            run.failed += 1
        if not as_json:
            typer.echo(format_report(source.display, report))
    if as_json:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
    return EXIT_FAILED if run.failed else EXIT_OK


def main() -> None:
    """Console-script entry point."""
    app(prog_name="newsconv")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
