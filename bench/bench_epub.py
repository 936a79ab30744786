"""Benchmark: one EPUB book of thousands of posts with thousands of images.

Generates synthetic posts shaped like the corpus (``tests/corpus/posts``): YAML front
matter as an RSS-to-Hexo generator writes it, Chinese paragraphs of a few hundred
characters, ``<br>`` soup, centred and lazy-loaded ``<img>`` tags. Every image is a
distinct URL on a loopback HTTP server started here, which serves a deterministic PNG of
random pixels (stored, so it does not compress away) of about ``--image-kb`` KB.

It then builds ONE book with the real command line, each time in a fresh subprocess::

    python -m convert to-epub POSTS -o book.epub --allow-private-hosts --cache-dir CACHE -q

first with an empty image cache (all images downloaded), then with the warm cache. For
each build it reports wall time, posts/s, images/s, the subprocess's peak RSS (from
``os.wait4``: that one child only, not a running maximum over all children), the book's
size and the sum of the image bytes, so peak memory can be compared with the image
bytes (the "memory stays bounded" bar). As a reference in the same run it times lxml
parsing the same bodies (parse only) and prints the ratio.

``--profile FILE`` adds a warm build under cProfile and prints where the time goes;
``--trace-memory`` adds a warm build with tracemalloc snapshots at the phase boundaries.

Only loopback traffic; every loop is bounded; the server stops with the script.

    /tmp/venv/bin/python bench/bench_epub.py                       # 2,000 posts, 4,000 images
    /tmp/venv/bin/python bench/bench_epub.py --posts 500 --json small.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------------ images


def image_size(path: str, mean_kb: float) -> int:
    """Target size in bytes for the image at ``path``: 0.5–1.5 × ``mean_kb`` KB."""
    fraction = int.from_bytes(hashlib.sha256(path.encode()).digest()[:4], "big") / 2**32
    return max(64, int(mean_kb * 1024 * (0.5 + fraction)))


def noisy_png(path: str, mean_kb: float, width: int = 200) -> bytes:
    """A valid RGB PNG of random pixels (seeded by ``path``), about image_size() bytes.

    The IDAT stream is zlib level 0 (stored): random pixels do not compress anyway, and
    storing keeps the server cheap so it takes little CPU from the build it serves.
    """
    target = image_size(path, mean_kb)
    height = max(1, target // (3 * width + 1))
    rng = random.Random(hashlib.sha256(path.encode()).digest())
    raw = b"".join(b"\x00" + rng.randbytes(3 * width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 0))
            + chunk(b"IEND", b""))


class _Handler(BaseHTTPRequestHandler):
    server: ImageServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if not self.path.startswith("/img/"):
            self.send_error(404)
            self.server.count(0)
            return
        body = noisy_png(self.path, self.server.mean_kb)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.count(len(body))

    def log_message(self, *args: object) -> None:
        pass


class ImageServer(ThreadingHTTPServer):
    """Loopback only (127.0.0.1, a free port); counts requests and bytes served."""

    daemon_threads = True
    request_queue_size = 64  # the fetcher opens up to 8 connections at once

    def __init__(self, mean_kb: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mean_kb = mean_kb
        self.requests = 0
        self.bytes_served = 0
        self._lock = threading.Lock()

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (a DNS query): not wanted here
        import socketserver

        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def count(self, size: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes_served += size

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def image_server(mean_kb: float):
    server = ImageServer(mean_kb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# ------------------------------------------------------------------------- posts

SOURCES = (  # author, categories (as the generator writes them), image markup style
    ("GameRes 游资网", ("游戏", "GameRes 游资网", "热点推荐"), "discuz"),
    ("Dockone", ("编程", "Dockone", "周报"), "plain"),
    ("少数派", ("科技", "少数派", "Matrix"), "lazy"),
    ("IT之家", ("科技", "IT之家", "热榜"), "discuz"),
    ("36氪", ("商业", "36氪", "快讯"), "lazy"),
    ("爱范儿", ("科技", "爱范儿", "早报"), "plain"),
    ("机核", ("游戏", "机核", "文章"), "lazy"),
    ("InfoQ", ("编程", "InfoQ", "推荐"), "plain"),
)

SENTENCES = (
    "作为系列首部与玩家见面的新作，该作在上线前的全网预约数就超过了两百万",
    "正式上线后的战绩更是不负大家所望，上线当日下载量突破百万",
    "精美的画风、流畅的游戏体验，都成为了它突破重围的亮点所在",
    "在集群中进行测试删除名称空间是经常的事件，为了方便操作一般直接对整个名称空间进行删除",
    "相信大家在进行此步操作的时候，会遇到要删除的资源一直处于终止状态",
    "下面我将给出一个完整的解决方案，并解释其中每一步的原理",
    "这款产品在发布会上引起了广泛关注，许多用户第一时间就在社交平台上分享了自己的体验",
    "从供应链的角度看，今年的芯片短缺仍然影响着整个消费电子行业的出货节奏",
    "团队在开发过程中遇到了不少困难，尤其是在性能优化和内存占用方面",
    "我们花了大约三个月的时间重写了渲染管线，帧率因此提升了将近一倍",
    "值得一提的是，新版本还加入了对多语言的支持，覆盖了十几个国家和地区",
    "分析师认为，这一举措将进一步巩固公司在国内市场的领先地位",
    "据知情人士透露，相关部门已经开始就此事展开调查，预计下个月公布结果",
    "对于普通读者来说，最直观的变化是阅读体验更加流畅，排版也更加整洁",
    "故事开始于二〇六〇年，由于一项旨在备份心智数据的计划发生了事故，所有参与者全部失联",
    "玩家需要在有限的资源下做出选择，每一次决定都会影响之后的剧情走向",
    "在接受采访时，主创团队表示他们希望把更多精力放在内容本身而不是商业化上",
    "这篇文章整理了过去一周社区里讨论最多的几个话题，供大家参考",
    "如果你也遇到了类似的问题，不妨按照上面的步骤逐一排查，大多数情况都能解决",
    "需要注意的是，配置文件中的缩进必须保持一致，否则程序会在启动时报错",
    "与上一代相比，新机型在续航方面有明显进步，重度使用也能坚持一整天",
    "业内人士指出，短视频平台的增长已经放缓，下一阶段的竞争将集中在内容质量上",
    "开发者可以通过开放接口获取数据，再结合自己的业务逻辑进行二次开发",
    "这一变化看似微小，却让整个流程节省了将近一半的时间",
)
QUESTIONS = (
    "能和大家介绍一下这款作品和前作之间存在着怎样的联系吗？",
    "在开发过程中遇到的最大挑战是什么？",
    "为什么选择现在这个时间点发布？",
    "下一步有什么计划？",
)
PLACEHOLDER_GIF = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="


def paragraph(rng: random.Random) -> str:
    target = rng.randint(150, 420)
    out = ""
    while len(out) < target:
        out += rng.choice(SENTENCES) + rng.choice("，。。；")
    return out[:-1] + "。"


def image_markup(style: str, url: str, number: int, rng: random.Random) -> str:
    if style == "discuz":  # GameRes-style: zoomfile/data-original, centred, <br> after
        return (f'<div align="center">\n<img aid="{number}" zoomfile="{url}" '
                f'data-original="{url}" width="600" id="aimg_{number}" inpost="1" '
                f'src="{url}" referrerpolicy="no-referrer">\n</div><br>\n')
    if style == "lazy":  # placeholder src, real URL in data-src, a caption below
        return (f'<p><img class="lazyload" data-src="{url}" src="{PLACEHOLDER_GIF}" '
                f'alt="" referrerpolicy="no-referrer"></p>\n'
                f'<p class="img-desc">图：{rng.choice(SENTENCES)[:14]}</p>\n')
    return f'<img src="{url}" referrerpolicy="no-referrer"><br>\n'


def make_post(index: int, images: int, base: str, rng: random.Random) -> tuple[str, str]:
    """``(file text, HTML body)`` of post ``index``."""
    author, categories, style = SOURCES[index % len(SOURCES)]
    urls = [f"{base}/img/{index:05d}/{k}-{rng.getrandbits(32):08x}.png" for k in range(images)]
    paragraphs = [paragraph(rng) for _ in range(rng.randint(4, 8))]
    # images spread over the paragraphs: after paragraph i * len / images
    slots: dict[int, list[str]] = {}
    for k, url in enumerate(urls):
        slots.setdefault(k * len(paragraphs) // max(images, 1), []).append(url)
    parts = []
    for i, text in enumerate(paragraphs):
        if style == "plain":
            parts.append(f"<br>{text}<br>\n")
        elif style == "lazy":
            parts.append(f"<p>{text}</p>\n")
        else:
            parts.append(f"{text}<br>\n<br>\n")
        if i == 1:
            parts.append(f"<strong>{rng.choice(QUESTIONS)}</strong><br>\n<br>\n")
        for k, url in enumerate(slots.get(i, [])):
            parts.append(image_markup(style, url, index * 100 + k, rng))
    body = "<div>   \n" + "".join(parts) + "  \n</div>\n            "
    title = paragraph(rng)[: rng.randint(12, 28)].rstrip("，。；")
    day = time.gmtime(1609459200 + index * 3 * 3600 + rng.randint(0, 3000))
    date = "Invalid Date" if index % 23 == 7 else time.strftime("%Y-%m-%d %H:%M:%S", day)
    cover = f"headimg: '{urls[0]}'\n" if urls else ""
    thumb = f"thumbnail: '{urls[0]}'\n" if urls else ""
    front = ("\n---\n"
             f"title: '{title}'\n"
             "categories: \n" + "".join(f" - {c}\n" for c in categories) +
             cover + f"author: {author}\ncomments: false\ndate: {date}\n" + thumb +
             "---\n\n")
    return front + body, body


def write_posts(folder: Path, posts: int, images: int, base: str, seed: int) -> list[str]:
    """Write the posts; returns their HTML bodies (for the lxml reference)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    bodies = []
    for i in range(posts):
        text, body = make_post(i, images, base, rng)
        (folder / f"{i:05d}-{rng.getrandbits(40):010d}.md").write_text(text, encoding="utf-8")
        bodies.append(body)
    return bodies


