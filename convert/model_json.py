"""The JSON form of a document, and reading it back (the model is :mod:`convert.model`).

Serialisation is generic: a node becomes a dict ``{"type": TYPE, field: value, ...}``;
lists and nested nodes recurse; datetimes become ISO 8601 strings.
``schema/document.schema.json`` describes the result and is versioned by
:data:`SCHEMA_VERSION`. Reading checks every field's type, for a loaded document is
untrusted input.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from .model import (
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

SCHEMA_VERSION = 2
#: Versions :func:`document_from_dict` reads: version 1 is version 2 without math nodes.
READABLE_VERSIONS = (1, 2)


_NODE_TYPES: dict[str, type] = {
    cls.TYPE: cls
    for cls in (Text, Strong, Emphasis, Strikeout, Superscript, Subscript, Code, Link, Image,
                LineBreak, Math, Heading, Paragraph, ListBlock, Quote, CodeBlock, Figure, TableCell,
                Table, Rule, Embed, Diagnostic, Metadata, Document)
}
_INLINE_TYPES = frozenset(cls.TYPE for cls in (Text, Strong, Emphasis, Strikeout, Superscript,
                                                 Subscript, Code, Link, Image, LineBreak,
                                                 Math))
_BLOCK_TYPES = frozenset(cls.TYPE for cls in (Heading, Paragraph, ListBlock, Quote, CodeBlock,
                                                Figure, Table, Rule, Embed))
# What each node-holding field may contain; other fields hold plain JSON scalars or lists.
# A kind is a set of allowed TYPE tags, wrapped in one list level per nesting of lists.
_FIELD_KINDS: dict[tuple[type, str], Any] = {
    **{(cls, "children"): [_INLINE_TYPES]
       for cls in (Strong, Emphasis, Strikeout, Superscript, Subscript, Link, Heading,
                   Paragraph, TableCell)},
    (Figure, "caption"): [_INLINE_TYPES],
    (Table, "caption"): [_INLINE_TYPES],
    (Quote, "children"): [_BLOCK_TYPES],
    (ListBlock, "items"): [[_BLOCK_TYPES]],
    (Table, "rows"): [[frozenset({TableCell.TYPE})]],
    (Document, "blocks"): [_BLOCK_TYPES],
    (Document, "diagnostics"): [frozenset({Diagnostic.TYPE})],
    (Document, "metadata"): frozenset({Metadata.TYPE}),
}


class SchemaError(ValueError):
    """The data is not a serialised Document of a version we can read."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# What a scalar field may hold, by its annotation: a loaded document is untrusted input,
# and a renderer that trusts a field's type (an ``<ol start>`` written as given) must
# not be handed ``"\"><script>"``. Every annotation a node field uses is listed here.
_SCALAR_CHECKS: dict[str, Any] = {
    "str": lambda v: isinstance(v, str),
    "str | None": lambda v: v is None or isinstance(v, str),
    "int": _is_int,
    "bool": lambda v: isinstance(v, bool),
    "list[str]": _is_str_list,
    "dict[str, Any]": lambda v: isinstance(v, dict),
    "datetime | None": lambda v: True,  # parsed separately
}


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        out: dict[str, Any] = {"type": value.TYPE}
        for f in dataclasses.fields(value):
            out[f.name] = _dump(getattr(value, f.name))
        return out
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:  # the model's dates are UTC when no zone is known
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat(timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


def _load_kind(value: Any, kind: Any, where: str) -> Any:
    if isinstance(kind, list):
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected a list")
        return [_load_kind(v, kind[0], where) for v in value]
    tag = value.get("type") if isinstance(value, dict) else None
    if not isinstance(tag, str) or tag not in kind:
        found = value.get("type") if isinstance(value, dict) else type(value).__name__
        raise SchemaError(f"{where}: unexpected {found!r} (expected {', '.join(sorted(kind))})")
    return _load_node(value)


def _load_node(value: dict[str, Any]) -> Any:
    cls = _NODE_TYPES[value["type"]]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        if key == "type":
            continue
        if key not in fields:
            raise SchemaError(f"unknown field {key!r} in {cls.TYPE!r}")
        kind = _FIELD_KINDS.get((cls, key))
        if kind is not None:
            kwargs[key] = _load_kind(item, kind, f"{cls.TYPE}.{key}")
        elif cls is Metadata and key == "date" and item is not None:
            try:
                if not isinstance(item, str):
                    raise ValueError(item)
                kwargs[key] = datetime.fromisoformat(item.replace("Z", "+00:00"))
            except ValueError:
                raise SchemaError(f"bad date {item!r} in 'metadata'") from None
        else:
            if not _SCALAR_CHECKS[fields[key].type](item):
                raise SchemaError(f"bad {cls.TYPE}.{key}: {_short(item)} is not "
                                  f"{fields[key].type}")
            kwargs[key] = item  # scalars, string lists, and ``extra`` kept verbatim
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SchemaError(f"bad {cls.TYPE!r} node: {exc}") from None


def _short(value: Any) -> str:
    if not isinstance(value, str):  # the type says enough (and a huge int has no repr)
        return "null" if value is None else f"a {type(value).__name__}"
    return repr(value) if len(value) <= 30 else repr(value[:27] + "...")


def node_to_dict(node: Any) -> dict[str, Any]:
    """The JSON-ready form of one node (a block, an inline, metadata)."""
    return _dump(node)


def document_to_dict(doc: Document) -> dict[str, Any]:
    """The JSON-ready form of a document, with ``schema_version`` first."""
    data = _dump(doc)
    return {"schema_version": SCHEMA_VERSION, **data}


def document_from_dict(data: dict[str, Any]) -> Document:
    """Rebuild a document from :func:`document_to_dict` output."""
    if not isinstance(data, dict) or data.get("type") != Document.TYPE:
        raise SchemaError("not a newsconv document")
    version = data.get("schema_version")
    if not _is_int(version) or version not in READABLE_VERSIONS:
        raise SchemaError(f"unsupported schema_version {version!r} (expected "
                          f"{' or '.join(map(str, READABLE_VERSIONS))})")
    body = {k: v for k, v in data.items() if k != "schema_version"}
    return _load_node(body)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`document_to_dict` output, as shipped."""
    import json
    from importlib.resources import files

    text = files(__package__).joinpath("schema", "document.schema.json").read_text("utf-8")
    return json.loads(text)
