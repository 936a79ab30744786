"""The document model's JSON form: round trip, the shipped JSON schema, and errors."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from strategies import documents

import convert.model as model
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
    inline_text,
)
from convert.model_json import (
    SCHEMA_VERSION,
    SchemaError,
    document_from_dict,
    document_to_dict,
    json_schema,
)

# ---------------------------------------------------------------- validator

# jsonschema only checks "date-time" when the optional rfc3339-validator is installed,
# and silently accepts anything otherwise. Register a strict RFC 3339 check of our own
# so the tests never depend on that optional dependency.
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))",
    re.ASCII,
)


def _is_rfc3339_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True  # "format" only constrains strings
    match = _RFC3339.fullmatch(value)
    if not match:
        return False
    try:
        datetime.strptime(f"{match[1]}T{match[2]}", "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return match[3] is None or (int(match[3]) <= 23 and int(match[4]) <= 59)


FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checks("date-time")(_is_rfc3339_datetime)

SCHEMA = json_schema()
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FORMAT_CHECKER)


def errors(data: Any) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(data)]


# ---------------------------------------------------------------- a document with every node

EVERY_INLINE = [
    Text("plain, é, 漢字, 𝄞 and 😀"),
    Strong([Text("bold "), Emphasis([Text("bold italic")])]),
    Emphasis([]),
    Strikeout([Text("gone")]),
    Superscript([Text("2")]),
    Subscript([Text("i")]),
    Code("x = 1"),
    Link("https://example.com/a?b=c", [Text("a link")], title="Title"),
    Link("/relative", [Image("/i.png", "icon")]),
    Image("https://example.com/inline.gif"),
    LineBreak(),
    Math("\\chi^{2}=\\sum_{i=1}^{c}"),
    Math("E = mc^2", display=True),
]


def every_node_document() -> Document:
    return Document(
        metadata=Metadata(
            title="Every node",
            authors=["Ann", "Bo"],
            date=datetime(2024, 2, 29, 23, 59, 58, 123456,
                          tzinfo=timezone(timedelta(hours=5, minutes=30))),
            date_raw="2024-02-29 23:59:58.123456 +05:30",
            categories=["news", "tests"],
            cover="https://example.com/cover.jpg",
            lang="zh-Hant-TW",
            source="https://example.com/post",
            # User data that looks like model nodes must come back as plain dicts.
            extra={"rating": 4.5, "tags": ["a", 1, None, True],
                   "node_like": {"type": "paragraph", "children": []},
                   "nested": {"deep": [{"x": {}}]}},
        ),
        blocks=[
            Heading(1, [Text("Title")]),
            Heading(6, []),
            Paragraph(EVERY_INLINE),
            ListBlock(False, [[Paragraph([Text("one")])], []]),
            ListBlock(True, [[Paragraph([Text("three")]),
                              ListBlock(False, [[Quote([Rule()])]])]], start=3),
            Quote([Paragraph([Text("quoted")]), Quote([])]),
            CodeBlock("print('hi')\n", "python"),
            CodeBlock(""),
            Figure("https://example.com/fig.png", "a figure", [Emphasis([Text("cap")])]),
            Figure("f.png"),
            Table(
                rows=[
                    [TableCell([Text("H1")], header=True, colspan=2),
                     TableCell([Text("H2")], header=True)],
                    [TableCell([Image("c.png", "cell image")], rowspan=2),
                     TableCell([]), TableCell([Code("c")])],
                    [],
                ],
                header_rows=1,
                caption=[Text("Table 1")],
            ),
            Table([]),
            Rule(),
            Embed("https://player.example/1", "iframe", "A video", None),
            Embed("https://example.com/v.mp4", "video", "", "https://example.com/p.jpg"),
            Embed("https://example.com/a.mp3", "audio"),
        ],
        diagnostics=[
            Diagnostic("error", "reader", "unreadable"),
            Diagnostic("warning", "metadata", "guessed", 1, "sample"),
            Diagnostic("change", "drop_non_content", "removed comments", 7, None),
        ],
        origin="2024-02-29-every-node.md",
    )


def node_types(value: Any) -> set[str]:
    """Every ``type`` tag in a serialised tree (outside ``metadata.extra``)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= node_types(item)
    elif isinstance(value, dict):
        if isinstance(value.get("type"), str):
            found.add(value["type"])
        for key, item in value.items():
            if key != "extra":
                found |= node_types(item)
    return found


def model_node_classes() -> list[type]:
    return [obj for obj in vars(model).values()
            if isinstance(obj, type) and dataclasses.is_dataclass(obj)
            and isinstance(getattr(obj, "TYPE", None), str)]