# ----------------------------------------------------------------------- running


def _maxrss_bytes(rusage) -> int:
    # Linux reports KiB, macOS bytes
    return rusage.ru_maxrss if sys.platform == "darwin" else rusage.ru_maxrss * 1024


def run_measured(argv: list[str], cwd: Path, log: Path, timeout: float) -> dict:
    """Run ``argv`` in a fresh process; wall time, exit code and that process's peak RSS.

    ``os.wait4`` returns the resource usage of exactly this child (RUSAGE_CHILDREN would
    be the maximum over all children waited for so far).
    """
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    with open(log, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=err,
                                stderr=err, env=env)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "exit_code": proc.returncode, "peak_rss_bytes": _maxrss_bytes(usage),
            "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
            "output": log.read_text("utf-8", "replace")[-2000:]}


def cli_argv(posts: Path, book: Path, cache: Path) -> list[str]:
    return [sys.executable, "-m", "convert", "to-epub", str(posts), "-o", str(book),
            "--allow-private-hosts", "--cache-dir", str(cache), "-q",
            # in one process, so that the profile and the memory trace see everything
            "--jobs", "1"]


def book_images(book: Path) -> tuple[int, int]:
    """``(count, bytes)`` of the image entries in the book (central directory only)."""
    with zipfile.ZipFile(book) as z:
        infos = [i for i in z.infolist() if "/images/" in i.filename
                 and not i.filename.rsplit("/", 1)[1].startswith("cover")]
    return len(infos), sum(i.file_size for i in infos)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def lxml_reference(bodies: list[str], repeats: int = 3) -> float:
    """Best-of-``repeats`` seconds for lxml.html to parse all bodies (parse only)."""
    from lxml import html

    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for body in bodies:
            html.document_fromstring(body)
        best = min(best, time.perf_counter() - start)
    return best


