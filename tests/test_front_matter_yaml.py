"""The Markdown front matter is PyYAML's safe-dumper text whichever dumper writes it
(libyaml's is used when it writes the same)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from convert.exporters.markdown import dump_front_matter


def reference(data: dict) -> str:
    return yaml.dump(data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False,
                     width=10**9, default_flow_style=False)


_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)


@settings(max_examples=400, deadline=None)
@given(title=_TEXT, authors=st.lists(_TEXT, max_size=3), category=_TEXT)
def test_front_matter_is_the_safe_dumpers_text(title: str, authors: list[str],
                                               category: str) -> None:
    data = {"title": title, "date": "2024-01-02T03:04:05+00:00",
            "author": authors[0] if len(authors) == 1 else authors,
            "categories": [category, "x"], "source": title[::-1]}
    assert dump_front_matter(data) == reference(data)


def test_text_libyaml_would_escape_is_written_as_pyyaml_writes_it() -> None:
    for title in ["20話😢", "a\x85b", "line\u2028sep", "x\ud800y", "Card 🏞", "中文標題"]:
        data = {"title": title, "categories": [title]}
        assert dump_front_matter(data) == reference(data)
    assert dump_front_matter({"title": "20話😢"}) == "title: 20話😢\n"