def via_json(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, ensure_ascii=False))


def valid_dict() -> dict[str, Any]:
    return document_to_dict(every_node_document())


# ---------------------------------------------------------------- the schema itself


def test_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] == f"https://newsconv.invalid/schema/document-{SCHEMA_VERSION}.json"
    assert SCHEMA["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_format_checker_really_checks_date_time():
    assert FORMAT_CHECKER.conforms("2024-02-29T23:59:58.123456+05:30", "date-time")
    assert FORMAT_CHECKER.conforms("2024-01-01T00:00:00Z", "date-time")
    for bad in ("2024-01-01", "2024-01-01T00:00:00", "2023-02-29T00:00:00Z",
                "2024-01-01T24:00:00Z", "2024-01-01T00:00:00+24:00", "yesterday",
                "2024-01-01T00:00:00+00:00:30"):
        assert not FORMAT_CHECKER.conforms(bad, "date-time"), bad


def test_schema_defines_every_model_node_with_exactly_its_fields():
    """The schema and the dataclasses must not drift: one $def per TYPE, same keys."""
    defs_by_type = {
        d["properties"]["type"]["const"]: d
        for d in SCHEMA["$defs"].values()
        if "properties" in d and "const" in d["properties"].get("type", {})
    }
    classes = model_node_classes()
    assert {cls.TYPE for cls in classes} == set(defs_by_type) | {"document"}
    for cls in classes:
        definition = SCHEMA if cls is Document else defs_by_type[cls.TYPE]
        fields = {"type"} | {f.name for f in dataclasses.fields(cls)}
        if cls is Document:
            fields.add("schema_version")
        assert set(definition["properties"]) == fields, cls.TYPE
        assert set(definition["required"]) == fields, cls.TYPE
        assert definition["additionalProperties"] is False, cls.TYPE


def test_json_schema_loads_the_shipped_file_as_a_package_resource(tmp_path, monkeypatch):
    resource = files("convert").joinpath("schema", "document.schema.json")
    assert resource.is_file()
    monkeypatch.chdir(tmp_path)  # not found relative to the working directory
    assert json_schema() == json.loads(resource.read_text("utf-8"))


def test_json_schema_reads_through_importlib_resources(monkeypatch):
    """json_schema() must go through importlib.resources (works from a wheel or zip)."""
    import importlib.resources

    seen: list[str] = []
    real_files = importlib.resources.files

    def spy(package):
        seen.append(package if isinstance(package, str) else package.__name__)
        return real_files(package)

    monkeypatch.setattr(importlib.resources, "files", spy)
    assert json_schema() == SCHEMA
    assert seen == ["convert"]


# ---------------------------------------------------------------- hand-built round trip


def test_hand_built_document_uses_every_node_type():
    assert node_types(valid_dict()) == {cls.TYPE for cls in model_node_classes()}


def test_hand_built_document_round_trips_through_json():
    doc = every_node_document()
    data = via_json(document_to_dict(doc))
    back = document_from_dict(data)
    assert back == doc
    assert document_to_dict(back) == document_to_dict(doc)
    assert back.metadata.date.utcoffset() == timedelta(hours=5, minutes=30)
    assert back.metadata.extra["node_like"] == {"type": "paragraph", "children": []}


def test_hand_built_document_validates_against_schema():
    data = via_json(valid_dict())
    assert errors(data) == []
    assert list(data)[0] == "schema_version"
    assert data["schema_version"] == SCHEMA_VERSION


def test_default_document_validates_and_round_trips():
    doc = Document(Metadata())
    data = via_json(document_to_dict(doc))
    assert errors(data) == []
    assert document_from_dict(data) == doc


# ---------------------------------------------------------------- properties

_PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)


@_PROPERTY_SETTINGS
@given(documents)
def test_round_trip_is_identity(doc):
    data = document_to_dict(doc)
    text = json.dumps(data, ensure_ascii=False)
    back = document_from_dict(json.loads(text))
    assert back == doc
    # Equality of aware datetimes ignores the offset; the JSON form does not.
    assert document_to_dict(back) == data


@_PROPERTY_SETTINGS
@given(documents)
def test_output_validates_against_schema(doc):
    data = json.loads(json.dumps(document_to_dict(doc)))
    assert errors(data) == []


# ---------------------------------------------------------------- document_from_dict errors


@pytest.mark.parametrize("version", [3, 0, "1", None, 1.5, True])
def test_from_dict_rejects_wrong_schema_version(version):
    data = valid_dict()
    data["schema_version"] = version
    message = rf"unsupported schema_version {re.escape(repr(version))}"
    with pytest.raises(SchemaError, match=message):
        document_from_dict(data)


