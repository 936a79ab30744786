"""The book's stylesheet: a font stack per language, and colours readable in day and
night mode (WCAG AA, 4.5:1, on a white and on a black page)."""

from __future__ import annotations

import re

import pytest

from convert.exporters.epub.style import STYLESHEET

#: Words a colour-bearing declaration may hold besides colours.
_NOT_COLOURS = {"solid", "dashed", "dotted", "double", "none", "inherit", "initial",
                "currentcolor", "transparent", "px", "em", "auto", "thin", "medium",
                "collapse", "separate"}
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def declarations(css: str) -> list[tuple[str, str, str]]:
    """``(selector, property, value)`` for every declaration of ``css``."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out = []
    for selector, body in _RULE.findall(css):
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                out.append((" ".join(selector.split()), name.strip().lower(), value.strip()))
    return out


def parse_colour(token: str) -> tuple[int, int, int]:
    token = token.lower()
    if re.fullmatch(r"#[0-9a-f]{3}", token):
        return tuple(int(c * 2, 16) for c in token[1:])  # type: ignore[return-value]
    if re.fullmatch(r"#[0-9a-f]{6}", token):
        return tuple(int(token[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    match = re.fullmatch(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", token)
    if match:
        return tuple(int(v) for v in match.groups())  # type: ignore[return-value]
    raise ValueError(f"a colour the test cannot read: {token!r} (add it to parse_colour)")


def colours(css: str) -> list[tuple[str, str]]:
    """``(where, colour)`` for every colour the stylesheet names."""
    found = []
    for selector, name, value in declarations(css):
        if name == "font-family":
            continue
        tokens = re.findall(r"rgba?\([^)]*\)|hsla?\([^)]*\)|#[0-9A-Fa-f]+|[A-Za-z-]+", value)
        for token in tokens:
            if token.startswith(("#", "rgb", "hsl")):
                found.append((f"{selector} {name}", token))
            elif name in ("color", "background", "background-color") or \
                    name.startswith(("border", "outline")):
                if token.lower() not in _NOT_COLOURS:
                    found.append((f"{selector} {name}", token))  # a named colour
    return found


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = map(channel, rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((0x55, 0x55, 0x55), (0, 0, 0)) == pytest.approx(2.8, abs=0.05)
    assert contrast((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_the_parser_sees_every_kind_of_colour():
    css = "a { color: #555; border: 1px solid rgb(1, 2, 3); } b { background: red; }"
    assert [c for _, c in colours(css)] == ["#555", "rgb(1, 2, 3)", "red"]
    with pytest.raises(ValueError):
        parse_colour("red")


def test_every_colour_passes_wcag_aa_on_white_and_black():
    found = colours(STYLESHEET)
    assert len(found) >= 5  # the test reads the stylesheet's colours at all
    for where, token in found:
        rgb = parse_colour(token)
        for page, page_rgb in (("white", (255, 255, 255)), ("black", (0, 0, 0))):
            ratio = contrast(rgb, page_rgb)
            assert ratio >= 4.5, f"{where}: {token} is {ratio:.2f}:1 on {page}"


def font_stack(selector_part: str) -> list[str]:
    for selector, name, value in declarations(STYLESHEET):
        if name == "font-family" and selector_part in selector.split(", "):
            return [f.strip().strip('"').lower() for f in value.split(",")]
    raise AssertionError(f"no font-family for {selector_part}")


@pytest.mark.parametrize(("selector", "cjk"), [
    (":lang(zh-Hans)", "noto sans cjk sc"), (":lang(zh)", "noto sans cjk sc"),
    (":lang(zh-Hant)", "noto sans cjk tc"), (":lang(zh-TW)", "noto sans cjk tc"),
    (":lang(zh-HK)", "noto sans cjk hk"), (":lang(ja)", "noto sans cjk jp"),
    (":lang(ko)", "noto sans cjk kr"),
])
def test_each_cjk_language_has_latin_and_cjk_families_of_one_kind(selector, cjk):
    stack = font_stack(selector)
    assert cjk in stack
    assert stack.index("helvetica neue") < stack.index(cjk)  # Latin words: a Latin sans
    assert stack[-1] == "sans-serif"


def test_traditional_chinese_rules_come_after_the_generic_chinese_one():
    # :lang(zh) matches zh-TW too: the Traditional rule must win by coming later
    assert STYLESHEET.index(":lang(zh-Hant)") > STYLESHEET.index(":lang(zh)")
    assert font_stack("body")[-1] == "serif"
