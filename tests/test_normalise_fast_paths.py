"""The normaliser's fast paths answer what the plain way of computing does.

Each speed-up (a translate table for counting scripts, caches of parsed style strings,
a length bound before counting wide characters, ...) is compared here with the simple
computation it replaced, on generated input.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convert.normalise import calltoaction, hidden, language
from convert.normalise.language import _PAIRS, detect_language

# ---------------------------------------------------------------- script counting

_SCRIPT_SAMPLES = st.text(alphabet=st.one_of(
    st.sampled_from([c for pair in _PAIRS for c in pair]),  # simplified/traditional-only
    st.characters(min_codepoint=0x3000, max_codepoint=0x9fff),  # kana, Han, CJK punctuation
    st.characters(min_codepoint=0xac00, max_codepoint=0xffff),  # Hangul, compatibility, forms
    st.characters(min_codepoint=0, max_codepoint=0x2fff),  # Latin ... Thai, controls
    st.characters(min_codepoint=0x10000, max_codepoint=0x3ffff),  # emoji, Han extensions
    st.sampled_from(["\U00020000", "\U0003134f", "\U00031350", "\x01", "\x0b"]),  # edges
), max_size=300)


@given(_SCRIPT_SAMPLES)
@settings(max_examples=300, deadline=None)
def test_script_counts_are_the_regex_counts(text: str) -> None:
    """The translate-table count of letters by script is what one regex per script
    finds (characters beyond the BMP, the table's own codes and Han sets included)."""
    counts, simplified, traditional = language._script_counts(text)
    assert counts == {name: len(rx.findall(text)) for name, rx in language._SCRIPTS.items()}
    assert simplified == len(language._SIMPLIFIED.findall(text))
    assert traditional == len(language._TRADITIONAL.findall(text))


def test_script_table_in_use() -> None:
    """The scripts do not overlap, so the table is used (not the regex fallback)."""
    assert language._TABLE is not None and len(language._TABLE) == 0x10000
    assert detect_language("這個問題") is None  # too short to tell
    assert detect_language("这个问题说来话长" * 5) == "zh-Hans"
    assert detect_language("這個問題說來話長" * 5) == "zh-Hant"
    assert detect_language("𠀀𠀁𠀂𠀃" * 10) == "zh"  # Han beyond the BMP counts


# ---------------------------------------------------------------- calls to action


@given(st.text(alphabet=st.sampled_from("a 1中ｱ\u3000한。"), max_size=120))
@settings(max_examples=300, deadline=None)
def test_light_is_the_weight_bound(text: str) -> None:
    assert calltoaction._light(text) == (0 < calltoaction._weight(text)
                                         <= calltoaction._MAX_CTA_WEIGHT)


# ---------------------------------------------------------------- style attributes


def test_style_parses_are_shared_but_callers_get_their_own() -> None:
    mine = hidden.style_declarations("COLOR: Red !important; display:none")
    assert mine == {"color": "red", "display": "none"}
    mine["color"] = "blue"  # a caller's change reaches no other caller
    assert hidden.style_declarations("COLOR: Red !important; display:none")["color"] == "red"
    assert hidden.declarations("color:red") is hidden.declarations("color:red")
    long = "color: #fff;" * 100  # too long to be remembered: parsed each time
    assert hidden.declarations(long) == {"color": "#fff"}
    assert hidden.declarations(long) is not hidden.declarations(long)


@given(st.text(alphabet=st.sampled_from("#0fFa(),rgb ;:%./-"), max_size=40))
@settings(max_examples=300, deadline=None)
def test_parse_color_cached_is_parse_color(value: str) -> None:
    assert hidden.parse_color(value) == hidden._parse_color(value)
    assert hidden.parse_color(value * 40) == hidden._parse_color(value * 40)


# ---------------------------------------------------------------- ad ranges


def _remove_ranges_whole_walk(root, ranges):  # noqa: ANN001, ANN202
    """The former _remove_ranges: one walk over every event of the tree."""
    from convert.normalise.context import iter_events

    ends = {start: end for start, end in ranges}
    current_end = None
    opened: set = set()
    removed_text: list[str] = []
    to_remove: list = []
    samples: list[str] = []

    def finish() -> None:
        for el in to_remove:
            if isinstance(el.tag, str):  # a comment inside a range shows no text
                removed_text.append("".join(el.itertext()))
            el.getparent().remove(el)
        samples.append(" | ".join(t for t in removed_text if t.strip()))
        opened.clear()
        removed_text.clear()
        to_remove.clear()

    for kind, el in list(iter_events(root)):
        if current_end is None:
            if kind == "end" and el in ends:
                current_end = ends[el]
            continue
        if el is current_end and kind == "start":
            finish()
            current_end = None
            continue
        if kind == "start":
            opened.add(el)
        elif kind == "end" and el in opened:
            if el.getparent() not in opened:
                to_remove.append(el)
        elif kind == "text" and el not in opened:
            removed_text.append(el.text or "")
            el.text = None
        elif kind == "tail":
            removed_text.append(el.tail or "")
            el.tail = None
    return samples


@st.composite
def _soup(draw, depth: int = 0) -> str:  # noqa: ANN001
    """HTML with ad start and end comments anywhere, elements nested a few levels."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "start", "end", "other", "el", "el"]))
        if kind == "text":
            parts.append(draw(st.sampled_from(["a", "bb ", " ", "广告词", "\n"])))
        elif kind == "start":
            parts.append("<!-- 广告开始 -->")
        elif kind == "end":
            parts.append("<!--广告结束-->")
        elif kind == "other":
            parts.append("<!-- note -->")
        elif depth < 4:
            tag = draw(st.sampled_from(["div", "p", "span", "b", "ins"]))
            parts.append(f"<{tag}>{draw(_soup(depth + 1))}</{tag}>")
    return "".join(parts)


@given(st.data())
@settings(max_examples=400, deadline=None)
def test_ad_ranges_walked_from_their_start_remove_what_a_whole_walk_did(data) -> None:  # noqa: ANN001
    import copy

    from lxml import etree

    from convert.normalise import noise
    from convert.normalise.html import parse_body
    from convert.normalise.steps import StepContext

    body = data.draw(_soup())
    root = parse_body(body)
    expected_root = copy.deepcopy(root)
    comments = [c for c in expected_root.iter(etree.Comment) if c.text]
    ranges, pending = [], None
    for comment in comments:
        text = comment.text.strip()
        if noise._AD_START.search(text):
            pending = comment
        elif noise._AD_END.search(text) and pending is not None:
            ranges.append((pending, comment))
            pending = None
    expected = _remove_ranges_whole_walk(expected_root, ranges) if ranges else []
    ctx = StepContext()
    noise.remove_ad_blocks(root, ctx)
    assert etree.tostring(root, encoding="unicode") == etree.tostring(expected_root,
                                                                      encoding="unicode")
    expected_ctx = StepContext()
    expected_ctx.report("remove_ad_blocks", "removed comment-delimited ad blocks", len(ranges),
                        " | ".join(expected) or None)
    assert ctx.diagnostics == expected_ctx.diagnostics


# ---------------------------------------------------------------- whitespace


@given(st.text(alphabet=st.sampled_from(" \t\n\r\f\v\u3000\u00a0a中"), max_size=60))
@settings(max_examples=500, deadline=None)
def test_collapse_is_one_run_at_a_time(text: str) -> None:
    """Two fixed substitutions collapse each whitespace run as the per-run callback did."""
    import re

    from convert.normalise.text import _collapse

    expected = re.sub(r"[ \t\n\r\f\v]+", lambda m: "\n" if "\n" in m.group() else " ", text)
    assert _collapse(text) == expected


def test_collapse_stays_linear_on_long_runs() -> None:
    import time

    from convert.normalise.text import _collapse

    for run in (" ", "\t", " \t"):
        text = run * 200_000 + "x\n"  # a newline after a long run without one
        start = time.perf_counter()
        assert _collapse(text) == " x\n"
        assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------- paragraphs

_PENDING = st.lists(st.one_of(
    st.text(alphabet=st.sampled_from(" \n\t\u3000\u00a0x中"), max_size=6).map(
        lambda t: ("text", t)),
    st.sampled_from(["br", "break", "line", "p_line", "strong", "code"]),
), max_size=8)


def _pending_nodes(spec: list) -> list:  # noqa: ANN001
    """Fresh pending nodes (texts are changed by a flush); the markers are the shared
    ones, which are told apart by identity."""
    from convert.model import Code, LineBreak, Strong, Text
    from convert.normalise import lines

    nodes = {"br": LineBreak, "break": lambda: lines.BREAK, "line": lambda: lines.LINE,
             "p_line": lambda: lines.P_LINE, "strong": lambda: Strong([Text(" ")]),
             "code": lambda: Code("x")}
    return [Text(n[1]) if isinstance(n, tuple) else nodes[n]() for n in spec]


@given(_PENDING)
@settings(max_examples=500, deadline=None)
def test_flush_skips_only_what_makes_no_paragraph(spec: list) -> None:  # noqa: ANN001
    """A flush that skips whitespace-and-break runs gives the blocks the full one does."""
    from convert.normalise.flow import Flow

    fast, full = Flow(), Flow()
    fast.pending, full.pending = _pending_nodes(spec), _pending_nodes(spec)
    fast.flush()
    full._flush_paragraphs()
    assert fast.blocks == full.blocks and fast.pending == full.pending == []


# ---------------------------------------------------------------- hidden text


@st.composite
def _coloured(draw, depth: int = 0) -> str:  # noqa: ANN001
    """Nested elements with (translucent) backgrounds and faint or plain colours."""
    colours = ["#fff", "#f8f8f8", "#000", "rgba(0,0,0,0.5)", "rgba(255,0,0,.3)", "transparent",
               "#999", "white", "#80808080"]
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        if depth >= 4 or draw(st.booleans()):
            parts.append(draw(st.sampled_from(["x", "字 ", ""])))
            continue
        style = []
        if draw(st.booleans()):
            style.append(f"background: {draw(st.sampled_from(colours))}")
        if draw(st.booleans()):
            style.append(f"color: {draw(st.sampled_from(colours))}")
        if draw(st.integers(0, 5)) == 0:
            style.append(draw(st.sampled_from(["display:none", "font-size:0", "opacity:.01",
                                               "visibility: visible"])))
        attrs = f' style="{";".join(style)}"' if style else ""
        if draw(st.booleans()):
            attrs += f' bgcolor="{draw(st.sampled_from(colours))}"'
        if draw(st.integers(0, 3)) == 0:
            attrs += f' color="{draw(st.sampled_from(colours))}"'
        if draw(st.integers(0, 7)) == 0:
            attrs += " hidden"
        tag = draw(st.sampled_from(["div", "span", "font", "font", "p"]))
        parts.append(f"<{tag}{attrs}>{draw(_coloured(depth + 1))}</{tag}>")
    return "".join(parts)


@given(_coloured())
@settings(max_examples=300, deadline=None)
def test_background_carried_down_is_background_of(body: str) -> None:
    """The background carried from the root down to each invisible element is exactly
    (bit for bit) what background_of computes walking up from it."""
    from convert.normalise.html import parse_body

    root = parse_body(body)
    for el, background in hidden._outermost_invisible(root):
        assert background == hidden.background_of(el)


# ---------------------------------------------------------------- removal


def _remove_rebuilding_every_text(elements) -> None:  # noqa: ANN001
    """The former remove_all_keeping_tails: every kept child's tail is set again."""
    doomed = set(elements)
    parents = dict.fromkeys(el.getparent() for el in doomed)
    parents.pop(None, None)

    def put(parent, holder, text) -> None:  # noqa: ANN001
        if holder is None:
            parent.text = text or None
        else:
            holder.tail = text or None

    for parent in parents:
        holder = None
        texts = [parent.text or ""]
        for child in list(parent):
            if child in doomed:
                texts.append(child.tail or "")
                parent.remove(child)
                continue
            put(parent, holder, "".join(texts))
            holder, texts = child, [child.tail or ""]
        put(parent, holder, "".join(texts))


@st.composite
def _tree_and_picks(draw):  # noqa: ANN001, ANN202
    def soup(depth: int) -> str:
        parts = []
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["text", "comment", "el", "el"]))
            if kind == "text":
                parts.append(draw(st.sampled_from(["a", " b ", "字", "\n"])))
            elif kind == "comment":
                parts.append("<!--c-->")
            elif depth < 3:
                tag = draw(st.sampled_from(["div", "p", "span", "b"]))
                parts.append(f"<{tag}>{soup(depth + 1)}</{tag}>")
        return "".join(parts)

    body = soup(0)
    return body, draw(st.lists(st.integers(0, 40), max_size=10))