def test_from_dict_rejects_missing_schema_version():
    data = valid_dict()
    del data["schema_version"]
    with pytest.raises(SchemaError, match="unsupported schema_version None"):
        document_from_dict(data)


def test_from_dict_rejects_missing_type():
    data = valid_dict()
    del data["type"]
    with pytest.raises(SchemaError, match="not a newsconv document"):
        document_from_dict(data)


@pytest.mark.parametrize("wrong", ["paragraph", "metadata", "Document", "", None])
def test_from_dict_rejects_wrong_top_level_type(wrong):
    data = valid_dict()
    data["type"] = wrong
    with pytest.raises(SchemaError, match="not a newsconv document"):
        document_from_dict(data)


@pytest.mark.parametrize("data", [[], "document", None, 1],
                         ids=["list", "str", "none", "int"])
def test_from_dict_rejects_non_object(data):
    with pytest.raises(SchemaError, match="not a newsconv document"):
        document_from_dict(data)


def test_from_dict_rejects_unknown_top_level_field():
    data = valid_dict()
    data["colour"] = "red"
    with pytest.raises(SchemaError, match=r"unknown field 'colour' in 'document'"):
        document_from_dict(data)


def test_from_dict_rejects_unknown_nested_field():
    data = valid_dict()
    paragraph = next(b for b in data["blocks"] if b["type"] == "paragraph")
    paragraph["children"][0]["bold"] = True
    with pytest.raises(SchemaError, match=r"unknown field 'bold' in 'text'"):
        document_from_dict(data)


def test_from_dict_rejects_missing_required_field():
    data = valid_dict()
    del data["blocks"][0]["level"]
    with pytest.raises(SchemaError, match=r"bad 'heading' node: .*level"):
        document_from_dict(data)


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda d: d["blocks"].append({"type": "bogus"}), id="unknown-block-type"),
    pytest.param(lambda d: d["blocks"].append({"children": []}), id="nested-missing-type"),
    pytest.param(lambda d: d["blocks"].append({"type": "text", "text": "x"}),
                 id="inline-as-block"),
    pytest.param(lambda d: d.update(metadata=None), id="metadata-null"),
    pytest.param(lambda d: d["metadata"].update(date="yesterday"), id="bad-date-string"),
    pytest.param(lambda d: d["metadata"].update(date=20240101), id="date-not-string"),
    pytest.param(lambda d: d["blocks"].append({"type": ["list"]}), id="unhashable-type"),
])
def test_from_dict_rejects_malformed_nodes_with_schema_error(mutate):
    data = valid_dict()
    mutate(data)
    with pytest.raises(SchemaError):
        document_from_dict(data)


# ---------------------------------------------------------------- schema rejects


def _first(data: dict[str, Any], block_type: str) -> dict[str, Any]:
    return next(b for b in data["blocks"] if b["type"] == block_type)


def _drop(path: list[Any]):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


_SCHEMA_REJECTS = {
    "unknown-block-type": lambda d: d["blocks"].append({"type": "video_block", "src": "x"}),
    "heading-level-7": lambda d: _first(d, "heading").update(level=7),
    "heading-level-0": lambda d: _first(d, "heading").update(level=0),
    "heading-level-bool": lambda d: _first(d, "heading").update(level=True),
    "paragraph-extra-property": lambda d: _first(d, "paragraph").update(style="x"),
    "metadata-extra-property": lambda d: d["metadata"].update(subtitle="x"),
    "top-level-extra-property": lambda d: d.update(generator="x"),
    "missing-origin": _drop(["origin"]),
    "missing-metadata-date": _drop(["metadata", "date"]),
    "missing-link-title": lambda d: _first(d, "paragraph")["children"][7].pop("title"),
    "missing-cell-colspan": lambda d: _first(d, "table")["rows"][0][0].pop("colspan"),
    "missing-block-type": lambda d: _first(d, "rule").pop("type"),
    "wrong-schema-version": lambda d: d.update(schema_version=SCHEMA_VERSION + 1),
    "inline-as-block": lambda d: d["blocks"].append({"type": "text", "text": "x"}),
    "block-as-inline": lambda d: _first(d, "paragraph")["children"].append(
        {"type": "rule"}),
    "figure-empty-src": lambda d: _first(d, "figure").update(src=""),
    "embed-kind-object": lambda d: _first(d, "embed").update(kind="object"),
    "cell-colspan-0": lambda d: _first(d, "table")["rows"][0][0].update(colspan=0),
    "header-rows-negative": lambda d: _first(d, "table").update(header_rows=-1),
    "diagnostic-level": lambda d: d["diagnostics"][0].update(level="info"),
    "diagnostic-count-0": lambda d: d["diagnostics"][0].update(count=0),
    "naive-date": lambda d: d["metadata"].update(date="2024-01-01T00:00:00"),
    "date-only": lambda d: d["metadata"].update(date="2024-01-01"),
    "extra-not-object": lambda d: d["metadata"].update(extra=[]),
    "authors-not-strings": lambda d: d["metadata"].update(authors=[1]),
    "list-item-not-array": lambda d: _first(d, "list")["items"].append(
        {"type": "paragraph", "children": []}),
}


