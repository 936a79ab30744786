"""Cleaning over the whole corpus: nothing hidden, ad or widget reaches any output, and
the visible article text is kept, in order.

"Visible text" is computed here independently of the normaliser, with a deliberately
simple reading of the source HTML: drop scripts, styles, comments and form controls,
comment-delimited ad blocks, elements hidden by the ``hidden`` attribute or by
``display:none``/``visibility:hidden``, and text coloured near-white; then leave out
the site furniture the issue names (copy-code buttons, 打赏, 查看知乎原文/讨论, like counters).
"""

from __future__ import annotations

import difflib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.exporters.markdown import to_markdown
from convert.model import Document
from convert.model_json import document_to_dict
from convert.pipeline import load_path
from convert.reader import read_post

# Strings that must never reach an output: watermarks, ad markup, widget labels, CSS,
# script links, redirectors.
FORBIDDEN = ["Mitbbs.com", "adsbygoogle", "广告画", "复制代码", "打赏", "查看知乎原文",
             "扫码分享", "word-break:break-word", ".markdown-body", "data-v-", "<style",
             "display:none", "javascript:",
             # redirector wrappers: outputs link to the real target
             "GoToLink"]
# Site furniture left out of the reference text: it must not reach the outputs either.
FURNITURE = [re.compile(p) for p in (
    r"复制代码", r"打赏", r"查看知乎原文", r"查看知乎讨论", r"扫码分享",
    r"\b\d+ (?:likes|saves)\b",
)]
# Golden inputs hold what no corpus post has (a javascript: link, a reward widget): the
# forbidden-string checks run over them too, so that each check has something to catch.
GOLDEN_INPUTS = sorted(Path(__file__).parent.glob("golden/*/input.*"))
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "input", "button", "select",
                   "textarea", "svg", "title", "meta", "link")
# Comment-delimited ad blocks (``<!--广告开始--> … <!--广告结束-->``): their text is an ad.
_AD_BLOCK = re.compile(r"<!--\s*(?:广告|廣告|ad)\S*\s*(?:开始|開始|begin|start)\s*-->(.*?)"
                       r"<!--\s*(?:广告|廣告|ad)\S*\s*(?:结束|結束|end)\s*-->", re.S | re.I)
_WHITE_ISH = re.compile(r"#?(?:f[0-9a-f]){3}\b|#fff\b|white|rgb\(\s*2[45]\d\s*,\s*2[45]\d\s*,"
                        r"\s*2[45]\d\s*\)", re.I)


# Books built from the cache alone (an empty one): images become links, no network.
OFFLINE = EpubOptions(offline=True, cache_dir=Path("/nonexistent/newsconv-test-cache"))


def _hidden(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    if el.get("hidden") is not None or "display:none" in style or "visibility:hidden" in style:
        return True
    color = el.get("color") if el.tag == "font" else None
    match = re.search(r"(?:^|;)color:([^;]+)", style)
    color = color or (match.group(1) if match else None)
    return bool(color and _WHITE_ISH.fullmatch(color.strip()))


def visible_and_hidden_text(post: Path) -> tuple[str, list[str]]:
    source = read_post(post.read_bytes()).body
    hidden_texts = ["".join(html.fragment_fromstring(ad, create_parent="div").itertext())
                    for ad in _AD_BLOCK.findall(source)]
    body = html.document_fromstring("<html><body>" + _AD_BLOCK.sub("", source)
                                    + "</body></html>").find("body")
    for el in list(body.iter(etree.Element)):
        if el.getparent() is None:
            continue
        if el.tag == "script" and (el.get("type") or "").startswith("math/tex"):
            continue  # MathJax shows it: a formula the reader sees
        if el.tag in _INVISIBLE_TAGS or _hidden(el):
            hidden_texts.append("".join(el.itertext()))
            el.getparent().remove(el)  # tails are visible; keep them
    for comment in list(body.iter(etree.Comment)):
        comment.getparent().remove(comment)
    text = "".join(body.itertext())
    for pattern in FURNITURE:
        text = pattern.sub("", text)
    return text, [t.strip() for t in hidden_texts if len(t.strip()) >= 4]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def document_text(doc: Document) -> str:
    """Every string of the document except its diagnostics (which record, by design,
    samples of what was removed)."""
    data = document_to_dict(doc)
    data.pop("diagnostics")
    return json.dumps(data, ensure_ascii=False)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "type" for s in _strings(v)]
    return []


