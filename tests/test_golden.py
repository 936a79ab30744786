"""Golden files: each folder under tests/golden/ is one case.

A case holds ``input.md`` (or ``input.html``) and what newsconv must make of it:
``expected.md`` (Markdown), ``expected.json`` (the document) and ``expected.epub.txt``
(an EPUB fingerprint: the sorted zip entry list, then every chapter's XHTML). Adding a
case is adding a folder.

To regenerate after an intended change, run::

    pytest --update-golden tests/test_golden.py

and review the diff. The option is refused when ``CI`` is set; a plain run only compares.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.exporters.json import JsonExporter
from convert.exporters.markdown import MarkdownExporter
from convert.pipeline import load_path

GOLDEN = Path(__file__).parent / "golden"
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
    options = EpubOptions(offline=True, cache_dir=case / "no-cache")
    return {
        "expected.md": MarkdownExporter(options).export([doc]).decode("utf-8"),
        "expected.json": JsonExporter(options).export([doc]).decode("utf-8"),
        "expected.epub.txt": epub_fingerprint(EpubExporter(options).export([doc])),
    }


def test_cases_exist() -> None:
    assert len(CASES) >= 13, "the golden suite covers at least 13 corpus posts"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, update_golden: bool) -> None:
    produced = outputs(case)
    if update_golden:
        for name, text in produced.items():
            (case / name).write_text(text, encoding="utf-8")
        return
    for name, text in produced.items():
        expected_path = case / name
        assert expected_path.exists(), f"{expected_path} missing: regenerate the golden files"
        expected = expected_path.read_text(encoding="utf-8")
        assert text == expected, f"{case.name}/{name} differs from the golden file"


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("CI", "NEWSCONV_UPDATE_GOLDEN")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], capture_output=True, text=True, timeout=300,
                          env={**environ, **env}, cwd=Path(__file__).resolve().parents[1])


def _snapshot() -> dict[Path, bytes]:
    return {p: p.read_bytes() for case in CASES for p in case.glob("expected.*")}


def test_update_option_is_refused_under_ci() -> None:
    before = _snapshot()
    run = _pytest(f"{__file__}::test_cases_exist", "--update-golden", CI="true")
    assert run.returncode != 0
    assert "--update-golden is refused when CI is set" in run.stdout + run.stderr
    assert _snapshot() == before


def test_retired_variable_fails_instead_of_rewriting() -> None:
    case = CASES[0]
    before = _snapshot()
    run = _pytest(f"{__file__}::test_golden[{case.name}]", NEWSCONV_UPDATE_GOLDEN="1")
    assert run.returncode == 1, run.stdout
    assert "--update-golden" in run.stdout
    assert _snapshot() == before
