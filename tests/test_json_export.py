"""The JSON exporter writes a document one top-level block at a time; the bytes are
those of the whole document's dict written at once."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from strategies import documents

from convert.exporters.json import to_json_bytes
from convert.model import Document, Metadata, Paragraph, Text
from convert.model_json import document_to_dict
from convert.sanitise import safe_document


@given(documents)
@settings(max_examples=150, deadline=None)
def test_blockwise_json_is_the_whole_documents_json(doc: Document) -> None:
    whole = document_to_dict(safe_document(doc))
    try:
        indented = orjson.dumps(whole, option=orjson.OPT_INDENT_2)
        compact = orjson.dumps(whole)
    except (orjson.JSONEncodeError, TypeError):
        indented = json.dumps(whole, ensure_ascii=False, indent=2).encode()
        compact = json.dumps(whole, ensure_ascii=False, separators=(",", ":")).encode()
    assert to_json_bytes(doc, indent=2) == indented
    assert to_json_bytes(doc, indent=None) == compact


def test_metadata_holding_the_words_blocks_does_not_take_the_blocks() -> None:
    meta = Metadata(title="t", extra={"blocks": [], "x": {"blocks": []}})
    doc = Document(meta, [Paragraph([Text("a")]), Paragraph([Text("b\nc")])])
    for indent in (2, None):
        data = json.loads(to_json_bytes(doc, indent))
        assert data["metadata"]["extra"] == {"blocks": [], "x": {"blocks": []}}
        assert [b["children"][0]["text"] for b in data["blocks"]] == ["a", "b\nc"]