@pytest.mark.parametrize("mutate", list(_SCHEMA_REJECTS.values()), ids=list(_SCHEMA_REJECTS))
def test_schema_rejects(mutate):
    data = via_json(valid_dict())
    assert errors(data) == []
    mutate(data)
    with pytest.raises(ValidationError):
        VALIDATOR.validate(data)


def test_schema_accepts_any_object_in_metadata_extra():
    data = valid_dict()
    data["metadata"]["extra"] = {"type": "nonsense", "additional": {"anything": [1, 2.5]}}
    assert errors(data) == []


def test_schema_rejects_missing_each_required_key_of_every_node():
    """Dropping any one key from any node of the hand-built document is an error."""
    original = via_json(valid_dict())

    def paths(value: Any, prefix: tuple = ()):
        if isinstance(value, dict):
            for key, item in value.items():
                yield (*prefix, key)
                if key != "extra":
                    yield from paths(item, (*prefix, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from paths(item, (*prefix, i))

    checked = 0
    for path in paths(original):
        data = copy.deepcopy(original)
        _drop(list(path))(data)
        if path[:2] == ("metadata", "extra") and len(path) > 2:
            assert errors(data) == [], path  # user data: free form
            continue
        assert errors(data), f"dropping {path!r} was accepted"
        checked += 1
    assert checked > 100


# ---------------------------------------------------------------- inline_text


def test_inline_text_flattens_nested_inlines():
    inlines = [
        Text("a "),
        Strong([Text("b "), Emphasis([Text("c"), Strikeout([Text("d")])])]),
        LineBreak(),
        Link("https://x", [Text("link "), Code("code()")], title="ignored"),
        Superscript([Text("2")]),
        Subscript([Text("i")]),
        Text(" "),
        Image("pic.png", "alt text"),
        Image("no-alt.png"),
        LineBreak(),
        Text("😀"),
    ]
    assert inline_text(inlines) == "a b cd\nlink code()2i alt text\n😀"


def test_inline_text_of_nothing_is_empty():
    assert inline_text([]) == ""
    assert inline_text([Strong([]), Link("x", [])]) == ""


def test_inline_text_of_every_inline():
    assert inline_text(EVERY_INLINE) == (
        "plain, é, 漢字, 𝄞 and 😀bold bold italicgone2ix = 1a linkicon\n"
    )


def test_image_sources_in_reading_order_including_nested():
    from convert.model import (
        Figure,
        Image,
        ListBlock,
        Paragraph,
        Quote,
        Strong,
        Table,
        TableCell,
        image_sources,
        iter_blocks,
    )

    blocks = [
        Paragraph([Strong([Image("https://x/1.png")])]),
        Quote([Figure("https://x/2.png", caption=[Image("https://x/3.png")])]),
        ListBlock(False, [[Paragraph([Image("https://x/4.png")])]]),
        Table([[TableCell([Image("https://x/5.png")])]]),
    ]
    assert image_sources(blocks) == [f"https://x/{n}.png" for n in range(1, 6)]
    assert [b.TYPE for b in iter_blocks(blocks)] == [
        "paragraph", "quote", "figure", "list", "paragraph", "table"]


def test_from_dict_reads_schema_version_1_documents():
    """Version 1 is version 2 without math nodes: a saved version 1 document loads."""
    data = document_to_dict(Document(Metadata(title="old"), [Paragraph([Text("x")])]))
    data["schema_version"] = 1
    doc = document_from_dict(data)
    assert doc.blocks == [Paragraph([Text("x")])]
    assert document_to_dict(doc)["schema_version"] == SCHEMA_VERSION


def test_math_round_trips_with_its_tex_exactly():
    tex = "\\chi^{2}=\\sum_{i=1}^{c}\\frac{(O_i-E_i)^2}{E_i}"
    doc = Document(Metadata(title="m"), [Paragraph([Math(tex), Math("x", display=True)])])
    data = via_json(document_to_dict(doc))
    assert errors(data) == []
    assert data["blocks"][0]["children"][0] == {"type": "math", "tex": tex, "display": False}
    assert document_from_dict(data) == doc
