"""Golden files: each folder under tests/golden/ is one case.

A case holds ``input.md`` (or ``input.html``) and what newsconv must make of it:
``expected.md`` (Markdown), ``expected.json`` (the document) and ``expected.epub.txt``
(an EPUB fingerprint: the sorted zip entry list, then every chapter's XHTML). Adding a
case is adding a folder.

To regenerate after an intended change, run::

    NEWSCONV_UPDATE_GOLDEN=1 pytest tests/test_golden.py

and review the diff. It refuses to run under CI.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from convert.exporters import ExportOptions
from convert.exporters.epub import EpubExporter
from convert.exporters.json import JsonExporter
from convert.exporters.markdown import MarkdownExporter
from convert.pipeline import load_path

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("NEWSCONV_UPDATE_GOLDEN") == "1"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


def _input(case: Path) -> Path:
    for name in ("input.md", "input.html", "input.htm", "input.markdown"):
        if (case / name).exists():
            return case / name
    raise FileNotFoundError(f"{case}: no input.* file")


def epub_fingerprint(data: bytes) -> str:
    """The parts of an EPUB a reader sees: its entries, and each chapter's XHTML."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        names = sorted(book.namelist())
        parts = ["# entries", *names]
        for name in names:
            if "chapter" in name and name.endswith(".xhtml"):
                parts += [f"# {name}", book.read(name).decode("utf-8")]
    return "\n".join(parts) + "\n"


def outputs(case: Path) -> dict[str, str]:
    doc = load_path(_input(case))
    # images from the cache alone (an empty one): the same golden book on every machine
    options = ExportOptions(offline=True, cache_dir=case / "no-cache")
    return {
        "expected.md": MarkdownExporter(options).export([doc]).decode("utf-8"),
        "expected.json": JsonExporter(options).export([doc]).decode("utf-8"),
        "expected.epub.txt": epub_fingerprint(EpubExporter(options).export([doc])),
    }


def test_cases_exist() -> None:
    assert len(CASES) >= 13, "the golden suite covers at least 13 corpus posts"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path) -> None:
    produced = outputs(case)
    if UPDATE:
        if os.environ.get("CI"):
            pytest.fail("golden files are never regenerated under CI")
        for name, text in produced.items():
            (case / name).write_text(text, encoding="utf-8")
        return
    for name, text in produced.items():
        expected_path = case / name
        assert expected_path.exists(), f"{expected_path} missing: regenerate the golden files"
        expected = expected_path.read_text(encoding="utf-8")
        assert text == expected, f"{case.name}/{name} differs from the golden file"
