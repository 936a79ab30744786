"""Find a source's boilerplate: text blocks repeating at the head or tail of its posts.

``newsconv profiles suggest posts/`` cleans every post as a conversion would (with the
site profiles in force), takes the first and last few text blocks of each, and counts
per source (front matter ``source``/``site``, the author that is also a category, or
the post's folder) in how many posts each block appears. Blocks in at least a share of
that source's posts (30% by default) are shown with their counts, and a site profile
that removes them is printed for the user to review and save. Nothing is removed here.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .inputs import DEFAULT_MAX_INPUT_SIZE, Input, InputError, Skipped, markup_problem
from .model import Metadata
from .normalise.calltoaction import block_leaves
from .normalise.html import parse_body
from .normalise.metadata import normalise_metadata
from .normalise.profiles import SiteProfile
from .normalise.steps import STEPS, StepContext
from .reader import ReadError, read_post

#: Blocks longer than this are article text, not boilerplate.
MAX_BLOCK_CHARS = 300


@dataclass
class Repeated:
    """A text block found at one edge of ``count`` of a source's posts."""

    text: str
    edge: str  # "head" or "tail"
    count: int
    selector: str | None  # the element's class or id, when it has one
    single_piece: bool  # the block's text is one text piece: remove_text can take it


@dataclass
class SourceReport:
    source: str
    posts: int
    repeated: list[Repeated]
    match: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Block:
    text: str
    selector: str | None
    single_piece: bool


def _selector(el: object) -> str | None:
    element_id = (el.get("id") or "").strip()  # type: ignore[attr-defined]
    if element_id and re.fullmatch(r"[A-Za-z][\w-]*", element_id):
        return f"#{element_id}"
    classes = [c for c in (el.get("class") or "").split()  # type: ignore[attr-defined]
               if re.fullmatch(r"-?[A-Za-z_][\w-]*", c)]
    return f"{el.tag}.{classes[0]}" if classes else None  # type: ignore[attr-defined]


def edge_blocks(body: str, metadata: dict, profiles: Sequence[SiteProfile], edge: int
                ) -> tuple[list[_Block], list[_Block], set[str]]:
    """The first and last ``edge`` text blocks of a cleaned body, and its image hosts."""
    root = parse_body(body)
    ctx = StepContext(metadata=dict(metadata), profiles=profiles)
    for step in STEPS:
        step(root, ctx)
    blocks = []
    for leaf in block_leaves(root):
        if leaf.stray or not leaf.text or len(leaf.text) > MAX_BLOCK_CHARS:
            continue
        pieces = [t for t in leaf.el.itertext() if t.strip()]
        blocks.append(_Block(leaf.text, _selector(leaf.el), len(pieces) == 1))
    hosts = {src.split("/")[2].lower() for img in root.iter("img")
             for src in [img.get("src") or ""] if src.startswith(("http://", "https://"))
             and len(src.split("/")) > 2}
    return blocks[:edge], blocks[-edge:] if len(blocks) > edge else [], hosts


def _source(metadata: Metadata, path: str | None) -> str:
    if metadata.source:
        return metadata.source
    return Path(path).parent.name if path else "<stdin>"