# ---------------------------------------------------------------- profile, trace

_PHASES = (  # label, (file suffix, function name) whose cumulative time is shown
    ("whole run (run_conversion)", ("convert/conversion_run.py", "run_conversion")),
    ("read + normalise (convert_one)", ("convert/pipeline.py", "convert_one")),
    ("  reader (read_post)", ("convert/reader.py", "read_post")),
    ("  normaliser (normalise)", ("convert/normalise/__init__.py", "normalise")),
    ("EpubExporter.write", ("convert/exporters/epub/__init__.py", "write")),
    ("  epub_blocks (URL checks)", ("convert/exporters/epub/links.py", "epub_blocks")),
    ("  cover fetch (_cover)", ("convert/exporters/epub/__init__.py", "_cover")),
    ("  image cache (fetch_all)", ("convert/fetch/fetcher.py", "fetch_all")),
    ("  chapters (chapter_xhtml)", ("convert/exporters/epub/pages.py", "chapter_xhtml")),
    ("  zip (ReproducibleWriter.write)", ("convert/exporters/epub/container.py", "write")),
    ("    image reads (FileItem.get_content)", ("convert/exporters/epub/pages.py",
                                                "get_content")),
    ("    deflate (zlib compress)", ("~", "<method 'compress' of 'zlib.Compress' objects>")),
    ("    nav + ncx + opf", ("ebooklib/epub.py", "_write_opf")),
    ("fsync (atomic_write_with)", ("~", "<built-in method posix.fsync>")),
)


