"""The normaliser: the only part that knows HTML soup.

It parses the body, runs the ordered cleaning :data:`~convert.normalise.steps.STEPS`,
flattens nesting deeper than :data:`~convert.normalise.depth.MAX_DEPTH` (keeping the text,
with a warning), builds model blocks and normalises the metadata into a
:class:`~convert.model.Document`. Every pass is linear in the size of the body.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import PurePath

from ..model import Block, Diagnostic, Document, Heading, Rule, inline_text
from ..reader import RawPost
from .build import Builder, plain_text
from .depth import MAX_DEPTH, flatten_deep_nesting
from .html import parse_body
from .metadata import normalise_metadata
from .profiles import SiteProfile, available_profiles
from .steps import STEPS, Step, StepContext

__all__ = ["normalise", "STEPS", "default_profiles"]


@lru_cache(maxsize=1)
def default_profiles() -> tuple[SiteProfile, ...]:
    """The built-in site profiles and the user's, loaded once."""
    return available_profiles()


def _post_url(metadata: dict) -> str | None:
    """The post's own web address, when the front matter gives one."""
    for key in ("link", "url", "permalink", "source_url"):
        value = metadata.get(key)
        if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
            return value.strip()
    return None


def trim_edge_rules(blocks: list[Block]) -> int:
    """Drop rules that open or close the post (Mastodon posts start with ``<hr>``): they
    separate nothing. Returns how many went."""
    count = 0
    while blocks and isinstance(blocks[0], Rule):
        blocks.pop(0)
        count += 1
    while blocks and isinstance(blocks[-1], Rule):
        blocks.pop()
        count += 1
    return count


def normalise(raw: RawPost, origin: str | None = None, steps: Sequence[Step] = STEPS,
              profiles: Sequence[SiteProfile] | None = None) -> Document:
    """Build a clean :class:`Document` from a post as the reader returned it.

    ``profiles`` are the site profiles to try; by default the built-in and the user's.
    """
    if profiles is None:
        profiles = default_profiles()
    ctx = StepContext(metadata=dict(raw.metadata), profiles=profiles,
                      base_url=_post_url(raw.metadata))
    root = parse_body(raw.body)
    for step in steps:
        step(root, ctx)
    flattened = flatten_deep_nesting(root)
    if flattened:
        ctx.diagnostics.append(Diagnostic(
            "warning", "build", f"HTML nested deeper than {MAX_DEPTH} levels: elements "
            "below that depth flattened (text kept; lists, quotes, tables and formatting "
            "there lost their nesting)", flattened))
    builder = Builder()
    blocks = builder.build(root)
    if builder.refused:
        # The refused address itself is not quoted: no output carries it, not even a note.
        ctx.diagnostics.append(Diagnostic(
            "change", "safe_links", "removed link addresses that are not http, https, "
            "mailto or relative (they could run a script); their text is kept",
            len(builder.refused)))

    trimmed = trim_edge_rules(blocks)
    if trimmed:
        ctx.report("build", "removed horizontal rules at the start or end of the post",
                   trimmed)
    text = plain_text(blocks)
    title_hint = str(raw.metadata.get("title") or "")
    metadata, meta_diagnostics = normalise_metadata(raw.metadata, f"{title_hint}\n{text}",
                                                    ctx.https_hosts or frozenset(),
                                                    ctx.profile_lang)
    diagnostics: list[Diagnostic] = [*raw.diagnostics, *meta_diagnostics, *ctx.diagnostics]

    if ctx.source_url and "source_url" not in metadata.extra:
        metadata.extra["source_url"] = ctx.source_url
    if not metadata.title:
        heading = next((b for b in blocks if isinstance(b, Heading)), None)
        fallback = inline_text(heading.children).strip() if heading else ""
        if not fallback and origin:
            fallback = PurePath(origin).stem
        metadata.title = fallback
        diagnostics.append(Diagnostic("warning", "metadata", "post has no title; using "
                                      f"{fallback!r}" if fallback else "post has no title"))
    if not blocks:
        diagnostics.append(Diagnostic("warning", "build", "post body is empty"))
    return Document(metadata, blocks, diagnostics, origin)