def suggest(sources: Iterable[Input | InputError | Skipped], profiles: Sequence[SiteProfile],
            min_share: float = 0.3, edge: int = 3, min_posts: int = 3
            ) -> tuple[list[SourceReport], list[str]]:
    """Repeated edge blocks per source, and one line per input that could not be read."""
    posts: Counter[str] = Counter()
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    found: dict[tuple[str, str, str], _Block] = {}
    authors: dict[str, Counter[str]] = defaultdict(Counter)
    categories: dict[str, Counter[str]] = defaultdict(Counter)
    hosts: dict[str, Counter[str]] = defaultdict(Counter)
    problems: list[str] = []
    for item in sources:
        if isinstance(item, InputError):
            problems.append(str(item))
            continue
        if not isinstance(item, Input) or item.name.lower().endswith(".json"):
            continue
        try:
            raw = read_post(item.read_bytes(DEFAULT_MAX_INPUT_SIZE))
        except InputError as exc:
            problems.append(str(exc))  # "path: problem" already
            continue
        except ReadError as exc:
            problems.append(f"{item.display}: {exc}")
            continue
        problem = markup_problem(raw.body.count("<"), DEFAULT_MAX_INPUT_SIZE)
        if problem:  # the same bound as converting (its tree costs as much memory)
            problems.append(f"{item.display}: {problem}")
            continue
        metadata, _ = normalise_metadata(raw.metadata, "")
        source = _source(metadata, item.file)
        posts[source] += 1
        authors[source].update(set(metadata.authors))
        categories[source].update(set(metadata.categories))
        head, tail, post_hosts = edge_blocks(raw.body, raw.metadata, profiles, edge)
        hosts[source].update(post_hosts)
        for where, blocks in (("head", head), ("tail", tail)):
            for text in {b.text for b in blocks}:
                seen[(source, where, text)] += 1
            for block in blocks:
                found.setdefault((source, where, block.text), block)
    by_source: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for (s, where, text), count in seen.items():  # one pass, not one per source
        if count >= 2:
            by_source[s].append((where, text, count))
    reports = []
    for source, total in sorted(posts.items()):
        if total < min_posts:
            continue
        repeated = [Repeated(text, where, count, found[(source, where, text)].selector,
                             found[(source, where, text)].single_piece)
                    for where, text, count in by_source.get(source, ())
                    if count >= min_share * total]
        if not repeated:
            continue
        repeated.sort(key=lambda r: (-r.count, r.edge, r.text))
        reports.append(SourceReport(source, total, repeated, _match(
            source, total, authors[source], categories[source], hosts[source])))
    return reports, problems


def _match(source: str, total: int, authors: Counter[str], categories: Counter[str],
           hosts: Counter[str]) -> dict[str, list[str]]:
    """What selects the source's posts: the author or category naming it, or its hosts."""
    if authors.get(source) == total:
        return {"authors": [source]}
    if categories.get(source) == total:
        return {"categories": [source]}
    common = [h for h, n in hosts.most_common(3) if n * 2 >= total]
    return {"hosts": common} if common else {}


def _slug(source: str) -> str:
    slug = re.sub(r"[\W_]+", "-", source.lower()).strip("-")
    return slug or "site"


def profile_yaml(report: SourceReport) -> str:
    """A site profile removing the report's blocks, in the format of
    ``convert/profiles/*.yaml`` (see :mod:`convert.normalise.profiles`)."""
    remove_text = []
    remove = []
    for item in report.repeated:
        if item.single_piece:
            remove_text.append(r"\s+".join(re.escape(w) for w in item.text.split()))
        elif item.selector:
            remove.append(item.selector)
    data: dict[str, object] = {
        "name": f"{_slug(report.source)}-suggested",
        "description": f"{report.source} — boilerplate repeating in {report.posts} posts "
                       "(suggested by newsconv profiles suggest; review before use)",
        "match": report.match or {"hosts": ["FILL-IN.example"]},
    }
    if remove:
        data["remove"] = sorted(set(remove))
    if remove_text:
        data["remove_text"] = remove_text
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)


def format_reports(reports: list[SourceReport], min_share: float) -> str:
    """The reports for a reader: counts, then each source's suggested profile."""
    if not reports:
        return (f"no text block repeats at the head or tail of {min_share:.0%} or more of "
                "one source's posts")
    lines = []
    for report in reports:
        lines.append(f"# {report.source}: {len(report.repeated)} blocks repeat at the edges "
                     f"of its {report.posts} posts")
        for item in report.repeated:
            shown = item.text if len(item.text) <= 70 else item.text[:67] + "..."
            lines.append(f"#   {item.edge} {item.count:>4}/{report.posts}  {shown}")
        lines.append(f"# save as <profiles folder>/{_slug(report.source)}.yaml after review:")
        lines.append(profile_yaml(report).rstrip("\n"))
        lines.append("---")
    return "\n".join(lines[:-1])