@given(_tree_and_picks())
@settings(max_examples=400, deadline=None)
def test_removal_touches_only_texts_next_to_removed_elements(case) -> None:  # noqa: ANN001
    import copy

    from lxml import etree

    from convert.normalise.context import remove_all_keeping_tails
    from convert.normalise.html import parse_body

    body, picks = case
    root = parse_body(body)
    other = copy.deepcopy(root)
    nodes, other_nodes = list(root.iter())[1:], list(other.iter())[1:]  # not the body
    chosen = [i % len(nodes) for i in picks] if nodes else []
    remove_all_keeping_tails(nodes[i] for i in chosen)
    _remove_rebuilding_every_text(other_nodes[i] for i in chosen)
    assert etree.tostring(root, encoding="unicode") == etree.tostring(other, encoding="unicode")


@given(_tree_and_picks())
@settings(max_examples=200, deadline=None)
def test_text_of_is_itertext(case) -> None:  # noqa: ANN001
    from lxml import etree

    from convert.normalise.context import text_of
    from convert.normalise.html import parse_body

    root = parse_body(case[0])
    for el in root.iter(etree.Element):
        assert text_of(el) == "".join(el.itertext())
    for comment in root.iter(etree.Comment):  # as itertext() does, it refuses comments
        with pytest.raises(ValueError):
            text_of(comment)


