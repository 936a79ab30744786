"""Synthetic mitbbs-shaped posts in a Hexo ``source/_posts/`` tree, for the benchmarks.

The posts look like ``tests/corpus/posts/25-*.md`` … ``30-*.md``: front matter as an
RSS-to-Hexo generator writes it (``title``, a three-level ``categories`` list,
``headimg``, ``author``, ``comments``, an RFC 1123 ``date`` or ``Invalid Date``,
``thumbnail``), then the 未名新闻 body: ``<span class="black_14p">`` paragraphs with
``text-indent``, a hidden ``<font color="#F8F8F8">Mitbbs.com</font>`` watermark after
every paragraph, ``<br>`` soup, the ``<!--广告画开始-->…<!--广告画结束-->`` Google ad
table, and images that break out of the ``<span>``. Paragraphs are Chinese news prose of
tens to a few hundred characters; some are short sub-headings.

Files go to ``<category>/<source>/<feed>/<title>.md``, the title with the characters a
file name can't hold replaced by ``_`` as the generator does. Everything is derived from
one ``random.Random(seed)``, so the same seed gives byte-identical trees.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

# (category, source, feed): every source is 未名新闻 so the mitbbs site profile applies,
# spread over feeds and two categories as an RSSHub archive is.
FEEDS = (
    ("新媒体", "未名新闻", "分类"),
    ("新媒体", "未名新闻", "热点"),
    ("新媒体", "未名新闻", "国际"),
    ("新闻", "未名新闻", "财经"),
    ("新闻", "未名新闻", "娱乐"),
    ("新闻", "未名新闻", "体育"),
)

SENTENCES = (
    "据报道，美国白宫方面当天回应，双方没有考虑重新开放两国总领事馆",
    "此前有美媒报道称，在可能即将举行的领导人会晤前，双方正考虑这一举措",
    "外交部发言人在例行记者会上回应了这一猜测性报道，称“目前没有可以提供的消息”",
    "美国国家安全委员会（NSC）发言人迪安·利伯曼（Dean Lieberman）在一份书面声明中表示",
    "美国人口普查局公布的数据显示，疫情期间美国的人口增长率创下了建国以来的最低纪录",
    "从2020年7月到2021年7月的一年中，美国人口增长了392665人，增长率仅为0.1%",
    "人口普查局专家指出，过去几年人口的增长一直缓慢，这主要是因为出生率较低",
    "爱达荷州警方称，他们在周末阻止了一起潜在的国内恐怖主义袭击",
    "联邦调查局（FBI）正在协助当地警方调查，被逮捕的人都面临共谋暴乱的轻罪指控",
    "一名目击者在一家酒店看到这群人上了一辆U-Haul卡车后向警方举报",
    "美国众议院特别小组委员会在周三发布的一份报告显示，工厂的一些员工没有按照要求更换衣物",
    "被公布的美国食品与药品管理局（FDA）检查报告显示，该工厂存在霉菌和消毒不力等问题",
    "尽管检查人员发现该工厂条件恶劣，但多位高管在去年还是获得了高达数十万美元的个人奖金",
    "建川博物馆馆长在接受记者采访时曾表示，有朝一日将建成一座纪念馆",
    "该委员会原计划将公开听证会推迟到7月晚些时候，但本周突然安排了新的证人出席",
    "据悉，当时在车里的特勤局人员准备作证说，他们没有受到任何袭击",
    "分析师认为，这一举措将进一步巩固公司在北美市场的领先地位",
    "纽约州是人口减少比例最高的州，过去一年人口减少了1.6%",
    "加利福尼亚州和伊利诺伊州分别减少0.7%和0.9%，得克萨斯州则增长了1.1%",
    "美联储主席鲍威尔（Jerome Powell）周三表示，通胀压力可能会持续到明年",
    "道琼斯工业平均指数收盘下跌1.2%，标准普尔500指数下跌0.9%，纳斯达克综合指数下跌1.5%",
    "这位球星在赛后接受采访时说：“我们还有很多需要改进的地方。”",
    "该片上映首周末即在北美收获超过一亿美元票房，创下今年的最高纪录",
    "据知情人士透露，相关部门已经开始就此事展开调查，预计下个月公布结果",
    "卫生官员呼吁民众尽快接种加强针，尤其是65岁以上的老年人和有基础疾病的人群",
    "这一回应让许多议员对证词的可信度产生了怀疑",
    "当地时间21日，多家媒体援引消息人士的话报道了这一消息",
    "专家表示，供应链紧张的局面短期内难以缓解，消费者需要做好心理准备",
)
HEADINGS = ("探访：去世前一月", "拍摄于2021年5月10日", "相关阅读", "记者手记", "背景资料",
            "事件回顾", "专家观点")

WATERMARK = '<font color="#F8F8F8">Mitbbs.com</font>'
OPEN = '<p style="text-indent:2em">'
AD = ("\n                <!--广告画开始-->\n</p><div><table height=\"280\" cellspacing=\"0\" "
      "cellpadding=\"0\" width=\"336\" align=\"left\" border=\"0\">\n            "
      "<tbody><tr><td align=\"center\">\n\n<!-- news_page_336_280 -->\n<ins "
      "class=\"adsbygoogle\" style=\"display:inline-block;width:336px;height:280px\" "
      "data-ad-client=\"ca-pub-9374326915974877\" data-ad-slot=\"1145044815\"></ins>\n\n"
      "</td></tr>\n        </tbody></table></div>\n<!--广告画结束-->\n\n            ")
HEAD = ("<div>   \n\n                \n                \n        "
        f'<span class="black_14p">{OPEN}\n                ')
TAIL = ("\n            </p></span>\n                \n            \n          \n"
        "</div>\n            \n")
UNSAFE = re.compile(r'[\\/:*?"<>|]')


@dataclass(frozen=True)
class Post:
    """One generated post: where it goes in the tree, the whole file, and its body."""

    relative: str
    text: str
    body: str


def paragraph(rng: random.Random, low: int = 40, high: int = 300) -> str:
    target = rng.randint(low, high)
    out = ""
    while len(out) < target:
        out += rng.choice(SENTENCES) + rng.choice("，。。；")
    return out[:-1] + "。"


def image_url(rng: random.Random) -> str:
    day = f"20{rng.randint(20, 22)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    name = f"pic{rng.getrandbits(52):013x}.{rng.choice(('jpg', 'jpg', 'png'))}"
    path = f"uploadIMG/news{rng.randint(1, 5)}/{day}/{name}"
    if rng.random() < 0.1:  # images through a CORS proxy, as in corpus post 29
        return f"https://cors.zfour.workers.dev/?http://www.mitbbs.com:8080/user/img/{path}"
    return f"https://www.mitbbs.com/{path}"


def body_html(rng: random.Random) -> tuple[str, str | None]:
    """``(body, first image URL or None)``: 3–12 paragraphs, 0–3 images, one ad table."""
    texts = [rng.choice(HEADINGS) if rng.random() < 0.08 else paragraph(rng)
             for _ in range(rng.randint(3, 12))]
    images = {rng.randrange(len(texts)): image_url(rng) for _ in range(rng.choice((0, 1, 1, 2, 3)))}
    ad_at = rng.randrange(len(texts))
    ad_first = rng.random() < 0.15  # the ad before any text, as in corpus post 28
    parts = [HEAD]
    if ad_first:
        parts.append(AD)
    elif rng.random() < 0.15:  # an empty first paragraph, as in corpus post 30
        parts.append(f"</p><br>{OPEN}")
    for i, text in enumerate(texts):
        parts.append(f"{text}{WATERMARK}<br>")
        if i == len(texts) - 1:
            break
        if i == ad_at and not ad_first:
            parts.append(f"{AD}<p></p><br>{OPEN}")
        elif i in images:
            parts.append(f'</p><br>{OPEN}</p></span><img src="{images[i]}" '
                         f'referrerpolicy="no-referrer"><span class="black_14p">{OPEN}'
                         f"</p><br>{OPEN}")
        else:
            parts.append(f"</p><br>{OPEN}")
    parts.append(TAIL)
    first = images[min(images)] if images else None
    return "".join(parts), first


def front_matter(title: str, feed: tuple[str, str, str], cover: str, date: str) -> str:
    quoted = title.replace("'", "''")
    return ("\n---\n"
            f"title: '{quoted}'\n"
            "categories: \n" + "".join(f" - {level}\n" for level in feed) +
            f"headimg: '{cover}'\nauthor: {feed[1]}\ncomments: false\ndate: {date}\n"
            f"thumbnail: '{cover}'\n---\n\n")


def posts(count: int, seed: int = 20240101) -> Iterator[Post]:
    """``count`` posts, deterministic for a seed; titles unique within their folder."""
    rng = random.Random(seed)
    taken: set[str] = set()
    start = 1609459200  # 2021-01-01, then a post every ~45 minutes
    for index in range(count):
        feed = FEEDS[rng.randrange(len(FEEDS))]
        title = UNSAFE.sub("_", paragraph(rng, 10, 30)[: rng.randint(10, 30)].rstrip("，。；"))
        folder = "/".join(feed)
        stem, n = title, 2
        while f"{folder}/{stem}" in taken:
            stem, n = f"{title}_{n}", n + 1
        taken.add(f"{folder}/{stem}")
        body, first_image = body_html(rng)
        cover = first_image or f"https://picsum.photos/400/300?random={rng.randint(1, 9999)}"
        when = start + index * 2700 + rng.randint(0, 2000)
        date = "Invalid Date" if rng.random() < 0.25 else formatdate(when, usegmt=True)
        yield Post(f"{folder}/{stem}.md", front_matter(title, feed, cover, date) + body, body)


def write_tree(root: Path, count: int, seed: int = 20240101,
               bodies: Path | None = None) -> int:
    """Write ``count`` posts under ``root`` (and each body alone as ``bodies/NNNNNN.html``
    when ``bodies`` is given, for the reference tools); returns the bytes written."""
    total = 0
    if bodies is not None:
        bodies.mkdir(parents=True, exist_ok=True)
    for index, post in enumerate(posts(count, seed)):
        path = root / post.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = post.text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
        if bodies is not None:
            (bodies / f"{index:06d}.html").write_bytes(post.body.encode("utf-8"))
    return total
