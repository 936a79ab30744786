"""JSON exporter: the document model as JSON, one document per output, or JSON Lines.

Consumers render these URLs, so the JSON holds only safe ones: a document loaded from
a ``.json`` file may hold ``javascript:`` links, and :func:`convert.sanitise.safe_document`
removes them (keeping the text) with a diagnostic saying how many.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import replace

import orjson

from ..model import Document
from ..model_json import document_to_dict, node_to_dict
from ..sanitise import safe_document
from . import Exporter, ExportOptions


def to_json(doc: Document, indent: int | None = 2) -> str:
    return to_json_bytes(doc, indent).decode("utf-8")


def to_json_bytes(doc: Document, indent: int | None = 2) -> bytes:
    """The document as UTF-8 JSON (no copy through ``str``: a big post's JSON is several
    times its size)."""
    doc = safe_document(doc)
    try:  # orjson writes the same bytes as json.dumps below, 3-4x faster
        return _blockwise(doc, indent)
    except (orjson.JSONEncodeError, TypeError):  # e.g. an integer beyond 64 bits
        separators = (",", ": ") if indent else (",", ":")
        return json.dumps(document_to_dict(doc), ensure_ascii=False, indent=indent,
                          separators=separators).encode("utf-8")


def _blockwise(doc: Document, indent: int | None) -> bytes:
    """What ``orjson.dumps(document_to_dict(doc))`` writes, made one top-level block at
    a time: the dicts of a whole big post are several times its model, one block's are
    small. The blocks go where the document written without them has ``"blocks": []``
    (the last such text: the metadata, which comes first, may hold the words, and no
    JSON string holds them with unescaped quotes). Each block is written two lists
    deep, as deep as it sits in the document: orjson then refuses (and json.dumps writes
    the whole document) exactly when it would refuse the whole, and the block comes out
    indented as it is there."""
    option = orjson.OPT_INDENT_2 if indent else 0
    head = orjson.dumps(document_to_dict(replace(doc, blocks=[])), option=option)
    if not doc.blocks:
        return head
    empty = b'"blocks": []' if indent else b'"blocks":[]'
    at = head.rindex(empty) + len(empty) - 1  # the "]"
    if indent:
        first, between, last = b"\n    ", b",\n    ", b"\n  "
        wrapped_start, wrapped_end = len(b"[\n  [\n    "), -len(b"\n  ]\n]")
    else:
        first, between, last = b"", b",", b""
        wrapped_start, wrapped_end = 2, -2
    out = io.BytesIO()  # getvalue() hands over its buffer without a copy
    out.write(head[:at])
    out.write(first)
    for number, block in enumerate(doc.blocks):
        if number:
            out.write(between)
        out.write(orjson.dumps([[node_to_dict(block)]], option=option)
                  [wrapped_start:wrapped_end])
    out.write(last)
    out.write(head[at:])
    return out.getvalue()


class JsonExporter(Exporter):
    name = "json"
    file_extension = ".json"
    media_type = "application/json"
    description = "The document model as JSON (JSON Lines with --lines)"

    def __init__(self, options: ExportOptions | None = None) -> None:
        super().__init__(options)
        # JSON Lines puts every document in one stream: a collection output.
        self.collection = self.streams = self.options.lines

    def export(self, documents: Sequence[Document]) -> bytes:
        indent = None if self.options.lines else 2
        return b"".join(to_json_bytes(doc, indent) + b"\n" for doc in documents)