def test_text_of_leaves_out_comments_and_instructions_like_itertext() -> None:
    from lxml import etree

    from convert.normalise.context import text_of

    p = etree.fromstring("<p>a<!--c-->b<?pi x?>c<br/>d<i>e</i>f</p>")
    assert text_of(p) == "".join(p.itertext()) == "abcdef"
    p = etree.fromstring("<p>a<b>b<i>i</i>c</b>d</p>")  # grandchildren: itertext's way
    assert text_of(p) == "".join(p.itertext()) == "abicd"


# ---------------------------------------------------------------- block leaves


def _block_leaves_walking_all(root):  # noqa: ANN001, ANN202
    """The former calltoaction.block_leaves: itertext and searches for every block."""
    from lxml import etree

    from convert.normalise.calltoaction import _BLOCKS, _MAX_LINK_LIST_CHARS, _collapsed, _Leaf

    holds_block: set = set()
    for el in root.iter(*_BLOCKS):
        node = el.getparent()
        while node is not None and node not in holds_block:
            holds_block.add(node)
            node = node.getparent()
    out = []
    for el in root.iter(etree.Element):
        if el in holds_block:
            stray = (el.text or "").strip() or any(
                (c.tail or "").strip() or (c.tag not in _BLOCKS and c not in holds_block
                                           and "".join(c.itertext()).strip())
                for c in el if isinstance(c.tag, str))
            if stray:
                out.append(_Leaf(el, "x", 0, False, stray=True))
        elif el is not root and el.tag in _BLOCKS:
            text = _collapsed("".join(el.itertext()))
            images = sum(1 for _ in el.iter("img", "button", "svg"))
            if text or images:
                linked = "".join("".join(a.itertext()) for a in el.iter("a"))
                out.append(_Leaf(el, text[:_MAX_LINK_LIST_CHARS + 1], images, bool(text)
                                 and len(_collapsed(linked)) >= len(text),
                                 code=el.tag == "pre" or el.find(".//code") is not None))
    in_leaf = {img for leaf in out if not leaf.stray for img in leaf.el.iter("img")}
    out += [_Leaf(img, "", 1, False) for img in root.iter("img") if img not in in_leaf]
    wanted = {leaf.el for leaf in out}
    order = {el: i for i, el in enumerate(root.iter()) if el in wanted}
    out.sort(key=lambda leaf: order.get(leaf.el, 0))
    return out


