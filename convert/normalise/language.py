"""The language of a post: the front matter's tag normalised (BCP 47 syntax), or the
language its text is written in (scripts counted; simplified and traditional Chinese
told apart by the characters only one of them has).
"""

from __future__ import annotations

import re

__all__ = ["detect_language", "normalise_language_tag"]

# ---------------------------------------------------------------- language tags

# BCP 47 syntax (RFC 5646) with the subtags people write in front matter; case is
# canonicalised (language lower, Script title, REGION upper). A full registry check
# would need langcodes + language_data; syntax plus a few aliases covers front matter.
_TAG = re.compile(
    r"(?P<lang>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|\d{3}))?"
    r"(?P<rest>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?)",
    re.I,
)
_MAX_TAG_CHARS = 100  # real tags are short; the pattern is not matched against pages
_TAG_ALIASES = {
    "iw": "he", "in": "id", "ji": "yi",  # deprecated ISO 639 codes
    "zh-chs": "zh-Hans", "zh-cht": "zh-Hant",  # .NET names
}


def normalise_language_tag(value: str) -> str | None:
    """``"zh_CN"`` → ``"zh-CN"``, ``"EN-us"`` → ``"en-US"``; not a language tag → None."""
    if not isinstance(value, str) or len(value) > _MAX_TAG_CHARS:
        return None
    tag = value.strip()
    # POSIX locales: "en_US.UTF-8", "de_DE@euro".
    tag = re.split(r"[.@]", tag, maxsplit=1)[0].replace("_", "-")
    if tag.lower() in _TAG_ALIASES:
        return _TAG_ALIASES[tag.lower()]
    match = _TAG.fullmatch(tag)
    if not match:
        return None
    lang = match["lang"].lower()
    lang = _TAG_ALIASES.get(lang, lang)
    if lang in ("und", "mul", "zxx", "mis"):  # "undetermined" etc. say nothing
        return None
    parts = [lang]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    if match["rest"]:
        parts.append(match["rest"].lower().lstrip("-"))
    return "-".join(parts)


# ---------------------------------------------------------------- language detection

# Frequent characters that exist in only one of the two Chinese scripts, as
# "simplified+traditional" pairs. Hand-written because no small, well-kept library does
# this (OpenCC and friends convert text; they do not classify it). Every simplified
# character here is outside Big5 and every traditional one outside GB2312, so neither
# occurs in ordinary text of the other script (tests/test_metadata.py checks this).
_SIMPLIFIED_TRADITIONAL = """
们們 这這 说說 国國 会會 时時 来來 为為 个個 发發 对對 经經 过過 现現 还還 没沒 进進 动動
问問 题題 关關 应應 样樣 开開 学學 实實 长長 东東 两兩 从從 间間 门門 业業 产產 点點 电電
车車 书書 见見 觉覺 难難 头頭 义義 无無 师師 华華 报報 纪紀 级級 线線 结結 给給 统統 组組
终終 维維 编編 约約 红紅 练練 细細 织織 绝絕 续續 总總 设設 计計 记記 让讓 论論 识識 话話
请請 读讀 调調 谈談 语語 认認 议議 该該 试試 视視 规規 观觀 亲親 资資 费費 贵貴 买買 卖賣
员員 质質 负負 责責 财財 货貨 购購 务務 办辦 劳勞 势勢 变變 边邊 达達 运運 远遠 选選 连連
钱錢 银銀 铁鐵 错錯 钟鐘 键鍵 链鏈 阅閱 闻聞 闭閉 队隊 阳陽 阴陰 际際 陆陸 险險 随隨 页頁
项項 顺順 须須 领領 频頻 风風 飞飛 马馬 鱼魚 鸟鳥 龙龍 齐齊 岁歲 历歷 压壓 广廣 库庫 庆慶
帮幫 币幣 带帶 归歸 当當 录錄 张張 态態 恶惡 战戰 护護 择擇 拥擁 换換 执執 扩擴 扫掃 挥揮
损損 数數 断斷 旧舊 显顯 术術 杂雜 权權 条條 标標 检檢 楼樓 欢歡 汉漢 汤湯 测測 济濟 浅淺
满滿 灯燈 热熱 爱愛 状狀 独獨 环環 画畫 疗療 盖蓋 监監 盘盤 础礎 积積 称稱 稳穩 穷窮 竞競
笔筆 节節 类類 纸紙 罗羅 职職 联聯 脑腦 脸臉 艺藝 药藥 获獲 虽雖 补補 装裝 讯訊 许許 证證
评評 词詞 译譯 误誤 课課 谁誰 谢謝 转轉 软軟 轻輕 较較 输輸 违違 迟遲 邮郵 释釋 针針 钢鋼
锁鎖 阵陣 韩韓 顾顧 预預 饭飯 馆館 验驗 鲜鮮 麦麥 黄黃 龄齡 传傳 伤傷 众眾 伟偉 块塊
"""
_PAIRS = _SIMPLIFIED_TRADITIONAL.split()
_SIMPLIFIED = re.compile("[" + "".join(p[0] for p in _PAIRS) + "]")
_TRADITIONAL = re.compile("[" + "".join(p[1] for p in _PAIRS) + "]")

