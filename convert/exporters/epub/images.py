"""A book's pictures: downloaded (:mod:`convert.fetch`), prepared for the reading device
(:mod:`convert.fetch.prepare`), turned into zip items, and counted for the summary.

Every image of a post reaches its chapter: embedded when it could be had and prepared,
else shown as a link (see :mod:`.links`), never dropped.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

from ...fetch import CachedImage, ImageFetcher
from ...fetch.prepare import EPUB_CORE, ImagePolicy, ImagePreparer
from ...progress import progress_bar
from .devices import DEVICES
from .options import EpubOptions
from .pages import FileItem

__all__ = ["BookImages", "image_policy"]

#: Image URLs handed to the fetcher at a time (it downloads 8 at once).
_FETCH_BATCH = 256
_KIND_LABELS = {"offline": "not in the cache", "cache": "cache errors",
                "refused": "refused hosts", "bad URL": "bad URLs", "HTTP error": "HTTP errors"}


def image_policy(options: EpubOptions) -> ImagePolicy:
    """What ``--device``, ``--keep-image-formats`` and ``--max-image-size`` ask for.
    AVIF is converted even with ``--keep-image-formats``: it is no EPUB core media type,
    so a book holding it fails EPUBCheck and most readers."""
    device = DEVICES[options.device]
    keep = EPUB_CORE if options.keep_image_formats else device.keep
    size = options.max_image_size
    if size is None:
        size = device.max_size
    elif size == (0, 0):
        size = None
    return ImagePolicy(keep=keep, max_size=size)


def image_item(image: CachedImage) -> FileItem:
    name = "images/" + hashlib.sha256(image.url.encode("utf-8")).hexdigest()[:20] + \
        image.extension
    return FileItem(uid="img-" + name[7:27], file_name=name, media_type=image.media_type,
                    path=str(image.path))


class BookImages:
    """Fetches and prepares the images of one book; says what happened in ``notes``."""

    def __init__(self, options: EpubOptions, fetcher: ImageFetcher) -> None:
        self.options = options
        self.fetcher = fetcher
        self.preparer = ImagePreparer(image_policy(options), fetcher.cache_dir / "prepared")
        self.converted: Counter[str] = Counter()  # "WebP → JPEG" → count
        self.downscaled = 0
        self.unconverted: dict[str, str] = {}  # url → why it went in as served
        self.dropped: dict[str, str] = {}  # url → why it could not go in (a link)
        self.changes: list[str] = []  # one line per prepared image, for -v

    def prepare(self, image: CachedImage) -> CachedImage | None:
        """The image as the book holds it; None when it cannot go into a book."""
        prepared = self.preparer.prepare(image)
        if prepared.problem:
            if image.extension in EPUB_CORE:  # a reader can still show it as served
                self.unconverted[image.url] = prepared.problem
                self.changes.append(f"image {image.url}: not converted, embedded as "
                                    f"served ({prepared.problem})")
                return image
            self.dropped[image.url] = prepared.problem
            self.changes.append(f"image {image.url}: cannot convert, shown as a link "
                                f"({prepared.problem})")
            return None
        if prepared.converted:
            self.converted[prepared.converted] += 1
        self.downscaled += prepared.downscaled
        if prepared.change:
            self.changes.append(f"image {image.url}: {prepared.change}")
        return prepared.image

    def fetch(self, wanted: Sequence[str]) -> dict[str, FileItem]:
        """URL → zip item for every image of ``wanted`` that could be had, fetched in
        batches (``fetch_all`` keeps a future, about 2.5 KB, per URL it is given), with
        a progress bar on a terminal."""
        before = (self.fetcher.stats.downloaded, self.fetcher.stats.cached)
        items: dict[str, FileItem] = {}
        with progress_bar(len(wanted), "images", self.options.progress) as advance:
            # (At least one call, even with no image: it also clears a killed run's
            # leftovers.)
            for start in range(0, max(len(wanted), 1), _FETCH_BATCH):
                fetched = self.fetcher.fetch_all(wanted[start:start + _FETCH_BATCH], advance)
                for url, image in fetched.items():
                    prepared = self.prepare(image)
                    if prepared is not None:
                        items[url] = image_item(prepared)
        self._note(before, wanted)
        return items

    # ------------------------------------------------------------ the summary

    def notes(self) -> list[str]:
        return self._notes

    def _note(self, before: tuple[int, int], wanted: Sequence[str]) -> None:
        """One summary line (and one on conversions); with ``extra["verbose"]``, one
        line per image not embedded and per image changed."""
        self._notes: list[str] = []
        if not wanted:
            return
        stats = self.fetcher.stats
        downloaded, cached = stats.downloaded - before[0], stats.cached - before[1]
        failed = [url for url in wanted if url in stats.failures]
        kinds = Counter(stats.kinds[url] for url in failed)
        kinds.update({"cannot convert": len(self.dropped)} if self.dropped else {})
        why = ", ".join(f"{count} {self._kind_label(kind)}"
                        for kind, count in kinds.most_common())
        mode = " (offline)" if self.options.offline else ""
        links = len(failed) + len(self.dropped)
        self._notes.append(
            f"images{mode}: {downloaded + cached - len(self.dropped)} of {len(wanted)} "
            f"embedded ({downloaded} downloaded, {cached} from the cache), {links} shown as "
            f"links" + (f": {why}" if why else ""))
        if self.converted or self.downscaled or self.unconverted:
            parts = [f"{count} {change}" for change, count in self.converted.most_common()]
            if self.downscaled:
                parts.append(f"{self.downscaled} downscaled")
            if self.unconverted:
                parts.append(f"{len(self.unconverted)} not converted (embedded as served)")
            self._notes.append(f"images for {self.options.device}: " + ", ".join(parts))
        if self.options.extra.get("verbose"):
            self._notes.extend(f"image {url}: {stats.failures[url]}" for url in failed)
            self._notes.extend(self.changes)

    def _kind_label(self, kind: str) -> str:
        """How the summary line names a kind of failure (see ``FetchError.kind``)."""
        if kind == "deadline":
            return f"not fetched within --fetch-timeout {self.options.fetch_timeout:g} s"
        return _KIND_LABELS.get(kind, kind)