@st.composite
def _blocks_soup(draw, depth: int = 0) -> str:  # noqa: ANN001
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "void", "comment", "el", "el", "el"]))
        if kind == "text":
            parts.append(draw(st.sampled_from(["a", " 扫码关注公众号 ", "Share this", "\n"])))
        elif kind == "void":
            parts.append(draw(st.sampled_from(["<br>", "<img src=x.png>"])))
        elif kind == "comment":
            parts.append("<!--c-->")
        elif depth < 4:
            tag = draw(st.sampled_from(["div", "p", "li", "span", "a", "code", "pre", "button",
                                        "b"]))
            parts.append(f"<{tag}>{draw(_blocks_soup(depth + 1))}</{tag}>")
    return "".join(parts)


@given(_blocks_soup())
@settings(max_examples=400, deadline=None)
def test_block_leaves_are_the_walk_of_every_block(body: str) -> None:
    from convert.normalise.html import parse_body

    root = parse_body(body)

    def key(leaf):  # noqa: ANN001, ANN202
        return (leaf.el, leaf.text, leaf.images, leaf.links_only, leaf.stray, leaf.code)

    assert ([key(leaf) for leaf in calltoaction.block_leaves(root)]
            == [key(leaf) for leaf in _block_leaves_walking_all(root)])


