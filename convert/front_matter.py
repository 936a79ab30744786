"""Front-matter YAML → mapping: loaded safely and within a budget, or recovered line by line.

Part of the reader (:mod:`convert.reader` re-exports :func:`parse_front_matter` and
:class:`ReadError`). Front matter comes from sites nobody controls: YAML aliases are
checked before any value is built, and invalid YAML that a generator built by string
formatting is recovered with patterns that stay linear on any line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from convert.model import Diagnostic

__all__ = ["MAX_YAML_DEPTH", "MAX_YAML_VALUES", "ReadError", "load_yaml", "parse_front_matter"]

# The C loader is several times faster; both are "safe" (no arbitrary objects).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ReadError(ValueError):
    """The input cannot be read as a post. One short line, without the file path."""


def _warning(message: str) -> Diagnostic:
    return Diagnostic(level="warning", step="read", message=message)


def parse_front_matter(yaml_text: str, *, first_line: int = 1
                       ) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Load front-matter YAML safely: ``(mapping, warnings)``.

    Invalid YAML is recovered line by line (with a warning); a non-mapping gives ``{}``.
    ``first_line`` is the file line of the YAML's first line, for messages.
    """
    yaml_text = _join_cjk_lines(yaml_text)
    try:
        data = load_yaml(yaml_text)
    except ReadError:
        raise
    except Exception as exc:  # PyYAML also raises ValueError (`date: 2021-02-30`) etc.
        mapping = _recover(yaml_text)
        problem = _describe(exc, first_line)
        return mapping, [_warning(f"front matter is not valid YAML ({problem}); "
                                  f"recovered {len(mapping)} keys line by line")]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [_warning(f"front matter is not a mapping (a YAML {_yaml_kind(data)}); "
                             "ignored")]
    return {_key(k): v for k, v in data.items()}, []


#: Budget for the values YAML front matter stands for once its aliases are expanded:
#: a few lines of anchors and aliases can stand for billions of values ("billion
#: laughs") or for an endless, self-containing one. Real front matter has a few dozen.
MAX_YAML_VALUES = 100_000
MAX_YAML_DEPTH = 100


def load_yaml(text: str) -> Any:
    """Load one YAML document safely, refusing what its aliases make too big.

    The node graph is checked before any Python value is built: every alias counts as
    the values it stands for. Raises :class:`ReadError` beyond :data:`MAX_YAML_VALUES`
    values or :data:`MAX_YAML_DEPTH` levels, or for an alias inside its own anchor;
    YAML errors propagate as PyYAML raises them.
    """
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    seen: set[int] = set()
    on_path: set[int] = set()  # the nodes from the root down to the current one
    aliased = False  # some node is reached twice: the document uses aliases
    count = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if id(node) in on_path:
            raise ReadError("front matter: a YAML alias refers to the value that contains it")
        aliased = aliased or id(node) in seen
        seen.add(id(node))
        count += 1
        if count > MAX_YAML_VALUES:
            raise ReadError(f"front matter: YAML aliases expand too far (over "
                            f"{MAX_YAML_VALUES:,} values)" if aliased else
                            f"front matter: too many values (over {MAX_YAML_VALUES:,})")
        if depth > MAX_YAML_DEPTH:
            raise ReadError(f"front matter: nested deeper than {MAX_YAML_DEPTH} levels")
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            continue
        on_path.add(id(node))
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(children))


# A line break inside a multi-line scalar, between two CJK characters. YAML folds it
# into a space, which Chinese and Japanese do not have: join the lines instead. A next
# line that starts a key (``名称: x``) or a list item is structure, and is left alone.
_CJK_RANGE = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef"
_CJK_LINE_BREAK = re.compile(
    f"(?<=[{_CJK_RANGE}])[ \t]*\n[ \t]*(?=[{_CJK_RANGE}])(?![^\n]*?:(?:[ \t]|$))")


def _join_cjk_lines(yaml_text: str) -> str:
    return _CJK_LINE_BREAK.sub("", yaml_text) if "\n" in yaml_text else yaml_text


def _key(key: Any) -> str:
    # YAML 1.1 types keys too (`no:` → False, `1:` → 1); the mapping is keyed by str.
    return key if isinstance(key, str) else str(key)


def _yaml_kind(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, str):
        return "string"
    return type(data).__name__


def _describe(exc: Exception, first_line: int) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem}, line {mark.line + first_line}"
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --- line-by-line recovery for front matter that a generator built by string formatting

# The value runs to the end of the line and is right-stripped after matching: a lazy
# ".*?" followed by "[ \t]*" rescans every run of spaces once per character before it
# (quadratic on a long line).
_KEY_LINE = re.compile(r"(?P<key>\w[\w.\-]*)[ \t]*:(?:[ \t]+(?P<value>.*))?")
_ITEM_LINE = re.compile(r"-(?:[ \t]+(?P<item>.*))?")
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*")
_QUOTES = "'\""


def _recover(yaml_text: str) -> dict[str, Any]:
    """Rebuild the mapping from ``key: value`` lines, ``- item`` lists and continuations."""
    result: dict[str, Any] = {}
    key: str | None = None
    lines: list[str] = []  # the scalar: first value, then continuation lines
    items: list[list[str]] | None = None  # each item: its first line and continuations

    def finish() -> None:
        if key is None:
            return
        if items is not None:
            result[key] = [_recover_scalar([" ".join(item).strip()]) for item in items]
        else:
            result[key] = _recover_scalar(lines)

    for line in yaml_text.split("\n"):
        stripped = line.strip()
        if not stripped:
            if key is not None and items is None and lines:
                lines.append("")  # a blank line inside a multi-line scalar
            continue
        match = _KEY_LINE.fullmatch(line)
        if match:
            finish()
            key, items = match["key"], None
            value = (match["value"] or "").rstrip(" \t")
            lines = [value] if value else []
            continue
        if line.startswith("#") or key is None:
            continue  # a comment, or stray text before the first key
        item = _ITEM_LINE.fullmatch(stripped)
        if item and (items is not None or not any(lines)):
            items = items if items is not None else []
            items.append([(item["item"] or "").rstrip(" \t")])
        elif items:
            items[-1].append(stripped)
        else:
            lines.append(stripped)
    finish()
    return result


def _recover_scalar(lines: list[str]) -> Any:
    end = len(lines)
    while end and not lines[end - 1]:
        end -= 1
    lines = lines[:end]
    if not lines:
        return None
    if _BLOCK_SCALAR.fullmatch(lines[0]):
        rest = lines[1:]
        return ("\n".join(rest) if lines[0].startswith("|") else _fold(rest)) + "\n"
    raw = "\n".join(lines)
    try:
        value = load_yaml(raw)
    except ReadError:
        raise
    except Exception:  # any failure means "not YAML on its own either"
        pass
    else:
        # `title: Note: x` would load as a mapping: keep it as text instead.
        if not isinstance(value, dict) and (not isinstance(value, list) or raw[0] == "["):
            return value
    text = _fold(lines).strip()
    # Strip matching quote pairs by index: slicing once per pair is quadratic.
    start, end = 0, len(text)
    while end - start >= 2 and text[start] == text[end - 1] and text[start] in _QUOTES:
        start, end = start + 1, end - 1
    return text[start:end]


def _fold(lines: list[str]) -> str:
    # As YAML folds a multi-line scalar: lines join with a space, a blank line is "\n".
    parts: list[str] = []
    for line in lines:
        if not line:
            parts.append("\n")
        elif parts and parts[-1] != "\n":
            parts.append(" " + line)
        else:
            parts.append(line)
    return "".join(parts)
