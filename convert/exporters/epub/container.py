"""Writing the book: a reproducible zip (fixed entry times and attributes)."""

from __future__ import annotations

import zipfile

from ebooklib import epub

from ...memory import release_free_memory
from .ncx import ncx_bytes
from .text import XML_DECLARATION

# ---------------------------------------------------------------- zip writing

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PRECOMPRESSED = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


class _FixedTimeZipFile(zipfile.ZipFile):
    """A ZipFile whose entries all get one fixed time and fixed attributes.

    ebooklib calls ``writestr(name, data)``, which stamps each entry with the wall
    clock; here every entry is rebuilt as a ZipInfo with ``date_time`` fixed, Unix
    attributes 0644 and the same creator system on every platform. XML files also get
    the double-quoted declaration lxml does not write.
    """

    def __init__(self, file, date_time: tuple[int, ...], **kwargs) -> None:
        super().__init__(file, "w", **kwargs)
        self._fixed_date_time = date_time

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = (zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
                else zinfo_or_arcname)
        info = zipfile.ZipInfo(name, date_time=self._fixed_date_time)
        info.create_system = 3  # Unix, whatever we run on
        info.external_attr = 0o100644 << 16
        info.compress_type = self.compression if compress_type is None else compress_type
        if name.endswith(_PRECOMPRESSED):
            # JPEG, PNG, GIF and WebP are compressed already: deflating them again costs
            # most of a big book's build time and saves almost nothing.
            info.compress_type = zipfile.ZIP_STORED
        if isinstance(data, str):
            data = data.encode("utf-8")
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")) and data.startswith(b"<?xml"):
            end = data.index(b"?>") + 2
            data = XML_DECLARATION + data[end:]
        level = compresslevel if compresslevel is not None else self.compresslevel
        super().writestr(info, data, compresslevel=level)

    def abandon(self) -> None:
        """Forget the output without finishing it. After a failure or Ctrl-C the caller
        deletes the half-written file; without this, ``ZipFile.__del__`` would later
        write the central directory into a stream already closed and print a
        traceback ("Exception ignored in ZipFile.__del__")."""
        self.fp = None  # ZipFile.close() does nothing once fp is None


class ReproducibleWriter(epub.EpubWriter):
    """ebooklib's writer, writing into a :class:`_FixedTimeZipFile`.

    Subclassing (rather than re-packing ebooklib's zip afterwards) compresses each
    entry once and keeps ebooklib's entry order: ``mimetype`` first and stored, then
    container.xml, the package document and the items. ``write()`` below is
    ebooklib 0.20's own, with the ZipFile class changed and a failure (Ctrl-C
    included) leaving the zip unfinished rather than half-closed.
    """

    def __init__(self, out, book, date_time, options=None) -> None:
        super().__init__(out, book, options)
        self._date_time = date_time

    def _write_opf_file(self, root) -> None:
        """The package element says the book's language and direction (EPUB 3.3: both
        are inherited by every metadata text; Ace asks for ``xml:lang``)."""
        root.set(_XML_LANG, self.book.language)
        root.set("dir", self.book.direction or "ltr")
        super()._write_opf_file(root)

    def _get_nav(self, item) -> bytes:
        """ebooklib's navigation document; the pages of its tree go back at once."""
        data = super()._get_nav(item)
        release_free_memory()
        return data

    def _get_ncx(self) -> bytes:
        """The NCX with the real depth, the language and a playOrder per navPoint,
        written as text (:mod:`.ncx`)."""
        return ncx_bytes(self.book)

    def write(self) -> None:
        self.out = _FixedTimeZipFile(
            self.file_name, self._date_time,
            compression=zipfile.ZIP_DEFLATED, compresslevel=self.options["compresslevel"],
        )
        try:
            self.out.writestr("mimetype", "application/epub+zip",
                              compress_type=zipfile.ZIP_STORED)
            self._write_container()
            self._write_opf()
            # The package document's tree (tens of MB for 20,000 posts) is freed: give
            # its pages back before the navigation and the NCX are built.
            release_free_memory()
            self._write_items()
        except BaseException:
            self.out.abandon()
            raise
        self.out.close()