def document_strings(doc: Document) -> str:
    """The document's strings in order (title and metadata first, then the body)."""
    data = document_to_dict(doc)
    return "".join(_strings(data["metadata"]) + _strings(data["blocks"]))


def epub_text(doc: Document) -> str:
    with zipfile.ZipFile(io.BytesIO(EpubExporter(OFFLINE).export([doc]))) as book:
        return "\n".join(book.read(n).decode("utf-8") for n in book.namelist()
                         if n.endswith((".xhtml", ".ncx", ".opf")))


@pytest.fixture(scope="module")
def converted(corpus: list[Path]) -> dict[str, tuple[Document, str]]:
    out = {}
    for post in corpus:
        doc = load_path(post)
        out[post.name] = (doc, to_markdown(doc))
    return out


@pytest.fixture(scope="module")
def converted_golden() -> dict[str, tuple[Document, str]]:
    out = {}
    for post in GOLDEN_INPUTS:
        doc = load_path(post)
        out[post.parent.name] = (doc, to_markdown(doc))
    return out


def test_every_forbidden_string_and_furniture_occurs_in_some_input(corpus: list[Path]) -> None:
    """A check for a string no input holds cannot fail: each one must have its input."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in [*corpus, *GOLDEN_INPUTS])
    for needle in FORBIDDEN:
        assert needle in sources, f"no corpus post or golden input contains {needle!r}"
    for pattern in FURNITURE:
        assert pattern.search(sources), f"no input contains {pattern.pattern!r}"


def test_no_forbidden_strings_in_any_output(converted: dict[str, tuple[Document, str]],
                                            converted_golden: dict[str, tuple[Document, str]]
                                            ) -> None:
    for name, (doc, markdown) in {**converted, **converted_golden}.items():
        outputs = {"md": markdown, "json": document_text(doc), "epub": epub_text(doc)}
        for kind, text in outputs.items():
            for needle in FORBIDDEN:
                assert needle not in text, f"{name} ({kind}) contains {needle!r}"
            # what the reference text leaves out as furniture is not in the outputs either
            for pattern in FURNITURE:
                found = pattern.search(text)
                assert not found, f"{name} ({kind}) contains furniture {found.group()!r}"


def test_no_hidden_text_in_any_output(converted: dict[str, tuple[Document, str]],
                                      converted_golden: dict[str, tuple[Document, str]],
                                      corpus: list[Path]) -> None:
    """Hidden, low-contrast and ad-block text of every post (and golden input) is in no
    output, unless the same words are visible elsewhere in it."""
    inputs = {post: converted[post.name] for post in corpus}
    inputs.update({post: converted_golden[post.parent.name] for post in GOLDEN_INPUTS})
    for post, (doc, markdown) in inputs.items():
        visible, hidden = visible_and_hidden_text(post)
        outputs = {"md": markdown, "json": document_text(doc), "epub": epub_text(doc)}
        for text in hidden:
            if squash(text) in squash(visible):  # the same words are also visible
                continue
            for kind, out in outputs.items():
                assert squash(text) not in squash(out), (
                    f"{post.parent.name}/{post.name} ({kind}) keeps hidden text {text[:40]!r}")


def test_visible_text_kept_in_order(converted: dict[str, tuple[Document, str]],
                                    corpus: list[Path]) -> None:
    total_kept = total = 0
    for post in corpus:
        doc, _ = converted[post.name]
        visible, _ = visible_and_hidden_text(post)
        reference = squash(visible)
        produced = squash(document_strings(doc))
        matcher = difflib.SequenceMatcher(None, reference, produced, autojunk=False)
        kept = sum(block.size for block in matcher.get_matching_blocks())
        total_kept += kept
        total += len(reference)
        if reference:
            assert kept / len(reference) >= 0.99, (
                f"{post.name}: kept {kept}/{len(reference)} visible characters in order")
    assert total_kept / total >= 0.99


def test_seed_post_is_six_paragraphs_and_its_image(converted: dict[str, tuple[Document, str]]
                                                   ) -> None:
    doc, _ = converted["25-34450562954.md"]
    kinds = [block.TYPE for block in doc.blocks]
    assert kinds == ["paragraph", "figure", "paragraph", "paragraph", "paragraph",
                     "paragraph", "paragraph"]
    assert doc.blocks[1].src.endswith("pic618727fa1a759.png")
