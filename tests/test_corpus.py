"""The whole corpus through the real command line: every post converts, every output
holds the promises the README makes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from epubchecker import problems

from convert.model_json import json_schema

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef\u3000-\u303f"
CJK_SPACE_CJK = re.compile(f"[{CJK}] +[{CJK}]")


def newsconv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, corpus: list[Path]) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("corpus")
    folder = str(corpus[0].parent)
    runs = {
        "md": newsconv("to-md", folder, "-o", str(out / "md"), "-q"),
        "json": newsconv("to-json", folder, "-o", str(out / "json"), "-q"),
        "epub": newsconv("to-epub", folder, "-o", str(out / "book.epub"), "-q", "--offline",
                         "--cache-dir", str(out / "cache")),
    }
    for name, run in runs.items():
        assert run.returncode == 0, f"{name}: exit {run.returncode}\n{run.stderr}"
        assert run.stderr == "", f"{name} with -q printed: {run.stderr}"
    return {"md": out / "md", "json": out / "json", "epub": out / "book.epub", "root": out}


def test_one_output_per_post(converted: dict[str, Path], corpus: list[Path]) -> None:
    stems = sorted(p.stem for p in corpus)
    assert sorted(p.stem for p in converted["md"].glob("*.md")) == stems
    assert sorted(p.stem for p in converted["json"].glob("*.json")) == stems


def test_book_of_all_posts_passes_epubcheck(converted: dict[str, Path],
                                            corpus: list[Path]) -> None:
    found = problems(converted["epub"])
    assert found == [], "\n".join(found)
    with zipfile.ZipFile(converted["epub"]) as book:
        chapters = [n for n in book.namelist() if "chapter" in n and n.endswith(".xhtml")]
    assert len(chapters) == len(corpus)


def test_every_json_validates_against_the_shipped_schema(converted: dict[str, Path]) -> None:
    validator = jsonschema.Draft202012Validator(
        json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for path in sorted(converted["json"].glob("*.json")):
        errors = list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        assert not errors, f"{path.name}: {errors[0].message} at {list(errors[0].path)}"


def test_markdown_from_json_equals_markdown_from_post(converted: dict[str, Path]) -> None:
    again = converted["root"] / "md-from-json"
    run = newsconv("to-md", *sorted(map(str, converted["json"].glob("*.json"))),
                   "-o", str(again), "-q")
    assert run.returncode == 0, run.stderr
    for path in sorted(converted["md"].glob("*.md")):
        assert (again / path.name).read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"), path.name


def test_markdown_has_no_blank_space_lines_or_trailing_space_breaks(
        converted: dict[str, Path]) -> None:
    for path in sorted(converted["md"].glob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            assert not (line and not line.strip()), f"{path.name}:{number}: whitespace-only"
            assert not line.endswith(" "), f"{path.name}:{number}: trailing space"


def _source_text(post: Path) -> str:
    """The title and the visible text of the body, with the spaces the source has
    (runs collapsed, as HTML shows them); line breaks are not spaces."""
    from convert.normalise.html import parse_body
    from convert.reader import read_post

    raw = read_post(post.read_bytes())
    text = str(raw.metadata.get("title", "")) + "\n" + "".join(parse_body(raw.body).itertext())
    return re.sub(r"[ \t\u00a0]+", " ", text)


def test_no_space_inserted_between_cjk_characters(converted: dict[str, Path],
                                                  corpus: list[Path]) -> None:
    for post in corpus:
        source = _source_text(post)
        allowed = {m.group() for m in CJK_SPACE_CJK.finditer(source)}
        outputs = [converted["md"] / f"{post.stem}.md", converted["json"] / f"{post.stem}.json"]
        for out in outputs:
            for match in CJK_SPACE_CJK.finditer(out.read_text(encoding="utf-8")):
                assert match.group() in allowed, (
                    f"{out.name}: space inserted in {match.group()!r}")


def test_broken_yaml_posts_keep_their_titles(converted: dict[str, Path]) -> None:
    titles = {
        "19-34381996951": "BthI1stOpeC7Cwfの投稿イラスト",
        "39-34499713616": "Pass the Butter!",
    }
    for stem, expected in titles.items():
        data = json.loads((converted["json"] / f"{stem}.json").read_text(encoding="utf-8"))
        assert expected in data["metadata"]["title"]
        assert any("YAML" in d["message"] for d in data["diagnostics"])


def test_all_date_shapes_parse(converted: dict[str, Path], corpus: list[Path]) -> None:
    shapes = {"rfc2822": 0, "naive": 0, "invalid": 0}
    for post in corpus:
        raw = re.search(r"^date: (.*)$", post.read_text(encoding="utf-8"), re.M).group(1)
        data = json.loads((converted["json"] / f"{post.stem}.json").read_text(encoding="utf-8"))
        date = data["metadata"]["date"]
        if raw == "Invalid Date":
            shapes["invalid"] += 1
            assert date is None
            assert any("Invalid Date" in d["message"] for d in data["diagnostics"])
        else:
            shapes["rfc2822" if "," in raw else "naive"] += 1
            assert date is not None and date.endswith("+00:00"), (post.name, raw, date)
    assert all(shapes.values()), shapes