# Letters by script. U+30FB (katakana middle dot) and U+30FC (prolonged sound mark) are
# left out of kana: Chinese text uses them too. Character class contents: single
# characters and ranges only (the counting table below is built from them).
_SCRIPT_CLASSES = {
    "hangul": "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af",
    "kana": "\u3040-\u309f\u30a0-\u30fa\u30fd-\u30ff\u31f0-\u31ff\uff66-\uff9d",
    "han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f",
    "latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "cyrillic": "\u0400-\u04ff\u0500-\u052f",
    "greek": "\u0370-\u03ff\u1f00-\u1fff",
    "arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff",
    "hebrew": "\u0590-\u05ff",
    "thai": "\u0e00-\u0e7f",
}
_SCRIPTS = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPT_CLASSES.items()}
_SCRIPT_LANG = {"latin": "en", "cyrillic": "ru", "greek": "el", "arabic": "ar",
                "hebrew": "he", "thai": "th"}
_SAMPLE = 5000
#: Below these counts the text says nothing about its language.
MIN_CJK = 20
MIN_LETTERS = 40


def _class_ranges(chars: str) -> list[tuple[int, int]]:
    """``"A-Za"`` → ``[(65, 90), (97, 97)]``: the ranges of a character class's contents."""
    out, i = [], 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            out.append((ord(chars[i]), ord(chars[i + 2])))
            i += 3
        else:
            out.append((ord(chars[i]), ord(chars[i])))
            i += 1
    return out


# Counting letters by script with one regex per script scans the text nine times and
# makes a string per letter. Instead one str.translate maps each character of the Basic
# Multilingual Plane to a code for its script (simplified- and traditional-only Han
# characters get codes of their own; "\0" for the rest), and str.count counts codes.
# Characters beyond the BMP are left as they are by the translation and counted by the
# regexes (only they, and they are few). The codes are ASCII control characters: the
# translated text holds nothing else but those characters beyond the BMP.
_OTHER = "\0"
_CODES = {name: chr(1 + i) for i, name in enumerate([*_SCRIPT_CLASSES, "simplified",
                                                      "traditional"])}
_BMP = 0x10000
_ABOVE_BMP = re.compile("[\U00010000-\U0010ffff]")


def _script_table() -> str | None:
    """The translation table, or None if the scripts overlap (each character would then
    count for several, which one code cannot say: the regexes count instead)."""
    table = [_OTHER] * _BMP
    for name, chars in _SCRIPT_CLASSES.items():
        for low, high in _class_ranges(chars):
            for point in range(low, min(high, _BMP - 1) + 1):
                if table[point] != _OTHER:
                    return None
                table[point] = _CODES[name]
    for name, index in (("simplified", 0), ("traditional", 1)):
        for pair in _PAIRS:
            point = ord(pair[index])
            if table[point] != _CODES["han"]:
                return None  # outside Han, or in both sets
            table[point] = _CODES[name]
    return "".join(table)


_TABLE = _script_table()


def _script_counts(sample: str) -> tuple[dict[str, int], int, int]:
    """Letters of each script in ``sample``, and its simplified- and traditional-only
    Han characters (counted among the Han letters too)."""
    if _TABLE is None:
        counts = {name: len(rx.findall(sample)) for name, rx in _SCRIPTS.items()}
        return counts, len(_SIMPLIFIED.findall(sample)), len(_TRADITIONAL.findall(sample))
    codes = sample.translate(_TABLE)
    counts = {name: codes.count(_CODES[name]) for name in _SCRIPT_CLASSES}
    simplified = codes.count(_CODES["simplified"])
    traditional = codes.count(_CODES["traditional"])
    counts["han"] += simplified + traditional
    if not codes.isascii():  # characters beyond the BMP, left as they were
        above = "".join(_ABOVE_BMP.findall(codes))
        for name, rx in _SCRIPTS.items():
            counts[name] += len(rx.findall(above))
    return counts, simplified, traditional


def detect_language(text: str) -> str | None:
    """Guess a BCP 47 tag from the script of the first ~5000 characters of ``text``.

    Script counting, not a language model: Hangul → ko, kana → ja, Han → zh-Hans or
    zh-Hant (zh when no character tells), Latin → en, Cyrillic → ru, and so on.
    CJK wins when it is at least 20% of the letters (Chinese tech posts are full of
    English words). Too little text to tell (fewer than :data:`MIN_CJK` CJK characters,
    or :data:`MIN_LETTERS` letters of another script) → None: ``20話`` is no language.
    """
    sample = text[:_SAMPLE]
    counts, simplified, traditional = _script_counts(sample)
    cjk = counts["hangul"] + counts["kana"] + counts["han"]
    total = sum(counts.values())
    if total == 0:
        return None
    if cjk and cjk * 5 >= total:
        if cjk < MIN_CJK:
            return None
        if counts["hangul"] * 2 >= cjk:
            return "ko"
        if counts["kana"] * 10 >= cjk:
            return "ja"
        if simplified > traditional:
            return "zh-Hans"
        if traditional > simplified:
            return "zh-Hant"
        return "zh"
    script = max(_SCRIPT_LANG, key=lambda name: counts[name])
    if counts[script] < MIN_LETTERS:
        return None
    return _SCRIPT_LANG[script]
