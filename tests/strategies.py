"""Hypothesis strategies that build arbitrary valid :class:`convert.model.Document` trees.

"Valid" means what the JSON schema (``convert/schema/document.schema.json``) accepts:
heading levels 1–6, figure ``src`` non-empty, embed kinds iframe/video/audio, spans and
diagnostic counts ≥ 1, and timezone-aware dates (whole-minute offsets, as RFC 3339
needs). Text is unrestricted ``st.text()`` plus a dose of astral-plane characters.

Reusable by any test that wants random documents (exporters, renderers)::

    from strategies import documents, blocks, inlines
"""

from __future__ import annotations

from datetime import timedelta, timezone

from hypothesis import strategies as st

from convert.model import (
    Code,
    CodeBlock,
    Diagnostic,
    Document,
    Embed,
    Emphasis,
    Figure,
    Heading,
    Image,
    LineBreak,
    Link,
    ListBlock,
    Math,
    Metadata,
    Paragraph,
    Quote,
    Rule,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
)

# Any text, with astral-plane (non-BMP) characters such as emoji and rare CJK mixed in
# often enough to matter: plain st.text() rarely draws them.
_ASTRAL = st.characters(min_codepoint=0x10000, exclude_categories=("Cs",))
texts = st.one_of(st.text(), st.text(alphabet=_ASTRAL, min_size=1),
                  st.text(alphabet=st.one_of(st.characters(), _ASTRAL)))
short_texts = st.text(max_size=20)
optional_texts = st.none() | short_texts
nonempty_texts = st.text(min_size=1, max_size=40)


# ---------------------------------------------------------------- inlines

_leaf_inlines = st.one_of(
    st.builds(Text, texts),
    st.builds(Code, texts),
    st.builds(Image, src=short_texts, alt=short_texts),
    st.builds(LineBreak),
    st.builds(Math, texts, st.booleans()),
)


def _container_inlines(children: st.SearchStrategy) -> st.SearchStrategy:
    kids = st.lists(children, max_size=3)
    return st.one_of(
        st.builds(Strong, kids),
        st.builds(Emphasis, kids),
        st.builds(Strikeout, kids),
        st.builds(Superscript, kids),
        st.builds(Subscript, kids),
        st.builds(Link, href=short_texts, children=kids, title=optional_texts),
    )


inline = st.recursive(_leaf_inlines, _container_inlines, max_leaves=8)
inlines = st.lists(inline, max_size=4)


# ---------------------------------------------------------------- blocks

cells = st.builds(
    TableCell,
    children=inlines,
    header=st.booleans(),
    colspan=st.integers(min_value=1, max_value=1000),
    rowspan=st.integers(min_value=1, max_value=65534),
)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    rows = draw(st.lists(st.lists(cells, max_size=3), max_size=3))
    header_rows = draw(st.integers(min_value=0, max_value=len(rows)))
    return Table(rows, header_rows, draw(inlines))


_leaf_blocks = st.one_of(
    st.builds(Heading, level=st.integers(min_value=1, max_value=6), children=inlines),
    st.builds(Paragraph, inlines),
    st.builds(CodeBlock, texts, language=optional_texts),
    st.builds(Figure, src=nonempty_texts, alt=short_texts, caption=inlines),
    tables(),
    st.builds(Rule),
    st.builds(Embed, src=short_texts, kind=st.sampled_from(["iframe", "video", "audio"]),
              title=short_texts, poster=optional_texts),
)


def _container_blocks(children: st.SearchStrategy) -> st.SearchStrategy:
    kids = st.lists(children, max_size=3)
    return st.one_of(
        st.builds(Quote, kids),
        st.builds(ListBlock, ordered=st.booleans(), items=st.lists(kids, max_size=3),
                  start=st.integers()),
    )


block = st.recursive(_leaf_blocks, _container_blocks, max_leaves=6)
blocks = st.lists(block, max_size=5)


# ---------------------------------------------------------------- document

#: Timezone-aware datetimes: UTC or a fixed whole-minute offset strictly inside ±24 h.
fixed_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
aware_datetimes = st.datetimes(timezones=st.just(timezone.utc) | fixed_offsets)

#: Any JSON value (what ``Metadata.extra`` may hold): no NaN/infinity, string keys.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False) | short_texts,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(short_texts, children, max_size=3),
    max_leaves=10,
)

metadata = st.builds(
    Metadata,
    title=texts,
    authors=st.lists(short_texts, max_size=3),
    date=st.none() | aware_datetimes,
    date_raw=optional_texts,
    categories=st.lists(short_texts, max_size=3),
    cover=optional_texts,
    lang=optional_texts,
    source=optional_texts,
    extra=st.dictionaries(short_texts, json_values, max_size=4),
)

diagnostics = st.builds(
    Diagnostic,
    level=st.sampled_from(["error", "warning", "change"]),
    step=short_texts,
    message=texts,
    count=st.integers(min_value=1),
    sample=optional_texts,
)

documents = st.builds(
    Document,
    metadata=metadata,
    blocks=blocks,
    diagnostics=st.lists(diagnostics, max_size=3),
    origin=optional_texts,
)