def profile_summary(stats_file: Path) -> list[tuple[str, float]]:
    import pstats

    stats = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    rows = []
    for label, (suffix, func) in _PHASES:
        total = 0.0
        for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items():
            if name == func and filename.replace(os.sep, "/").endswith(suffix):
                total += ct
        rows.append((label, total))
    return rows


_TRACE_WRAPPER = r"""
import sys, tracemalloc, resource, json
tracemalloc.start(int(sys.argv[1]))
out = sys.argv[2]
sys.argv = ["newsconv"] + sys.argv[3:]
from convert import cli, conversion_run, fetch, output
from convert.exporters.epub import container
points, first = [], {}  # first: line -> (size, blocks) at the first mark (about 1 MB,
# traced too, so "current" at later marks includes it)
def mark(label):
    # traced sizes are read before the snapshot (itself traced); the peak is reset
    # once mark() has returned, so its temporaries never count in a later peak
    current, peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<string>")])
    stats = {str(s.traceback): (s.size, s.count) for s in snap.statistics("lineno")}
    del snap
    point = {"at": label, "current": current, "peak": peak, "rss_kb": rss}
    if not first:
        first.update(stats)
        rows = [(k, v[0], v[1]) for k, v in stats.items()]
    else:
        keys = set(stats) | set(first)
        rows = [(k, stats.get(k, (0, 0))[0] - first.get(k, (0, 0))[0],
                 stats.get(k, (0, 0))[1] - first.get(k, (0, 0))[1]) for k in keys]
        point["since_first"] = True
    rows.sort(key=lambda r: -abs(r[1]))
    point["top"] = [{"where": k, "size": size, "count": count} for k, size, count in rows[:15]]
    points.append(point)
def wrap(owner, name, label):
    original = getattr(owner, name)
    def wrapper(*a, **k):
        result = original(*a, **k)
        mark(label)
        tracemalloc.reset_peak()  # here: mark's own temporaries are freed by now
        return result
    setattr(owner, name, wrapper)
wrap(conversion_run.ConversionRun, "job", "after profiles are loaded (ConversionRun.job)")
wrap(fetch.ImageFetcher, "fetch_all", "after image cache (fetch_all)")
wrap(container.ReproducibleWriter, "_write_items", "after zip entries (_write_items)")
wrap(container.ReproducibleWriter, "write", "after zip close (ReproducibleWriter.write)")
wrap(output, "atomic_write_with", "after the book is renamed (atomic_write_with)")
try:
    cli.main()
except SystemExit:
    pass
mark("at exit")
with open(out, "w") as f:
    json.dump(points, f)
"""


