"""The JSON exporter writes a document one top-level block at a time; the bytes are
those of the whole document's dict written at once."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from strategies import documents

from convert.exporters.json import to_json_bytes
from convert.model import Document, Metadata, Paragraph, Quote, Text
from convert.model_json import document_to_dict
from convert.sanitise import safe_document


def whole_document_json(doc: Document) -> tuple[bytes, bytes]:
    """The document's JSON written at once (indented, compact), as before."""
    whole = document_to_dict(safe_document(doc))
    try:
        indented = orjson.dumps(whole, option=orjson.OPT_INDENT_2)
        compact = orjson.dumps(whole)
    except (orjson.JSONEncodeError, TypeError):
        indented = json.dumps(whole, ensure_ascii=False, indent=2).encode()
        compact = json.dumps(whole, ensure_ascii=False, separators=(",", ":")).encode()
    return indented, compact


@given(documents)
@settings(max_examples=150, deadline=None)
def test_blockwise_json_is_the_whole_documents_json(doc: Document) -> None:
    indented, compact = whole_document_json(doc)
    assert to_json_bytes(doc, indent=2) == indented
    assert to_json_bytes(doc, indent=None) == compact


def test_metadata_holding_the_words_blocks_does_not_take_the_blocks() -> None:
    meta = Metadata(title="t", extra={"blocks": [], "x": {"blocks": []}})
    doc = Document(meta, [Paragraph([Text("a")]), Paragraph([Text("b\nc")])])
    for indent in (2, None):
        data = json.loads(to_json_bytes(doc, indent))
        assert data["metadata"]["extra"] == {"blocks": [], "x": {"blocks": []}}
        assert [b["children"][0]["text"] for b in data["blocks"]] == ["a", "b\nc"]


def test_a_document_too_deep_for_orjson_is_written_whole_by_json() -> None:
    """orjson refuses nesting past its limit; then the whole document is written by
    json.dumps (which writes floats its own way), even when each block alone is not
    too deep."""
    for depth in (120, 125, 126, 127, 130):
        block = Paragraph([Text("x")])
        for _ in range(depth):
            block = Quote([block])
        doc = Document(Metadata(title="deep", extra={"score": 2.5e-05}), [block])
        indented, compact = whole_document_json(doc)
        assert to_json_bytes(doc, indent=2) == indented, depth
        assert to_json_bytes(doc, indent=None) == compact, depth


def test_the_json_form_is_still_importable_from_convert_model() -> None:
    import convert.model as model
    import convert.model_json as model_json

    for name in ("SCHEMA_VERSION", "SchemaError", "document_to_dict", "document_from_dict",
                 "json_schema", "node_to_dict", "READABLE_VERSIONS"):
        assert getattr(model, name) is getattr(model_json, name)
