"""Every image of every post reaches its chapter (issue 10, point 1): a cover taken from
a post stays in the post, no file in the book goes unreferenced (epubcheck ``-u``), and
books made online and ``--offline`` hold the same chapters with the same figures."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from epubchecker import problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imageserver import image_server
from PIL import Image

from convert.exporters.epub import EpubExporter, EpubOptions
from convert.exporters.epub.cover import find_font, generated_cover_png
from convert.fetch import CachedImage, check_image, sniff_image_type
from convert.fetch.images import HEAD_BYTES
from convert.fetch.prepare import EPUB_CORE, ImagePolicy, ImagePreparer, parse_size
from convert.model import Document, Figure, Metadata, Paragraph, Text


def newsconv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *args], capture_output=True,
                          text=True, timeout=600)


def book_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def figures(files: dict[str, bytes]) -> dict[str, int]:
    """Per chapter, how many figures it shows (an image or a link to one)."""
    return {name: data.decode("utf-8").count("<figure")
            for name, data in sorted(files.items()) if "/chapter-" in name}


@pytest.fixture(scope="module")
def server():
    with image_server() as srv:
        yield srv


def photo_post(folder: Path, base: str, name: str = "photo") -> Path:
    """A post whose body is one picture, which is also its cover."""
    url = f"{base}/photos/{name}.png"
    post = folder / f"{name}.md"
    post.write_text(f"---\ntitle: Photo {name}\nauthor: Someone\ncover: '{url}'\n---\n\n"
                    f'<p><img src="{url}" alt="A harbour at dusk"></p>\n', encoding="utf-8")
    return post


def text_post(folder: Path, base: str) -> Path:
    post = folder / "text.md"
    post.write_text(f"---\ntitle: Words\nauthor: Someone\n---\n\n<p>Some words.</p>\n"
                    f'<p><img src="{base}/photos/inline.png" alt="inline"></p>\n',
                    encoding="utf-8")
    return post


def test_a_photo_post_keeps_its_photo_when_it_is_the_cover(server, tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    photo_post(posts, server.base)
    text_post(posts, server.base)
    online, offline = tmp_path / "online.epub", tmp_path / "offline.epub"
    run = newsconv("to-epub", str(posts), "-o", str(online), "--allow-private-hosts",
                   "--cache-dir", str(tmp_path / "cache"))
    assert run.returncode == 0, run.stderr
    files = book_files(online)
    opf = files["EPUB/content.opf"].decode()
    cover = re.search(r'href="([^"]+)"[^>]*properties="cover-image"', opf)[1]
    photo = next(data.decode() for name, data in files.items()
                 if "/chapter-" in name and "Photo photo" in data.decode())
    assert f'src="{cover}"' in photo
    assert "has no content" not in photo
    # one file for the picture, shown on the cover page and in its chapter
    assert len([n for n in files if n.startswith("EPUB/images/")]) == 2
    assert problems(online, usage=True) == []

    run = newsconv("to-epub", str(posts), "-o", str(offline), "--offline",
                   "--cache-dir", str(tmp_path / "empty"))
    assert run.returncode == 0, run.stderr
    assert problems(offline, usage=True) == []
    assert figures(book_files(offline)) == figures(files) == {
        "EPUB/chapter-0001.xhtml": 1, "EPUB/chapter-0002.xhtml": 1}


# ---------------------------------------------------------------- formats and sizes


def picture(fmt: str, size: tuple[int, int] = (40, 30), alpha: bool = False,
            frames: int = 1) -> bytes:
    """An image made by Pillow: a gradient (so JPEG and resizing have work to do)."""
    mode = "RGBA" if alpha else "RGB"
    images = []
    for n in range(frames):
        image = Image.new(mode, size, (200, 40 * n % 255, 90, 128 if alpha else 255))
        image.paste((10, 120, 200 - 20 * n) + ((255,) if alpha else ()),
                    (0, 0, size[0] // 2, size[1] // 2))
        images.append(image)
    out = io.BytesIO()
    if frames > 1:
        images[0].save(out, fmt, save_all=True, append_images=images[1:], duration=100,
                       loop=0)
    else:
        images[0].save(out, fmt)
    return out.getvalue()


SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
       b'height="10"><rect width="10" height="10" fill="red"/></svg>\n')


@pytest.mark.parametrize(("data", "kind"), [
    (lambda: picture("AVIF"), ("image/avif", ".avif")),
    (lambda: picture("WEBP"), ("image/webp", ".webp")),
    (lambda: picture("JPEG"), ("image/jpeg", ".jpg")),
    (lambda: picture("PNG"), ("image/png", ".png")),
    (lambda: picture("GIF"), ("image/gif", ".gif")),
    (lambda: SVG, ("image/svg+xml", ".svg")),
])
def test_every_served_format_is_sniffed_and_decodes(data, kind) -> None:
    body = data()
    assert sniff_image_type(body[:HEAD_BYTES]) == kind
    check_image(body, kind[1])


def test_heic_is_not_taken_for_avif() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40
    assert sniff_image_type(heic) is None


def cached(tmp_path: Path, name: str, data: bytes) -> CachedImage:
    media_type, extension = sniff_image_type(data[:HEAD_BYTES])
    path = tmp_path / f"{name}{extension}"
    path.write_bytes(data)
    return CachedImage(f"https://example.com/{name}", path, media_type, extension,
                       len(data), from_cache=True)


def opened(path: Path) -> tuple[str, tuple[int, int], int]:
    with Image.open(path) as image:
        return image.format, image.size, getattr(image, "n_frames", 1)


def test_preparing_converts_webp_and_avif_and_downscales(tmp_path: Path) -> None:
    preparer = ImagePreparer(ImagePolicy(max_size=(100, 100)), tmp_path / "prepared")
    cases = {
        "opaque-webp": (picture("WEBP"), ("JPEG", (40, 30), 1), "WebP → JPEG"),
        "alpha-webp": (picture("WEBP", alpha=True), ("PNG", (40, 30), 1), "WebP → PNG"),
        "avif": (picture("AVIF"), ("JPEG", (40, 30), 1), "AVIF → JPEG"),
        "big-jpeg": (picture("JPEG", (400, 200)), ("JPEG", (100, 50), 1),
                     "400×200 → 100×50"),
        "big-webp": (picture("WEBP", (300, 600)), ("JPEG", (50, 100), 1),
                     "WebP → JPEG, 300×600 → 50×100"),
        "big-static-gif": (picture("GIF", (300, 150)), ("GIF", (100, 50), 1),
                           "300×150 → 100×50"),
    }
    for name, (data, expected, change) in cases.items():
        image = cached(tmp_path, name, data)
        prepared = preparer.prepare(image)
        assert prepared.problem is None, name
        assert opened(prepared.image.path) == expected, name
        assert prepared.change == change, name
        assert prepared.image.media_type == {"JPEG": "image/jpeg", "PNG": "image/png",
                                             "GIF": "image/gif"}[expected[0]]
        # a second build finds the same file (offline books too)
        made = prepared.image.path.stat().st_mtime_ns
        assert preparer.prepare(image) == prepared
        assert prepared.image.path.stat().st_mtime_ns == made


def test_preparing_keeps_what_needs_nothing(tmp_path: Path) -> None:
    preparer = ImagePreparer(ImagePolicy(max_size=(100, 100)), tmp_path / "prepared")
    for name, data in {"small-png": picture("PNG"), "small-jpeg": picture("JPEG"),
                       "svg": SVG,
                       # animations are kept as served, even when large
                       "animated-gif": picture("GIF", (300, 300), frames=3)}.items():
        image = cached(tmp_path, name, data)
        prepared = preparer.prepare(image)
        assert prepared.image == image and prepared.change is None, name
    assert not (tmp_path / "prepared").exists()


def test_preparing_never_upscales_and_can_keep_formats(tmp_path: Path) -> None:
    keep = ImagePreparer(ImagePolicy(keep=EPUB_CORE, max_size=(1000, 1000)), tmp_path / "p")
    webp = cached(tmp_path, "webp", picture("WEBP"))
    assert keep.prepare(webp).image == webp  # --keep-image-formats: as served
    avif = keep.prepare(cached(tmp_path, "avif", picture("AVIF")))
    assert avif.image.extension == ".jpg"  # no EPUB core type: converted anyway
    assert opened(avif.image.path)[1] == (40, 30)  # not enlarged
    unlimited = ImagePreparer(ImagePolicy(max_size=None), tmp_path / "u")
    big = cached(tmp_path, "big", picture("PNG", (3000, 20)))
    assert unlimited.prepare(big).image == big


def test_a_broken_image_is_embedded_as_served_or_becomes_a_link(tmp_path: Path) -> None:
    preparer = ImagePreparer(ImagePolicy(max_size=(10, 10)), tmp_path / "prepared")
    png = cached(tmp_path, "png", picture("PNG", (40, 30)))
    png.path.write_bytes(png.path.read_bytes()[:60])  # damaged after it was checked
    prepared = preparer.prepare(png)
    assert prepared.problem and prepared.image == png


@pytest.mark.parametrize(("text", "size"), [("1600x1200", (1600, 1200)), ("800", (800, 800)),
                                            ("0", None), ("none", None)])
def test_max_image_size_values(text: str, size) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["big", "10x", "x10", "4x4", "-5"])
def test_bad_max_image_size_values(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_book_of_every_format_for_each_device(server, tmp_path: Path) -> None:
    served = {"/f/photo.webp": picture("WEBP", (2400, 1800)),
              "/f/logo.webp": picture("WEBP", alpha=True),
              "/f/shot.avif": picture("AVIF"),
              "/f/big.jpg": picture("JPEG", (3000, 1000)),
              "/f/anim.gif": picture("GIF", (50, 50), frames=4),
              "/f/plain.png": picture("PNG"),
              "/f/icon.svg": SVG}
    server.files.update(served)
    post = tmp_path / "formats.md"
    post.write_text("---\ntitle: Formats\nauthor: Someone\n---\n\n" + "".join(
        f'<p><img src="{server.base}{path}" alt="{path}"></p>\n' for path in served),
        encoding="utf-8")
    cache = tmp_path / "cache"
    books = {}
    for name, extra in {"generic": [], "kindle": ["--device", "kindle"],
                        "kept": ["--keep-image-formats", "--max-image-size", "0"]}.items():
        books[name] = tmp_path / f"{name}.epub"
        run = newsconv("to-epub", str(post), "-o", str(books[name]), "-v",
                       "--allow-private-hosts", "--cache-dir", str(cache), *extra)
        assert run.returncode == 0, run.stderr
        assert problems(books[name], usage=True) == []
        files = book_files(books[name])
        kinds = sorted(Path(n).suffix for n in files
                       if n.startswith("EPUB/images/") and "cover" not in n)
        if name == "kept":
            assert kinds == [".gif", ".jpg", ".jpg", ".png", ".svg", ".webp", ".webp"]
            assert "images for generic: 1 AVIF → JPEG" in run.stderr
        else:
            assert kinds == [".gif", ".jpg", ".jpg", ".jpg", ".png", ".png", ".svg"]
            assert (f"images for {name}: 1 WebP → JPEG, 1 WebP → PNG, 1 AVIF → JPEG, "
                    "2 downscaled") in run.stderr
            assert re.search(r"image \S+/f/photo\.webp: WebP → JPEG, 2400×1800 → "
                             r"1600×1200", run.stderr)
            assert re.search(r"image \S+/f/big\.jpg: 3000×1000 → 1600×533", run.stderr)
            big = next(n for n in files if n.endswith(".jpg") and
                       Image.open(io.BytesIO(files[n])).size == (1600, 533))
            assert big
        assert "images: 7 of 7 embedded" in run.stderr
    # the generic and kindle books are the same but for nothing (same images, sizes)
    assert book_files(books["generic"]).keys() == book_files(books["kindle"]).keys()


def test_send_to_kindle_size_warning(monkeypatch) -> None:
    from convert.exporters.epub import devices

    doc = Document(Metadata(title="Big"), [Paragraph([Text("x" * 2000)])])
    monkeypatch.setitem(devices.DEVICES, "kindle", dataclasses.replace(
        devices.DEVICES["kindle"], size_limit=1000))
    exporter = EpubExporter(EpubOptions(offline=True, device="kindle"))
    exporter.export([doc])
    assert any("Send-to-Kindle refuses e-mailed documents over 50 MB" in note
               and "--split-by month" in note for note in exporter.notes)
    generic = EpubExporter(EpubOptions(offline=True))
    generic.export([doc])
    assert not any("MB" in note for note in generic.notes)


# ---------------------------------------------------------------- the drawn cover


def ink(png_bytes: bytes, box: tuple[int, int, int, int]) -> int:
    """How many dark pixels (text) a region of a cover holds."""
    with Image.open(io.BytesIO(png_bytes)) as image:
        region = image.convert("L").crop(box)
        return sum(region.histogram()[:100])


TITLE_BOX = (100, 200, 1100, 1100)  # where the title goes (above the colour band)


def test_the_drawn_cover_is_a_png_with_the_title_cjk_too() -> None:
    if find_font("新闻摘要", "zh-Hans") is None:
        pytest.skip("no font with CJK characters installed (fonts-noto-cjk)")
    for title, lang in (("新闻摘要：一周要闻", "zh-Hans"), ("Weekly digest", "en")):
        data = generated_cover_png(title, "3 posts", lang)
        assert data.startswith(b"\x89PNG")
        assert Image.open(io.BytesIO(data)).size == (1200, 1800)
        assert ink(data, TITLE_BOX) > 5000, title
        assert generated_cover_png(title, "3 posts", lang) == data  # reproducible


def test_a_title_no_font_holds_gives_a_cover_without_text() -> None:
    title = "\U00013000\U00013001"  # Egyptian hieroglyphs: no common font has them
    assert find_font(title, "en") is None
    data = generated_cover_png(title, "3 posts", "en")
    # the ornament in the title's place, no boxes for missing glyphs
    assert ink(data, TITLE_BOX) == 0
    with Image.open(io.BytesIO(data)) as image:
        colours = image.crop(TITLE_BOX).getcolors(1000)
    assert len(colours) > 1


def test_cover_font_option(tmp_path: Path) -> None:
    font = find_font("Digest", "en")
    if font is None:
        pytest.skip("no fonts installed")
    post = tmp_path / "p.md"
    post.write_text("---\ntitle: Digest\nauthor: Someone\n---\n\n<p>Words.</p>\n",
                    encoding="utf-8")
    books = {}
    for name, extra in {"default": [], "font": ["--cover-font", font[0]]}.items():
        books[name] = tmp_path / f"{name}.epub"
        run = newsconv("to-epub", str(post), "-o", str(books[name]), "--offline",
                       "--cache-dir", str(tmp_path / "c"), *extra)
        assert run.returncode == 0, run.stderr
    files = book_files(books["default"])
    opf = files["EPUB/content.opf"].decode()
    assert re.search(r'href="images/cover.png"[^>]*properties="cover-image"', opf)
    assert '<reference type="cover" title="Cover" href="cover.xhtml"/>' in opf
    assert re.search(r'<item href="cover.xhtml" id="cover-page"', opf)
    assert 'src="images/cover.png"' in files["EPUB/cover.xhtml"].decode()
    assert ink(files["EPUB/images/cover.png"], TITLE_BOX) > 5000
    assert ink(book_files(books["font"])["EPUB/images/cover.png"], TITLE_BOX) > 5000


def test_image_downloads_advance_a_progress_bar(server, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    from convert.exporters.epub import images as book_images

    bars: list[tuple[int, str, bool, list[int]]] = []

    @contextmanager
    def recording_bar(total: int, noun: str, enabled: bool):
        ticks: list[int] = []
        bars.append((total, noun, enabled, ticks))
        yield lambda: ticks.append(1)

    monkeypatch.setattr(book_images, "progress_bar", recording_bar)
    doc = Document(Metadata(title="Pictures"), [
        Paragraph([Text("x")]),
        *(Figure(f"{server.base}/bar/{n}.png", alt=str(n)) for n in range(5)),
        Figure(f"{server.base}/missing/x.png", alt="gone")])
    EpubExporter(EpubOptions(cache_dir=tmp_path, allow_private_hosts=True,
                             progress=True)).export([doc])
    # one tick per image, failures included; shown only when the CLI asks (a terminal)
    assert [(total, noun, enabled, len(ticks)) for total, noun, enabled, ticks in bars] \
        == [(6, "images", True, 6)]


# ---------------------------------------------------------------- options


@pytest.mark.parametrize(("option", "message"), [
    (["--device", "nook"], "--device nook: use one of generic, kindle, kobo"),
    (["--max-image-size", "huge"], "--max-image-size 'huge': give WIDTHxHEIGHT"),
    (["--group-by", "author"], "--group-by author: use one of auto"),
])
def test_bad_book_options_are_usage_errors(tmp_path: Path, option: list[str],
                                           message: str) -> None:
    post = tmp_path / "p.md"
    post.write_text("---\ntitle: T\n---\n\n<p>x</p>\n", encoding="utf-8")
    run = newsconv("to-epub", str(post), "-o", str(tmp_path / "b.epub"), *option)
    assert run.returncode == 2
    assert message in run.stderr
    assert not (tmp_path / "b.epub").exists()


def test_generic_options_become_the_exporters_own() -> None:
    from convert.exporters import ExportOptions

    exporter = EpubExporter(ExportOptions(title="Digest", lang="ja"))
    assert isinstance(exporter.options, EpubOptions)
    assert (exporter.options.title, exporter.options.lang) == ("Digest", "ja")
    assert exporter.options.device == "generic" and not exporter.options.offline
    own = EpubOptions(offline=True)
    assert EpubExporter(own).options is own


@given(width=st.integers(1, 3000), height=st.integers(1, 3000),
       box=st.tuples(st.integers(16, 2000), st.integers(16, 2000)))
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_downscaling_fits_the_box_keeps_the_shape_and_never_enlarges(
        tmp_path: Path, width: int, height: int, box: tuple[int, int]) -> None:
    image = cached(tmp_path, f"g{width}x{height}", picture("PNG", (width, height)))
    prepared = ImagePreparer(ImagePolicy(max_size=box), tmp_path / "p").prepare(image)
    new = opened(prepared.image.path)[1]
    assert new[0] <= max(width, 1) and new[1] <= height
    if width <= box[0] and height <= box[1]:
        assert prepared.image == image
    else:
        assert new[0] <= box[0] and new[1] <= box[1]
        # the shape is kept to within rounding of the short side
        assert abs(new[0] / new[1] - width / height) <= width / height / min(new) + 1e-9


def test_an_svg_post_cover_is_passed_over_for_a_raster_one(server, tmp_path: Path) -> None:
    server.files["/svg/cover.svg"] = SVG
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "a.md").write_text(
        f"---\ntitle: Vector\nauthor: A\ncover: '{server.base}/svg/cover.svg'\n---\n\n"
        "<p>Words.</p>\n", encoding="utf-8")
    photo_post(posts, server.base, "b-photo")
    book = tmp_path / "b.epub"
    run = newsconv("to-epub", str(posts), "-o", str(book), "--allow-private-hosts",
                   "--cache-dir", str(tmp_path / "cache"))
    assert run.returncode == 0, run.stderr
    opf = book_files(book)["EPUB/content.opf"].decode()
    # the photo post's picture, not the SVG and not a drawn cover
    cover = re.search(r'href="([^"]+)"[^>]*media-type="image/png" properties="cover-image"',
                      opf)[1]
    assert cover != "images/cover.png"
    assert f'src="{cover}"'.encode() in book_files(book)["EPUB/chapter-0002.xhtml"]
