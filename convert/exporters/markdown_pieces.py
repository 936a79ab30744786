"""The Markdown body converted a bounded piece of XHTML at a time.

markdownify reads XHTML through BeautifulSoup, whose tree is about ten times the
XHTML it holds. Top-level blocks go to it in runs of about :data:`CHUNK` characters;
a paragraph longer than that (a BBS thread: a thread's lines joined by ``<br>``, tens
of thousands of nodes in one paragraph) comes from :func:`convert.render.iter_split_blocks`
in pieces cut at its line breaks, each piece a paragraph with the cutting break kept
on both sides (``<p><br/>…<br/></p>``). The pieces' Markdown, joined where the breaks
overlap, is the whole paragraph's Markdown, byte for byte:

* markdownify handles a text next to a ``<br>`` by that neighbour only (whitespace is
  stripped only at the paragraph's edges and beside block elements; newlines collapse
  only against the previous child's), and a ``<br>`` writes ``\\`` and a newline;
* the emphasis writer looks at one neighbour, and a break shows it as a block edge
  backwards and ``\\`` forwards, in the piece as in the paragraph;
* escapes: a paragraph of more than ``MAX_PARSED_BLOCK`` characters is settled by the
  cheap rules alone, which look at a mark's neighbours and its run of ``*``/``_``;
  such a run ends at the ``\\`` of a break. A shorter paragraph (a piece of markup
  that wrote little Markdown) is joined first and resolved whole.

``tests/test_markdown_pieces.py`` compares the two over random paragraphs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .markdown_escape import MAX_PARSED_BLOCK, resolve, visible

#: Top-level blocks go to markdownify in runs of about this many characters of XHTML,
#: and a longer paragraph in pieces of about this many: BeautifulSoup's tree of a whole
#: long post is about 10 times its XHTML, and one tree per block costs a parser set-up
#: each.
CHUNK = 64 * 1024


def markdown_runs(items: Iterable[str | Iterator[str]], convert: Callable[[str], str],
                  convert_piece: Callable[[str], str]) -> Iterator[str]:
    """The Markdown of rendered blocks (strings) and split paragraphs (iterators of
    pieces), in order: blocks converted by ``convert`` in runs of at least ``CHUNK``
    characters (the last may be shorter); a split paragraph's pieces by
    ``convert_piece``, which leaves a paragraph's escape marks unresolved. Joined with
    blank lines, they are the body's Markdown."""
    run: list[str] = []
    size = 0
    for item in items:
        if isinstance(item, str):
            run.append(item)
            size += len(item)
            if size >= CHUNK:
                yield convert("\n".join(run))
                run, size = [], 0
            continue
        if run:
            yield convert("\n".join(run))
            run, size = [], 0
        yield split_paragraph(convert_piece(xhtml) for xhtml in item)
    if run:
        yield convert("\n".join(run))


def split_paragraph(pieces: Iterable[str]) -> str:
    """A paragraph's Markdown from its pieces' (marks unresolved; each piece but the
    last ends with its closing break's ``\\``, which the next piece starts with)."""
    held: list[str] = []  # unresolved, while the paragraph may be short enough to parse
    plain = 0  # characters the paragraph has so far, as resolve counts them
    done: list[str] = []
    previous: str | None = None
    for text in pieces:
        if previous is not None:
            held.append(previous)
            plain += len(visible(previous)) - 1  # its closing "\\" is the next one's
        previous = text
        if plain > MAX_PARSED_BLOCK:  # settled by the cheap rules, a piece at a time
            # (each with its closing break: a mark before it looks at its "\\")
            done.extend(resolve(part, parse=False)[:-1] for part in held)
            held.clear()
    assert previous is not None, "a split paragraph has two pieces at least"
    if not done:  # short: joined and resolved whole, as any paragraph
        return resolve("".join(part[:-1] for part in held) + previous)
    return "".join(done) + resolve(previous, parse=False)


def take_apart(soup: Any) -> None:
    """Empty every node of a BeautifulSoup tree, so that the tree is freed as soon as it
    is dropped. Its nodes point at each other (parent, siblings, document order): left
    whole, a dead tree waits for the cyclic garbage collector, whose full passes come
    rarer the more objects live (a long document's), so that a dozen pieces' trees
    were alive at once. Costs about 1% of the conversion (0.6% over 1,000 posts)."""
    for node in list(soup.descendants):
        node.__dict__.clear()
    soup.__dict__.clear()


def strip_line_ends(text: str, at_once: int = CHUNK) -> str:
    """``text`` with every line right-stripped (``str.rstrip``), split into lines about
    ``at_once`` characters at a time: all the lines of a long body as strings at once
    were three times its size."""
    out = []
    start, end = 0, len(text)
    while start <= end:
        cut = text.find("\n", start + at_once)
        if cut < 0:
            cut = end
        out.append("\n".join(line.rstrip() for line in text[start:cut].split("\n")))
        start = cut + 1
    return "\n".join(out)
