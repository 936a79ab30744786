"""``newsconv profiles``: list the site profiles, or suggest one from a batch of posts.

Command wiring only: the listing is :func:`convert.normalise.profiles.available_profiles`,
the suggestion :mod:`convert.profile_suggest`.
"""

from __future__ import annotations

import typer

from .cli_options import FOLLOW_SYMLINKS, INPUTS, PROFILES
from .conversion_run import EXIT_FAILED, EXIT_OK, EXIT_USAGE

profiles_app = typer.Typer(
    help="List the site profiles: built-in, the user's, and any given with --profile. "
         "'profiles suggest POSTS' proposes a profile for a source's repeating boilerplate.",
    invoke_without_command=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _load(profile: list[str] | None) -> tuple:
    from .normalise.profiles import ProfileError, available_profiles

    try:
        return available_profiles(profile or [])
    except ProfileError as exc:
        typer.echo(f"newsconv: error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@profiles_app.callback()
def profiles(ctx: typer.Context, profile: list[str] | None = PROFILES) -> None:
    """List the site profiles: built-in, the user's, and any given with --profile."""
    if ctx.invoked_subcommand is not None:
        return
    from .normalise.profiles import user_profile_dir

    for p in _load(profile):
        match = ", ".join([*sorted(p.authors), *p.hosts])
        typer.echo(f"{p.name:<10}  {p.origin:<24}  {match}")
        if p.description:
            typer.echo(f"{'':<10}  {p.description}")
    typer.echo(f"(user profiles: {user_profile_dir()}/*.yaml)")


@profiles_app.command("suggest", epilog="Examples:\n\n"
                      "  newsconv profiles suggest posts/\n\n"
                      "  newsconv profiles suggest posts/ --min-share 0.5 > review.yaml")
def suggest(
    inputs: list[str] = INPUTS,
    min_share: float = typer.Option(0.3, "--min-share", min=0.0, max=1.0,
                                    help="Share of a source's posts a block must repeat in."),
    edge: int = typer.Option(3, "--edge", min=1, help="Text blocks looked at at each end."),
    min_posts: int = typer.Option(3, "--min-posts", min=2,
                                  help="Sources with fewer posts are not judged."),
    profile: list[str] | None = PROFILES,
    follow_symlinks: bool = FOLLOW_SYMLINKS,
) -> None:
    """Find text blocks repeating at the head or tail of a source's posts and print a
    site profile (YAML) removing them, for review. Nothing is removed."""
    from .inputs import discover
    from .profile_suggest import format_reports
    from .profile_suggest import suggest as find

    reports, problems = find(discover(inputs, follow_symlinks), _load(profile),
                             min_share, edge, min_posts)
    for problem in problems:
        typer.echo(problem, err=True)
    typer.echo(format_reports(reports, min_share))
    raise typer.Exit(EXIT_FAILED if problems else EXIT_OK)
