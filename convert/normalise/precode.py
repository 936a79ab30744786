"""Keep the text of ``<pre>`` blocks exactly as the author wrote it.

An HTML parser treats raw markup inside ``<pre>`` as elements: an XML
``<dependency>`` sample loses its tags, ``List<User>`` opens a ``<user>`` element and a
Vue ``<span @click=…>`` looks like highlighting. The rule, applied to the raw text
before parsing:

- highlighter markup is the only markup in code: inline elements (``span``, ``font``,
  ``b``, ``code``, ``a``, …) that carry nothing but ``class``, ``style``, ``data-*`` or
  ``href``, and ``<br>`` as a line break. A block that holds only such markup is parsed
  as usual (the markup dropped, entities decoded).
- any other tag, comment, attribute or stray ``<`` makes the whole block code text as
  written: every ``<`` and ``&`` of it is escaped, highlighter tags included (a page
  whose code holds a raw ``<dependency>`` was unescaped on the way, so its ``<span>``
  and ``&amp;`` are the author's too).

One ``<code>`` wrapping the whole block is the block's container, not its text (its
class names the language). lxml (libxml2) has no hook for any of this; it is written
here, with plain scans that never look at a character twice.
"""

from __future__ import annotations

import re

# Inline elements that highlighters (and sites' editors) put inside code.
HIGHLIGHT_TAGS = frozenset({
    "a", "b", "code", "del", "em", "font", "i", "ins", "kbd", "mark", "s", "samp", "small",
    "span", "strong", "sub", "sup", "tt", "u", "var",
})
_PLAIN_ATTRS = frozenset({"class", "style", "href"})
_PRE_OPEN = re.compile(r"<pre\b", re.I)
_PRE_CLOSE = re.compile(r"</pre\s*>", re.I)
# A tag from "<" to its ">", quoted attribute values may hold ">". The alternatives
# start with different characters, so a failed match costs one scan, never backtracking.
_TAG = re.compile(r"""<(/?)([A-Za-z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_ATTR = re.compile(r"""([^\s"'=/>]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
_MARKUP_START = re.compile(r"<[A-Za-z/!?]")
_WRAPPER_OPEN = re.compile(r"\s*<code\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.I)
_WRAPPER_CLOSE = re.compile(r"</code\s*>\s*\Z", re.I)


def _highlight_tag(match: re.Match[str]) -> bool:
    """Whether a tag is highlighter markup (``<br>`` counts: a line break)."""
    name = match.group(2)
    # Lower-case, or an all-caps name of old pages (<SPAN>, <BR>); a one-letter
    # capital is a type parameter in code (Map<K, V>, Foo<B>).
    if name != name.lower() and (len(name) == 1 or name != name.upper()):
        return False
    name = name.lower()
    if name != "br" and name not in HIGHLIGHT_TAGS:
        return False
    attrs = match.group(3).strip().rstrip("/")
    if match.group(1):  # an end tag carries nothing
        return not attrs and name != "br"
    for attr in _ATTR.findall(attrs):
        attr = attr.lower()
        if attr not in _PLAIN_ATTRS and not attr.startswith("data-"):
            return False
    return True


def only_highlight_markup(code: str) -> bool:
    """Whether every tag-like ``<`` in ``code`` starts highlighter markup."""
    pos = 0
    while True:
        start = _MARKUP_START.search(code, pos)
        if start is None:
            return True
        tag = _TAG.match(code, start.start())
        if tag is None or not _highlight_tag(tag):
            return False  # stop at once: the block is text, nothing more to learn
        pos = tag.end()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _protect_block(code: str) -> str:
    wrapper = _WRAPPER_OPEN.match(code)
    closing = _WRAPPER_CLOSE.search(code, wrapper.end()) if wrapper else None
    if wrapper and closing:
        inner = code[wrapper.end():closing.start()]
        return code[:wrapper.end()] + _protect_block_text(inner) + code[closing.start():]
    return _protect_block_text(code)


def _protect_block_text(code: str) -> str:
    if only_highlight_markup(code):
        # A "<" that starts no tag ("a < b", "<-") is text; escaped so that libxml2's
        # recovery never reads it otherwise.
        return re.sub(r"<(?![A-Za-z/])", "&lt;", code)
    return _escape(code)


def protect_code(body: str) -> str:
    """Escape what the parser must keep as text inside ``<pre>`` blocks.

    A block runs from a ``<pre …>`` tag to the next ``</pre>``. Scanned with plain
    searches that never look at a character twice (a regex over the whole block backs
    up to every later ``<pre`` when one is never closed: quadratic time).
    """
    if "<pre" not in body and "<PRE" not in body:
        return body
    out: list[str] = []
    done = 0  # body[:done] is in out
    while True:
        opening = _PRE_OPEN.search(body, done)
        if opening is None:
            break
        tag_end = body.find(">", opening.end())
        if tag_end < 0:
            break  # no tag ends after here, so no block can either
        closing = _PRE_CLOSE.search(body, tag_end + 1)
        if closing is None:
            break  # an unclosed <pre> is left to the parser, as before
        out.append(body[done:tag_end + 1])
        out.append(_protect_block(body[tag_end + 1:closing.start()]))
        out.append(closing.group())
        done = closing.end()
    out.append(body[done:])
    return "".join(out)
