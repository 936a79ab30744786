"""Site profiles: site-specific cleaning as data, read by one generic engine.

A profile is a YAML file (see ``convert/profiles/*.yaml``)::

    name: mitbbs
    description: 未名新闻 — hidden "Mitbbs.com" watermark, Google ad table
    match:                    # any one of these selects the profile
      authors: [未名新闻]
      categories: [未名新闻]
      hosts: [mitbbs.com]     # host (or a parent domain) of the post's images or URL keys
    remove: ["ins.adsbygoogle"]     # CSS selectors of elements to drop
    captions: [".image-caption"]    # CSS selectors of image captions
    remove_text: ['Mitbbs\\.com']   # regular expressions a whole text piece must match
    base_url: https://www.mitbbs.com/ # resolves relative links and images
    headings: {".text-sm-title": 3}  # CSS selector → heading level (1-6) of subheadings
    lang: zh-Hans                   # the site's language, when a post is too short to tell

Built-in profiles ship in the package; users add theirs in the ``profiles`` folder of
the user config directory, or name files with ``--profile``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError

from ..model import Diagnostic
from .context import StepContext, outermost, remove_all_keeping_tails, text_sample
from .figures import CAPTION_MARK
from .language import normalise_language_tag
from .urls import split_url

_KEYS = {"name", "description", "match", "base_url", "remove", "captions", "remove_text",
         "headings", "lang"}
_MATCH_KEYS = {"authors", "categories", "hosts"}
# What a heading selector never turns into a heading: structure and code.
_NOT_HEADINGS = frozenset({"pre", "code", "table", "tr", "td", "th", "ul", "ol", "li", "img",
                           "figure", "body", "html"})
_POST_URL_KEYS = ("link", "url", "permalink", "source_url")
_URL_KEYS = ("link", "url", "permalink", "source_url", "headimg", "thumbnail", "cover", "image")


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class SiteProfile:
    name: str
    description: str
    origin: str
    authors: frozenset[str]
    categories: frozenset[str]
    hosts: tuple[str, ...]
    remove: tuple[CSSSelector, ...]
    captions: tuple[CSSSelector, ...]
    remove_text: tuple[re.Pattern[str], ...]
    base_url: str | None = None
    headings: tuple[tuple[CSSSelector, int], ...] = ()
    lang: str | None = None

    def matches(self, authors: set[str], categories: set[str], hosts: set[str]) -> bool:
        if self.authors & authors or self.categories & categories:
            return True
        return any(h == p or h.endswith("." + p) for h in hosts for p in self.hosts)


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ProfileError(f"{where}: expected a string or a list of strings")


def parse_profile(data: Any, origin: str) -> SiteProfile:
    """Build a profile from loaded YAML; raises :class:`ProfileError` naming ``origin``."""
    if not isinstance(data, dict):
        raise ProfileError(f"{origin}: a profile is a YAML mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ProfileError(f"{origin}: unknown key {sorted(unknown)[0]!r} "
                           f"(known: {', '.join(sorted(_KEYS))})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ProfileError(f"{origin}: 'name' is required")
    match = data.get("match") or {}
    if not isinstance(match, dict) or set(match) - _MATCH_KEYS:
        raise ProfileError(f"{origin}: 'match' takes {', '.join(sorted(_MATCH_KEYS))}")
    if not any(match.get(k) for k in _MATCH_KEYS):
        raise ProfileError(f"{origin}: 'match' needs authors, categories or hosts")

    def selectors(key: str) -> tuple[CSSSelector, ...]:
        out = []
        for css in _strings(data.get(key), f"{origin}: {key}"):
            try:
                out.append(CSSSelector(css))
            except SelectorError as exc:
                raise ProfileError(f"{origin}: {key}: bad CSS selector {css!r}: {exc}") from None
        return tuple(out)

    base_url = data.get("base_url")
    if base_url is not None and not (isinstance(base_url, str)
                                     and re.match(r"^https?://[^/]+", base_url)):
        raise ProfileError(f"{origin}: base_url must be an absolute http(s) URL")
    patterns = []
    for pattern in _strings(data.get("remove_text"), f"{origin}: remove_text"):
        try:
            patterns.append(re.compile(pattern))
        except re.error as exc:
            raise ProfileError(f"{origin}: remove_text: bad pattern {pattern!r}: {exc}") from None
    headings = []
    heading_map = data.get("headings") or {}
    if not isinstance(heading_map, dict):
        raise ProfileError(f"{origin}: headings: expected a mapping of CSS selector to level")
    for css, level in heading_map.items():
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 6:
            raise ProfileError(f"{origin}: headings: level of {css!r} must be 1 to 6")
        try:
            headings.append((CSSSelector(str(css)), level))
        except SelectorError as exc:
            raise ProfileError(f"{origin}: headings: bad CSS selector {css!r}: {exc}") from None
    lang = data.get("lang")
    if lang is not None:
        lang = normalise_language_tag(str(lang))
        if lang is None:
            raise ProfileError(f"{origin}: lang: not a language tag: {data['lang']!r}")
    return SiteProfile(
        name=name.strip(),
        description=str(data.get("description") or "").strip(),
        origin=origin,
        authors=frozenset(_strings(match.get("authors"), f"{origin}: match.authors")),
        categories=frozenset(_strings(match.get("categories"), f"{origin}: match.categories")),
        hosts=tuple(h.lower().lstrip(".") for h in _strings(match.get("hosts"),
                                                             f"{origin}: match.hosts")),
        remove=selectors("remove"),
        captions=selectors("captions"),
        remove_text=tuple(patterns),
        base_url=base_url,
        headings=tuple(headings),
        lang=lang,
    )


def load_profile(path: str | Path) -> SiteProfile:
    """Read one profile file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_profile(data, str(path))


