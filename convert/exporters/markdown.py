"""Markdown exporter: YAML front matter, then the body converted by markdownify.

The body is the model's canonical XHTML (:mod:`convert.render`), the same the EPUB
exporter uses. :class:`NewsMarkdownConverter` holds our Markdown rules: ATX headings,
backslash hard breaks (never trailing spaces), fences longer than any backtick run in
the code, figures with their caption, and escaping that is exact for CommonMark.

Markdown is published by static-site generators that allow raw HTML, so nothing in a
document may end a construct early and expose its text as markup: link and image URLs
pass :func:`convert.links.safe_url` (in :mod:`convert.render`, and again here), link
titles and alt text stay on one line, an info string holds no backtick, and inline
code holds no line ending (a blank line would end the code span).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import yaml
from markdownify import ATX, BACKSLASH, MarkdownConverter, chomp

from ..links import safe_url
from ..model import Document
from ..render import RenderOptions, render_blocks
from . import Exporter

# Always special in CommonMark inline text.
_ALWAYS = re.compile(r"([\\`*_\[\]])")
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# Special only at the start of a line: headings, quotes, list markers, thematic breaks,
# fences and setext underlines.
_LINE_START = re.compile(
    r"(^|\n)("
    r"#{1,6}(?=[ \t]|$)"  # ATX heading
    r"|>"  # block quote
    r"|[-+](?=[ \t]|$)"  # bullet list item
    r"|\d{1,9}(?=[.)](?:[ \t]|$))"  # ordered list item: escape the "." or ")"
    r"|(?:[-=][ \t]*)+$"  # thematic break or setext underline
    r")",
    re.M,
)
# Two tildes open strikethrough in GFM (GitHub, markdown-it's plug-in): escaping every
# other tilde of a run leaves no two unescaped ones together.
_TILDE_RUN = re.compile(r"~{2,}")
_BACKTICK_RUN = re.compile(r"`+")
_LANGUAGE = re.compile(r"language-(\S+)")
_BLANK_RUNS = re.compile(r"\n{3,}")
_LINE_ENDINGS = re.compile(r"\r\n?|\n")
_NOT_IN_INFO = re.compile(r"[`\x00-\x20\x7f]")


class NewsMarkdownConverter(MarkdownConverter):
    """markdownify with newsconv's Markdown rules."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"
        newline_style = BACKSLASH
        keep_inline_images_in = ["td", "th", "a", "strong", "em", "del", "sup", "sub"]
        strip_document = "strip"
        bs4_options = "lxml"
        sup_symbol = "<sup>"
        sub_symbol = "<sub>"

    def escape(self, text: str, parent_tags: set[str]) -> str:
        if not text:
            return ""
        text = _ALWAYS.sub(r"\\\1", text)
        text = _HTML_START.sub(r"\\<", text)
        text = _ENTITY_LIKE.sub(r"\\&", text)
        text = _TILDE_RUN.sub(_escape_tildes, text)
        text = _LINE_START.sub(lambda m: m.group(1) + _escape_line_start(m.group(2)), text)
        if parent_tags & {"td", "th"}:
            text = text.replace("|", r"\|")
        return text

    def convert_strong(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return self._delimited(el, text, parent_tags, "**", "strong")

    def convert_em(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return self._delimited(el, text, parent_tags, "*", "em")

    def convert_del(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return self._delimited(el, text, parent_tags, "~~", "del")

    convert_b = convert_strong
    convert_i = convert_em
    convert_s = convert_del

    def _delimited(self, el: Any, text: str, parent_tags: set[str], marker: str,
                   tag: str) -> str:
        """Wrap ``text`` in ``marker`` runs that CommonMark reads as emphasis.

        A run only opens or closes next to punctuation when the other side is space or
        punctuation too, which CJK text breaks all the time (``**特性：**在``). Non-ASCII
        punctuation at the edges moves outside the markers; when the runs still would
        not flank, the HTML tag is written instead.
        """
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        before = prefix[-1:] or _neighbour_char(el, forward=False)
        after = suffix[:1] or _neighbour_char(el, forward=True)
        lead = trail = ""
        while text and not text[0].isascii() and not _can_open(before, text[0]):
            lead, text, before = lead + text[0], text[1:], text[0]
        while text and not text[-1].isascii() and not _can_close(text[-1], after):
            trail, text, after = text[-1] + trail, text[:-1], text[-1]
        if text and _can_open(before, text[0]) and _can_close(text[-1], after):
            return f"{prefix}{lead}{marker}{text}{marker}{trail}{suffix}"
        return f"{prefix}<{tag}>{lead}{text}{trail}</{tag}>{suffix}"

    def convert_a(self, el: Any, text: str, parent_tags: set[str]) -> str:
        href = safe_url(el.get("href"))
        if href is None:
            return text
        el["href"] = link_destination(href)
        if el.get("title"):
            el["title"] = link_title(el["title"])
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        alt = self.escape(" ".join((el.get("alt") or "").split()), parent_tags)
        src = safe_url(el.get("src"))
        if src is None:
            return alt
        el["src"] = link_destination(src)
        el["alt"] = alt
        if el.get("title"):
            el["title"] = link_title(el["title"])
        return super().convert_img(el, text, parent_tags)

    def convert_code(self, el: Any, text: str, parent_tags: set[str]) -> str:
        # A code span ends at a blank line; CommonMark shows line endings in one as
        # spaces anyway.
        return super().convert_code(el, _LINE_ENDINGS.sub(" ", text), parent_tags)

    def convert_pre(self, el: Any, text: str, parent_tags: set[str]) -> str:
        code = el.find("code")
        source = code.get_text() if code is not None else el.get_text()
        language = ""
        if code is not None:
            match = _LANGUAGE.search(" ".join(code.get("class") or []))
            # CommonMark: a backtick in the info string means it is no fence at all.
            language = _NOT_IN_INFO.sub("", match.group(1)) if match else ""
        longest = max((len(m) for m in _BACKTICK_RUN.findall(source)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{language}\n{source.strip(chr(10))}\n{fence}\n\n"

    def convert_figure(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return f"\n\n{text.strip()}\n\n"

    def convert_figcaption(self, el: Any, text: str, parent_tags: set[str]) -> str:
        text = text.strip()
        return f"\n\n*{text}*\n\n" if text else ""


_INLINE_PARENTS = frozenset({"a", "strong", "b", "em", "i", "del", "s", "sup", "sub", "span"})


def _is_punctuation(char: str) -> bool:
    return bool(char) and unicodedata.category(char)[0] in "PS"


def _is_space(char: str) -> bool:
    return not char or char.isspace()


def _can_open(before: str, first: str) -> bool:
    """CommonMark's left-flanking rule for a delimiter run between two characters."""
    return not _is_space(first) and (
        not _is_punctuation(first) or _is_space(before) or _is_punctuation(before))


def _can_close(last: str, after: str) -> bool:
    """CommonMark's right-flanking rule."""
    return not _is_space(last) and (
        not _is_punctuation(last) or _is_space(after) or _is_punctuation(after))


def _neighbour_char(el: Any, forward: bool) -> str:
    """The character just before (or after) an element in the rendered text, looking
    through enclosing inline elements; "" at a block edge."""
    node = el
    while node is not None:
        sibling = node.next_sibling if forward else node.previous_sibling
        if sibling is not None:
            text = sibling.get_text() if hasattr(sibling, "get_text") else str(sibling)
            if text:
                return text[0] if forward else text[-1]
            node = sibling
            continue
        parent = node.parent
        if parent is None or parent.name not in _INLINE_PARENTS:
            return ""
        node = parent
    return ""


def link_destination(url: str) -> str:
    """A link destination CommonMark reads back as ``url``: spaces, brackets,
    parentheses and backslashes are percent-encoded, and an ``&`` that would start a
    character reference is escaped."""
    url = re.sub(r"[\s()<>\\]", lambda m: f"%{ord(m.group()):02X}", url)
    return _ENTITY_LIKE.sub(r"\\&", url)


def link_title(title: str) -> str:
    """A link title on one line, its backslashes escaped (markdownify escapes the
    quotes): it cannot end early and leave the rest of the line as markup."""
    return " ".join(title.split()).replace("\\", "\\\\")


def _escape_tildes(run: re.Match[str]) -> str:
    return "".join("\\~" if i % 2 == 0 else "~" for i in range(len(run.group())))


def _escape_line_start(marker: str) -> str:
    # A digit run is a list marker only with the "." or ")" after it: escape that.
    if marker[0].isdigit():
        return marker + "\\"
    return "\\" + marker


def front_matter(doc: Document) -> dict[str, Any]:
    """The normalised front-matter keys, in a fixed order, empty ones left out."""
    meta = doc.metadata
    data: dict[str, Any] = {"title": meta.title}
    if meta.date is not None:
        data["date"] = meta.date.isoformat()
    if meta.authors:
        data["author"] = meta.authors[0] if len(meta.authors) == 1 else list(meta.authors)
    if meta.categories:
        data["categories"] = list(meta.categories)
    cover = safe_url(meta.cover)
    if cover:
        data["cover"] = cover
    if meta.lang:
        data["lang"] = meta.lang
    if meta.source:
        data["source"] = meta.source
    return data


def to_markdown(doc: Document) -> str:
    """The whole Markdown file for one document."""
    header = yaml.safe_dump(front_matter(doc), allow_unicode=True, sort_keys=False,
                            width=10**9, default_flow_style=False)
    body = NewsMarkdownConverter().convert(
        render_blocks(doc.blocks, RenderOptions(lang=doc.metadata.lang)))
    # No whitespace-only lines and no trailing spaces (which would be hard breaks).
    body = "\n".join(line.rstrip() for line in body.split("\n"))
    body = _BLANK_RUNS.sub("\n\n", body).strip("\n")
    return f"---\n{header}---\n\n{body}\n" if body else f"---\n{header}---\n"


class MarkdownExporter(Exporter):
    name = "markdown"
    file_extension = ".md"
    media_type = "text/markdown"
    description = "Markdown with YAML front matter (one file per post)"

    def export(self, documents: Sequence[Document]) -> bytes:
        return "\n".join(to_markdown(doc) for doc in documents).encode("utf-8")