# -------------------------------------------------------------------------- main


def _commit() -> str:
    """The checkout's commit (read-only ``git rev-parse``), or "" outside a checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _mb(n: float) -> str:
    return f"{n / 2**20:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="posts (default 2000)")
    parser.add_argument("--images-per-post", type=int, default=2, help="default 2")
    parser.add_argument("--image-kb", type=float, default=64,
                        help="mean image size in KB; sizes spread 0.5-1.5x (default 64)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR (posts/, cache/, book.epub) and keep it")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument("--profile", metavar="FILE",
                        help="also run a warm build under cProfile; stats to FILE")
    parser.add_argument("--trace-memory", action="store_true",
                        help="also run a warm build with tracemalloc snapshots")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds before a build is killed (default 1800)")
    args = parser.parse_args(argv)
    if args.posts < 1 or args.images_per_post < 0 or args.image_kb <= 0:
        parser.error("--posts must be >= 1, --images-per-post >= 0, --image-kb > 0")

    if args.keep:
        work = Path(args.keep).resolve()
        if work.exists():
            shutil.rmtree(work / "posts", ignore_errors=True)
            shutil.rmtree(work / "cache", ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="newsconv-bench-"))
    posts_dir, cache, book = work / "posts", work / "cache", work / "book.epub"
    images_wanted = args.posts * args.images_per_post
    result: dict = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "commit": _commit()},
        "params": {"posts": args.posts, "images_per_post": args.images_per_post,
                   "image_kb": args.image_kb, "seed": args.seed},
        "command": " ".join(cli_argv(Path("POSTS"), Path("book.epub"), Path("CACHE"))),
        "runs": {},
    }
    try:
        with image_server(args.image_kb) as server:
            t0 = time.perf_counter()
            bodies = write_posts(posts_dir, args.posts, args.images_per_post, server.base,
                                 args.seed)
            result["generate_s"] = time.perf_counter() - t0
            result["posts_bytes"] = folder_bytes(posts_dir)

            lxml_s = lxml_reference(bodies)
            result["lxml_parse_only"] = {"seconds": lxml_s, "posts_per_s": len(bodies) / lxml_s}
            del bodies

            for label in ("cold", "warm"):
                if label == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                before = (server.requests, server.bytes_served)
                server_cpu = time.process_time()  # this process: the image server's threads
                run = run_measured(cli_argv(posts_dir, book, cache), work,
                                   work / f"{label}.log", args.timeout)
                run["requests"] = server.requests - before[0]
                run["bytes_downloaded"] = server.bytes_served - before[1]
                run["server_cpu_s"] = time.process_time() - server_cpu
                if run["exit_code"] != 0 or not book.exists():
                    print(f"{label} build failed (exit {run['exit_code']}):\n{run['output']}",
                          file=sys.stderr)
                    result["runs"][label] = run
                    return 1
                count, image_bytes = book_images(book)
                run.update(book_bytes=book.stat().st_size, book_sha256=sha256_file(book),
                           images_in_book=count,
                           image_bytes=image_bytes, cache_bytes=folder_bytes(cache),
                           posts_per_s=args.posts / run["wall_s"],
                           images_per_s=images_wanted / run["wall_s"],
                           vs_lxml=(args.posts / run["wall_s"])
                           / result["lxml_parse_only"]["posts_per_s"])
                result["runs"][label] = run
                if count != images_wanted:
                    print(f"warning: {label}: {count} of {images_wanted} images in the book",
                          file=sys.stderr)

            if args.profile:
                stats_file = Path(args.profile).resolve()
                argv_p = [sys.executable, "-m", "cProfile", "-o", str(stats_file),
                          *cli_argv(posts_dir, book, cache)[1:]]
                run = run_measured(argv_p, work, work / "profile.log", args.timeout)
                result["profile"] = {"wall_s": run["wall_s"], "stats": str(stats_file),
                                     "phases": profile_summary(stats_file)}

            if args.trace_memory:
                trace_out = work / "trace.json"
                argv_t = [sys.executable, "-c", _TRACE_WRAPPER, "12", str(trace_out),
                          *cli_argv(posts_dir, book, cache)[3:]]
                run = run_measured(argv_t, work, work / "trace.log", args.timeout)
                if trace_out.exists():
                    result["trace_memory"] = json.loads(trace_out.read_text())
                else:
                    print(f"trace run failed:\n{run['output']}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return 0


def report(result: dict) -> None:
    p = result["params"]
    lx = result["lxml_parse_only"]
    print(f"newsconv to-epub: {p['posts']:,} posts, {p['posts'] * p['images_per_post']:,} "
          f"images (~{p['image_kb']:g} KB each), {result['machine']['cpus']} CPUs, "
          f"Python {result['machine']['python']}, commit {result['machine']['commit'] or '?'}")
    print(f"posts on disk {_mb(result['posts_bytes'])}; lxml parse-only "
          f"{lx['posts_per_s']:,.0f} posts/s ({lx['seconds']:.2f} s)")
    head = (f"{'run':<5} {'wall s':>7} {'cpu s':>6} {'posts/s':>8} {'img/s':>7} "
            f"{'vs lxml':>7} {'peak RSS':>10} {'img bytes':>11} {'RSS/img':>7} "
            f"{'book':>10} {'GETs':>5}")
    print(head)
    print("-" * len(head))
    for label, r in result["runs"].items():
        if "book_bytes" not in r:
            continue
        ratio = r["peak_rss_bytes"] / r["image_bytes"] if r["image_bytes"] else 0.0
        print(f"{label:<5} {r['wall_s']:>7.2f} {r['user_s'] + r['sys_s']:>6.1f} "
              f"{r['posts_per_s']:>8.0f} {r['images_per_s']:>7.0f} {r['vs_lxml']:>7.1%} "
              f"{_mb(r['peak_rss_bytes']):>10} {_mb(r['image_bytes']):>11} {ratio:>7.2f} "
              f"{_mb(r['book_bytes']):>10} {r['requests']:>5}")
    runs = [r for r in result["runs"].values() if "book_sha256" in r]
    if len(runs) == 2:
        same = runs[0]["book_sha256"] == runs[1]["book_sha256"]
        print(f"cold and warm books byte-identical: {'yes' if same else 'NO'}; image server "
              f"CPU during the cold build {runs[0]['server_cpu_s']:.1f} s (same 2 cores)")
    if "profile" in result:
        prof = result["profile"]
        total = prof["phases"][0][1] or 1.0
        print(f"\nwarm build under cProfile ({prof['wall_s']:.1f} s wall; cumulative times, "
              "profiler overhead included):")
        for label, seconds in prof["phases"]:
            print(f"  {label:<40} {seconds:>7.2f} s  {seconds / total:>6.1%}")
    for point in result.get("trace_memory", []):
        print(f"\ntracemalloc {point['at']}: current {_mb(point['current'])}, "
              f"peak since the previous mark {_mb(point['peak'])}, "
              f"max RSS so far {_mb(point['rss_kb'] * 1024)} (inflated by tracemalloc)")
        if point.get("since_first"):
            print("  change since the first mark (size, blocks), by line:")
        for row in point["top"][:8]:
            print(f"  {_mb(row['size']):>10} {row['count']:>8,}  {row['where']}")


if __name__ == "__main__":
    sys.exit(main())