# ---------------------------------------------------------------- nesting depth


@given(_blocks_soup(), st.integers(0, 5))
@settings(max_examples=300, deadline=None)
def test_small_trees_skip_the_depth_walk_only_when_nothing_is_that_deep(body: str,
                                                                         depth: int) -> None:
    import copy

    from lxml import etree

    from convert.normalise import depth as depth_module
    from convert.normalise.html import parse_body

    root = parse_body(body)
    other = copy.deepcopy(root)
    flattened = 0  # the former walk, without the count first
    stack = [(other, 0)]
    while stack:
        el, level = stack.pop()
        if level == depth:
            if any(len(child) for child in el):
                flattened += depth_module._flatten_children(el)
            continue
        stack.extend((child, level + 1) for child in el if isinstance(child.tag, str))
    assert depth_module.flatten_deep_nesting(root, depth) == flattened
    assert etree.tostring(root) == etree.tostring(other)


@given(_coloured())
@settings(max_examples=300, deadline=None)
def test_one_reading_of_the_attributes_finds_what_the_element_functions_find(body: str
                                                                              ) -> None:
    from convert.normalise.html import parse_body

    root = parse_body(body)
    backgrounds = hidden._Backgrounds(root)
    expected = []  # the former loop: each question asks the element again
    for el in hidden._MAY_HIDE(root):
        behind, covered = backgrounds.behind(el)
        if covered:
            continue
        background = hidden._background_over(el, behind)
        if hidden._invisible_on(el, background):
            expected.append((el, background))
            backgrounds.found.add(el)
    assert hidden._outermost_invisible(root) == expected


@given(st.text(alphabet=st.sampled_from(" \t\n\r\u3000\u00a0\u2003a中。"), max_size=40),
       st.integers(0, 3))
@settings(max_examples=500, deadline=None)
def test_one_text_is_tidied_as_any_run(text: str, breaks: int) -> None:
    """A Text alone or closed by line breaks is tidied as the general way does."""
    from convert.model import LineBreak, Text
    from convert.normalise.text import (
        normalise_whitespace,
        prune_inlines,
        strip_line_breaks,
        tidy_inlines,
    )

    general = [Text(text), *(LineBreak() for _ in range(breaks))]
    normalise_whitespace(general)
    assert (tidy_inlines([Text(text), *(LineBreak() for _ in range(breaks))])
            == strip_line_breaks(prune_inlines(general)))


@given(st.lists(st.sampled_from(["t", " ", "br", "strong", "code"]), max_size=6))
@settings(max_examples=300, deadline=None)
def test_visible_content_without_the_walk(kinds: list[str]) -> None:
    from convert.model import Code, LineBreak, Strong, Text, iter_inlines
    from convert.normalise.text import has_visible_content

    make = {"t": lambda: Text("x"), " ": lambda: Text(" \u3000"), "br": LineBreak,
            "strong": lambda: Strong([Text(" ")]), "code": lambda: Code("c")}
    inlines = [make[k]() for k in kinds]
    walked = any((n.text.strip() if isinstance(n, Text) else
                  not isinstance(n, (LineBreak, Strong))) for n in iter_inlines(inlines))
    assert has_visible_content(inlines) == walked
