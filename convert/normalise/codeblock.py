"""Code blocks from ``<pre>``: the text exactly as written (``precode`` protected it
before parsing) and the language the page names."""

from __future__ import annotations

import re

from lxml import etree

from ..model import CodeBlock

_LANGUAGE_NAME = re.compile(r"[a-z0-9_+#.-]{1,30}")
_NOT_LANGUAGES = frozenset({"none", "plain", "plaintext", "text", "nohighlight", "hljs",
                            "prettyprint", "linenums", "highlight", "source", "code"})
# Languages that sites name with a bare class (<pre class="js">, <code class="xml">):
# a list of names, so that layout classes ("content", "box") never become languages.
_BARE_LANGUAGES = frozenset({
    "bash", "bat", "c", "c#", "c++", "clojure", "cmake", "coffeescript", "cpp", "cs",
    "csharp", "css", "dart", "diff", "dockerfile", "elixir", "erlang", "go", "golang",
    "gradle", "graphql", "groovy", "haskell", "html", "ini", "java", "javascript", "js",
    "json", "jsx", "kotlin", "less", "lua", "makefile", "markdown", "matlab", "nginx",
    "objc", "objectivec", "perl", "php", "powershell", "properties", "proto", "protobuf",
    "ps1", "py", "python", "rb", "ruby", "rust", "sass", "scala", "scss", "sh", "shell",
    "sql", "swift", "tex", "toml", "ts", "tsx", "typescript", "vb", "vue", "xml", "yaml",
    "yml", "zsh",
})


def code_block(el: etree._Element) -> CodeBlock | None:
    """The code block of a ``<pre>``: its exact text and the language it names."""
    text = _code_text(el)
    if text.startswith("\n"):  # HTML drops one newline right after <pre>
        text = text[1:]
    # Trailing spaces on code lines are invisible and would make whitespace-only
    # lines in the output; they are the only change made to code text.
    text = "\n".join(line.rstrip() for line in text.rstrip().split("\n"))
    if not text.strip():
        return None
    return CodeBlock(text, code_language(el))


def _code_text(el: etree._Element) -> str:
    """The text of a code block, with ``<br>`` as a line break (once, even when the
    source also has a newline after it)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and _tag(node) != "br":
            parts.append(node.text)
        for child in node:
            if _tag(child) == "br":
                if not (child.tail or "").startswith(("\n", "\r")):
                    parts.append("\n")
            elif _tag(child):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return "".join(parts)


def code_language(el: etree._Element) -> str | None:
    """The language named on a ``<pre>`` or its ``<code>``: ``language-x``, ``lang-x``,
    ``brush: x``, ``data-lang="x"``, highlight.js's ``hljs x``, or a bare class that
    names a known language (``class="java"``)."""
    nodes = (el, *el.iterdescendants("code"))
    for node in nodes:
        for attr in ("data-lang", "lang"):
            value = (node.get(attr) or "").strip().lower()
            if value:
                return value
        tokens = (node.get("class") or "").lower().replace("brush:", "brush: ").split()
        for token in tokens:
            for prefix in ("language-", "lang-"):
                if token.startswith(prefix) and _language_name(token[len(prefix):]):
                    return _language_name(token[len(prefix):])
        for i, token in enumerate(tokens[:-1]):
            if token in ("brush:", "hljs") and _language_name(tokens[i + 1]):
                return _language_name(tokens[i + 1])
    for node in nodes:  # after every explicit form: "hljs xml" wins over a bare name
        for token in (node.get("class") or "").lower().split():
            if token in _BARE_LANGUAGES:
                return token
    return None


def _language_name(token: str) -> str | None:
    token = token.strip(";")
    if token in _NOT_LANGUAGES or not _LANGUAGE_NAME.fullmatch(token):
        return None
    return token


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""
