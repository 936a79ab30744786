"""The planted bugs: one-line mutations of ``convert/``, each with the test files that
are expected to catch it on their own (its area's unit tests, its corpus tests, golden).

A mutation is (id, file, original line text, replacement). The original text must occur
exactly once in the file, so a change of the code makes the runner say "stale" instead
of silently mutating something else.
"""

from __future__ import annotations

from typing import NamedTuple


class Mutation(NamedTuple):
    id: str
    area: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]


MUTATIONS: list[Mutation] = [
    Mutation("contrast", "contrast threshold: no low-contrast text counts as hidden",
             "convert/normalise/hidden.py", "MIN_CONTRAST = 1.3", "MIN_CONTRAST = 1.0",
             ("test_cleaning.py", "test_cleaning_corpus.py", "test_golden.py")),
    Mutation("ad-block", "ad-block remover: comment-delimited ad blocks are kept",
             "convert/normalise/noise.py",
             "    samples = _remove_ranges(root, ranges) if ranges else []",
             "    samples = []",
             ("test_cleaning.py", "test_cleaning_corpus.py", "test_golden.py")),
    Mutation("md-escape", "Markdown escaping: * and _ in text are not escaped",
             "convert/exporters/markdown_escape.py", r'_ALWAYS = re.compile(r"[\\`*_\[\]$]")',
             r'_ALWAYS = re.compile(r"[\\`\[\]$]")',
             ("test_markdown.py", "test_golden.py")),
    Mutation("ssrf", "SSRF check: no address is refused",
             "convert/fetch/guard.py", 'return f"{kind} address {ip}"', "return None",
             ("test_fetch.py", "test_epub_book.py")),
    Mutation("atomic-write", "atomic writes: per-file outputs written in place",
             "convert/writers.py",
             "                atomic_write(target, outcome.output)  # type: ignore[arg-type]",
             "                target.write_bytes(outcome.output)  # type: ignore[arg-type]",
             ("test_output.py",)),
    Mutation("zip-times", "zip times: entries stamped with the clock, not the fixed time",
             "convert/exporters/epub/container.py",
             "info = zipfile.ZipInfo(name, date_time=self._fixed_date_time)",
             'info = zipfile.ZipInfo(name, date_time=__import__("time").localtime()[:6])',
             ("test_epub.py", "test_epub_book.py")),
    Mutation("link-safety", "link safety: javascript: and other schemes allowed",
             "convert/links.py",
             "        return match.group(1).lower() in ALLOWED_SCHEMES",
             "        return True",
             ("test_cleaning.py", "test_cleaning_corpus.py", "test_golden.py",
              "test_hostile_links.py")),
    Mutation("redirector", "redirector unwrapping: redirector links kept as they are",
             "convert/normalise/urls.py", "        if target is None or target == url:",
             "        if True:",
             ("test_cleaning.py", "test_cleaning_corpus.py", "test_golden.py")),
    Mutation("date-repair", "date repair: RFC 2822 dates no longer parsed",
             "convert/normalise/metadata.py", "    if _MONTH_NAME.search(text):",
             "    if False:",
             ("test_metadata.py", "test_corpus.py", "test_golden.py")),
    Mutation("cjk-breaks", "CJK line breaks: a newline between CJK characters becomes a space",
             "convert/normalise/text.py",
             '_NEWLINE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])\\n(?=[{_CJK}])")',
             '_NEWLINE_BETWEEN_CJK = re.compile("(?!)")',
             ("test_build.py", "test_corpus.py", "test_golden.py")),
    Mutation("remove-text", "profile remove_text ignored",
             "convert/normalise/profiles.py",
             "removed_text = _remove_text(root, profile.remove_text)", "removed_text = []",
             ("test_cleaning.py", "test_cleaning_corpus.py", "test_golden.py")),
    Mutation("schema-version", "schema_version left out of the JSON",
             "convert/model_json.py", 'return {"schema_version": SCHEMA_VERSION, **data}',
             "return dict(data)",
             ("test_model.py", "test_corpus.py", "test_golden.py")),
]