@lru_cache(maxsize=1)
def builtin_profiles() -> tuple[SiteProfile, ...]:
    folder = files("convert").joinpath("profiles")
    found = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")),
                   key=lambda p: p.name)
    return tuple(parse_profile(yaml.safe_load(p.read_text("utf-8")), f"built-in:{p.name}")
                 for p in found)


def user_profile_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("newsconv")) / "profiles"


def user_profiles() -> tuple[SiteProfile, ...]:
    folder = user_profile_dir()
    if not folder.is_dir():
        return ()
    return tuple(load_profile(p) for p in sorted(folder.glob("*.yaml")))


def available_profiles(extra: Iterable[str | Path] = ()) -> tuple[SiteProfile, ...]:
    """Built-in, then the user's, then ``extra`` files; a later profile with the same name
    replaces an earlier one."""
    by_name: dict[str, SiteProfile] = {}
    for profile in (*builtin_profiles(), *user_profiles(), *(load_profile(p) for p in extra)):
        by_name.pop(profile.name, None)
        by_name[profile.name] = profile
    return tuple(by_name.values())


# ---------------------------------------------------------------- the engine


#: How many values of one front-matter key are looked at: YAML aliases can make a few
#: lines stand for a huge or an endless (self-containing) list.
_MAX_VALUES = 10_000


def _flat_strings(value: Any) -> set[str]:
    """The strings in a front-matter value: a string, or lists of them at any depth."""
    out: set[str] = set()
    queue = deque([value])  # breadth first: a self-containing list cannot hide the rest
    budget = _MAX_VALUES
    while queue and budget > 0:
        budget -= 1
        item = queue.popleft()
        if isinstance(item, str):
            out.add(item.strip())
        elif isinstance(item, list):
            queue.extend(item)
    return out


def _hosts(metadata: Mapping[str, Any], root: etree._Element) -> set[str]:
    urls = [str(metadata[k]) for k in _URL_KEYS if isinstance(metadata.get(k), str)]
    urls += [img.get("src") or "" for img in root.iter("img")]
    hosts = set()
    for url in urls:
        parts = split_url(url)
        host = parts.netloc.lower().split("@")[-1].split(":")[0] if parts else ""
        if host:
            hosts.add(host)
    return hosts


def matching_profiles(profiles: Sequence[SiteProfile], metadata: Mapping[str, Any],
                      root: etree._Element) -> list[SiteProfile]:
    authors = _flat_strings(metadata.get("author")) | _flat_strings(metadata.get("authors"))
    categories = _flat_strings(metadata.get("categories"))
    hosts = _hosts(metadata, root)
    return [p for p in profiles if p.matches(authors, categories, hosts)]


def _remove_text(root: etree._Element, patterns: Sequence[re.Pattern[str]]) -> list[str]:
    """Blank text pieces (element text or tails) that a pattern matches whole."""
    removed: list[str] = []
    if not patterns:
        return removed
    for el in root.iter(etree.Element):
        if (found := _matched(el.text, patterns)) is not None:  # el.text read once
            removed.append(found)
            el.text = None
        if (found := _matched(el.tail, patterns)) is not None:
            removed.append(found)
            el.tail = None
    return removed


def _matched(value: str | None, patterns: Sequence[re.Pattern[str]]) -> str | None:
    """``value`` stripped, when a pattern matches it whole."""
    stripped = value.strip() if value else ""
    return stripped if stripped and any(p.fullmatch(stripped) for p in patterns) else None


def _link_back(removed: Sequence[etree._Element], profile: SiteProfile) -> str | None:
    """The first link to the profile's own site in removed furniture ("查看原文", "view
    discussion"): the post's source when the front matter names none."""
    for el in removed:
        for a in el.iter("a"):
            href = (a.get("href") or "").strip()
            parts = split_url(href)
            if parts is None or parts.scheme not in ("http", "https"):
                continue
            host = parts.netloc.lower().split("@")[-1].split(":")[0]
            if any(host == p or host.endswith("." + p) for p in profile.hosts):
                return href
    return None


def apply_site_profiles(root: etree._Element, ctx: StepContext) -> None:
    """Apply every site profile that matches the post."""
    for profile in matching_profiles(ctx.profiles, ctx.metadata, root):
        if profile.base_url and not ctx.base_url:
            ctx.base_url = profile.base_url
        step = f"profile:{profile.name}"
        doomed = [el for sel in profile.remove for el in sel(root)]
        topmost = outermost(doomed)
        if ctx.source_url is None and not any(ctx.metadata.get(k) for k in _POST_URL_KEYS):
            ctx.source_url = _link_back(topmost, profile)
            ctx.report(step, "kept the removed link back to the original article as the "
                       "source URL", 1 if ctx.source_url else 0, ctx.source_url)
        sample = text_sample(topmost)
        remove_all_keeping_tails(topmost)
        ctx.report(step, "removed site furniture", len(topmost), sample or None)
        removed_text = _remove_text(root, profile.remove_text)
        ctx.report(step, "removed site text", len(removed_text), " | ".join(removed_text) or None)
        for sel in profile.captions:
            for el in sel(root):
                el.set(CAPTION_MARK, "1")
        made = 0
        for sel, level in profile.headings:
            for el in sel(root):
                if el.tag not in _NOT_HEADINGS:
                    el.tag = f"h{level}"
                    made += 1
        ctx.report(step, "made the site's subheadings into headings", made)
        if profile.lang and not ctx.profile_lang:
            ctx.profile_lang = profile.lang
        ctx.diagnostics.append(Diagnostic("change", step,
                                          f"applied site profile {profile.name!r}"))
